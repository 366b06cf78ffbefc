// slapd_server.h — a throwaway OpenLDAP server for integration tests, the
// benchmark and `make demo`.
//
// What it does: makes a temp dir with its own slapd.conf (modulepath
// /usr/lib/ldap, back_mdb, memberof + refint + ppolicy overlays), a test CA
// and a server certificate (test_ca.h), seeds the database from LDIF files
// with slapadd -q — adding the memberOf values the memberof overlay would
// have written, because slapadd runs no overlays — and starts slapd on
// ldap:// and ldaps:// 127.0.0.1 high ports (free ones unless given). Ready
// means a real bind as the root DN worked. Stop() sends SIGTERM to the PID it
// started; the destructor stops it and removes the temp dir (unless keep_dir).
// Access: the root DN (random password) can do anything; the LDIF's service
// account (service_dn) can read everything; users can read themselves and the
// groups, and search (not read) the rest — enough for user_bind_template.
// Thread-safety: one harness per thread; the server itself is shared freely.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "process.h"
#include "test_ca.h"

namespace idb::testing {

struct SlapdOptions {
  std::string suffix = "dc=fleet,dc=test";
  std::vector<std::string> ldif_files;  // seeded in order (slapadd -q)
  std::string ldif_text;                // extra LDIF (e.g. generated), seeded after the files
  std::string service_dn = "cn=idbridge-svc,ou=Services,dc=fleet,dc=test";
  int ldap_port = 0;    // 0 = a free port
  int ldaps_port = 0;   // 0 = a free port
  std::string dir;      // "" = a new temp dir
  bool keep_dir = false;
  // Issue the server certificate from this CA instead of making a new one
  // (several servers trusted through one ca_file).
  const TestCa* ca = nullptr;
  size_t max_size_bytes = 1u << 30;
};

class SlapdServer {
 public:
  static Result<std::unique_ptr<SlapdServer>> Start(SlapdOptions options);
  ~SlapdServer();

  // "ldap://localhost:PORT" (plain and StartTLS) and "ldaps://localhost:PORT".
  std::string ldap_uri() const { return "ldap://localhost:" + std::to_string(ldap_port_); }
  std::string ldaps_uri() const { return "ldaps://localhost:" + std::to_string(ldaps_port_); }
  int ldap_port() const { return ldap_port_; }
  int ldaps_port() const { return ldaps_port_; }
  const std::string& ca_file() const { return ca_file_; }
  const std::string& dir() const { return dir_; }
  const std::string& root_dn() const { return root_dn_; }
  const std::string& root_password() const { return root_password_; }
  pid_t pid() const { return process_.pid(); }

  void Stop();            // SIGTERM, wait
  void Kill();            // SIGKILL (a crash)
  Status Restart();       // start again on the same ports with the same data
  void Pause();           // SIGSTOP: accepts TCP connections but never answers
  void Resume();          // SIGCONT
  bool Running() { return process_.Running(); }

  // ldapmodify/ldapadd as the root DN (online changes: overlays run).
  Status Modify(const std::string& ldif, bool add = false);

  // Adds memberOf values to the LDIF (for slapadd, which runs no overlays):
  // every entry named in a `member:` of a group gets `memberOf: <group DN>`.
  static std::string WithMemberOf(const std::string& ldif);

 private:
  SlapdServer() = default;
  Status Launch();
  SlapdOptions options_;
  std::string dir_, ca_file_, root_dn_, root_password_;
  int ldap_port_ = 0, ldaps_port_ = 0;
  ChildProcess process_;
};

}  // namespace idb::testing
