// time_input.h — the instants admins type on the command line, and how they
// are shown back.
//
// Why: `--expires` and `--since` are typed by people in a time zone, in a
// hurry. Besides the store's UTC forms (store/time_format.h) they accept:
//   now | today | tomorrow | yesterday          (local midnight, or now)
//   +8h  -30m  7d  2w                           (relative to now; units m h d w)
//   2026-12-04T08:00+01:00, …T08:00:00-0500     (an explicit UTC offset)
// A bare relative amount ("7d") points the way the option means: forward for
// an expiry, back for a history cut-off. Anything else is kInvalidArgument
// listing the forms. Every instant is shown back in UTC and local time, so a
// wrong guess is visible at once.
// Thread-safety: pure functions (local time via localtime_r/mktime, TZ as set).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "core/user_adjustments.h"  // SystemTime

namespace idb::ctl {

enum class TimeDirection { kFuture, kPast };

Result<SystemTime> ParseAdminTime(std::string_view text, SystemTime now, TimeDirection bare_relative);

// "2026-12-04T07:00:00Z (local 2026-12-04 08:00 +0100)"
std::string FormatAdminTime(SystemTime t);

}  // namespace idb::ctl
