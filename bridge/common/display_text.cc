// display_text.cc — see display_text.h.
#include "common/display_text.h"

#include <cstdint>
#include <cstdio>

#include "common/utf8.h"

namespace idb {
namespace {

size_t Decode(std::string_view s, size_t i, char32_t* cp_out) { return DecodeUtf8(s, i, cp_out); }

void AppendHexByte(std::string* out, unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\x%02x", c);
  *out += buf;
}

void AppendCodePoint(std::string* out, char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\u{%04X}", static_cast<unsigned>(cp));
  *out += buf;
}

std::string Escape(std::string_view text, size_t max_bytes, bool quote) {
  std::string out;
  out.reserve(text.size() + 2);
  for (size_t i = 0; i < text.size();) {
    std::string piece;
    char32_t cp = 0;
    const size_t n = Decode(text, i, &cp);
    if (n == 0) {
      AppendHexByte(&piece, static_cast<unsigned char>(text[i]));
      i += 1;
    } else {
      if (cp == '\\' || (quote && cp == '"')) {
        piece = {'\\', static_cast<char>(cp)};
      } else if (cp < 0x20 || cp == 0x7F) {
        AppendHexByte(&piece, static_cast<unsigned char>(cp));
      } else if ((cp >= 0x80 && cp <= 0x9F) || IsInvisibleOrBidiControl(cp)) {
        AppendCodePoint(&piece, cp);
      } else {
        piece.assign(text.substr(i, n));
      }
      i += n;
    }
    if (max_bytes != 0 && out.size() + piece.size() > max_bytes) {
      out += "…";
      break;
    }
    out += piece;
  }
  return out;
}

}  // namespace

bool IsInvisibleOrBidiControl(char32_t cp) {
  // Bidi controls, line/paragraph separators and Unicode's
  // Default_Ignorable_Code_Point set (zero-width and other invisible marks).
  static constexpr struct { char32_t lo, hi; } kRanges[] = {
      {0x00AD, 0x00AD},   {0x034F, 0x034F},   {0x061C, 0x061C},   {0x115F, 0x1160},
      {0x17B4, 0x17B5},   {0x180B, 0x180F},   {0x200B, 0x200F},   {0x2028, 0x202E},
      {0x2060, 0x206F},   {0x3164, 0x3164},   {0xFE00, 0xFE0F},   {0xFEFF, 0xFEFF},
      {0xFFA0, 0xFFA0},   {0xFFF0, 0xFFFB},   {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
      {0xE0000, 0xE0FFF},
  };
  for (const auto& r : kRanges) {
    if (cp >= r.lo && cp <= r.hi) return true;
  }
  return false;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    const size_t n = Decode(text, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string EscapeForDisplay(std::string_view text, size_t max_bytes) { return Escape(text, max_bytes, false); }

std::string QuoteForDisplay(std::string_view text, size_t max_bytes) {
  return "\"" + Escape(text, max_bytes, true) + "\"";
}

}  // namespace idb
