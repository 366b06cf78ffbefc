#include "store/time_format.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace idb::store {
namespace {

bool ReadDigits(std::string_view s, size_t& pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += count;
  out = v;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), H. Hinnant's algorithm.
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

}  // namespace

Result<SystemTime> ParseUtcTime(std::string_view s) {
  auto bad = [&](const char* why) -> Status {
    std::string shown(s.substr(0, 64));
    for (char& c : shown)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return InvalidArgument("bad time '" + shown + "': " + why +
                           " (expected UTC like 2026-12-31, 2026-12-31T00:00Z or 2026-12-31T00:00:00Z)");
  };
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
  if (!ReadDigits(s, pos, 4, y) || !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, mo) ||
      !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, d))
    return bad("not a YYYY-MM-DD date");
  // SystemTime counts nanoseconds in 64 bits: it ends in 2262.
  if (y < 1970 || y > 2199) return bad("year out of range 1970-2199");
  if (mo < 1 || mo > 12) return bad("month out of range");
  if (d < 1 || d > DaysInMonth(y, mo)) return bad("day out of range for that month");
  if (pos != s.size()) {
    if (!Expect(s, pos, 'T')) return bad("expected 'T' after the date");
    if (!ReadDigits(s, pos, 2, h) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, mi))
      return bad("expected HH:MM after 'T'");
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!ReadDigits(s, pos, 2, sec)) return bad("expected two-digit seconds");
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        size_t start = pos;
        int scale = 100;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (scale > 0) ms += (s[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start || pos - start > 9) return bad("bad fraction of a second");
      }
    }
    if (h > 23 || mi > 59 || sec > 59) return bad("time of day out of range");
    if (!Expect(s, pos, 'Z')) return bad("only UTC ('Z') is accepted");
    if (pos != s.size()) return bad("unexpected text after the time");
  }
  int64_t days = DaysFromCivil(y, mo, d);
  int64_t total_ms = ((days * 24 + h) * 60 + mi) * 60'000 + int64_t{sec} * 1000 + ms;
  return FromUnixMillis(total_ms);
}

std::string FormatUtcTime(SystemTime t) {
  int64_t ms = ToUnixMillis(t);
  int64_t days = ms >= 0 ? ms / 86'400'000 : -((-ms + 86'399'999) / 86'400'000);
  int64_t rem = ms - days * 86'400'000;
  int y, mo, d;
  CivilFromDays(days, y, mo, d);
  int h = static_cast<int>(rem / 3'600'000);
  int mi = static_cast<int>(rem / 60'000 % 60);
  int sec = static_cast<int>(rem / 1000 % 60);
  int frac = static_cast<int>(rem % 1000);
  char buf[48];
  if (frac)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d, h, mi, sec, frac);
  else
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, sec);
  return buf;
}

int64_t ToUnixMillis(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

SystemTime FromUnixMillis(int64_t ms) {
  // A damaged or edited row must not overflow the nanosecond clock (UB).
  constexpr int64_t kLimit = INT64_MAX / 1'000'000;
  ms = std::clamp<int64_t>(ms, -kLimit, kLimit);
  return SystemTime(std::chrono::duration_cast<SystemTime::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace idb::store
