// engine.h — the decision engine: (Policy, Identity, UserAdjustments, now) →
// DecisionSet, and the same computation with its reasons (Explain).
//
// Why: pure and deterministic (no I/O, time injected), so every semantic rule
// is unit-tested and `idbridgectl explain` shows exactly what the daemon does.
// Semantics (README "How a decision is made"):
//  1. every rule whose `match` holds applies; grants are the union of their
//     profiles, each limited to the rule's locations/warehouses (a scope list
//     applies to permissions of its kind; other kinds are granted unscoped);
//  2. if no matching rule grants a profile, `default:` applies (deny login, or
//     a named profile everywhere);
//  3. unexpired per-user grant overrides add permissions (optionally at one
//     location/warehouse) above the profiles;
//  4. every deny — rule or per-user — wins: a scoped deny removes those
//     places; a deny with no list of the permission's kind removes it entirely
//     (fail closed);
//  5. the per-user location/warehouse limit intersects everything of its kind
//     (an empty list = nowhere);
//  6. a permission holds only where all its requirements hold (an unscoped
//     requirement must hold at all);
//  7. login is allowed iff at least one profile was granted (rules or
//     default); otherwise "no profile mapped" and no permission at all.
// Thread-safety: pure functions over const inputs; safe to call concurrently
// on one shared Policy (each thread reuses its own thread-local scratch
// buffers, so a steady-state evaluation allocates little).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "core/decision_set.h"
#include "core/identity.h"
#include "core/policy.h"
#include "core/user_adjustments.h"

namespace idb {

// Fast path used by the daemon at every login/refresh.
DecisionSet Evaluate(const Policy& policy, const Identity& identity, const UserAdjustments& adjustments,
                     SystemTime now);

// Why one matcher leaf held: "group" matched "cn=mechanics,ou=groups,..." etc.
struct MatchReason {
  std::string matcher;  // "group", "group_cn", "group_glob", "group_sid", "claim", "source", "user", "not"
  std::string pattern;  // the rule's value ("department=Depot A", "Depot *")
  std::string matched;  // what satisfied it (group DN as given, claim value, source)
};

struct RuleMatch {
  std::string rule;
  std::string description;
  SourceRef where;
  std::vector<MatchReason> reasons;
  std::vector<std::string> profiles;                    // granted
  std::optional<std::vector<std::string>> locations;    // grant scope
  std::optional<std::vector<std::string>> warehouses;
  std::vector<std::string> denies;                      // patterns, with scope text
};

// Where one contribution to a permission came from.
struct Provenance {
  enum class Kind { kRule, kDefault, kOverride } kind = Kind::kRule;
  std::string rule;         // kRule
  std::string profile;      // kRule, kDefault
  int64_t override_id = 0;  // kOverride
  std::string pattern;      // denies: the pattern that matched
  ScopeSet scope;           // where this contribution holds
  std::string ToString() const;  // "rule depot-a → technicians @ only{Depot A}"
};

struct EffectivePermission {
  std::string permission;
  ScopeKind kind = ScopeKind::kNone;
  ScopeSet allowed;                      // final, never empty
  std::vector<Provenance> granted_by;
  std::vector<Provenance> denied_by;     // denies that removed some places
  std::vector<std::string> limited_by;   // "user location limit", "requires meter_entries.view"
};

struct Explanation {
  std::string user;
  std::string source;
  std::string client_address;              // Identity::client_address; empty = not given
  bool login_allowed = false;
  std::string verdict;                     // "allowed" or "no profile mapped"
  std::vector<std::string> profiles;       // granted, sorted
  bool default_applied = false;
  std::vector<RuleMatch> matched_rules;    // in file order
  std::vector<EffectivePermission> permissions;  // sorted by id
  // Permissions granted somewhere but removed entirely, and why.
  std::vector<EffectivePermission> removed;
  std::vector<std::string> notes;          // ignored expired overrides, unknown override permissions, …
  DecisionSet decisions;                   // identical to Evaluate()'s

  nlohmann::json ToJson() const;  // fields documented in README
  std::string ToText() const;     // human-readable
};

Explanation Explain(const Policy& policy, const Identity& identity, const UserAdjustments& adjustments,
                    SystemTime now);

// For the store: may this grant override be added?
//
// A grant holds only where the permission's requirements hold too (the
// engine enforces that), so the check asks whether the grant can ever take
// effect, not what the user's last-login snapshot happens to say:
// - kInvalidArgument: unknown permission (did you mean), a glob, or a
//   requirement that neither `current` holds at the grant's place nor any
//   rule or the default can give there ("grant REQ first");
// - otherwise the warnings to show the admin: requirements `current` lacks at
//   that place but that a rule could give (the grant then counts only where
//   the user also holds them). `current` is the user's decisions without this
//   override (their last-known identity, if any, plus their grant overrides);
//   `user_known` says whether that identity existed.
Result<std::vector<std::string>> ValidateOverrideGrant(const Policy& policy, const DecisionSet& current,
                                                       bool user_known, const UserOverride& grant);

}  // namespace idb
