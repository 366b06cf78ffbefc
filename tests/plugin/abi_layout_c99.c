/* abi_layout_c99.c — idbridge.h compiled as strict C99: the header must be
 * valid C, and the layouts a C host sees are reported to abi_layout_test.cc,
 * which compares them with the frozen values and with C++'s view.
 * The compile-time checks use the C99 negative-array idiom (no _Static_assert
 * in C99). */
#include <stddef.h>

#include "idbridge.h"

#define ABI_ASSERT(name, cond) typedef char abi_assert_##name[(cond) ? 1 : -1]

/* Frozen for x86_64 / aarch64 LP64 (the platforms we ship). */
ABI_ASSERT(client_options_size, sizeof(idb_client_options) == 32);
ABI_ASSERT(client_options_struct_size_first, offsetof(idb_client_options, struct_size) == 0);
ABI_ASSERT(string_list_size, sizeof(idb_string_list) == 24);
ABI_ASSERT(permission_size, sizeof(idb_permission) == 40);
ABI_ASSERT(permission_list_size, sizeof(idb_permission_list) == 24);
ABI_ASSERT(session_info_size, sizeof(idb_session_info) == 48);
ABI_ASSERT(flow_info_size, sizeof(idb_flow_info) == 48);
ABI_ASSERT(login_request_size, sizeof(idb_login_request) == 48);
ABI_ASSERT(login_request_struct_size_first, offsetof(idb_login_request, struct_size) == 0);
ABI_ASSERT(password_change_size, sizeof(idb_password_change) == 40);
ABI_ASSERT(ok_is_zero, IDB_OK == 0);

/* Every (struct, member) offset and size as C sees it, in a fixed order. */
size_t abi_c99_layout(size_t *out, size_t cap) {
  size_t v[] = {
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
  size_t n = sizeof(v) / sizeof(v[0]);
  for (size_t i = 0; i < n && i < cap; ++i) out[i] = v[i];
  return n;
}

/* The login request initialiser must compile in C and fill struct_size. */
size_t abi_c99_login_request_init_size(void) {
  idb_login_request r = IDB_LOGIN_REQUEST_INIT;
  return r.struct_size + (r.user == NULL && r.client_address == NULL && r.application == NULL ? 0 : 1);
}

/* The options initialiser must compile in C and fill struct_size. */
size_t abi_c99_options_init_size(void) {
  idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
  return o.struct_size;
}

/* The password change initialiser must compile in C and fill struct_size. */
size_t abi_c99_password_change_init_size(void) {
  idb_password_change r = IDB_PASSWORD_CHANGE_INIT;
  return r.struct_size;
}
