#include "ctl/time_input.h"

#include <time.h>

#include <chrono>
#include <cstdint>

#include "store/time_format.h"

namespace idb::ctl {
namespace {

constexpr const char* kForms =
    "expected now, today, tomorrow, yesterday, a relative amount like +8h, -30m, 7d or 2w, or a date like "
    "2026-12-31, 2026-12-31T08:00Z or 2026-12-31T08:00+01:00";

Status Bad(std::string_view text, const std::string& why) {
  std::string shown(text.substr(0, 64));
  for (char& c : shown)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return InvalidArgument("bad time '" + shown + "': " + why + " (" + kForms + ")");
}

// Local midnight `days` days from today's.
Result<SystemTime> LocalMidnight(SystemTime now, int days) {
  const time_t t = std::chrono::system_clock::to_time_t(now);
  struct tm local {};
  if (localtime_r(&t, &local) == nullptr) return Internal("local time unavailable");
  local.tm_hour = local.tm_min = local.tm_sec = 0;
  local.tm_mday += days;
  local.tm_isdst = -1;
  const time_t midnight = mktime(&local);
  if (midnight == static_cast<time_t>(-1)) return Internal("local time unavailable");
  return std::chrono::time_point_cast<SystemTime::duration>(std::chrono::system_clock::from_time_t(midnight));
}

// "+8h", "-30m", "7d", "2w": up to 100 years, so the result stays in SystemTime's range.
std::optional<Result<SystemTime>> Relative(std::string_view s, SystemTime now, TimeDirection bare) {
  size_t pos = 0;
  int sign = bare == TimeDirection::kFuture ? 1 : -1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '+' ? 1 : -1;
    pos = 1;
  }
  const size_t digits_start = pos;
  int64_t amount = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    amount = amount * 10 + (s[pos] - '0');
    if (amount > 100LL * 366 * 24 * 60) return Result<SystemTime>(Bad(s, "too far away"));
    ++pos;
  }
  if (pos == digits_start || pos + 1 != s.size()) return std::nullopt;  // not this form
  int64_t minutes_per_unit = 0;
  switch (s[pos]) {
    case 'm': minutes_per_unit = 1; break;
    case 'h': minutes_per_unit = 60; break;
    case 'd': minutes_per_unit = 24 * 60; break;
    case 'w': minutes_per_unit = 7 * 24 * 60; break;
    default: return Result<SystemTime>(Bad(s, "unknown unit '" + std::string(1, s[pos]) + "' (m, h, d or w)"));
  }
  const int64_t minutes = amount * minutes_per_unit;
  if (minutes > 100LL * 366 * 24 * 60) return Result<SystemTime>(Bad(s, "too far away"));
  return Result<SystemTime>(now + std::chrono::minutes(sign * minutes));
}

// A date-time with an explicit offset: "…T08:00+01:00", "…T08:00:00.5-0500".
std::optional<Result<SystemTime>> WithOffset(std::string_view s) {
  const size_t t = s.find('T');
  if (t == std::string_view::npos) return std::nullopt;
  const size_t sign = s.find_first_of("+-", t);
  if (sign == std::string_view::npos) return std::nullopt;
  std::string_view off = s.substr(sign + 1);
  std::string digits;
  for (char c : off)
    if (c != ':') digits += c;
  const bool shape_ok = (off.size() == 5 && off[2] == ':') || (off.size() == 4 && off.find(':') == off.npos);
  if (!shape_ok || digits.size() != 4 || digits.find_first_not_of("0123456789") != std::string::npos)
    return Result<SystemTime>(Bad(s, "the UTC offset must look like +01:00 or -0500"));
  const int hours = (digits[0] - '0') * 10 + (digits[1] - '0');
  const int mins = (digits[2] - '0') * 10 + (digits[3] - '0');
  if (hours > 14 || mins > 59) return Result<SystemTime>(Bad(s, "UTC offset out of range"));
  auto base = store::ParseUtcTime(std::string(s.substr(0, sign)) + "Z");
  if (!base.ok()) return Result<SystemTime>(Bad(s, "not a valid date and time before the offset"));
  const auto offset = std::chrono::minutes(hours * 60 + mins);
  return Result<SystemTime>(s[sign] == '+' ? *base - offset : *base + offset);
}

}  // namespace

Result<SystemTime> ParseAdminTime(std::string_view text, SystemTime now, TimeDirection bare_relative) {
  if (text == "now") return now;
  if (text == "today") return LocalMidnight(now, 0);
  if (text == "tomorrow") return LocalMidnight(now, 1);
  if (text == "yesterday") return LocalMidnight(now, -1);
  if (auto r = Relative(text, now, bare_relative)) return std::move(*r);
  if (auto r = WithOffset(text)) return std::move(*r);
  auto utc = store::ParseUtcTime(text);
  if (!utc.ok()) return Bad(text, "not a known form");
  return utc;
}

std::string FormatAdminTime(SystemTime t) {
  std::string out = store::FormatUtcTime(t);
  const time_t secs = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
  struct tm local {};
  char buf[64];
  if (localtime_r(&secs, &local) != nullptr && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M %z", &local) > 0)
    out += std::string(" (local ") + buf + ")";
  return out;
}

}  // namespace idb::ctl
