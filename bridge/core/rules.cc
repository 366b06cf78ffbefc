// rules.cc — loads mappings/rules.yaml (format and semantics: the comment
// block at the top of that file and README "Mapping files").
#include <algorithm>
#include <map>

#include "core/dn.h"
#include "core/policy.h"
#include "core/yaml_reader.h"

namespace idb {
namespace {

constexpr int kMaxMatchDepth = 32;

const std::vector<std::string>& MatcherKeys() {
  static const std::vector<std::string> keys = {"group", "group_cn", "group_glob", "group_sid", "claim",
                                                "source", "user", "all", "any", "not", "client_network"};
  return keys;
}

std::vector<std::string> SortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

bool ValidSid(const std::string& s) {
  if (s.size() < 5 || (s[0] != 'S' && s[0] != 's') || s[1] != '-') return false;
  bool digit = false;
  for (size_t i = 2; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      digit = true;
    } else if (s[i] == '-' && digit) {
      digit = false;
    } else {
      return false;
    }
  }
  return digit;
}

class RuleParser {
 public:
  RuleParser(YamlReader& r, const Policy& policy) : r_(r), policy_(policy) {}

  bool ParseMatcher(const YAML::Node& node, int depth, Matcher* out) {
    out->where = r_.Where(node);
    if (depth > kMaxMatchDepth) {
      r_.Error(node, "match nested deeper than " + std::to_string(kMaxMatchDepth) + " levels");
      return false;
    }
    if (!node.IsDefined() || !node.IsMap()) {
      r_.Error(node, std::string("a matcher must be a map with one of group, group_cn, group_glob, group_sid, "
                                 "claim, source, user, client_network, all, any, not; not ") +
                         YamlTypeName(node));
      return false;
    }
    if (!r_.CheckKeys(node, MatcherKeys(), "match")) return false;
    if (node.size() != 1) {
      r_.Error(node, "a matcher has exactly one key (combine several with all: or any:)");
      return false;
    }
    const auto kv = *node.begin();
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "all" || key == "any") {
      out->kind = key == "all" ? Matcher::Kind::kAll : Matcher::Kind::kAny;
      if (!r_.ExpectList(v, "'" + key + "'")) return false;
      if (v.size() == 0) {
        r_.Error(v, "'" + key + "' needs at least one matcher");
        return false;
      }
      bool good = true;
      for (const auto& child : v) {
        Matcher m;
        if (ParseMatcher(child, depth + 1, &m)) {
          out->children.push_back(std::move(m));
        } else {
          good = false;
        }
      }
      return good;
    }
    if (key == "not") {
      out->kind = Matcher::Kind::kNot;
      Matcher m;
      if (!ParseMatcher(v, depth + 1, &m)) return false;
      out->children.push_back(std::move(m));
      return true;
    }
    if (key == "claim") {
      out->kind = Matcher::Kind::kClaim;
      if (!r_.ExpectMap(v, "'claim'")) return false;
      if (v.size() != 1) {
        r_.Error(v, "'claim' takes exactly one key: value (combine several with all:)");
        return false;
      }
      const auto ckv = *v.begin();
      if (!ckv.first.IsScalar() || ckv.first.Scalar().empty()) {
        r_.Error(ckv.first, "claim names must be non-empty strings");
        return false;
      }
      auto values = r_.AsStringList(ckv.second, "claim '" + ckv.first.Scalar() + "'", true);
      if (!values) return false;
      if (values->empty()) {
        r_.Error(ckv.second, "claim '" + ckv.first.Scalar() + "' needs at least one value");
        return false;
      }
      out->value = AsciiLower(ckv.first.Scalar());
      out->values = SortedUnique(*values);
      return true;
    }
    auto text = r_.AsString(v, "'" + key + "'");
    if (!text) return false;
    if (text->empty()) {
      r_.Error(v, "'" + key + "' must not be empty");
      return false;
    }
    if (key == "group") {
      out->kind = Matcher::Kind::kGroupDn;
      auto norm = NormalizeDn(*text);
      if (!norm.ok()) {
        r_.Error(v, "'group': " + norm.status().message() + " in '" + *text + "'");
        return false;
      }
      if (norm->empty()) {
        r_.Error(v, "'group': the empty (root) DN names no group");
        return false;
      }
      out->value = *norm;
    } else if (key == "group_cn") {
      out->kind = Matcher::Kind::kGroupCn;
      out->value = AsciiLower(*text);
    } else if (key == "group_sid") {
      out->kind = Matcher::Kind::kGroupSid;
      if (!ValidSid(*text)) {
        r_.Error(v, "'group_sid': '" + *text + "' is not a SID (S-1-5-21-...)");
        return false;
      }
      out->value = AsciiLower(*text);
    } else if (key == "user") {
      out->kind = Matcher::Kind::kUser;
      out->value = AsciiLower(*text);
    } else if (key == "client_network") {
      out->kind = Matcher::Kind::kClientNetwork;
      auto network = ParseIpNetwork(*text);
      if (!network.ok()) {
        r_.Error(v, "'client_network': " + network.status().message());
        return false;
      }
      out->value = network->ToString();
      out->network = *network;
    } else if (key == "group_glob" || key == "source") {
      out->kind = key == "source" ? Matcher::Kind::kSource : Matcher::Kind::kGroupGlob;
      std::string pattern = *text;
      if (out->kind == Matcher::Kind::kGroupGlob && pattern.find('=') != std::string::npos) {
        // Glob over normalised DNs: normalise the literal parts by lower-casing
        // and removing spaces around separators the way NormalizeDn does.
        out->glob_on_dn = true;
        std::string p;
        for (size_t i = 0; i < pattern.size(); ++i) {
          char c = pattern[i];
          if (c == ' ' && ((i + 1 < pattern.size() && (pattern[i + 1] == ',' || pattern[i + 1] == '=')) ||
                           (!p.empty() && (p.back() == ',' || p.back() == '=')))) {
            continue;
          }
          p.push_back(c);
        }
        pattern = AsciiLower(p);
      }
      auto g = Glob::Compile(pattern, true);
      if (!g.ok()) {
        r_.Error(v, "'" + key + "': " + g.status().message());
        return false;
      }
      out->value = *text;
      out->glob = std::move(g.value());
    }
    return true;
  }

  bool ParseScopeList(const YAML::Node& map, const std::string& key, std::optional<std::vector<std::string>>* out) {
    YAML::Node v = YamlReader::Find(map, key);
    if (!v.IsDefined()) return true;
    auto list = r_.AsStringList(v, "'" + key + "'", false);
    if (!list) return false;
    if (list->empty()) {
      r_.Error(v, "'" + key + "' is empty; remove the key to mean everywhere");
      return false;
    }
    const std::string what = key == "locations" ? "location" : "warehouse";
    bool names_ok = true;
    for (const auto& item : v) names_ok = r_.CheckName(item, what) && names_ok;
    if (!names_ok) return false;
    *out = SortedUnique(*list);
    return true;
  }

  bool ParseDeny(const YAML::Node& item, DenySpec* out) {
    out->where = r_.Where(item);
    YAML::Node pattern_node = item;
    if (item.IsMap()) {
      r_.CheckKeys(item, {"permission", "locations", "warehouses"}, "deny");
      pattern_node.reset(YamlReader::Find(item, "permission"));
      if (!pattern_node.IsDefined()) {
        r_.Error(item, "deny entry needs 'permission'");
        return false;
      }
      if (!ParseScopeList(item, "locations", &out->locations)) return false;
      if (!ParseScopeList(item, "warehouses", &out->warehouses)) return false;
    }
    auto pattern = r_.AsString(pattern_node, "deny permission");
    if (!pattern) return false;
    if (auto err = policy_.ValidateDenyPattern(*pattern)) {
      r_.Error(pattern_node, "deny: " + *err);
      return false;
    }
    out->pattern = *pattern;
    out->permissions = policy_.ExpandPattern(*pattern);
    return true;
  }

 private:
  YamlReader& r_;
  const Policy& policy_;
};

}  // namespace

bool LoadRulesNode(const YAML::Node& root, const std::string& file, Policy* policy,
                   std::vector<Diagnostic>* errors) {
  YamlReader r(file, errors);
  if (!r.ExpectMap(root, "the rules file")) return false;
  r.CheckKeys(root, {"version", "default", "rules"}, "the rules file");
  auto version = r.GetInt(root, "version", true);
  if (version && *version != 1)
    r.Error(YamlReader::Find(root, "version"),
            "unsupported rules version " + std::to_string(*version) + " (this build reads version 1)");

  auto profile_names = [&] {
    std::vector<std::string> names;
    for (const auto& p : policy->profiles()) names.push_back(p.name);
    return names;
  };
  auto resolve_profile = [&](const YAML::Node& at, const std::string& name) -> std::optional<ProfileId> {
    if (const Profile* p = policy->FindProfile(name)) return p->id;
    std::string msg = "unknown profile '" + name + "'";
    if (auto hint = DidYouMean(name, profile_names())) msg += " (did you mean '" + *hint + "'?)";
    r.Error(at, msg);
    return std::nullopt;
  };

  DefaultDecision def;
  YAML::Node dnode = YamlReader::Find(root, "default");
  if (dnode.IsDefined()) {
    def.where = r.Where(dnode);
    if (dnode.IsScalar() && dnode.Scalar() == "deny") {
      // deny login: the default
    } else if (dnode.IsMap()) {
      r.CheckKeys(dnode, {"profile"}, "default");
      if (auto name = r.GetString(dnode, "profile", true)) {
        def.profile = resolve_profile(YamlReader::Find(dnode, "profile"), *name);
      }
    } else {
      r.Error(dnode, "'default' must be deny or { profile: NAME }");
    }
  }
  policy->mutable_default() = def;

  YAML::Node rules = YamlReader::Find(root, "rules");
  std::vector<Rule> out;
  if (!rules.IsDefined()) {
    r.Error(root, "missing required key 'rules' (use 'rules: []' for none)");
  } else if (r.ExpectList(rules, "'rules'")) {
    RuleParser parser(r, *policy);
    std::map<std::string, SourceRef> names;
    for (const auto& node : rules) {
      if (!r.ExpectMap(node, "a rule")) continue;
      Rule rule;
      rule.where = r.Where(node);
      auto name = r.GetString(node, "name", true);
      const std::string what = name ? "rule '" + *name + "'" : "rule";
      r.CheckKeys(node, {"name", "description", "match", "grant_profiles", "locations", "warehouses", "deny"},
                  what);
      if (name) {
        if (!r.CheckName(YamlReader::Find(node, "name"), "rule name")) {
          // reported
        } else if (auto it = names.find(*name); it != names.end()) {
          r.Error(YamlReader::Find(node, "name"),
                  "duplicate rule name '" + *name + "' (first defined at " + it->second.ToString() + ")");
        } else {
          names[*name] = r.Where(YamlReader::Find(node, "name"));
        }
        rule.name = *name;
      }
      rule.description = r.GetString(node, "description", false).value_or("");
      YAML::Node match = YamlReader::Find(node, "match");
      if (!match.IsDefined()) {
        r.Error(node, what + " needs 'match'");
      } else {
        parser.ParseMatcher(match, 0, &rule.match);
      }
      YAML::Node grants = YamlReader::Find(node, "grant_profiles");
      if (grants.IsDefined()) {
        if (auto list = r.AsStringList(grants, "'grant_profiles'", true)) {
          std::vector<YAML::Node> items;
          if (grants.IsSequence()) {
            for (const auto& g : grants) items.push_back(g);
          } else {
            items.push_back(grants);
          }
          for (const auto& g : items) {
            if (auto id = resolve_profile(g, g.Scalar())) rule.profiles.push_back(*id);
          }
          std::sort(rule.profiles.begin(), rule.profiles.end());
          rule.profiles.erase(std::unique(rule.profiles.begin(), rule.profiles.end()), rule.profiles.end());
        }
      }
      parser.ParseScopeList(node, "locations", &rule.locations);
      parser.ParseScopeList(node, "warehouses", &rule.warehouses);
      if ((rule.locations || rule.warehouses) && !grants.IsDefined()) {
        r.Error(node, what + ": locations/warehouses scope a grant, but the rule has no grant_profiles "
                             "(scope a deny inside its deny entry instead)");
      }
      YAML::Node deny = YamlReader::Find(node, "deny");
      if (deny.IsDefined()) {
        std::vector<YAML::Node> items;
        if (deny.IsSequence()) {
          for (const auto& d : deny) items.push_back(d);
        } else if (deny.IsScalar() || deny.IsMap()) {
          items.push_back(deny);
        } else {
          r.Error(deny, "'deny' must be a list of permissions, not " + std::string(YamlTypeName(deny)));
        }
        for (const auto& d : items) {
          DenySpec spec;
          if (parser.ParseDeny(d, &spec)) rule.denies.push_back(std::move(spec));
        }
      }
      if (!grants.IsDefined() && !deny.IsDefined()) r.Error(node, what + " grants and denies nothing");
      rule.id = static_cast<RuleId>(out.size());
      rule.granted = PermissionBits(policy->catalog().size());
      for (ProfileId p : rule.profiles) rule.granted.Or(policy->profiles()[p].permissions);
      out.push_back(std::move(rule));
    }
  }
  if (!r.ok()) return false;
  policy->mutable_rules() = std::move(out);
  return true;
}

}  // namespace idb
