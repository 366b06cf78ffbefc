// connection.h — opening one LDAP connection with our security defaults, and
// the two operations we need on it: simple bind and (paged) search.
//
// Why: every connection must get the same options — TLS certificate
// verification on (GnuTLS-backed libldap: LDAP_OPT_X_TLS_* then
// LDAP_OPT_X_TLS_NEWCTX), StartTLS when configured, protocol v3, referrals off
// (AD returns continuation references from the domain root), network and
// operation timeouts — and every failure must be classified the same way:
// kUnavailable for "could not ask the server" (connection refused, timeout,
// TLS failure, server down), which triggers failover and offline logins, and
// kUnauthenticated for "the server said no", which never does.
// Ownership: Connection owns its LDAP* (RAII). Thread-safety: a Connection is
// used by one thread at a time.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/secret.h"
#include "ldap/ldap_handles.h"

namespace idb::ldap {

struct ConnectOptions {
  std::string uri;  // one ldap:// or ldaps:// URI
  bool start_tls = false;
  bool tls_verify = true;
  std::string ca_file;  // empty = the system's trust store
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds operation_timeout{10000};
  // Send the password-policy request control (draft-behera-ldap-password-policy,
  // OpenLDAP ppolicy) with binds, so "must change after reset" and "expired"
  // come back in *result. Off for AD, which has its own bind diagnostics.
  bool password_policy_control = false;
};

// One entry of a search result. Attribute names are lower-cased; values are
// binary-safe.
struct Entry {
  std::string dn;
  std::map<std::string, std::vector<std::string>> attrs;
  const std::vector<std::string>& Values(const std::string& lower_name) const;
  std::string First(const std::string& lower_name) const;  // "" when absent
};

struct BindResult {
  int ldap_code = 0;             // LDAP result code (0 = success)
  std::string diagnostic;        // server's diagnostic message ("… data 52e …")
  int policy_error = -1;         // ppolicy response error (PP_*), -1 = none sent back
};
// The same details for the password operations below.
using OperationResult = BindResult;

class Connection {
 public:
  // Connects (and runs StartTLS when asked). No bind yet. The whole of it —
  // TCP connect, TLS handshake, StartTLS — is bounded by connect_timeout +
  // operation_timeout: libldap bounds only the TCP connect, and a TLS
  // handshake with a hung server (accepting, never answering) would block
  // forever, so a watchdog shuts the socket down when the time is up.
  static Result<Connection> Open(const ConnectOptions& options);

  Connection(Connection&&) = default;
  Connection& operator=(Connection&&) = default;

  // Simple bind. Refuses an empty password without network traffic (an
  // empty simple bind is an anonymous bind that "succeeds").
  // Ok: bound. kUnauthenticated: the server refused (details in *result).
  // kUnavailable: the server could not be asked. kInvalidArgument: empty password.
  Status Bind(const std::string& dn, const Secret& password, BindResult* result = nullptr);

  // RFC 3062 password modify extended operation for the bound user (`user_dn`
  // names the entry; the old password is sent too, so a policy that demands it
  // is met), with the ppolicy request control. Ok: changed. kFailedPrecondition:
  // the server refused (code, diagnostic and PP_* error in *result).
  // kUnavailable: the request could not be sent. kDeadlineExceeded: sent, but
  // no answer came (the change may have been made: do not retry elsewhere).
  Status ModifyPassword(const std::string& user_dn, const Secret& old_password, const Secret& new_password,
                        OperationResult* result);

  // Active Directory's user password change: one modify that deletes the old
  // unicodePwd value and adds the new one (both UTF-16LE, in quotes). AD
  // checks the old password and the domain's policy itself; it only accepts
  // this over TLS. Same answers as ModifyPassword.
  Status ChangeAdPassword(const std::string& user_dn, const Secret& old_password, const Secret& new_password,
                          OperationResult* result);

  // Subtree/base/onelevel search with the paged-results control (page_size
  // 0 = no paging). `attrs` empty = all user attributes. kNotFound when the
  // base does not exist; kUnavailable when the server could not be asked.
  Result<std::vector<Entry>> Search(const std::string& base, int scope, const std::string& filter,
                                    const std::vector<std::string>& attrs, int page_size = 0,
                                    size_t max_entries = 100000);

  const std::string& uri() const { return uri_; }
  LDAP* raw() { return ld_.get(); }
  // False after an error that leaves the connection unusable.
  bool healthy() const { return healthy_; }
  // The last failure was a timeout (a hung server rather than a closed connection).
  bool timed_out() const { return last_rc_ == LDAP_TIMEOUT || last_rc_ == LDAP_TIMELIMIT_EXCEEDED; }

 private:
  Connection(LdapHandle ld, std::string uri) : ld_(std::move(ld)), uri_(std::move(uri)) {}
  Status Classify(int rc, const std::string& what);
  // Waits (operation timeout) for the answer to `msgid` and fills *result.
  Status Finish(int msgid, const char* what, OperationResult* result);
  LdapHandle ld_;
  bool policy_control_ = false;
  std::chrono::milliseconds operation_timeout_{10000};
  std::string uri_;
  bool healthy_ = true;
  int last_rc_ = LDAP_SUCCESS;
};

// True for result codes that mean "the server could not be asked".
bool IsUnavailableCode(int rc);

}  // namespace idb::ldap
