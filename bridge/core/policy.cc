// policy.cc — Policy lookups, the rule index (anchors), and LoadPolicy.
#include "core/policy.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/config.h"
#include "core/yaml_reader.h"

namespace idb {

const char* MatcherKindName(Matcher::Kind kind) {
  switch (kind) {
    case Matcher::Kind::kGroupDn: return "group";
    case Matcher::Kind::kGroupCn: return "group_cn";
    case Matcher::Kind::kGroupGlob: return "group_glob";
    case Matcher::Kind::kGroupSid: return "group_sid";
    case Matcher::Kind::kClaim: return "claim";
    case Matcher::Kind::kSource: return "source";
    case Matcher::Kind::kUser: return "user";
    case Matcher::Kind::kAll: return "all";
    case Matcher::Kind::kAny: return "any";
    case Matcher::Kind::kNot: return "not";
    case Matcher::Kind::kClientNetwork: return "client_network";
  }
  return "?";
}

std::string Matcher::Describe() const {
  switch (kind) {
    case Kind::kClaim: {
      std::string s = "claim " + value + (values.size() == 1 ? " = " : " in [");
      for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + values[i];
      return values.size() == 1 ? s : s + "]";
    }
    case Kind::kAll:
    case Kind::kAny: {
      std::string s = std::string(MatcherKindName(kind)) + "(";
      for (size_t i = 0; i < children.size(); ++i) s += (i ? ", " : "") + children[i].Describe();
      return s + ")";
    }
    case Kind::kNot: return "not(" + (children.empty() ? std::string() : children[0].Describe()) + ")";
    default: return std::string(MatcherKindName(kind)) + " " + value;
  }
}

const Profile* Policy::FindProfile(std::string_view name) const {
  if (profile_by_name_.size() == profiles_.size()) {
    auto it = profile_by_name_.find(std::string(name));
    return it == profile_by_name_.end() ? nullptr : &profiles_[it->second];
  }
  for (const auto& p : profiles_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const Rule* Policy::FindRule(std::string_view name) const {
  if (rule_by_name_.size() == rules_.size()) {
    auto it = rule_by_name_.find(std::string(name));
    return it == rule_by_name_.end() ? nullptr : &rules_[it->second];
  }
  for (const auto& r : rules_) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::optional<std::string> Policy::ValidatePermission(std::string_view id) const {
  if (catalog_.Find(id)) return std::nullopt;
  if (Glob::HasWildcards(id)) return "'" + std::string(id) + "' is a pattern; a single permission id is needed";
  return catalog_.UnknownPermissionMessage(id);
}

std::optional<std::string> Policy::ValidateDenyPattern(std::string_view pattern) const {
  if (!Glob::HasWildcards(pattern)) {
    if (catalog_.Find(pattern)) return std::nullopt;
    return catalog_.UnknownPermissionMessage(pattern);
  }
  auto g = Glob::Compile(pattern, false);
  if (!g.ok()) return g.status().message();
  if (ExpandPattern(pattern).empty()) return "pattern '" + std::string(pattern) + "' matches no permission";
  return std::nullopt;
}

std::vector<PermissionId> Policy::ExpandPattern(std::string_view pattern) const {
  std::vector<PermissionId> out;
  if (!Glob::HasWildcards(pattern)) {
    if (auto id = catalog_.Find(pattern)) out.push_back(*id);
    return out;
  }
  auto g = Glob::Compile(pattern, false);
  if (!g.ok()) return out;
  for (const auto& p : catalog_.permissions()) {
    if (g->Matches(p.name)) out.push_back(p.id);
  }
  return out;
}

std::vector<std::string> Policy::RequirementsOf(std::string_view id) const {
  std::vector<std::string> out;
  if (auto p = catalog_.Find(id)) {
    for (PermissionId r : catalog_.Get(*p).requires_all) out.push_back(catalog_.Get(r).name);
  }
  return out;
}

std::vector<std::string> Policy::RequiredBy(std::string_view id) const {
  std::vector<std::string> out;
  if (auto p = catalog_.Find(id)) {
    for (PermissionId r : catalog_.RequiredBy(*p)) out.push_back(catalog_.Get(r).name);
  }
  return out;
}

namespace {

bool Indexable(const Matcher& m) {
  switch (m.kind) {
    case Matcher::Kind::kGroupDn:
    case Matcher::Kind::kGroupCn:
    case Matcher::Kind::kGroupSid:
    case Matcher::Kind::kClaim:
    case Matcher::Kind::kUser: return true;
    default: return false;
  }
}

// Assigns leaf ids and fills the indexes.
void AssignLeaves(Matcher& m, RuleId rule, RuleIndex* index) {
  if (Indexable(m)) {
    m.leaf = static_cast<uint32_t>(index->leaf_rule.size());
    index->leaf_rule.push_back(rule);
    index->leaf_is_anchor.push_back(0);
    switch (m.kind) {
      case Matcher::Kind::kGroupDn: index->by_dn.Add(m.value, m.leaf); break;
      case Matcher::Kind::kGroupCn: index->by_cn.Add(m.value, m.leaf); break;
      case Matcher::Kind::kGroupSid: index->by_sid.Add(m.value, m.leaf); break;
      case Matcher::Kind::kUser: index->by_user.Add(m.value, m.leaf); break;
      case Matcher::Kind::kClaim:
        for (const auto& v : m.values) index->by_claim.Add(m.value + '\0' + v, m.leaf);
        break;
      default: break;
    }
    return;
  }
  if (m.kind == Matcher::Kind::kGroupGlob && m.glob_on_dn) index->any_dn_glob = true;
  for (auto& c : m.children) AssignLeaves(c, rule, index);
}

// Leaves at least one of which must fire for `m` to hold; false when there is
// no such set (the rule must always be evaluated).
bool Anchors(const Matcher& m, std::vector<uint32_t>* out) {
  if (Indexable(m)) {
    out->push_back(m.leaf);
    return true;
  }
  switch (m.kind) {
    case Matcher::Kind::kAll:
      for (const auto& c : m.children) {
        std::vector<uint32_t> a;
        if (Anchors(c, &a)) {
          out->insert(out->end(), a.begin(), a.end());
          return true;
        }
      }
      return false;
    case Matcher::Kind::kAny: {
      std::vector<uint32_t> all;
      for (const auto& c : m.children) {
        if (!Anchors(c, &all)) return false;
      }
      out->insert(out->end(), all.begin(), all.end());
      return true;
    }
    default: return false;
  }
}

}  // namespace

void Policy::Finish() {
  profile_by_name_.clear();
  rule_by_name_.clear();
  for (const auto& p : profiles_) profile_by_name_[p.name] = p.id;
  for (const auto& r : rules_) rule_by_name_[r.name] = r.id;
  index_ = RuleIndex{};
  for (auto& rule : rules_) {
    AssignLeaves(rule.match, rule.id, &index_);
    std::vector<uint32_t> anchors;
    if (Anchors(rule.match, &anchors)) {
      for (uint32_t leaf : anchors) index_.leaf_is_anchor[leaf] = 1;
    } else {
      index_.unanchored.push_back(rule.id);
    }
  }
  // Place names → bitsets.
  place_names_.clear();
  auto collect = [&](const std::optional<std::vector<std::string>>& l) {
    if (l) place_names_.insert(place_names_.end(), l->begin(), l->end());
  };
  for (const auto& rule : rules_) {
    collect(rule.locations);
    collect(rule.warehouses);
    for (const auto& d : rule.denies) {
      collect(d.locations);
      collect(d.warehouses);
    }
  }
  std::sort(place_names_.begin(), place_names_.end());
  place_names_.erase(std::unique(place_names_.begin(), place_names_.end()), place_names_.end());
  auto bits = [&](const std::optional<std::vector<std::string>>& l) {
    PermissionBits b(place_names_.size());
    if (l) {
      for (const auto& name : *l) {
        auto it = std::lower_bound(place_names_.begin(), place_names_.end(), name);
        b.Set(static_cast<uint32_t>(it - place_names_.begin()));
      }
    }
    return b;
  };
  for (auto& rule : rules_) {
    rule.location_bits = bits(rule.locations);
    rule.warehouse_bits = bits(rule.warehouses);
    for (auto& d : rule.denies) {
      d.location_bits = bits(d.locations);
      d.warehouse_bits = bits(d.warehouses);
    }
  }
  index_.by_dn.Build();
  index_.by_cn.Build();
  index_.by_sid.Build();
  index_.by_claim.Build();
  index_.by_user.Build();
}

namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

PolicyLoad Build(const std::optional<YAML::Node>& cat, const std::string& cat_name,
                 const std::optional<YAML::Node>& prof, const std::string& prof_name,
                 const std::optional<YAML::Node>& rules, const std::string& rules_name,
                 std::vector<Diagnostic> errors) {
  PolicyLoad load;
  auto policy = std::make_shared<Policy>();
  bool good = false;
  if (cat) {
    if (auto c = LoadCatalogNode(*cat, cat_name, &errors)) {
      policy->mutable_catalog() = std::move(*c);
      if (prof && LoadProfilesNode(*prof, prof_name, policy.get(), &errors)) {
        policy->Finish();  // name lookups for the rules loader
        good = rules && LoadRulesNode(*rules, rules_name, policy.get(), &errors);
      }
    }
  }
  load.errors = std::move(errors);
  if (good && load.errors.empty()) {
    policy->Finish();
    load.policy = std::move(policy);
  }
  return load;
}

}  // namespace

PolicyLoad LoadPolicy(const std::string& catalog_path, const std::string& profiles_path,
                      const std::string& rules_path) {
  try {
    std::vector<Diagnostic> errors;
    auto cat = LoadYamlFile(catalog_path, &errors);
    auto prof = LoadYamlFile(profiles_path, &errors);
    auto rules = LoadYamlFile(rules_path, &errors);
    PolicyLoad load = Build(cat, catalog_path, prof, profiles_path, rules, rules_path, std::move(errors));
    if (load.ok()) {
      std::string all, text;
      for (const auto* p : {&catalog_path, &profiles_path, &rules_path}) {
        if (ReadFile(*p, &text)) all += Sha256Hex(text);
      }
      std::const_pointer_cast<Policy>(load.policy)->set_files_hash(Sha256Hex(all));
    }
    return load;
  } catch (const std::exception& e) {
    PolicyLoad load;
    load.errors.push_back({catalog_path, 0, 0, std::string("internal error while loading: ") + e.what()});
    return load;
  }
}

PolicyLoad LoadPolicyFromStrings(const std::string& catalog_yaml, const std::string& profiles_yaml,
                                 const std::string& rules_yaml) {
  try {
    std::vector<Diagnostic> errors;
    auto cat = LoadYamlString(catalog_yaml, "catalog.yaml", &errors);
    auto prof = LoadYamlString(profiles_yaml, "profiles.yaml", &errors);
    auto rules = LoadYamlString(rules_yaml, "rules.yaml", &errors);
    return Build(cat, "catalog.yaml", prof, "profiles.yaml", rules, "rules.yaml", std::move(errors));
  } catch (const std::exception& e) {
    PolicyLoad load;
    load.errors.push_back({"policy", 0, 0, std::string("internal error while loading: ") + e.what()});
    return load;
  }
}

}  // namespace idb
