// daemon_test_env.h — a throwaway idbridged environment for tests and
// benchmarks: a temp dir with a config (test mappings from
// tests/unit/daemon/fixtures), a store with a local admin hashed with the
// cheap test PBKDF2 setting, and a socket path.
//
// Why shared: unit, plugin, integration tests and the benchmark all need the
// same setup; library `idb_daemon_testenv` (tests/unit/daemon/CMakeLists.txt).
// Ownership: the temp dir is removed by the destructor.
// Thread-safety: not shared between threads.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "daemon/daemon_core.h"
#include "store/store.h"

namespace idb::daemon::testing {

constexpr const char* kAdminUser = "breakglass";
constexpr const char* kAdminPassword = "Correct-Horse-42!";

class DaemonTestEnv {
 public:
  DaemonTestEnv();
  ~DaemonTestEnv();
  DaemonTestEnv(const DaemonTestEnv&) = delete;
  DaemonTestEnv& operator=(const DaemonTestEnv&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& store_path() const { return store_path_; }
  const std::string& socket_path() const { return socket_path_; }
  static std::string FixtureDir();

  // (Re)writes the config. `rules` is a fixture file name; `daemon_extra` is
  // appended (indented) to the daemon: section, e.g. "allowed_uids: [0]\n";
  // `store_extra` likewise to the store: section ("history_queue_rows: 8\n").
  void WriteConfig(const std::string& rules = "rules.yaml", const std::string& daemon_extra = "",
                   const std::string& store_extra = "");
  // Writes arbitrary text as the config (for broken-config tests).
  void WriteRawConfig(const std::string& text);
  // Local admin with the cheap test hash (kTestPbkdf2Iterations).
  void AddLocalAdmin(const std::string& user = kAdminUser, const std::string& password = kAdminPassword);
  // Opens the store (a new connection each call).
  std::unique_ptr<store::Store> OpenStore() const;
  DaemonOptions Options() const;  // config + socket + store, cheap dummy hash

 private:
  std::string dir_, config_path_, store_path_, socket_path_;
};

}  // namespace idb::daemon::testing
