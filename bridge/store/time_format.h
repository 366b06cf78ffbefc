// time_format.h — ISO-8601 UTC timestamps in and out of the store and idbridgectl.
//
// Why: admins type expiry dates and history cut-offs by hand; a typo must be a
// clear error, never a silently wrong instant. Only UTC is accepted ("Z" or no
// zone on a bare date), so the same text means the same instant everywhere.
// Accepted: 2026-12-31, 2026-12-31T00:00Z, 2026-12-31T00:00:00Z,
//           2026-12-31T00:00:00.123Z (fraction kept to milliseconds);
// years 1970-2199 (SystemTime's 64-bit nanoseconds end in 2262).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "core/user_adjustments.h"  // SystemTime

namespace idb::store {

// Parses the forms above; anything else (bad month, 25:00, trailing text,
// offsets other than Z) is kInvalidArgument naming the expected format.
Result<SystemTime> ParseUtcTime(std::string_view text);

// "2026-12-31T00:00:00Z" (milliseconds shown only when non-zero).
std::string FormatUtcTime(SystemTime t);

// The store keeps instants as integer milliseconds since the Unix epoch.
int64_t ToUnixMillis(SystemTime t);
SystemTime FromUnixMillis(int64_t ms);

}  // namespace idb::store
