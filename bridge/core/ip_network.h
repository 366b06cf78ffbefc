// ip_network.h — IP addresses and CIDR networks, for the `client_network`
// rule matcher and for validating the end user's address a login carries.
//
// Why here: the engine (pure, no I/O) matches an identity's client address
// against networks; the daemon validates the address with the same parser,
// so what a rule can match and what a login may carry are one definition.
// Parsing uses inet_pton (no name resolution ever). An IPv4-mapped IPv6
// address (::ffff:10.0.0.1) is the IPv4 address, so it matches IPv4 rules.
// Thread-safety: plain values and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace idb {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4: the first 4 bytes
  int bits() const { return v6 ? 128 : 32; }
  std::string ToString() const;  // canonical: inet_ntop form ("2001:db8::1")
  bool operator==(const IpAddress&) const = default;
};

// An IPv4 or IPv6 literal, nothing else: no brackets, no zone ("%eth0"), no
// port, no name.
Result<IpAddress> ParseIpAddress(std::string_view text);

struct IpNetwork {
  IpAddress base;   // host bits zero
  int prefix = 0;   // 0..32 or 0..128
  bool Contains(const IpAddress& a) const;
  std::string ToString() const;  // "10.20.0.0/16"
};

// "10.20.0.0/16", "2001:db8::/32"; a bare address is one host (/32, /128).
// Host bits set ("10.20.1.0/16") is an error naming the intended network.
Result<IpNetwork> ParseIpNetwork(std::string_view text);

// Longest end-user address a login may carry (a DNS name's limit).
constexpr size_t kMaxClientAddressBytes = 253;

// The end user's machine as a login names it: an IP literal (returned in
// canonical form) or a host name (RFC 1123 letters, digits, '-' and '.',
// labels of 1..63, at most 253 bytes; returned lower-case). Anything else —
// empty, spaces, ports, URLs, control or non-ASCII characters — is refused.
Result<std::string> NormalizeClientAddress(std::string_view text);

}  // namespace idb
