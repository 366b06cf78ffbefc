#include "common/names.h"

#include <algorithm>

#include "common/display_text.h"
#include "common/utf8.h"

namespace idb {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  char32_t ignored;
  return DecodeUtf8(s, i, &ignored);
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
