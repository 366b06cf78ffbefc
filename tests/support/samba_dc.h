// samba_dc.h — a throwaway Samba Active Directory domain controller for the
// AD integration tests (UPN and DOMAIN\user logins, IN_CHAIN, tokenGroups,
// primary group, and the account states AD reports in its bind diagnostics).
//
// What it does: `samba-tool domain provision` into a temp dir (realm
// FLEET.TEST, domain FLEET, no DNS, loopback only), adds the settings a test
// needs to smb.conf (simple binds over LDAP allowed, our own CA and a server
// certificate with SANs, logs/pids/sockets inside the dir), creates the demo
// users and groups with samba-tool, starts `samba -F` (its PID is ours) and
// waits until a real bind works. The destructor stops it by PID and removes
// the dir.
// Limits: needs root; LDAP ports 389/636 are fixed, so one instance per
// machine (ctest RESOURCE_LOCK "samba"); provisioning takes ~15-25 s, so test
// binaries provision once (a gtest Environment). CannotRunReason() says why
// Samba cannot run here, so tests skip with that message, never silently.
// Thread-safety: one harness per process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "process.h"
#include "test_ca.h"

namespace idb::testing {

class SambaDc {
 public:
  // "" when Samba can run here; otherwise why not (not root, not installed,
  // port 389/636 taken).
  static std::string CannotRunReason();
  static Result<std::unique_ptr<SambaDc>> Start();
  ~SambaDc();

  std::string ldap_uri() const { return "ldap://localhost:389"; }
  std::string ldaps_uri() const { return "ldaps://localhost:636"; }
  const std::string& ca_file() const { return ca_file_; }
  const std::string& dir() const { return dir_; }
  std::string base_dn() const { return "DC=fleet,DC=test"; }
  std::string realm() const { return "fleet.test"; }
  std::string netbios() const { return "FLEET"; }
  // samba-tool against this DC's database (e.g. {"user", "disable", "bob"}).
  Status Tool(const std::vector<std::string>& args);

  // The demo users (all with kUserPassword unless noted).
  static constexpr const char* kUserPassword = "Fleet-Test-2024!";
  static constexpr const char* kServiceUser = "idbridge-svc";
  static constexpr const char* kServicePassword = "Svc-Test-2024!x";

 private:
  SambaDc() = default;
  Status Provision();
  Status Launch();
  std::string dir_, conf_, ca_file_, admin_password_;
  ChildProcess process_;
};

}  // namespace idb::testing
