// decision_set.h — a user's compiled decisions: the answer to "may this user do
// X at location L / warehouse W", in nanoseconds, with no allocation or lock.
//
// Why: the daemon computes it once per login/refresh (core/engine.h) and ships
// it as JSON to the plugin, which answers check() locally. This file depends on
// nothing but the standard library and nlohmann::json so the plugin can link it.
//
// Scope semantics (README "How a decision is made"):
//  - every permission has a scope kind: location, warehouse or none;
//  - a granted permission carries a ScopeSet of the matching kind: "everywhere",
//    "only {A,B}" or "everywhere except {C}";
//  - Check() with a NULL/empty location on a location-scoped permission allows
//    only if the set is "everywhere" (fail closed); likewise for warehouses;
//  - a permission absent from the set is denied.
// Thread-safety: immutable after construction; Check() is safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace idb {

enum class ScopeKind : uint8_t { kNone = 0, kLocation = 1, kWarehouse = 2 };
const char* ScopeKindName(ScopeKind k);  // "none", "location", "warehouse"

// A set of locations (or warehouses): everything, only some, or all but some.
// Closed under union, intersection and difference. Names compare exactly.
struct ScopeSet {
  bool all_except = false;          // true: everything except `items`
  std::vector<std::string> items;   // sorted, unique

  static ScopeSet Everywhere() { return {true, {}}; }
  static ScopeSet Nowhere() { return {false, {}}; }
  static ScopeSet Only(std::vector<std::string> names);

  bool IsEverywhere() const { return all_except && items.empty(); }
  bool IsEmpty() const { return !all_except && items.empty(); }
  bool Contains(std::string_view name) const;

  ScopeSet Union(const ScopeSet& o) const;
  ScopeSet Intersect(const ScopeSet& o) const;
  ScopeSet Minus(const ScopeSet& o) const;
  bool operator==(const ScopeSet& o) const = default;
};

struct PermissionDecision {
  std::string permission;  // "work_orders.delete"
  ScopeKind kind = ScopeKind::kNone;
  ScopeSet allowed;        // never empty for a listed permission
};

class DecisionSet {
 public:
  DecisionSet() = default;
  // `decisions` need not be sorted; empty `allowed` entries are dropped.
  DecisionSet(std::string user, bool login_allowed, std::vector<std::string> profiles,
              std::vector<PermissionDecision> decisions, bool stale = false);

  const std::string& user() const { return user_; }
  bool login_allowed() const { return login_allowed_; }
  bool stale() const { return stale_; }  // decided offline from cached credentials
  const std::vector<std::string>& profiles() const { return profiles_; }
  const std::vector<PermissionDecision>& decisions() const { return decisions_; }

  // Hot path: no allocation, no lock. location/warehouse may be empty = none.
  bool Check(std::string_view permission, std::string_view location,
             std::string_view warehouse) const noexcept;

  // Wire form (docs/protocol.md): {"user","login","stale","profiles",
  //  "permissions":{"id":{"scope":"location","only":[..]}|{"scope":..,"except":[..]}}}
  nlohmann::json ToJson() const;
  static Result<DecisionSet> FromJson(const nlohmann::json& j);

 private:
  void BuildIndex();
  std::string user_;
  bool login_allowed_ = false;
  bool stale_ = false;
  std::vector<std::string> profiles_;
  std::vector<PermissionDecision> decisions_;  // sorted by permission
  // Open-addressing index over decisions_ (hash → slot), built once. Hash and
  // index side by side: one cache line per probe.
  struct Slot {
    uint64_t hash;
    uint32_t index;  // into decisions_; UINT32_MAX = empty
  };
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
};

}  // namespace idb
