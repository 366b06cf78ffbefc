// ldap_handles.h — RAII owners for libldap's C handles.
//
// Why: every LDAP*, LDAPMessage*, BerElement*, berval and libldap-allocated
// string must be released exactly once, on every path including errors
// (STYLE.md: no naked free calls outside the wrapper). These aliases make the
// release automatic; nothing else in bridge/ldap calls ldap_unbind/ldap_msgfree.
// Ownership: each handle owns what it points to; move-only.
// Thread-safety: a handle is used by one thread at a time (libldap's LDAP* is
// not safe for concurrent operations); the pool hands connections out
// exclusively.
#pragma once

#include <ldap.h>

#include <memory>
#include <string>
#include <vector>

namespace idb::ldap {

struct LdapDeleter {
  void operator()(LDAP* ld) const noexcept { if (ld) ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
struct LdapMessageDeleter {
  void operator()(LDAPMessage* m) const noexcept { if (m) ldap_msgfree(m); }
};
struct BerElementDeleter {
  void operator()(BerElement* b) const noexcept { if (b) ber_free(b, 0); }
};
struct BervalDeleter {
  void operator()(berval* b) const noexcept { if (b) ber_bvfree(b); }
};
struct BervalArrayDeleter {
  void operator()(berval** v) const noexcept { if (v) ldap_value_free_len(v); }
};
struct LdapMemDeleter {
  void operator()(char* p) const noexcept { if (p) ldap_memfree(p); }
};
struct LdapControlDeleter {
  void operator()(LDAPControl* c) const noexcept { if (c) ldap_control_free(c); }
};
struct LdapControlsDeleter {
  void operator()(LDAPControl** c) const noexcept { if (c) ldap_controls_free(c); }
};

using LdapHandle = std::unique_ptr<LDAP, LdapDeleter>;
using LdapMessagePtr = std::unique_ptr<LDAPMessage, LdapMessageDeleter>;
using BerElementPtr = std::unique_ptr<BerElement, BerElementDeleter>;
using BervalPtr = std::unique_ptr<berval, BervalDeleter>;
using BervalArray = std::unique_ptr<berval*, BervalArrayDeleter>;
using LdapString = std::unique_ptr<char, LdapMemDeleter>;
using LdapControlPtr = std::unique_ptr<LDAPControl, LdapControlDeleter>;
using LdapControlsPtr = std::unique_ptr<LDAPControl*, LdapControlsDeleter>;

// Copies every value of `attr` of `entry` (binary-safe). Empty when absent.
std::vector<std::string> AttributeValues(LDAP* ld, LDAPMessage* entry, const char* attr);
// The entry's DN, or "" when libldap cannot give one.
std::string EntryDn(LDAP* ld, LDAPMessage* entry);
// The diagnostic message libldap keeps for the last operation ("" if none).
std::string DiagnosticMessage(LDAP* ld);

}  // namespace idb::ldap
