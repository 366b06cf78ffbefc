#include "ldap/connection.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "common/work_counters.h"

namespace idb::ldap {
namespace {

timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Watchdog state for the connection being opened on this thread. libldap's
// connect callback runs inside ldap_connect/ldap_start_tls_s on the calling
// thread and hands the new socket to the watchdog.
struct ConnectWatch {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool fired = false;
  int fd = -1;
};
thread_local ConnectWatch* t_watch = nullptr;

int OnConnect(LDAP*, Sockbuf* sb, LDAPURLDesc*, sockaddr*, ldap_conncb*) {
  int fd = -1;
  if (t_watch != nullptr && ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) == 1) {
    std::lock_guard<std::mutex> lock(t_watch->mu);
    t_watch->fd = fd;
  }
  return 0;
}
void OnDisconnect(LDAP*, Sockbuf*, ldap_conncb*) {}
ldap_conncb g_connect_cb = {OnConnect, OnDisconnect, nullptr};  // static: libldap keeps the pointer

// Runs `step` (a blocking libldap call that connects), shutting the socket
// down if it takes longer than `limit`; *timed_out says whether that happened.
template <typename Step>
int Bounded(std::chrono::milliseconds limit, Step step, bool* timed_out) {
  auto watch = std::make_shared<ConnectWatch>();
  std::thread watchdog([watch, limit] {
    std::unique_lock<std::mutex> lock(watch->mu);
    if (!watch->cv.wait_for(lock, limit, [&] { return watch->done; })) {
      watch->fired = true;
      if (watch->fd >= 0) shutdown(watch->fd, SHUT_RDWR);
    }
  });
  t_watch = watch.get();
  const int rc = step();
  t_watch = nullptr;
  {
    std::lock_guard<std::mutex> lock(watch->mu);
    watch->done = true;
    *timed_out = watch->fired;
  }
  watch->cv.notify_all();
  watchdog.join();
  return rc;
}

}  // namespace

const std::vector<std::string>& Entry::Values(const std::string& lower_name) const {
  static const std::vector<std::string> kEmpty;
  auto it = attrs.find(lower_name);
  return it == attrs.end() ? kEmpty : it->second;
}

std::string Entry::First(const std::string& lower_name) const {
  const auto& v = Values(lower_name);
  return v.empty() ? std::string() : v.front();
}

bool IsUnavailableCode(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR || rc == LDAP_UNAVAILABLE ||
         rc == LDAP_BUSY || rc == LDAP_TIMELIMIT_EXCEEDED || rc == LDAP_LOCAL_ERROR || rc == LDAP_ENCODING_ERROR ||
         rc == LDAP_DECODING_ERROR;
}

Result<Connection> Connection::Open(const ConnectOptions& o) {
  LDAP* raw = nullptr;
  int rc = ldap_initialize(&raw, o.uri.c_str());
  LdapHandle ld(raw);
  if (rc != LDAP_SUCCESS || !ld) return InvalidArgument("bad LDAP URI '" + o.uri + "': " + ldap_err2string(rc));

  const int version = LDAP_VERSION3;
  const timeval net = ToTimeval(o.connect_timeout);
  const timeval op = ToTimeval(o.operation_timeout);
  const int require = o.tls_verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
  const int seconds_limit = static_cast<int>(std::max<int64_t>(1, o.operation_timeout.count() / 1000));
  if (ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &net) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &op) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld.get(), LDAP_OPT_TIMELIMIT, &seconds_limit) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &require) != LDAP_OPT_SUCCESS) {
    return Internal("cannot set LDAP options on " + o.uri);
  }
  if (!o.ca_file.empty() &&
      ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE, o.ca_file.c_str()) != LDAP_OPT_SUCCESS) {
    return Internal("cannot set the CA file for " + o.uri);
  }
  const int is_server = 0;
  if (ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &is_server) != LDAP_OPT_SUCCESS) {
    return Unavailable("cannot create a TLS context for " + o.uri + " (CA file " + o.ca_file + ")");
  }
  if (ldap_set_option(ld.get(), LDAP_OPT_CONNECT_CB, &g_connect_cb) != LDAP_OPT_SUCCESS) {
    return Internal("cannot set the connect callback");
  }
  const auto limit = o.connect_timeout + o.operation_timeout;
  bool timed_out = false;
  if (o.start_tls) {
    rc = Bounded(limit, [&] { return ldap_start_tls_s(ld.get(), nullptr, nullptr); }, &timed_out);
    if (timed_out) return Unavailable("StartTLS with " + o.uri + " took longer than " + std::to_string(limit.count()) + " ms");
    if (rc != LDAP_SUCCESS) {
      return Unavailable("StartTLS with " + o.uri + " failed: " + ldap_err2string(rc) +
                         (DiagnosticMessage(ld.get()).empty() ? "" : " (" + DiagnosticMessage(ld.get()) + ")"));
    }
  } else {
    // Connect now (ldap_initialize is lazy) so an unreachable or untrusted
    // server is found before the first operation.
    rc = Bounded(limit, [&] { return ldap_connect(ld.get()); }, &timed_out);
    if (timed_out) return Unavailable("connecting to " + o.uri + " took longer than " + std::to_string(limit.count()) + " ms");
    if (rc != LDAP_SUCCESS) {
      return Unavailable("cannot connect to " + o.uri + ": " + ldap_err2string(rc) +
                         (DiagnosticMessage(ld.get()).empty() ? "" : " (" + DiagnosticMessage(ld.get()) + ")"));
    }
  }
  Connection conn(std::move(ld), o.uri);
  conn.policy_control_ = o.password_policy_control;
  conn.operation_timeout_ = o.operation_timeout;
  return conn;
}

Status Connection::Classify(int rc, const std::string& what) {
  last_rc_ = rc;
  if (IsUnavailableCode(rc)) {
    healthy_ = false;
    return Unavailable(what + " on " + uri_ + ": " + ldap_err2string(rc));
  }
  return Status(ErrorCode::kInternal, what + " on " + uri_ + ": " + ldap_err2string(rc));
}

Status Connection::Bind(const std::string& dn, const Secret& password, BindResult* result) {
  if (password.empty()) return InvalidArgument("empty password refused before any bind");
  if (dn.empty()) return InvalidArgument("empty bind DN refused");
  CountDirectoryOperation();
  berval cred{};
  cred.bv_val = const_cast<char*>(password.expose().data());
  cred.bv_len = password.size();
  int rc = LDAP_SUCCESS;
  if (policy_control_) {
    // The asynchronous call: only the parsed result carries the response control.
    LdapControlPtr ctrl;
    LDAPControl* c = nullptr;
    if (ldap_create_passwordpolicy_control(ld_.get(), &c) != LDAP_SUCCESS) return Internal("cannot create the ppolicy control");
    ctrl.reset(c);
    LDAPControl* server_ctrls[2] = {ctrl.get(), nullptr};
    int msgid = 0;
    rc = ldap_sasl_bind(ld_.get(), dn.c_str(), LDAP_SASL_SIMPLE, &cred, server_ctrls, nullptr, &msgid);
    if (rc == LDAP_SUCCESS) {
      OperationResult r;
      Status s = Finish(msgid, "bind", &r);
      if (result) *result = r;
      if (s.code() == ErrorCode::kUnavailable) return s;
      rc = r.ldap_code;
      if (rc == LDAP_SUCCESS) return Status::Ok();
      if (IsUnavailableCode(rc)) return Classify(rc, "bind");
      return Unauthenticated(std::string("bind refused: ") + ldap_err2string(rc));
    }
  } else {
    rc = ldap_sasl_bind_s(ld_.get(), dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
  }
  if (result) {
    result->ldap_code = rc;
    result->diagnostic = DiagnosticMessage(ld_.get());
  }
  if (rc == LDAP_SUCCESS) return Status::Ok();
  if (IsUnavailableCode(rc)) return Classify(rc, "bind");
  return Unauthenticated(std::string("bind refused: ") + ldap_err2string(rc));
}

Status Connection::Finish(int msgid, const char* what, OperationResult* result) {
  timeval tv = ToTimeval(operation_timeout_);
  LDAPMessage* raw = nullptr;
  const int got = ldap_result(ld_.get(), msgid, LDAP_MSG_ALL, &tv, &raw);
  LdapMessagePtr res(raw);
  if (got == 0) {
    ldap_abandon_ext(ld_.get(), msgid, nullptr, nullptr);
    return Classify(LDAP_TIMEOUT, what);
  }
  if (got < 0 || !res) {
    int err = LDAP_SERVER_DOWN;
    ldap_get_option(ld_.get(), LDAP_OPT_RESULT_CODE, &err);
    return Classify(IsUnavailableCode(err) ? err : LDAP_SERVER_DOWN, what);
  }
  int code = LDAP_OTHER;
  char* diag_raw = nullptr;
  LDAPControl** ctrls_raw = nullptr;
  const int prc = ldap_parse_result(ld_.get(), res.get(), &code, nullptr, &diag_raw, nullptr, &ctrls_raw, 0);
  LdapString diag(diag_raw);
  LdapControlsPtr ctrls(ctrls_raw);
  if (prc != LDAP_SUCCESS) return Classify(prc, what);
  result->ldap_code = code;
  result->diagnostic = diag ? diag.get() : "";
  result->policy_error = -1;
  if (ctrls) {
    if (LDAPControl* pp = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, ctrls.get(), nullptr)) {
      ber_int_t expire = -1, grace = -1;
      LDAPPasswordPolicyError err = PP_noError;
      if (ldap_parse_passwordpolicy_control(ld_.get(), pp, &expire, &grace, &err) == LDAP_SUCCESS && err != PP_noError) {
        result->policy_error = static_cast<int>(err);
      }
    }
  }
  last_rc_ = code;
  return Status::Ok();
}

Status Connection::ModifyPassword(const std::string& user_dn, const Secret& old_password, const Secret& new_password,
                                  OperationResult* result) {
  if (old_password.empty() || new_password.empty()) return InvalidArgument("empty password refused");
  berval user{user_dn.size(), const_cast<char*>(user_dn.data())};
  berval old_pw{old_password.size(), const_cast<char*>(old_password.expose().data())};
  berval new_pw{new_password.size(), const_cast<char*>(new_password.expose().data())};
  LDAPControl* c = nullptr;
  if (ldap_create_passwordpolicy_control(ld_.get(), &c) != LDAP_SUCCESS) return Internal("cannot create the ppolicy control");
  LdapControlPtr ctrl(c);
  LDAPControl* server_ctrls[2] = {ctrl.get(), nullptr};
  int msgid = 0;
  const int rc = ldap_passwd(ld_.get(), &user, &old_pw, &new_pw, server_ctrls, nullptr, &msgid);
  if (rc != LDAP_SUCCESS) return Classify(rc, "password modify");
  if (Status answered = Finish(msgid, "password modify", result); !answered.ok()) {
    // Sent, but no answer: it may or may not have been made, so never retried elsewhere.
    return DeadlineExceeded("password modify sent, but no answer came: " + answered.message());
  }
  if (result->ldap_code == LDAP_SUCCESS) return Status::Ok();
  if (IsUnavailableCode(result->ldap_code)) return Classify(result->ldap_code, "password modify");
  return FailedPrecondition(std::string("password modify refused: ") + ldap_err2string(result->ldap_code));
}

namespace {

// `"<password>"` as UTF-16LE (what unicodePwd holds). False for bad UTF-8.
bool QuotedUtf16Le(std::string_view utf8, std::string* out) {
  auto put = [out](uint32_t u) {
    out->push_back(static_cast<char>(u & 0xff));
    out->push_back(static_cast<char>((u >> 8) & 0xff));
  };
  put('"');
  for (size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    uint32_t cp = 0;
    size_t len = 0;
    if (c < 0x80) { cp = c; len = 1; }
    else if ((c & 0xe0) == 0xc0) { cp = c & 0x1f; len = 2; }
    else if ((c & 0xf0) == 0xe0) { cp = c & 0x0f; len = 3; }
    else if ((c & 0xf8) == 0xf0) { cp = c & 0x07; len = 4; }
    else return false;
    if (i + len > utf8.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(utf8[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0) return false;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(0xd800 + (cp >> 10));
      put(0xdc00 + (cp & 0x3ff));
    } else {
      put(cp);
    }
    i += len;
  }
  put('"');
  return true;
}

// A std::string whose bytes are wiped when it goes.
struct WipedString {
  std::string s;
  ~WipedString() { if (!s.empty()) OPENSSL_cleanse(s.data(), s.size()); }
};

}  // namespace

Status Connection::ChangeAdPassword(const std::string& user_dn, const Secret& old_password,
                                    const Secret& new_password, OperationResult* result) {
  if (old_password.empty() || new_password.empty()) return InvalidArgument("empty password refused");
  WipedString old_utf16, new_utf16;
  old_utf16.s.reserve(2 * old_password.size() + 8);
  new_utf16.s.reserve(2 * new_password.size() + 8);
  if (!QuotedUtf16Le(old_password.expose(), &old_utf16.s) || !QuotedUtf16Le(new_password.expose(), &new_utf16.s)) {
    return InvalidArgument("a password is not valid UTF-8");
  }
  berval old_bv{old_utf16.s.size(), old_utf16.s.data()};
  berval new_bv{new_utf16.s.size(), new_utf16.s.data()};
  berval* old_vals[2] = {&old_bv, nullptr};
  berval* new_vals[2] = {&new_bv, nullptr};
  char attr[] = "unicodePwd";
  LDAPMod del{}, add{};
  del.mod_op = LDAP_MOD_DELETE | LDAP_MOD_BVALUES;
  del.mod_type = attr;
  del.mod_bvalues = old_vals;
  add.mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
  add.mod_type = attr;
  add.mod_bvalues = new_vals;
  LDAPMod* mods[3] = {&del, &add, nullptr};
  int msgid = 0;
  const int rc = ldap_modify_ext(ld_.get(), user_dn.c_str(), mods, nullptr, nullptr, &msgid);
  if (rc != LDAP_SUCCESS) return Classify(rc, "password change");
  if (Status answered = Finish(msgid, "password change", result); !answered.ok()) {
    // Sent, but no answer: it may or may not have been made, so never retried elsewhere.
    return DeadlineExceeded("password change sent, but no answer came: " + answered.message());
  }
  if (result->ldap_code == LDAP_SUCCESS) return Status::Ok();
  if (IsUnavailableCode(result->ldap_code)) return Classify(result->ldap_code, "password change");
  return FailedPrecondition(std::string("password change refused: ") + ldap_err2string(result->ldap_code));
}

Result<std::vector<Entry>> Connection::Search(const std::string& base, int scope, const std::string& filter,
                                              const std::vector<std::string>& attrs, int page_size,
                                              size_t max_entries) {
  CountDirectoryOperation();
  std::vector<char*> attr_ptrs;
  for (const auto& a : attrs) attr_ptrs.push_back(const_cast<char*>(a.c_str()));
  attr_ptrs.push_back(nullptr);
  char** attr_arg = attrs.empty() ? nullptr : attr_ptrs.data();

  std::vector<Entry> out;
  berval cookie{0, nullptr};
  auto free_cookie = [&cookie] {
    if (cookie.bv_val) ber_memfree(cookie.bv_val);
    cookie = berval{0, nullptr};
  };
  for (int round = 0;; ++round) {
    LdapControlPtr page;
    if (page_size > 0) {
      LDAPControl* c = nullptr;
      int prc = ldap_create_page_control(ld_.get(), static_cast<ber_int_t>(page_size), cookie.bv_val ? &cookie : nullptr, 0, &c);
      page.reset(c);
      if (prc != LDAP_SUCCESS) {
        free_cookie();
        return Internal("cannot create the paged-results control");
      }
    }
    LDAPControl* server_ctrls[2] = {page.get(), nullptr};
    LDAPMessage* raw = nullptr;
    int rc = ldap_search_ext_s(ld_.get(), base.c_str(), scope, filter.c_str(), attr_arg, 0,
                               page ? server_ctrls : nullptr, nullptr, nullptr, LDAP_NO_LIMIT, &raw);
    LdapMessagePtr res(raw);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
      free_cookie();
      if (rc == LDAP_NO_SUCH_OBJECT) return NotFound("search base '" + base + "' does not exist on " + uri_);
      if (IsUnavailableCode(rc)) return Classify(rc, "search");
      return Status(ErrorCode::kInternal, "search on " + uri_ + " failed: " + ldap_err2string(rc));
    }
    for (LDAPMessage* e = ldap_first_entry(ld_.get(), res.get()); e != nullptr; e = ldap_next_entry(ld_.get(), e)) {
      if (out.size() >= max_entries) {
        free_cookie();
        return FailedPrecondition("search returned more than " + std::to_string(max_entries) + " entries");
      }
      Entry entry;
      entry.dn = EntryDn(ld_.get(), e);
      BerElement* ber_raw = nullptr;
      for (char* a = ldap_first_attribute(ld_.get(), e, &ber_raw); a != nullptr;
           a = ldap_next_attribute(ld_.get(), e, ber_raw)) {
        LdapString name(a);
        entry.attrs[Lower(name.get())] = AttributeValues(ld_.get(), e, name.get());
      }
      BerElementPtr ber(ber_raw);
      out.push_back(std::move(entry));
    }
    if (rc == LDAP_SIZELIMIT_EXCEEDED) {
      free_cookie();
      return FailedPrecondition("size limit exceeded on " + uri_ + " (use paged results)");
    }
    if (!page) break;
    // Next page?
    int err = 0;
    LDAPControl** ctrls_raw = nullptr;
    rc = ldap_parse_result(ld_.get(), res.get(), &err, nullptr, nullptr, nullptr, &ctrls_raw, 0);
    LdapControlsPtr ctrls(ctrls_raw);
    free_cookie();
    if (rc != LDAP_SUCCESS) return Internal("cannot parse a paged search result");
    LDAPControl* resp = ctrls ? ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls.get(), nullptr) : nullptr;
    if (resp == nullptr) break;  // server ignored paging: everything came at once
    ber_int_t estimate = 0;
    if (ldap_parse_pageresponse_control(ld_.get(), resp, &estimate, &cookie) != LDAP_SUCCESS) {
      free_cookie();
      return Internal("cannot parse the paged-results response");
    }
    if (cookie.bv_val == nullptr || cookie.bv_len == 0) break;
    if (round > 100000) {
      free_cookie();
      return Internal("too many result pages");
    }
  }
  free_cookie();
  return out;
}

}  // namespace idb::ldap
