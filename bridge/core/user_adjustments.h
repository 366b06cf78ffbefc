// user_adjustments.h — per-user overrides and limits, the engine's second input.
//
// Why: the references' "User Permission Override", "Locations" and "Warehouse"
// settings live in the store (bridge/store); the engine only sees these plain
// values, so it stays pure and testable.
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace idb {

using SystemTime = std::chrono::system_clock::time_point;

enum class OverrideEffect { kGrant, kDeny };

struct UserOverride {
  int64_t id = 0;                        // store row id (0 when not stored)
  OverrideEffect effect = OverrideEffect::kGrant;
  std::string permission;                // "work_orders.delete"; deny may be a glob ("*.delete")
  std::optional<std::string> location;   // limits the override to one location
  std::optional<std::string> warehouse;  // limits the override to one warehouse
  std::optional<SystemTime> expires;     // stops counting at this instant
  std::string reason;
};

struct UserLimits {
  // nullopt = no restriction from the store; an empty vector = no location at all.
  std::optional<std::vector<std::string>> locations;
  std::optional<std::vector<std::string>> warehouses;
};

struct UserAdjustments {
  std::vector<UserOverride> overrides;
  UserLimits limits;
};

}  // namespace idb
