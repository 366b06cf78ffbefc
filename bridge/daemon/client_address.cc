#include "daemon/client_address.h"

#include <arpa/inet.h>

#include <cctype>
#include <string>

namespace idb::daemon {

bool IsValidClientAddress(std::string_view address) {
  if (address.empty() || address.size() > kMaxClientAddressLength) return false;
  const std::string text(address);
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1) return true;
  size_t label = 0;
  for (size_t i = 0; i < address.size(); ++i) {
    const auto c = static_cast<unsigned char>(address[i]);
    if (c == '.') {
      if (label == 0 || address[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    if (!std::isalnum(c) && c != '-') return false;
    if (c == '-' && label == 0) return false;
    if (++label > 63) return false;
  }
  return label > 0 && address.back() != '-';
}

}  // namespace idb::daemon
