// idbridged — the identity bridge daemon.
//
//   idbridged --config FILE [--socket PATH] [--store PATH] [--check]
//
// Runs in the foreground and logs to stderr. --check validates the
// configuration (and opens the store) and exits: 0 valid, 1 invalid, 2 usage.
// SIGHUP reloads the configuration (an invalid one is rejected, the old one
// stays); SIGTERM/SIGINT stop it cleanly. Signals are taken with sigwait() in
// the main thread, blocked in every other thread.
#include <signal.h>
#include <sys/stat.h>

#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "core/config.h"
#include "daemon/authenticator_factory.h"
#include "daemon/daemon_server.h"
#include "daemon/daemon_settings.h"
#include "daemon/log.h"

namespace {

void Usage(std::ostream& os) {
  os << "usage: idbridged --config FILE [--socket PATH] [--store PATH] [--check]\n"
        "  --config FILE  configuration (see config/idbridge.yaml)\n"
        "  --socket PATH  listen here instead of daemon.socket\n"
        "  --store PATH   use this store instead of store.path\n"
        "  --check        validate the configuration and exit (0 valid, 1 invalid)\n";
}

int CheckOnly(const idb::daemon::DaemonOptions& options) {
  idb::ConfigLoad load = idb::LoadConfig(options.config_path);
  std::vector<idb::Diagnostic> errors = load.errors;
  std::vector<idb::Diagnostic> warnings;
  if (load.ok()) idb::daemon::CheckDaemonConfiguration(*load.config, &errors, &warnings);
  for (const auto& d : warnings) std::cerr << "warning: " << d.ToString() << "\n";
  for (const auto& d : errors) std::cerr << d.ToString() << "\n";
  if (!errors.empty()) {
    std::cerr << "idbridged: configuration invalid (" << errors.size() << " error(s))\n";
    return 1;
  }
  std::cout << "idbridged: configuration valid (" << load.config->files_hash << ")\n";
  return 0;
}

int Run(int argc, char** argv) {
  idb::daemon::DaemonOptions options;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "idbridged: " << name << " needs a value\n";
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--config") {
      const char* v = value("--config");
      if (!v) return 2;
      options.config_path = v;
    } else if (a == "--socket") {
      const char* v = value("--socket");
      if (!v) return 2;
      options.socket_override = v;
    } else if (a == "--store") {
      const char* v = value("--store");
      if (!v) return 2;
      options.store_override = v;
    } else if (a == "--check") {
      check = true;
    } else if (a == "--help" || a == "-h") {
      Usage(std::cout);
      return 0;
    } else {
      std::cerr << "idbridged: unknown argument '" << a << "'\n";
      Usage(std::cerr);
      return 2;
    }
  }
  if (options.config_path.empty()) {
    std::cerr << "idbridged: --config is required\n";
    Usage(std::cerr);
    return 2;
  }
  if (check) return CheckOnly(options);

  // Files we create (socket, store) are never world-accessible.
  ::umask(0077);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by every thread created below

  auto server = idb::daemon::DaemonServer::Start(options);
  if (!server.ok()) {
    std::cerr << "idbridged: " << server.status().message() << "\n";
    return 1;
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      idb::daemon::LogInfo("SIGHUP: reloading configuration");
      (void)(*server)->Reload();
    } else if (sig == SIGTERM || sig == SIGINT) {
      idb::daemon::LogInfo(std::string("stopping on ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT"));
      (*server)->Stop();
      return 0;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "idbridged: internal error: " << e.what() << "\n";
    return 1;
  } catch (...) {
    std::cerr << "idbridged: internal error\n";
    return 1;
  }
}
