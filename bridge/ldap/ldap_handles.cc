#include "ldap/ldap_handles.h"

namespace idb::ldap {

std::vector<std::string> AttributeValues(LDAP* ld, LDAPMessage* entry, const char* attr) {
  std::vector<std::string> out;
  BervalArray values(ldap_get_values_len(ld, entry, attr));
  if (!values) return out;
  for (berval** v = values.get(); *v != nullptr; ++v) {
    out.emplace_back((*v)->bv_val, (*v)->bv_len);
  }
  return out;
}

std::string EntryDn(LDAP* ld, LDAPMessage* entry) {
  LdapString dn(ldap_get_dn(ld, entry));
  return dn ? std::string(dn.get()) : std::string();
}

std::string DiagnosticMessage(LDAP* ld) {
  char* raw = nullptr;
  if (ld == nullptr || ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &raw) != LDAP_OPT_SUCCESS) return {};
  LdapString msg(raw);
  return msg ? std::string(msg.get()) : std::string();
}

}  // namespace idb::ldap
