// idb-test-slapd — runs the test slapd harness in the foreground, for
// `make demo` (tests/support/demo.sh) and for trying things by hand.
//
//   idb-test-slapd --ldif tests/fixtures/demo-company.ldif [--ldif more.ldif]
//                  [--dir DIR] [--port 3890] [--ldaps-port 6360] [--env-file FILE]
//
// Prints (and writes to --env-file) LDAP_URI, LDAPS_URI, CA_FILE, ROOT_DN,
// SLAPD_PID when the server answers binds; stops slapd (by PID) and removes
// its directory on SIGINT/SIGTERM. Exit 2 on usage errors, 1 when slapd
// cannot start.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "slapd_server.h"

int main(int argc, char** argv) {
  idb::testing::SlapdOptions o;
  std::string env_file;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "idb-test-slapd: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--ldif") o.ldif_files.push_back(next());
    else if (a == "--dir") o.dir = next();
    else if (a == "--port") o.ldap_port = std::atoi(next().c_str());
    else if (a == "--ldaps-port") o.ldaps_port = std::atoi(next().c_str());
    else if (a == "--env-file") env_file = next();
    else {
      std::cerr << "usage: idb-test-slapd --ldif FILE [--dir DIR] [--port N] [--ldaps-port N] [--env-file FILE]\n";
      return 2;
    }
  }
  if (o.ldif_files.empty()) {
    std::cerr << "idb-test-slapd: give at least one --ldif\n";
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);

  auto server = idb::testing::SlapdServer::Start(o);
  if (!server.ok()) {
    std::cerr << "idb-test-slapd: " << server.status().message() << "\n";
    return 1;
  }
  const auto& s = **server;
  const std::string env = "LDAP_URI=" + s.ldap_uri() + "\nLDAPS_URI=" + s.ldaps_uri() + "\nCA_FILE=" + s.ca_file() +
                          "\nROOT_DN='" + s.root_dn() + "'\nSLAPD_PID=" + std::to_string(s.pid()) + "\n";
  std::cout << env << std::flush;
  if (!env_file.empty() && !idb::testing::WriteFile(env_file, env, 0600)) {
    std::cerr << "idb-test-slapd: cannot write " << env_file << "\n";
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  return 0;  // the harness's destructor stops slapd and removes its dir
}
