// filter.h — making user input safe to put into an LDAP search.
//
// Why: a login name ends up inside a search filter; without RFC 4515 escaping
// `*)(uid=*` would turn "find alice" into "find everyone". Names are also
// checked for length and control characters before any network traffic, and
// the accepted login forms (plain name, user@domain UPN, DOMAIN\user) are
// reduced to the bare account name the filter template expects.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace idb::ldap {

// RFC 4515 section 3: escapes '*', '(', ')', '\\', NUL — and, to keep the
// filter printable, every other byte < 0x20 and 0x7f — as \XX (two hex digits).
std::string EscapeFilterValue(std::string_view value);

// Replaces every "{user}" in `filter_template` with the escaped value.
std::string FormatFilter(std::string_view filter_template, std::string_view user);

// Checks a login name before it is used at all: not empty, at most
// `max_length` bytes, valid UTF-8, no NUL or control characters, no leading or
// trailing white space. kInvalidArgument says which rule failed (without
// echoing the name, which may be a mistyped password).
Status ValidateUserName(std::string_view user, size_t max_length);

enum class LoginForm { kPlain, kUpn, kDownLevel };
const char* LoginFormName(LoginForm f);  // "username", "upn", "domain_user"

struct ParsedLogin {
  LoginForm form = LoginForm::kPlain;
  std::string account;  // the bare account name: "alice"
  std::string domain;   // "fleet.test" for a UPN, "FLEET" for FLEET\alice, else ""
};

// Splits a validated login name into its form. `accepted` lists the forms the
// directory accepts; `upn_domains` / `netbios_domain` (case-insensitive) are
// the domains this directory owns. A form that is not accepted or a domain
// that is not ours gives kNotFound (the user is not this directory's: the
// daemon may try the next authenticator).
Result<ParsedLogin> ParseLogin(std::string_view user, const std::vector<LoginForm>& accepted,
                               const std::vector<std::string>& upn_domains,
                               std::string_view netbios_domain);

}  // namespace idb::ldap
