#include "ldap/filter.h"

#include <algorithm>
#include <cctype>

namespace idb::ldap {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and out-of-range code points.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

std::string EscapeFilterValue(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 || c == 0x7f) {
      out.push_back('\\');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string FormatFilter(std::string_view filter_template, std::string_view user) {
  const std::string escaped = EscapeFilterValue(user);
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t hit = filter_template.find("{user}", pos);
    if (hit == std::string_view::npos) break;
    out.append(filter_template.substr(pos, hit - pos));
    out.append(escaped);
    pos = hit + 6;
  }
  out.append(filter_template.substr(pos));
  return out;
}

Status ValidateUserName(std::string_view user, size_t max_length) {
  if (user.empty()) return InvalidArgument("user name is empty");
  if (user.size() > max_length) {
    return InvalidArgument("user name is longer than " + std::to_string(max_length) + " bytes");
  }
  for (char ch : user) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return InvalidArgument("user name contains a NUL byte");
    if (c < 0x20 || c == 0x7f) return InvalidArgument("user name contains a control character");
  }
  if (!IsValidUtf8(user)) return InvalidArgument("user name is not valid UTF-8");
  if (user.front() == ' ' || user.back() == ' ') {
    return InvalidArgument("user name starts or ends with a space");
  }
  return Status::Ok();
}

const char* LoginFormName(LoginForm f) {
  switch (f) {
    case LoginForm::kPlain: return "username";
    case LoginForm::kUpn: return "upn";
    case LoginForm::kDownLevel: return "domain_user";
  }
  return "unknown";
}

Result<ParsedLogin> ParseLogin(std::string_view user, const std::vector<LoginForm>& accepted,
                               const std::vector<std::string>& upn_domains,
                               std::string_view netbios_domain) {
  auto accepts = [&](LoginForm f) { return std::find(accepted.begin(), accepted.end(), f) != accepted.end(); };
  ParsedLogin p;
  const size_t backslash = user.find('\\');
  const size_t at = user.rfind('@');
  if (backslash != std::string_view::npos) {
    p.form = LoginForm::kDownLevel;
    p.domain = std::string(user.substr(0, backslash));
    p.account = std::string(user.substr(backslash + 1));
    if (!accepts(p.form)) return NotFound("DOMAIN\\user logins are not accepted by this directory");
    if (netbios_domain.empty() || !EqualsIgnoreCase(p.domain, netbios_domain)) {
      return NotFound("domain '" + p.domain + "' is not this directory's");
    }
  } else if (at != std::string_view::npos) {
    p.form = LoginForm::kUpn;
    p.account = std::string(user.substr(0, at));
    p.domain = std::string(user.substr(at + 1));
    if (!accepts(p.form)) return NotFound("user@domain logins are not accepted by this directory");
    const bool ours = std::any_of(upn_domains.begin(), upn_domains.end(),
                                  [&](const std::string& d) { return EqualsIgnoreCase(d, p.domain); });
    if (!ours) return NotFound("domain '" + p.domain + "' is not this directory's");
  } else {
    p.form = LoginForm::kPlain;
    p.account = std::string(user);
    if (!accepts(p.form)) return NotFound("plain user names are not accepted by this directory");
  }
  if (p.account.empty()) return InvalidArgument("user name has an empty account part");
  if (p.account.find('\\') != std::string::npos || p.account.find('@') != std::string::npos) {
    return InvalidArgument("user name mixes login forms");
  }
  return p;
}

}  // namespace idb::ldap
