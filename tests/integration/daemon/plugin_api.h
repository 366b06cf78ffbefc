// plugin_api.h — the plugin's C functions resolved with dlopen()/dlsym(), the
// way a fleet application loads libidbridge.so, for the daemon e2e tests.
//
// Why a header: e2e_test.cc and oidc_e2e_test.cc both drive the real plugin
// binary (IDB_PLUGIN_PATH, set by CMake) and must not keep two loaders.
// Ownership: PluginApi holds the dlopen() handle and closes it when destroyed.
// Thread-safety: the function pointers are immutable after construction.
#pragma once

#include <dlfcn.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "idbridge.h"

namespace idb::daemon::testing {

struct PluginApi {
  void* lib = nullptr;
  idb_status (*client_open)(const idb_client_options*, idb_client**);
  void (*client_close)(idb_client*);
  idb_status (*client_ping)(idb_client*);
  idb_status (*login)(idb_client*, const char*, const char*, idb_session**);
  idb_status (*login_token)(idb_client*, const char*, idb_session**);
  idb_status (*device_begin)(idb_client*, idb_flow**);
  idb_status (*browser_begin)(idb_client*, idb_flow**);
  idb_status (*flow_info_get)(const idb_flow*, idb_flow_info**);
  void (*flow_info_free)(idb_flow_info*);
  idb_status (*flow_poll)(idb_client*, idb_flow*, idb_session**);
  void (*flow_free)(idb_flow*);
  int (*check)(const idb_session*, const char*, const char*, const char*);
  idb_status (*refresh)(idb_session*);
  idb_status (*session_info_get)(const idb_session*, idb_session_info**);
  void (*session_info_free)(idb_session_info*);
  void (*session_close)(idb_session*);
  size_t (*last_error)(char*, size_t);
  idb_status (*login_ex)(idb_client*, const idb_login_request*, idb_session**);
  idb_status (*login_token_ex)(idb_client*, const char*, const idb_login_request*, idb_session**);

  PluginApi() {
    lib = ::dlopen(IDB_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) throw std::runtime_error(::dlerror());
    Load(client_open, "idb_client_open");
    Load(client_close, "idb_client_close");
    Load(client_ping, "idb_client_ping");
    Load(login, "idb_login");
    Load(login_token, "idb_login_token");
    Load(device_begin, "idb_device_begin");
    Load(browser_begin, "idb_browser_begin");
    Load(flow_info_get, "idb_flow_info_get");
    Load(flow_info_free, "idb_flow_info_free");
    Load(flow_poll, "idb_flow_poll");
    Load(flow_free, "idb_flow_free");
    Load(check, "idb_check");
    Load(refresh, "idb_session_refresh");
    Load(session_info_get, "idb_session_info_get");
    Load(session_info_free, "idb_session_info_free");
    Load(session_close, "idb_session_close");
    Load(last_error, "idb_last_error");
    Load(login_ex, "idb_login_ex");
    Load(login_token_ex, "idb_login_token_ex");
  }
  ~PluginApi() { ::dlclose(lib); }
  PluginApi(const PluginApi&) = delete;
  PluginApi& operator=(const PluginApi&) = delete;

 private:
  template <typename T>
  void Load(T*& fn, const char* name) {
    fn = reinterpret_cast<T*>(::dlsym(lib, name));
    if (fn == nullptr) throw std::runtime_error(std::string("dlsym ") + name);
  }
};

// The whole file, or "" when it cannot be read (logs shown on failure).
inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace idb::daemon::testing
