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
}  // namespace

LocalAdminAuthenticator::LocalAdminAuthenticator(store::Store* store, int dummy_iterations)
    : store_(store), dummy_iterations_(dummy_iterations) {}

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
  auto admin = store_->GetLocalAdmin(request.user);
  if (!admin.ok()) {
    if (admin.status().code() == ErrorCode::kNotFound) {
      (void)store::VerifyPassword(request.password, DummyHash());
      out.failure = LoginFailure::kUnknownUser;
      out.detail = "no local administrator of that name";
    } else {
      out.failure = LoginFailure::kDirectoryUnavailable;
      out.detail = "store: " + admin.status().ToString();
    }
    return out;
  }
  if (!store::VerifyPassword(request.password, admin->password_hash)) {
    out.failure = LoginFailure::kBadCredentials;
    out.detail = "wrong local administrator password";
    return out;
  }
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
