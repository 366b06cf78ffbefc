// client_address.h — checks the client address a host reports for the person
// signing in (idb_change_password's client_address): an IPv4/IPv6 literal or
// a host name of at most 253 bytes (labels of 1-63 letters, digits and
// hyphens, not starting or ending with a hyphen).
//
// Why: the address goes into history, logs and throttle keys; anything else
// (spaces, control characters, quotes, megabytes) is refused, never cleaned up.
// Thread-safety: a pure function.
#pragma once

#include <string_view>

namespace idb::daemon {

constexpr size_t kMaxClientAddressLength = 253;

bool IsValidClientAddress(std::string_view address);

}  // namespace idb::daemon
