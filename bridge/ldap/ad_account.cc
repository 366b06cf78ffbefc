#include "ldap/ad_account.h"

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace idb::ldap {
namespace {

// 100-ns intervals between 1601-01-01 and 1970-01-01.
constexpr int64_t kFileTimeUnixEpoch = 116444736000000000LL;

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

const std::string* First(const std::map<std::string, std::vector<std::string>>& attrs, const std::string& key) {
  auto it = attrs.find(key);
  if (it == attrs.end() || it->second.empty()) return nullptr;
  return &it->second.front();
}

}  // namespace

Result<std::string> SidToString(std::string_view b) {
  if (b.size() < 8) return InvalidArgument("objectSid shorter than 8 bytes");
  const auto revision = static_cast<uint8_t>(b[0]);
  const auto count = static_cast<uint8_t>(b[1]);
  if (revision != 1) return InvalidArgument("objectSid revision is not 1");
  if (count > 15 || b.size() != 8 + 4u * count) return InvalidArgument("objectSid length does not match its sub-authority count");
  uint64_t authority = 0;
  for (int i = 2; i < 8; ++i) authority = (authority << 8) | static_cast<uint8_t>(b[i]);
  std::string out = "S-1-" + std::to_string(authority);
  for (size_t i = 0; i < count; ++i) {
    const size_t o = 8 + 4 * i;
    const uint32_t sub = static_cast<uint32_t>(static_cast<uint8_t>(b[o])) |
                         static_cast<uint32_t>(static_cast<uint8_t>(b[o + 1])) << 8 |
                         static_cast<uint32_t>(static_cast<uint8_t>(b[o + 2])) << 16 |
                         static_cast<uint32_t>(static_cast<uint8_t>(b[o + 3])) << 24;
    out += "-" + std::to_string(sub);
  }
  return out;
}

Result<std::string> SidFromString(std::string_view t) {
  if (t.substr(0, 4) != "S-1-") return InvalidArgument("SID does not start with S-1-");
  std::vector<uint64_t> parts;
  size_t pos = 4;
  while (pos <= t.size()) {
    size_t dash = t.find('-', pos);
    if (dash == std::string_view::npos) dash = t.size();
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(t.data() + pos, t.data() + dash, v);
    if (ec != std::errc() || p != t.data() + dash || dash == pos) return InvalidArgument("SID has a malformed number");
    parts.push_back(v);
    pos = dash + 1;
  }
  if (parts.empty() || parts.size() > 16) return InvalidArgument("SID has no authority or too many parts");
  if (parts[0] >= (1ULL << 48)) return InvalidArgument("SID authority out of range");
  std::string out;
  out.push_back(1);
  out.push_back(static_cast<char>(parts.size() - 1));
  for (int i = 5; i >= 0; --i) out.push_back(static_cast<char>((parts[0] >> (8 * i)) & 0xff));
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] > 0xffffffffULL) return InvalidArgument("SID sub-authority out of range");
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((parts[i] >> (8 * k)) & 0xff));
  }
  return out;
}

Result<std::string> SidWithRid(std::string_view user_sid, uint32_t rid) {
  auto bin = SidFromString(user_sid);
  if (!bin.ok()) return bin.status();
  const size_t dash = user_sid.rfind('-');
  if (static_cast<uint8_t>((*bin)[1]) < 2) return InvalidArgument("SID has no RID to replace");
  return std::string(user_sid.substr(0, dash + 1)) + std::to_string(rid);
}

std::string EscapeBinaryFilterValue(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back('\\');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0x0f]);
  }
  return out;
}

std::optional<uint32_t> AdBindDataCode(std::string_view d) {
  const size_t at = d.find("data ");
  if (at == std::string_view::npos) return std::nullopt;
  size_t start = at + 5, end = start;
  while (end < d.size() && std::isxdigit(static_cast<unsigned char>(d[end]))) ++end;
  if (end == start || end - start > 8) return std::nullopt;
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(d.data() + start, d.data() + end, v, 16);
  if (ec != std::errc()) return std::nullopt;
  (void)p;
  return v;
}

LoginFailure FailureFromAdDataCode(uint32_t code) {
  switch (code) {
    case 0x525: return LoginFailure::kUnknownUser;
    case 0x52e: return LoginFailure::kBadCredentials;
    case 0x530: return LoginFailure::kAccountDisabled;  // not permitted at this time
    case 0x531: return LoginFailure::kAccountDisabled;  // not permitted at this workstation
    case 0x532: return LoginFailure::kPasswordExpired;
    case 0x533: return LoginFailure::kAccountDisabled;
    case 0x701: return LoginFailure::kAccountExpired;
    case 0x773: return LoginFailure::kMustChangePassword;
    case 0x775: return LoginFailure::kAccountLocked;
    default: return LoginFailure::kBadCredentials;
  }
}

bool AdDataCodeProvesPassword(uint32_t code) {
  switch (code) {
    case 0x530:
    case 0x531:
    case 0x532:
    case 0x533:
    case 0x701:
    case 0x773: return true;
    default: return false;
  }
}

LoginFailure AccountStateFromEntry(const std::map<std::string, std::vector<std::string>>& attrs,
                                   std::chrono::system_clock::time_point now) {
  if (const std::string* locked = First(attrs, "pwdaccountlockedtime")) {
    return *locked == "000001010000Z" ? LoginFailure::kAccountDisabled : LoginFailure::kAccountLocked;
  }
  uint32_t uac = 0;
  if (const std::string* v = First(attrs, "useraccountcontrol")) {
    if (auto n = ParseInt(*v)) uac |= static_cast<uint32_t>(*n);
  }
  if (const std::string* v = First(attrs, "msds-user-account-control-computed")) {
    if (auto n = ParseInt(*v)) uac |= static_cast<uint32_t>(*n);
  }
  if (uac & kUacAccountDisable) return LoginFailure::kAccountDisabled;
  if (uac & kUacLockout) return LoginFailure::kAccountLocked;
  if (const std::string* v = First(attrs, "accountexpires")) {
    auto n = ParseInt(*v);
    if (n && *n != 0 && *n != INT64_MAX) {
      const int64_t unix_100ns = *n - kFileTimeUnixEpoch;
      using FileTicks = std::chrono::duration<int64_t, std::ratio<1, 10000000>>;
      const auto now_ticks = std::chrono::duration_cast<FileTicks>(now.time_since_epoch()).count();
      if (unix_100ns <= now_ticks) return LoginFailure::kAccountExpired;
    }
  }
  if (uac & kUacPasswordExpired) return LoginFailure::kPasswordExpired;
  if (const std::string* v = First(attrs, "pwdlastset")) {
    if (*v == "0" && !(uac & kUacDontExpirePassword)) return LoginFailure::kMustChangePassword;
  }
  return LoginFailure::kNone;
}

PasswordChangeFailure AdPasswordChangeRefusal(int ldap_code, std::string_view diagnostic) {
  std::string d(diagnostic);
  for (char& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto has = [&d](const char* s) { return d.find(s) != std::string::npos; };
  if (has("0000056a") || has("00000056:") || has("old password")) return PasswordChangeFailure::kBadCredentials;
  if (has("too short")) return PasswordChangeFailure::kPolicyTooShort;
  if (has("history") || has("already used")) return PasswordChangeFailure::kPolicyInHistory;
  if (has("complexity")) return PasswordChangeFailure::kPolicyComplexity;
  if (has("too young")) return PasswordChangeFailure::kPolicyTooYoung;
  if (ldap_code == 19 /* constraintViolation */ || has("0000052d")) return PasswordChangeFailure::kPolicyOther;
  if (ldap_code == 49 /* invalidCredentials */) return PasswordChangeFailure::kBadCredentials;
  return PasswordChangeFailure::kInternal;
}

int AdMinimumPasswordLength(std::string_view diagnostic) {
  const size_t at = diagnostic.find("longer than ");
  if (at == std::string_view::npos) return 0;
  int n = 0;
  auto [p, ec] = std::from_chars(diagnostic.data() + at + 12, diagnostic.data() + diagnostic.size(), n);
  (void)p;
  return ec == std::errc() && n > 0 && n < 1024 ? n : 0;
}

}  // namespace idb::ldap
