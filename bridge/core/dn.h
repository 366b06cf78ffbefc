// dn.h — LDAP distinguished names (RFC 4514): parse, normalise, escape.
//
// Why: rules name groups by DN, directories return DNs in whatever case and
// spacing they like ("cn=Mechanics, ou=Groups,dc=fleet,dc=test" vs
// "CN=Mechanics,OU=Groups,DC=fleet,DC=test"), and a naive string compare would
// grant or miss permissions. The LDAP component reuses this parser (and
// EscapeDnValue for DNs it builds).
//
// Normal form (NormalizeDn): attribute types lower-cased (OIDs kept,
// "oid."-prefix dropped); values unescaped, then lower-cased (ASCII) and
// re-escaped minimally (RFC 4514 §2.4: leading space or '#', trailing space,
// and , + " \ < > ; = are escaped with '\'); multi-valued RDNs sorted by type;
// no spaces around '=', ',' or '+'. Hex-string values (#04..) are kept as
// lower-case hex (we cannot know their BER type). Two DNs are the same group
// iff their normal forms are equal.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace idb {

struct DnAttribute {
  std::string type;    // as written ("CN", "2.5.4.3")
  std::string value;   // unescaped (for #hex values: the '#...' text as written)
  bool hex = false;    // value was a #hex string
};

struct Rdn {
  std::vector<DnAttribute> attributes;  // more than one for multi-valued RDNs (a+b)
};

struct Dn {
  std::vector<Rdn> rdns;  // rdns[0] is the leftmost (most specific) RDN

  // The value of the first RDN's CN attribute ("Mechanics"), if any.
  std::optional<std::string> FirstCn() const;
  std::string Normalized() const;
};

// Parses an RFC 4514 string. The empty string is the (valid) root DN.
// Errors (kInvalidArgument) say what and at which offset: missing '=', bad
// escape, bad hex, unterminated quote, empty attribute type, empty RDN.
[[nodiscard]] Result<Dn> ParseDn(std::string_view text);
// ParseDn + Normalized. Fast path for plain DNs (no escapes/quotes/'#'/'+').
[[nodiscard]] Result<std::string> NormalizeDn(std::string_view text);
// NormalizeDn into a caller-owned buffer (reused across calls: no allocation
// once it has grown). Returns false (and leaves `out` unspecified) when
// `text` does not parse.
// When `plain_first_rdn_end` is given it is set to the length of the first
// RDN in *out if the normal form has no escapes and no '+' (so "cn=<value>"
// there is the plain lower-case CN), else to std::string::npos.
bool NormalizeDnInto(std::string_view text, std::string* out, size_t* plain_first_rdn_end = nullptr);
// True when both parse and their normal forms are equal.
bool SameDn(std::string_view a, std::string_view b);
// Escapes a value for use inside a DN (RFC 4514 §2.4), e.g. "Smith, J" →
// "Smith\, J".
std::string EscapeDnValue(std::string_view value);
// The first RDN's CN value of `text` ("" when it does not parse or has none).
std::string FirstCnOf(std::string_view text);

// ASCII lower-case, used for the case-insensitive compares of DNs, CNs, SIDs.
std::string AsciiLower(std::string_view s);

}  // namespace idb
