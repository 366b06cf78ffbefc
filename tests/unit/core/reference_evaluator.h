// reference_evaluator.h — a deliberately naive model of a policy and a user,
// and a point-by-point evaluator of README "How a decision is made", written
// independently of bridge/core (no ScopeSets, no indexes, no bitsets): it
// answers "is permission P allowed at place X" by re-deriving every rule
// from scratch. The differential test renders the same model to YAML, loads
// it with the real loaders, and compares DecisionSet::Check with this.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace idb::reference {

enum class Kind { kNone, kLocation, kWarehouse };

struct Perm {
  std::string module, action;
  Kind kind = Kind::kNone;
  std::vector<int> requires_;  // indices into Model::perms (same module)
  std::string Name() const { return module + "." + action; }
};

// A permission pattern: exact id, "*.action" or "module.*".
struct Pattern {
  enum class Type { kExact, kAnyModule, kAnyAction } type = Type::kExact;
  std::string module, action;
  std::string Text() const;
  bool Covers(const Perm& p) const;
};

struct Matcher {
  enum class Type { kGroupDn, kGroupCn, kGlobAll, kGlobLow, kClaim, kAll, kAny, kNot } type = Type::kGroupDn;
  int group = 0;                       // kGroupDn / kGroupCn
  std::vector<std::string> depts;      // kClaim (any of)
  std::vector<Matcher> children;
};

struct Deny {
  Pattern pattern;
  std::optional<std::vector<std::string>> locations, warehouses;
};

struct Rule {
  std::string name;
  Matcher match;
  std::vector<int> profiles;
  std::optional<std::vector<std::string>> locations, warehouses;
  std::vector<Deny> denies;
};

struct Profile {
  std::string name;
  std::vector<bool> perms;  // by perm index
};

struct Model {
  std::vector<std::string> module_names;
  std::vector<Kind> module_kinds;
  std::vector<Perm> perms;
  std::vector<Profile> profiles;
  std::vector<Rule> rules;
  std::optional<int> default_profile;
};

struct Override {
  bool grant = true;
  int perm = 0;             // grants
  Pattern pattern;          // denies
  std::optional<std::string> location, warehouse;
  bool expired = false;
};

struct User {
  std::vector<int> groups;              // group i is "CN=G<i>,OU=Groups,DC=t"
  std::vector<std::string> depts;       // claim "department"
  std::vector<Override> overrides;
  std::optional<std::vector<std::string>> loc_limit, wh_limit;
};

// Every place name the generator uses (for "everywhere" questions).
const std::vector<std::string>& AllLocations();
const std::vector<std::string>& AllWarehouses();

bool LoginAllowed(const Model& m, const User& u);
// The answer DecisionSet::Check(perm, location, warehouse) must give.
bool Check(const Model& m, const User& u, int perm, const std::string& location, const std::string& warehouse);

}  // namespace idb::reference
