// policy.h — the compiled, immutable mapping policy: catalog + profiles +
// rules (+ the rule indexes that make mapping a user fast).
//
// Why: the daemon loads a Policy once per (re)load and swaps a
// shared_ptr<const Policy>; evaluations read it without locks. Everything is
// validated at load time, so evaluation cannot fail.
// Files: mappings/catalog.yaml (catalog.h), mappings/profiles.yaml,
// mappings/rules.yaml — formats in their header comments and README
// "Mapping files".
// Ownership: built by LoadPolicy; immutable afterwards.
// Thread-safety: all const methods are safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/catalog.h"
#include "core/diagnostic.h"
#include "core/flat_index.h"
#include "core/glob.h"
#include "core/ip_network.h"
#include "core/permission_bits.h"

namespace idb {

using ProfileId = uint32_t;
using RuleId = uint32_t;

// How a profile sets one module (before compilation into bits).
struct ModuleSetting {
  enum class Kind { kFull, kNone, kActions } kind = Kind::kNone;
  std::vector<std::string> actions;  // kActions: names or globs as written
};

struct Profile {
  ProfileId id = 0;
  std::string name;
  std::string description;
  std::vector<std::string> inherits;
  PermissionBits permissions;  // compiled, requirements included-and-checked
  SourceRef where;
};

// One node of a rule's `match:` tree. Values are stored normalised:
// kGroupDn → NormalizeDn; kGroupCn/kGroupSid → ASCII lower-case;
// kClaim → key lower-cased, values exact.
struct Matcher {
  enum class Kind { kGroupDn, kGroupCn, kGroupGlob, kGroupSid, kClaim, kSource, kUser, kAll, kAny, kNot,
                    kClientNetwork };
  Kind kind = Kind::kAll;
  std::string value;                // DN / CN / SID / claim key / glob text / user
  std::vector<std::string> values;  // kClaim: accepted values (any of)
  std::optional<Glob> glob;         // kGroupGlob (on CN, or on the normalised DN when the pattern has '='), kSource
  bool glob_on_dn = false;
  std::optional<IpNetwork> network;  // kClientNetwork (value: its canonical text)
  std::vector<Matcher> children;    // kAll / kAny / kNot (exactly one)
  uint32_t leaf = UINT32_MAX;       // indexable leaves (DN, CN, SID, claim, user): global leaf id
  SourceRef where;
  // "group = cn=mechanics,ou=groups,dc=fleet,dc=test", "claim department in [Depot A]"
  std::string Describe() const;
};
const char* MatcherKindName(Matcher::Kind kind);  // "group", "group_cn", "group_glob", ...

struct DenySpec {
  std::string pattern;                                  // as written ("*.delete")
  std::vector<PermissionId> permissions;                // expanded from the catalog
  std::optional<std::vector<std::string>> locations;    // scope of the deny (sorted)
  std::optional<std::vector<std::string>> warehouses;
  SourceRef where;
  // The same lists as bitsets over Policy::place_names() (set by Finish()).
  PermissionBits location_bits, warehouse_bits;
};

struct Rule {
  RuleId id = 0;
  std::string name;
  std::string description;
  Matcher match;
  std::vector<ProfileId> profiles;                      // grant_profiles
  std::optional<std::vector<std::string>> locations;    // scope of the grant (sorted, unique)
  std::optional<std::vector<std::string>> warehouses;
  std::vector<DenySpec> denies;
  PermissionBits granted;                               // union of `profiles`
  SourceRef where;
  // `locations` / `warehouses` as bitsets over Policy::place_names() (set by Finish()).
  PermissionBits location_bits, warehouse_bits;
};

// What an authenticated user whom no rule grants a profile gets.
struct DefaultDecision {
  std::optional<ProfileId> profile;  // nullopt = deny login (the default)
  SourceRef where;
};

// Indexes from identity facts to the indexable matcher leaves that need them
// (built by Policy::Finish). Every indexable leaf of every rule has a global
// leaf id. A rule is evaluated only if one of its anchor leaves fires (a leaf
// its match tree cannot hold without), or if it is in `unanchored` (globs,
// `not`, `source`, `any` with an unindexable branch).
struct RuleIndex {
  FlatIndex by_dn;     // normalised DN → leaf ids
  FlatIndex by_cn;     // lower-case CN
  FlatIndex by_sid;    // lower-case SID
  FlatIndex by_claim;  // lower(key) + '\0' + value
  FlatIndex by_user;   // lower-case user name
  std::vector<RuleId> leaf_rule;        // leaf id → rule
  std::vector<uint8_t> leaf_is_anchor;  // leaf id → 1 when it anchors its rule
  std::vector<RuleId> unanchored;       // sorted
  bool any_dn_glob = false;             // some rule globs normalised DNs
};

class Policy {
 public:
  const Catalog& catalog() const { return catalog_; }
  const std::vector<Profile>& profiles() const { return profiles_; }
  const std::vector<Rule>& rules() const { return rules_; }
  const DefaultDecision& default_decision() const { return default_; }
  const RuleIndex& index() const { return index_; }
  // Every location/warehouse name the rules mention, sorted; rule scopes are
  // bitsets over it so unions during evaluation need no string compares.
  const std::vector<std::string>& place_names() const { return place_names_; }

  const Profile* FindProfile(std::string_view name) const;
  const Rule* FindRule(std::string_view name) const;

  // nullopt when `id` names a catalog permission; otherwise the error text
  // ("unknown permission 'x' (did you mean 'y'?)"). Globs are not accepted.
  std::optional<std::string> ValidatePermission(std::string_view id) const;
  // Same, but a deny pattern may be a glob that must match something.
  std::optional<std::string> ValidateDenyPattern(std::string_view pattern) const;
  // Names of the permissions `id` requires (transitively) / that require it.
  std::vector<std::string> RequirementsOf(std::string_view id) const;
  std::vector<std::string> RequiredBy(std::string_view id) const;
  // Permission ids a deny pattern (exact id or glob) covers.
  std::vector<PermissionId> ExpandPattern(std::string_view pattern) const;

  // For the security log: sha256 hex over the loaded files (set by the loader).
  const std::string& files_hash() const { return files_hash_; }

  // Builders (the loaders and tests). Finish() builds the rule index.
  Catalog& mutable_catalog() { return catalog_; }
  std::vector<Profile>& mutable_profiles() { return profiles_; }
  std::vector<Rule>& mutable_rules() { return rules_; }
  DefaultDecision& mutable_default() { return default_; }
  void set_files_hash(std::string h) { files_hash_ = std::move(h); }
  void Finish();

 private:
  Catalog catalog_;
  std::vector<Profile> profiles_;
  std::vector<Rule> rules_;
  DefaultDecision default_;
  RuleIndex index_;
  std::vector<std::string> place_names_;
  std::unordered_map<std::string, ProfileId> profile_by_name_;
  std::unordered_map<std::string, RuleId> rule_by_name_;
  std::string files_hash_;
};

struct PolicyLoad {
  std::shared_ptr<const Policy> policy;  // null when errors is non-empty
  std::vector<Diagnostic> errors;
  bool ok() const { return policy != nullptr; }
};

// Loads the three mapping files. Never throws; every problem is a Diagnostic.
PolicyLoad LoadPolicy(const std::string& catalog_path, const std::string& profiles_path,
                      const std::string& rules_path);
// Same from in-memory YAML text (tests); names are used in diagnostics.
PolicyLoad LoadPolicyFromStrings(const std::string& catalog_yaml, const std::string& profiles_yaml,
                                 const std::string& rules_yaml);

// Individual loaders (profiles need the catalog, rules need profiles).
bool LoadProfilesNode(const YAML::Node& root, const std::string& file, Policy* policy,
                      std::vector<Diagnostic>* errors);
bool LoadRulesNode(const YAML::Node& root, const std::string& file, Policy* policy,
                   std::vector<Diagnostic>* errors);

}  // namespace idb
