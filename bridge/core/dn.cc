// dn.cc — RFC 4514 DN parser and normaliser (see dn.h for the normal form).
// Normalisation tries two fast paths before the parser: SSE2 bit masks for
// plain DNs up to 64 bytes, then a one-pass scalar loop for plain DNs with
// spaces around separators; dn_test checks both against the parser.
#include "core/dn.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace idb {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsSpecial(char c) {
  return c == ' ' || c == '"' || c == '#' || c == '+' || c == ',' || c == ';' || c == '<' || c == '=' ||
         c == '>' || c == '\\';
}

std::string CanonicalType(std::string_view type) {
  std::string t = AsciiLower(type);
  if (t.rfind("oid.", 0) == 0) t = t.substr(4);
  static const std::pair<const char*, const char*> kOids[] = {
      {"2.5.4.3", "cn"}, {"2.5.4.11", "ou"}, {"2.5.4.10", "o"}, {"2.5.4.6", "c"}, {"2.5.4.7", "l"},
      {"2.5.4.8", "st"}, {"2.5.4.9", "street"}, {"0.9.2342.19200300.100.1.25", "dc"},
      {"0.9.2342.19200300.100.1.1", "uid"}};
  for (const auto& [oid, name] : kOids) {
    if (t == oid) return name;
  }
  return t;
}

// Escapes an (already lower-cased) value for the normal form / EscapeDnValue.
void AppendEscaped(std::string_view v, std::string* out) {
  for (size_t i = 0; i < v.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(v[i]);
    const bool lead = i == 0 && (c == ' ' || c == '#');
    const bool trail = i + 1 == v.size() && c == ' ';
    if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out->push_back('\\');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else if (lead || trail || c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' ||
               c == ';' || c == '=') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<Dn> Parse() {
    Dn dn;
    SkipSpaces();
    if (pos_ == s_.size()) return dn;  // root DN
    for (;;) {
      Rdn rdn;
      for (;;) {
        auto attr = ParseAttribute();
        if (!attr.ok()) return attr.status();
        rdn.attributes.push_back(std::move(attr.value()));
        SkipSpaces();
        if (pos_ < s_.size() && s_[pos_] == '+') {
          ++pos_;
          continue;
        }
        break;
      }
      dn.rdns.push_back(std::move(rdn));
      if (pos_ == s_.size()) break;
      if (s_[pos_] == ',' || s_[pos_] == ';') {
        ++pos_;
        SkipSpaces();
        if (pos_ == s_.size()) return Error("trailing separator");
        continue;
      }
      return Error(std::string("unexpected '") + s_[pos_] + "'");
    }
    return dn;
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgument("malformed DN: " + what + " at offset " + std::to_string(pos_));
  }
  void SkipSpaces() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }

  Result<DnAttribute> ParseAttribute() {
    SkipSpaces();
    const size_t start = pos_;
    if (pos_ < s_.size() && (s_[pos_] == ',' || s_[pos_] == '+' || s_[pos_] == ';'))
      return Error("empty RDN");
    if (pos_ + 4 <= s_.size() && AsciiLower(s_.substr(pos_, 4)) == "oid.") pos_ += 4;
    if (pos_ < s_.size() && IsAlpha(s_[pos_])) {
      while (pos_ < s_.size() && (IsAlpha(s_[pos_]) || IsDigit(s_[pos_]) || s_[pos_] == '-')) ++pos_;
    } else if (pos_ < s_.size() && IsDigit(s_[pos_])) {
      while (pos_ < s_.size() && (IsDigit(s_[pos_]) || s_[pos_] == '.')) ++pos_;
      if (s_[pos_ - 1] == '.') return Error("bad numeric OID");
    } else {
      if (pos_ >= s_.size() || s_[pos_] == '=') return Error("empty attribute type");
      return Error(std::string("bad attribute type character '") + s_[pos_] + "'");
    }
    DnAttribute attr;
    attr.type = std::string(s_.substr(start, pos_ - start));
    SkipSpaces();
    if (pos_ >= s_.size() || s_[pos_] != '=') return Error("missing '=' after '" + attr.type + "'");
    ++pos_;
    SkipSpaces();
    if (pos_ < s_.size() && s_[pos_] == '#') return ParseHex(std::move(attr));
    if (pos_ < s_.size() && s_[pos_] == '"') return ParseQuoted(std::move(attr));
    return ParseString(std::move(attr));
  }

  Result<DnAttribute> ParseHex(DnAttribute attr) {
    const size_t start = pos_++;
    size_t digits = 0;
    while (pos_ < s_.size() && HexValue(s_[pos_]) >= 0) ++pos_, ++digits;
    if (digits == 0 || digits % 2 != 0) return Error("bad hex string value");
    attr.value = AsciiLower(s_.substr(start, pos_ - start));
    attr.hex = true;
    SkipSpaces();
    if (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '+' && s_[pos_] != ';')
      return Error("bad hex string value");
    return attr;
  }

  Result<DnAttribute> ParseQuoted(DnAttribute attr) {
    ++pos_;
    for (;;) {
      if (pos_ >= s_.size()) return Error("unterminated quoted value");
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        auto st = ParseEscape(&attr.value);
        if (!st.ok()) return st;
        continue;
      }
      attr.value.push_back(c);
      ++pos_;
    }
    SkipSpaces();
    if (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '+' && s_[pos_] != ';')
      return Error("text after quoted value");
    return attr;
  }

  Status ParseEscape(std::string* out) {
    // at '\'
    if (pos_ + 1 >= s_.size()) return Error("dangling escape");
    char c = s_[pos_ + 1];
    if (IsSpecial(c)) {
      out->push_back(c);
      pos_ += 2;
      return Status::Ok();
    }
    int hi = HexValue(c);
    int lo = pos_ + 2 < s_.size() ? HexValue(s_[pos_ + 2]) : -1;
    if (hi < 0 || lo < 0) return Error("bad escape");
    out->push_back(static_cast<char>(hi * 16 + lo));
    pos_ += 3;
    return Status::Ok();
  }

  Result<DnAttribute> ParseString(DnAttribute attr) {
    size_t keep = 0;  // length of value up to its last escaped or non-space char
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ',' || c == '+' || c == ';') break;
      if (c == '\\') {
        auto st = ParseEscape(&attr.value);
        if (!st.ok()) return st;
        keep = attr.value.size();
        continue;
      }
      if (c == '"') return Error("unescaped '\"' in value");
      attr.value.push_back(c);
      if (c != ' ') keep = attr.value.size();
      ++pos_;
    }
    attr.value.resize(keep);
    return attr;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// Character classes for the fast path: lower-case mapping and "needs the
// full parser" (\ " # + ; < > = and control characters).
// Value-character classes for the fast path: one table load per character.
enum : uint8_t { kPlain = 0, kSpace = 1, kComma = 2, kReject = 3 };

struct FastTables {
  char lower[256];
  bool reject[256];
  uint8_t value_class[256];
  bool type_char[256];  // ALPHA / DIGIT / '-'
  FastTables() {
    for (int c = 0; c < 256; ++c) {
      lower[c] = Lower(static_cast<char>(c));
      reject[c] = c < 0x20 || c == 0x7f || c == '\\' || c == '"' || c == '#' || c == '+' || c == ';' ||
                  c == '<' || c == '>' || c == '=';
      value_class[c] = reject[c] ? kReject : c == ',' ? kComma : c == ' ' ? kSpace : kPlain;
      type_char[c] = IsAlpha(static_cast<char>(c)) || IsDigit(static_cast<char>(c)) || c == '-';
    }
  }
};
const FastTables kFast;

// Fast path, one pass: a DN whose values need no escaping. Returns false to
// send anything else to the parser.
// *first_rdn_end: length of the first RDN in *out (all of it when one RDN).
bool FastNormalize(std::string_view s, std::string* out, size_t* first_rdn_end) {
  *first_rdn_end = std::string::npos;
  out->resize(s.size());
  char* o = out->data();
  size_t n = 0, i = 0;
  const size_t len = s.size();
  const unsigned char* u = reinterpret_cast<const unsigned char*>(s.data());
  while (i < len && u[i] == ' ') ++i;
  if (i == len) {
    out->clear();
    return true;
  }
  for (;;) {
    // attribute type: ALPHA *(ALPHA / DIGIT / '-')
    if (i >= len || !IsAlpha(static_cast<char>(u[i]))) return false;
    while (i < len && kFast.type_char[u[i]]) o[n++] = kFast.lower[u[i++]];
    while (i < len && u[i] == ' ') ++i;
    if (i >= len || u[i] != '=') return false;
    o[n++] = '=';
    ++i;
    while (i < len && u[i] == ' ') ++i;
    size_t keep = n;  // output length up to the last non-space value character
    for (; i < len; ++i) {
      const unsigned char c = u[i];
      const uint8_t k = kFast.value_class[c];
      if (k == kPlain) {
        o[n++] = kFast.lower[c];
        keep = n;
      } else if (k == kSpace) {
        o[n++] = ' ';
      } else if (k == kComma) {
        break;
      } else {
        return false;
      }
    }
    n = keep;
    if (i >= len) break;
    if (*first_rdn_end == std::string::npos) *first_rdn_end = n;
    o[n++] = ',';
    ++i;
    while (i < len && u[i] == ' ') ++i;
  }
  if (*first_rdn_end == std::string::npos) *first_rdn_end = n;
  out->resize(n);
  return true;
}

#if defined(__SSE2__)
// SSE2 path for the shape nearly every directory returns: at most 64 bytes,
// no escapes or specials, and no spaces at either end or next to ',' or '='.
// Then the normal form is the input with ASCII letters lower-cased, and only
// the structure (type '=' value {',' type '=' value}) is checked, on bit
// masks. Returns false for anything else (FastNormalize / the parser decide).
bool SimdNormalize(std::string_view s, std::string* out, size_t* first_rdn_end) {
  const size_t len = s.size();
  if (len < 16 || len > 64) return false;
  out->resize(len);
  uint64_t space = 0, comma = 0, eq = 0, reject = 0, alpha = 0, nontype = 0;
  const __m128i zero = _mm_setzero_si128();
  // 16-byte chunks straight from the input; the last one ends at len and may
  // overlap the one before (same bytes, same bits, same output).
  for (size_t at = 0;;) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + at));
    auto eqb = [&](char ch) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(ch)); };
    // Signed compares: bytes >= 0x80 are negative, so never in 'A'..'Z' etc.
    const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
    const __m128i l = _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out->data() + at), l);
    const __m128i is_alpha = _mm_and_si128(_mm_cmpgt_epi8(l, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(l, _mm_set1_epi8('z' + 1)));
    const __m128i is_digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
    const __m128i control = _mm_and_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmpgt_epi8(v, _mm_set1_epi8(-1)));
    __m128i rej = _mm_or_si128(control, eqb(0x7f));
    rej = _mm_or_si128(rej, _mm_or_si128(eqb('\\'), eqb('"')));
    rej = _mm_or_si128(rej, _mm_or_si128(eqb('#'), eqb('+')));
    rej = _mm_or_si128(rej, _mm_or_si128(eqb(';'), _mm_or_si128(eqb('<'), eqb('>'))));
    const __m128i type_char = _mm_or_si128(_mm_or_si128(is_alpha, is_digit), eqb('-'));
    auto bits = [&](__m128i m) { return static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(m))) << at; };
    space |= bits(eqb(' '));
    comma |= bits(eqb(','));
    eq |= bits(eqb('='));
    reject |= bits(rej);
    alpha |= bits(is_alpha);
    nontype |= bits(_mm_cmpeq_epi8(type_char, zero));
    if (at + 16 == len) break;
    at = at + 32 <= len ? at + 16 : len - 16;
  }
  const uint64_t valid = len == 64 ? ~uint64_t{0} : (uint64_t{1} << len) - 1;
  if (reject & valid) return false;
  const uint64_t seps = (comma | eq) & valid;
  const uint64_t near = (seps << 1) | (seps >> 1) | 1 | (uint64_t{1} << (len - 1));
  if (space & near) return false;
  // type '=' value {',' type '=' value}: separators alternate '=' ',' ... '='.
  uint64_t rest = seps;
  size_t start = 0;
  for (;;) {
    if (rest == 0) return false;
    const size_t e = static_cast<size_t>(__builtin_ctzll(rest));
    if (!((eq >> e) & 1) || e == start || !((alpha >> start) & 1)) return false;
    const uint64_t type_bits = ((uint64_t{1} << (e - start)) - 1) << start;  // e - start < 64
    if (nontype & type_bits) return false;
    rest &= rest - 1;
    if (rest == 0) break;
    const size_t c = static_cast<size_t>(__builtin_ctzll(rest));
    if (!((comma >> c) & 1)) return false;  // '=' inside a value
    rest &= rest - 1;
    start = c + 1;
    if (start >= len) return false;  // trailing ','
  }
  *first_rdn_end = comma & valid ? static_cast<size_t>(__builtin_ctzll(comma & valid)) : len;
  return true;
}
#endif

}  // namespace

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::optional<std::string> Dn::FirstCn() const {
  if (rdns.empty()) return std::nullopt;
  for (const auto& a : rdns[0].attributes) {
    if (!a.hex && CanonicalType(a.type) == "cn") return a.value;
  }
  return std::nullopt;
}

std::string Dn::Normalized() const {
  std::string out;
  for (size_t r = 0; r < rdns.size(); ++r) {
    std::vector<std::pair<std::string, std::string>> parts;
    for (const auto& a : rdns[r].attributes) {
      std::string value;
      if (a.hex) {
        value = AsciiLower(a.value);
      } else {
        AppendEscaped(AsciiLower(a.value), &value);
      }
      parts.emplace_back(CanonicalType(a.type), std::move(value));
    }
    std::sort(parts.begin(), parts.end());
    if (r) out.push_back(',');
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i) out.push_back('+');
      out += parts[i].first;
      out.push_back('=');
      out += parts[i].second;
    }
  }
  return out;
}

Result<Dn> ParseDn(std::string_view text) {
  if (text.size() > 64 * 1024) return InvalidArgument("malformed DN: longer than 65536 bytes");
  return Parser(text).Parse();
}

// The fast paths, cheapest first; false = only the parser can tell.
static bool TryFastPaths(std::string_view text, std::string* out, size_t* first_rdn_end) {
#if defined(__SSE2__)
  if (SimdNormalize(text, out, first_rdn_end)) return true;
#endif
  return text.size() <= 64 * 1024 && FastNormalize(text, out, first_rdn_end);
}

Result<std::string> NormalizeDn(std::string_view text) {
  std::string out;
  size_t end;
  if (TryFastPaths(text, &out, &end)) return out;
  auto dn = ParseDn(text);
  if (!dn.ok()) return dn.status();
  return dn->Normalized();
}

bool NormalizeDnInto(std::string_view text, std::string* out, size_t* plain_first_rdn_end) {
  size_t end;
  if (TryFastPaths(text, out, &end)) {
    if (plain_first_rdn_end) *plain_first_rdn_end = end;
    return true;
  }
  if (plain_first_rdn_end) *plain_first_rdn_end = std::string::npos;
  auto dn = ParseDn(text);
  if (!dn.ok()) return false;
  *out = dn->Normalized();
  return true;
}

bool SameDn(std::string_view a, std::string_view b) {
  auto na = NormalizeDn(a);
  auto nb = NormalizeDn(b);
  return na.ok() && nb.ok() && *na == *nb;
}

std::string EscapeDnValue(std::string_view value) {
  std::string out;
  AppendEscaped(value, &out);
  return out;
}

std::string FirstCnOf(std::string_view text) {
  auto dn = ParseDn(text);
  if (!dn.ok()) return "";
  return dn->FirstCn().value_or("");
}

}  // namespace idb
