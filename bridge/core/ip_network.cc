// ip_network.cc — see ip_network.h.
#include "core/ip_network.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace idb {
namespace {

bool IsV4Mapped(const std::array<uint8_t, 16>& b) {
  for (int i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > kMaxClientAddressBytes) return false;
  size_t label = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && !(c == '-' && label > 0)) return false;
    if (++label > 63) return false;
  }
  if (label == 0 || s.back() == '-') return false;
  // An all-numeric last label is a mistyped address ("10.20.0.300"), not a name.
  const std::string_view last = s.substr(s.size() - label);
  return last.find_first_not_of("0123456789") != std::string_view::npos;
}

}  // namespace

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return buf;
}

Result<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return InvalidArgument("not an IP address");
  const std::string s(text);
  IpAddress a;
  if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.v6 = true;
    if (IsV4Mapped(a.bytes)) {
      IpAddress v4;
      std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
      return v4;
    }
    return a;
  }
  return InvalidArgument("not an IP address");
}

bool IpNetwork::Contains(const IpAddress& a) const {
  if (a.v6 != base.v6) return false;
  const int full = prefix / 8;
  if (std::memcmp(a.bytes.data(), base.bytes.data(), static_cast<size_t>(full)) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (base.bytes[full] & mask);
}

std::string IpNetwork::ToString() const { return base.ToString() + "/" + std::to_string(prefix); }

Result<IpNetwork> ParseIpNetwork(std::string_view text) {
  const size_t slash = text.find('/');
  auto addr = ParseIpAddress(text.substr(0, slash));
  if (!addr.ok()) {
    return InvalidArgument("'" + std::string(text) +
                           "' is not a network: expected an IPv4 or IPv6 address with an optional /prefix "
                           "(10.20.0.0/16, 2001:db8::/32)");
  }
  IpNetwork n;
  n.base = *addr;
  n.prefix = n.base.bits();
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return InvalidArgument("'" + std::string(text) + "': the prefix length is missing or not a number");
    int v = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return InvalidArgument("'" + std::string(text) + "': the prefix length is not a number");
      v = v * 10 + (c - '0');
    }
    if (v > n.base.bits()) {
      return InvalidArgument("'" + std::string(text) + "': the prefix length must be at most " +
                             std::to_string(n.base.bits()));
    }
    if (text.substr(0, slash).find(':') != std::string_view::npos && !n.base.v6) {
      return InvalidArgument("'" + std::string(text) + "': write an IPv4-mapped network in IPv4 form");
    }
    n.prefix = v;
  }
  IpNetwork masked = n;
  for (int i = 0; i < 16; ++i) {
    const int keep = std::max(0, std::min(8, n.prefix - i * 8));
    masked.base.bytes[static_cast<size_t>(i)] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  if (!(masked.base == n.base)) {
    return InvalidArgument("'" + std::string(text) + "' has host bits set (did you mean " + masked.ToString() + "?)");
  }
  return n;
}

Result<std::string> NormalizeClientAddress(std::string_view text) {
  if (text.empty()) return InvalidArgument("the client address is empty");
  if (text.size() > kMaxClientAddressBytes) {
    return InvalidArgument("the client address is longer than " + std::to_string(kMaxClientAddressBytes) + " bytes");
  }
  if (auto ip = ParseIpAddress(text); ip.ok()) return ip->ToString();
  if (!IsHostName(text)) {
    return InvalidArgument("the client address is neither an IP address nor a host name");
  }
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

}  // namespace idb
