// utf8.h — the one strict UTF-8 decoder the name checks and the display
// escaper share.
//
// Why: "valid UTF-8" must mean the same to the validator that refuses a name
// and to the escaper that prints one: overlong forms, surrogates and code
// points past U+10FFFF are invalid in both.
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string_view>

namespace idb {

// Decodes the sequence at s[i]: its length in bytes and the code point in
// *cp_out, or 0 (and *cp_out untouched) when it is not valid UTF-8.
inline size_t DecodeUtf8(std::string_view s, size_t i, char32_t* cp_out) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *cp_out = c;
    return 1;
  }
  size_t n;
  char32_t cp;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *cp_out = cp;
  return n;
}

}  // namespace idb
