// display_text.h — untrusted text (user names, client strings) made safe to
// print in a terminal, a log line or a listing.
//
// Why: names are stored as given, but shown raw they can forge output: a
// newline starts a fake log line, a right-to-left override (U+202E) reverses
// the rest of a line, a zero-width space makes "ali\u200bce" read as "alice",
// and invalid UTF-8 confuses terminals. Every place that prints such a value
// (daemon log, idbridgectl history/explain, messages) uses this one escaper,
// so they all agree and a reader can tell look-alikes apart.
// Escapes: '\' → "\\"; C0 controls and DEL → "\xNN"; C1 controls, bidi
// controls, line/paragraph separators and default-ignorable (invisible) code
// points → "\u{XXXX}"; each byte of invalid UTF-8 → "\xNN". Everything else is
// copied unchanged. The output is valid UTF-8 with no control characters.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace idb {

// The escaped text, cut (at a character boundary, with "…") once the output
// would exceed `max_bytes` (0 = no limit).
std::string EscapeForDisplay(std::string_view text, size_t max_bytes = 0);

// EscapeForDisplay in double quotes, with '"' escaped as \" too.
std::string QuoteForDisplay(std::string_view text, size_t max_bytes = 0);

// True when `text` is valid UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// True for the code points EscapeForDisplay writes as \u{...}.
bool IsInvisibleOrBidiControl(char32_t cp);

}  // namespace idb
