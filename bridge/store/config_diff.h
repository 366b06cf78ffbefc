// config_diff.h — what-if before deploying a mapping change: every known user
// evaluated under two policies, and what would change for them.
//
// Why: `idbridgectl diff --config NEW.yaml` answers "who gains or loses which
// permission or profile, and who can no longer log in" before IT deploys a
// mapping change. Inputs are the users' last-known identities (store
// known_users) and their current store adjustments; the engine (core/engine.h)
// does the evaluation, so the answer is exactly what the daemon would decide.
// Thread-safety: pure functions over const inputs.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/decision_set.h"
#include "core/identity.h"
#include "core/policy.h"
#include "core/user_adjustments.h"

namespace idb::store {

struct PermissionChange {
  std::string permission;
  ScopeKind kind = ScopeKind::kNone;
  ScopeSet gained;  // where the user may now do it and could not before (empty = nowhere)
  ScopeSet lost;    // where the user could and no longer may
};

struct UserDiff {
  std::string user;
  bool login_before = false;
  bool login_after = false;
  std::vector<std::string> profiles_gained;
  std::vector<std::string> profiles_lost;
  std::vector<PermissionChange> permissions;  // sorted by permission
  bool changed() const {
    return login_before != login_after || !profiles_gained.empty() || !profiles_lost.empty() || !permissions.empty();
  }
};

struct DiffInput {
  Identity identity;
  UserAdjustments adjustments;
};

struct DiffReport {
  int64_t users_checked = 0;
  std::vector<UserDiff> changed;  // only users with a change, sorted by user

  // {"users_checked","users_changed","changes":[{"user","login":{"before","after"},
  //   "profiles":{"gained","lost"},"permissions":[{"permission","scope","gained","lost"}]}]}
  // where gained/lost are null or {"everywhere":true} | {"only":[..]} | {"except":[..]}.
  nlohmann::json ToJson() const;
  // One line per change: "alice: can no longer log in", "bob: gains work_orders.delete only at Depot A".
  std::string ToText() const;
};

DecisionSet EvaluateForDiff(const Policy& policy, const DiffInput& in, SystemTime now);
UserDiff CompareDecisions(const std::string& user, const DecisionSet& before, const DecisionSet& after);
DiffReport DiffPolicies(const Policy& before, const Policy& after, const std::vector<DiffInput>& users,
                        SystemTime now);

// "everywhere", "only at A, B", "everywhere except at C" ("" for kNone everywhere).
std::string DescribeScope(ScopeKind kind, const ScopeSet& s);

}  // namespace idb::store
