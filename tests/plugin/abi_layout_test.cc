// abi_layout_test.cc — freezes the layout of every struct and the value of
// every code that crosses the plugin ABI. A failure here means a change
// would break hosts built against libidbridge.so.1: append members/codes
// instead, or bump the soname.
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "idbridge.h"

extern "C" size_t abi_c99_layout(size_t* out, size_t cap);
extern "C" size_t abi_c99_options_init_size(void);
extern "C" size_t abi_c99_login_request_init_size(void);
extern "C" size_t abi_c99_password_change_init_size(void);

namespace {

// Same order as abi_c99_layout().
std::vector<size_t> CxxLayout() {
  return {
      sizeof(idb_client_options), offsetof(idb_client_options, struct_size),
      offsetof(idb_client_options, socket_path), offsetof(idb_client_options, connect_timeout_ms),
      offsetof(idb_client_options, request_timeout_ms), offsetof(idb_client_options, application),
      sizeof(idb_string_list), offsetof(idb_string_list, struct_size), offsetof(idb_string_list, count),
      offsetof(idb_string_list, items),
      sizeof(idb_permission), offsetof(idb_permission, struct_size), offsetof(idb_permission, name),
      offsetof(idb_permission, scope), offsetof(idb_permission, all_except), offsetof(idb_permission, place_count),
      offsetof(idb_permission, places),
      sizeof(idb_permission_list), offsetof(idb_permission_list, struct_size), offsetof(idb_permission_list, count),
      offsetof(idb_permission_list, items),
      sizeof(idb_session_info), offsetof(idb_session_info, struct_size), offsetof(idb_session_info, user),
      offsetof(idb_session_info, source), offsetof(idb_session_info, stale), offsetof(idb_session_info, expires_unix),
      offsetof(idb_session_info, refreshed_unix),
      sizeof(idb_flow_info), offsetof(idb_flow_info, struct_size), offsetof(idb_flow_info, user_code),
      offsetof(idb_flow_info, verification_uri), offsetof(idb_flow_info, verification_uri_complete),
      offsetof(idb_flow_info, interval_s), offsetof(idb_flow_info, expires_unix),
      sizeof(idb_login_request), offsetof(idb_login_request, struct_size), offsetof(idb_login_request, user),
      offsetof(idb_login_request, password), offsetof(idb_login_request, client_address),
      offsetof(idb_login_request, workstation), offsetof(idb_login_request, application),
      sizeof(idb_password_change), offsetof(idb_password_change, struct_size), offsetof(idb_password_change, user),
      offsetof(idb_password_change, old_password), offsetof(idb_password_change, new_password),
      offsetof(idb_password_change, client_address),
  };
}

// The frozen values (LP64).
const std::vector<size_t> kFrozen = {
    32, 0, 8, 16, 20, 24,      // idb_client_options
    24, 0, 8, 16,              // idb_string_list
    40, 0, 8, 16, 20, 24, 32,  // idb_permission
    24, 0, 8, 16,              // idb_permission_list
    48, 0, 8, 16, 24, 32, 40,  // idb_session_info
    48, 0, 8, 16, 24, 32, 40,  // idb_flow_info
    48, 0, 8, 16, 24, 32, 40,  // idb_login_request (ABI 1.1)
    40, 0, 8, 16, 24, 32,      // idb_password_change
};

TEST(AbiLayout, CxxLayoutMatchesTheFrozenLayout) { EXPECT_EQ(CxxLayout(), kFrozen); }

TEST(AbiLayout, C99LayoutMatchesTheFrozenLayout) {
  std::vector<size_t> c(64);
  c.resize(abi_c99_layout(c.data(), c.size()));
  EXPECT_EQ(c, kFrozen);
}

TEST(AbiLayout, OptionsInitialiserSetsStructSize) {
  EXPECT_EQ(abi_c99_options_init_size(), sizeof(idb_client_options));
  idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
  EXPECT_EQ(o.struct_size, sizeof(idb_client_options));
  EXPECT_EQ(o.socket_path, nullptr);
}

TEST(AbiLayout, LoginRequestInitialiserSetsStructSizeAndNothingElse) {
  EXPECT_EQ(abi_c99_login_request_init_size(), sizeof(idb_login_request));
  idb_login_request r = IDB_LOGIN_REQUEST_INIT;
  EXPECT_EQ(r.struct_size, sizeof(idb_login_request));
  EXPECT_EQ(r.user, nullptr);
  EXPECT_EQ(r.password, nullptr);
  EXPECT_EQ(r.client_address, nullptr);
  EXPECT_EQ(r.workstation, nullptr);
  EXPECT_EQ(r.application, nullptr);
}

TEST(AbiLayout, StatusCodesNeverChangeValue) {
  EXPECT_EQ(IDB_OK, 0);
  EXPECT_EQ(IDB_E_BAD_CREDENTIALS, 1);
  EXPECT_EQ(IDB_E_ACCOUNT_DISABLED, 2);
  EXPECT_EQ(IDB_E_ACCOUNT_LOCKED, 3);
  EXPECT_EQ(IDB_E_ACCOUNT_EXPIRED, 4);
  EXPECT_EQ(IDB_E_PASSWORD_EXPIRED, 5);
  EXPECT_EQ(IDB_E_MUST_CHANGE_PASSWORD, 6);
  EXPECT_EQ(IDB_E_NO_PROFILE, 7);
  EXPECT_EQ(IDB_E_DIRECTORY_UNAVAILABLE, 8);
  EXPECT_EQ(IDB_E_DAEMON_UNAVAILABLE, 9);
  EXPECT_EQ(IDB_E_TIMEOUT, 10);
  EXPECT_EQ(IDB_E_BAD_ARGUMENT, 11);
  EXPECT_EQ(IDB_E_SESSION_UNKNOWN, 12);
  EXPECT_EQ(IDB_E_UNSUPPORTED, 13);
  EXPECT_EQ(IDB_E_INTERNAL, 14);
  EXPECT_EQ(IDB_E_PENDING, 15);
  EXPECT_EQ(IDB_E_PERMISSION_DENIED, 16);
  EXPECT_EQ(IDB_E_TOKEN_INVALID, 17);
  EXPECT_EQ(IDB_E_PROTOCOL, 18);
  EXPECT_EQ(IDB_E_PASSWORD_POLICY, 19);
}

TEST(AbiLayout, PasswordChangeInitialiserSetsStructSize) {
  EXPECT_EQ(abi_c99_password_change_init_size(), sizeof(idb_password_change));
  idb_password_change r = IDB_PASSWORD_CHANGE_INIT;
  EXPECT_EQ(r.struct_size, sizeof(idb_password_change));
  EXPECT_EQ(r.client_address, nullptr);
}

TEST(AbiLayout, CheckAnswersAndScopeKindsNeverChangeValue) {
  EXPECT_EQ(IDB_DENY, 0);
  EXPECT_EQ(IDB_ALLOW, 1);
  EXPECT_EQ(IDB_SCOPE_NONE, 0);
  EXPECT_EQ(IDB_SCOPE_LOCATION, 1);
  EXPECT_EQ(IDB_SCOPE_WAREHOUSE, 2);
  EXPECT_EQ(IDB_ABI_VERSION_MAJOR, 1);
  EXPECT_GE(IDB_ABI_VERSION_MINOR, 1);  // idb_login_request, idb_login_ex, idb_login_token_ex
}

}  // namespace
