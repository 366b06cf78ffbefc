#include "common/names.h"

#include <algorithm>

#include "common/display_text.h"

namespace idb {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and out-of-range code points are invalid.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// `multi_line` lets tab and newline through (text written in files).
Status CheckChars(std::string_view s, std::string_view what, bool multi_line = false) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (IsControl(c) && !(multi_line && (c == '\t' || c == '\n')))
      return InvalidArgument(std::string(what) + " " + Quoted(s) + " contains a control character");
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return InvalidArgument(std::string(what) + " " + Quoted(s) + " is not valid UTF-8");
    i += n;
  }
  return Status::Ok();
}

}  // namespace

std::string Quoted(std::string_view text) { return QuoteForDisplay(text, 80); }

Status ValidateName(std::string_view name, std::string_view what) {
  if (name.empty()) return InvalidArgument(std::string(what) + " must not be empty");
  if (name.size() > kMaxNameBytes)
    return InvalidArgument(std::string(what) + " is " + std::to_string(name.size()) + " bytes long; at most " +
                           std::to_string(kMaxNameBytes) + " are allowed");
  return CheckChars(name, what);
}

Status ValidateText(std::string_view text, std::string_view what) {
  if (text.size() > kMaxTextBytes)
    return InvalidArgument(std::string(what) + " is " + std::to_string(text.size()) + " bytes long; at most " +
                           std::to_string(kMaxTextBytes) + " are allowed");
  return CheckChars(text, what);
}

Status ValidateFileText(std::string_view text, std::string_view what) { return CheckChars(text, what, true); }

std::string SanitizeForLog(std::string_view text, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t n = IsControl(c) ? 0 : Utf8SequenceLength(text, i);
    if (n == 0) {
      if (out.size() + 1 > max_bytes) break;
      out += '?';
      ++i;
    } else {
      if (out.size() + n > max_bytes) break;
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

Result<std::vector<std::string>> ParseNameList(std::string_view text, std::string_view what) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    IDB_RETURN_IF_ERROR(ValidateName(item, what));
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace idb
