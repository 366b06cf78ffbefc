// daemon_test_env.cc — see daemon_test_env.h.
#include "daemon_test_env.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "store/password_hash.h"
#include "store/sqlite_store.h"

namespace idb::daemon::testing {

DaemonTestEnv::DaemonTestEnv() {
  char tmpl[] = "/tmp/idbd-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  config_path_ = dir_ + "/idbridge.yaml";
  store_path_ = dir_ + "/store.db";
  socket_path_ = dir_ + "/idbridged.sock";
  WriteConfig();
}

DaemonTestEnv::~DaemonTestEnv() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string DaemonTestEnv::FixtureDir() { return std::string(IDB_SOURCE_DIR) + "/tests/unit/daemon/fixtures"; }

void DaemonTestEnv::WriteConfig(const std::string& rules, const std::string& daemon_extra,
                                const std::string& store_extra) {
  std::ostringstream os;
  const std::string fx = FixtureDir();
  os << "version: 1\n"
     << "mappings:\n"
     << "  catalog: " << fx << "/catalog.yaml\n"
     << "  profiles: " << fx << "/profiles.yaml\n"
     << "  rules: " << fx << "/" << rules << "\n"
     << "store:\n"
     << "  path: " << store_path_ << "\n";
  std::istringstream store_lines(store_extra);
  for (std::string line; std::getline(store_lines, line);) os << "  " << line << "\n";
  os << "daemon:\n";
  // Defaults for the tests, unless daemon_extra sets the key itself.
  const std::pair<const char*, std::string> defaults[] = {{"socket", socket_path_},
                                                          {"socket_mode", "\"0660\""},
                                                          {"session_ttl", "3600"},
                                                          {"session_refresh", "60"},
                                                          {"threads", "4"}};
  for (const auto& [key, value] : defaults) {
    if (daemon_extra.find(std::string(key) + ":") == std::string::npos) os << "  " << key << ": " << value << "\n";
  }
  std::istringstream extra(daemon_extra);
  for (std::string line; std::getline(extra, line);) os << "  " << line << "\n";
  WriteRawConfig(os.str());
}

void DaemonTestEnv::WriteRawConfig(const std::string& text) {
  const std::string tmp = config_path_ + ".tmp";
  {
    std::ofstream f(tmp);
    f << text;
  }
  std::filesystem::rename(tmp, config_path_);
}

std::unique_ptr<store::Store> DaemonTestEnv::OpenStore() const {
  auto s = store::OpenSqliteStore(store_path_);
  if (!s.ok()) throw std::runtime_error("open store: " + s.status().ToString());
  return std::move(s).value();
}

void DaemonTestEnv::AddLocalAdmin(const std::string& user, const std::string& password) {
  auto hash = store::HashPassword(Secret(password), store::kTestPbkdf2Iterations, /*allow_weak_for_tests=*/true);
  if (!hash.ok()) throw std::runtime_error("hash: " + hash.status().ToString());
  auto s = OpenStore();
  Status st = s->SetLocalAdmin(user, *hash, "test", std::chrono::system_clock::now());
  if (!st.ok()) throw std::runtime_error("set local admin: " + st.ToString());
}

DaemonOptions DaemonTestEnv::Options() const {
  DaemonOptions o;
  o.config_path = config_path_;
  o.local_admin_dummy_iterations = store::kTestPbkdf2Iterations;
  return o;
}

}  // namespace idb::daemon::testing
