// local_admin_authenticator.cc — see local_admin_authenticator.h.
#include "daemon/local_admin_authenticator.h"

#include "store/password_hash.h"

namespace idb::daemon {

namespace {
Identity LocalIdentity(const std::string& user) {
  Identity id;
  id.user = user;
  id.source = "local";
  return id;
}
std::string ThrottleKey(const std::string& user) { return "local/" + user; }
}  // namespace

LocalAdminAuthenticator::LocalAdminAuthenticator(store::Store* store, int dummy_iterations,
                                                 std::shared_ptr<LoginThrottle> throttle,
                                                 std::function<SystemTime()> clock)
    : store_(store),
      dummy_iterations_(dummy_iterations),
      throttle_(std::move(throttle)),
      clock_(clock ? std::move(clock) : [] { return std::chrono::system_clock::now(); }) {}

AuthOutcome LocalAdminAuthenticator::Fail(LoginFailure f, std::string detail, const LoginRequest& request,
                                          SystemTime now) {
  if (throttle_) throttle_->RecordFailure(ThrottleKey(request.user), request.client, now);
  AuthOutcome out;
  out.failure = f;
  out.detail = std::move(detail);
  return out;
}

const std::string& LocalAdminAuthenticator::DummyHash() {
  std::call_once(dummy_once_, [this] {
    auto h = store::HashPassword(Secret("not a password of anyone"), dummy_iterations_,
                                 /*allow_weak_for_tests=*/true);
    if (h.ok()) dummy_hash_ = *h;
  });
  return dummy_hash_;
}

AuthOutcome LocalAdminAuthenticator::Authenticate(const LoginRequest& request) {
  AuthOutcome out;
  if (request.password.empty()) {
    out.failure = LoginFailure::kEmptyPassword;
    return out;
  }
  const SystemTime now = clock_();
  if (throttle_) {
    ThrottleVerdict v = throttle_->Check(ThrottleKey(request.user), request.client, now);
    if (!v.allowed) {
      out.failure = LoginFailure::kThrottled;
      out.detail = std::string("local administrator login ") + (v.locked_out ? "locked out" : "slowed down") +
                   " after repeated failures (" + v.reason + ")";
      return out;
    }
  }
  auto admin = store_->GetLocalAdmin(request.user);
  if (!admin.ok()) {
    if (admin.status().code() == ErrorCode::kNotFound) {
      (void)store::VerifyPassword(request.password, DummyHash());
      return Fail(LoginFailure::kUnknownUser, "no local administrator of that name", request, now);
    } else {
      out.failure = LoginFailure::kDirectoryUnavailable;
      out.detail = "store: " + admin.status().ToString();
    }
    return out;
  }
  if (!store::VerifyPassword(request.password, admin->password_hash)) {
    return Fail(LoginFailure::kBadCredentials, "wrong local administrator password", request, now);
  }
  if (throttle_) throttle_->RecordSuccess(ThrottleKey(request.user), request.client, now);
  out.success.identity = LocalIdentity(admin->user);
  return out;
}

Result<Identity> LocalAdminAuthenticator::Lookup(const std::string& user) {
  auto admin = store_->GetLocalAdmin(user);
  if (!admin.ok()) {
    if (admin.status().code() == ErrorCode::kNotFound) return NotFound("local administrator removed: " + user);
    return Unavailable("store: " + admin.status().message());
  }
  return LocalIdentity(admin->user);
}

}  // namespace idb::daemon
