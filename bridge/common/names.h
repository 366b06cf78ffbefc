// names.h — validation of the names admins, logins and mapping files use.
//
// Why: user, location and warehouse names come from the command line, the
// directory and the fleet application. Odd but legal characters (quotes, ';',
// unicode, text that looks like SQL) are stored literally — every statement is
// parameterised — but control characters and NUL would corrupt terminal
// output and logs, and unbounded lengths invite abuse, so they are refused.
// The daemon and the mapping loader use the same rules, so what `check`
// accepts the store accepts too. SanitizeForLog keeps a *failed* login's
// attempted name recordable.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace idb {

constexpr size_t kMaxNameBytes = 256;
constexpr size_t kMaxTextBytes = 4096;  // reasons, details, client strings

// Non-empty, at most 256 bytes, valid UTF-8, no control characters (C0, DEL).
// `what` names the field in the error: "user name", "location"…
Status ValidateName(std::string_view name, std::string_view what);
inline Status ValidateUserName(std::string_view name) { return ValidateName(name, "user name"); }

// Free text (reasons): may be empty; at most 4096 bytes, valid UTF-8, no control
// characters — newlines included, they would forge lines in listings.
Status ValidateText(std::string_view text, std::string_view what);

// Text read from configuration and mapping files (any length): valid UTF-8,
// no control characters but tab and newline (a multi-line description).
Status ValidateFileText(std::string_view text, std::string_view what);

// For recording untrusted input (a failed login's user name): control bytes and
// invalid UTF-8 become '?', and the result is cut at `max_bytes`.
std::string SanitizeForLog(std::string_view text, size_t max_bytes = kMaxNameBytes);

// Splits "A,B" on commas, trims spaces, validates each, sorts and de-duplicates.
// An empty string gives an empty list (that is: explicitly nothing).
Result<std::vector<std::string>> ParseNameList(std::string_view text, std::string_view what);

// For messages and listings: the value in double quotes with control, bidi and
// invisible characters escaped (common/display_text.h), cut at about 80 bytes.
std::string Quoted(std::string_view text);

}  // namespace idb
