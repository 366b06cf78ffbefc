// ctl_fixture.h — runs the built idbridgectl against a temporary store and
// configuration (shipped catalog and profiles, small rules files written by
// the test), capturing exit code, stdout and stderr.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace idb::store::testing {

struct CtlResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

// Rules used by the CLI tests: mechanics get technicians at Depot A, auditors
// get auditor.
constexpr const char* kRulesOld = R"(version: 1
default: deny
rules:
  - name: mechanics
    match: { group_cn: Mechanics }
    grant_profiles: [technicians]
    locations: ["Depot A"]
  - name: auditors
    match: { group_cn: Auditors }
    grant_profiles: [auditor]
)";

// The what-if change: mechanics also at Depot B; the auditors rule is gone.
constexpr const char* kRulesNew = R"(version: 1
default: deny
rules:
  - name: mechanics
    match: { group_cn: Mechanics }
    grant_profiles: [technicians]
    locations: ["Depot A", "Depot B"]
)";

class CtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = dir_.File("idb.db");
    config_ = WriteConfig("idbridge.yaml", "rules-old.yaml", kRulesOld, store_);
    // Write commands never create a store: make it as an admin would.
    CtlResult init = Ctl({"init"});
    ASSERT_EQ(init.code, 0) << init.err;
  }

  // Writes a config using the shipped catalog/profiles and `rules` text.
  std::string WriteConfig(const std::string& name, const std::string& rules_name, const std::string& rules,
                          const std::string& store_path) {
    WriteFile(dir_.File(rules_name), rules);
    const std::string m = std::string(IDB_SOURCE_DIR) + "/mappings/";
    WriteFile(dir_.File(name), "version: 1\nmappings:\n  catalog: " + m + "catalog.yaml\n  profiles: " + m +
                                   "profiles.yaml\n  rules: " + dir_.File(rules_name) + "\nstore:\n  path: " +
                                   store_path + "\n  history_retention_days: 30\n");
    return dir_.File(name);
  }

  CtlResult Run(std::vector<std::string> args, const std::string& input = "") {
    const std::string in = dir_.File("stdin"), out = dir_.File("stdout"), err = dir_.File("stderr");
    WriteFile(in, input);
    pid_t pid = ::fork();
    if (pid == 0) {
      int fi = ::open(in.c_str(), O_RDONLY);
      int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fi < 0 || fo < 0 || fe < 0) ::_exit(126);
      ::dup2(fi, 0);
      ::dup2(fo, 1);
      ::dup2(fe, 2);
      std::vector<char*> argv;
      std::string bin = IDB_CTL_BINARY;
      argv.push_back(bin.data());
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    CtlResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = ReadAll(out);
    r.err = ReadAll(err);
    return r;
  }

  // Shortcut: a store command with --config and --store.
  CtlResult Ctl(std::vector<std::string> args, const std::string& input = "") {
    args.push_back("--config");
    args.push_back(config_);
    return Run(std::move(args), input);
  }

  TempDir dir_;
  std::string store_;
  std::string config_;
};

}  // namespace idb::store::testing
