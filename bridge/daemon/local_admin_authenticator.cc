// local_admin_authenticator.cc — see local_admin_authenticator.h.
#include "daemon/local_admin_authenticator.h"

#include "auth/user_name_fold.h"
#include "store/password_hash.h"

namespace idb::daemon {

namespace {
Identity LocalIdentity(const std::string& user) {
  Identity id;
  id.user = user;
  id.source = "local";
  return id;
}
// Every spelling of a name that folds the same shares one count.
std::string ThrottleKey(const std::string& user) {
  auto folded = FoldUserName(user);
  return "local/" + (folded.ok() ? *folded : user);
}
}  // namespace

LocalAdminAuthenticator::LocalAdminAuthenticator(store::Store* store, int dummy_iterations,
                                                 std::shared_ptr<LoginThrottle> throttle,
                                                 std::function<SystemTime()> clock)
    : store_(store),
      dummy_iterations_(dummy_iterations),
      throttle_(std::move(throttle)),
      clock_(clock ? std::move(clock) : [] { return std::chrono::system_clock::now(); }) {
  // Made here, not at the first unknown name: that login would cost one hash more.
  auto h = store::HashPassword(Secret("not a password of anyone"), dummy_iterations_, /*allow_weak_for_tests=*/true);
  if (h.ok()) dummy_hash_ = *h;
}

AuthOutcome LocalAdminAuthenticator::Fail(LoginFailure f, std::string detail, const LoginRequest& request,
                                          SystemTime now) {
  if (throttle_) throttle_->RecordFailure(ThrottleKey(request.user), request.client, now);
  AuthOutcome out;
  out.failure = f;
  out.detail = std::move(detail);
  return out;
}

std::optional<AuthOutcome> LocalAdminAuthenticator::Throttled(const LoginRequest& request, SystemTime now) {
  if (!throttle_) return std::nullopt;
  ThrottleVerdict v = throttle_->Check(ThrottleKey(request.user), request.client, now);
  if (v.allowed) return std::nullopt;
  AuthOutcome out;
  out.failure = LoginFailure::kThrottled;
  out.detail = std::string("local administrator login ") + (v.locked_out ? "locked out" : "slowed down") +
               " after repeated failures (" + v.reason + ")";
  return out;
}

AuthOutcome LocalAdminAuthenticator::Decoy(const LoginRequest& request) {
  AuthOutcome out;
  out.failure = LoginFailure::kUnknownUser;
  if (request.password.empty()) return out;
  const SystemTime now = clock_();
  if (auto t = Throttled(request, now)) return *t;
  (void)store::VerifyPassword(request.password, dummy_hash_);
  return Fail(LoginFailure::kUnknownUser, "decoy", request, now);
}

AuthOutcome LocalAdminAuthenticator::Authenticate(const LoginRequest& request) {
  AuthOutcome out;
  if (request.password.empty()) {
    out.failure = LoginFailure::kEmptyPassword;
    return out;
  }
  const SystemTime now = clock_();
  if (auto t = Throttled(request, now)) return *t;
  auto admin = store_->GetLocalAdmin(request.user);
  if (!admin.ok()) {
    if (admin.status().code() == ErrorCode::kNotFound) {
      (void)store::VerifyPassword(request.password, dummy_hash_);
      return Fail(LoginFailure::kUnknownUser, "no local administrator of that name", request, now);
    } else {
      out.failure = LoginFailure::kDirectoryUnavailable;
      out.detail = "store: " + admin.status().ToString();
    }
    return out;
  }
  if (!store::VerifyPassword(request.password, admin->password_hash)) {
    AuthOutcome wrong = Fail(LoginFailure::kBadCredentials, "wrong local administrator password", request, now);
    wrong.account = admin->user;
    return wrong;
  }
  if (throttle_) throttle_->RecordSuccess(ThrottleKey(request.user), request.client, now);
  out.success.identity = LocalIdentity(admin->user);
  out.password_proven = true;
  out.account = admin->user;
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
