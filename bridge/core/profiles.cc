// profiles.cc — loads mappings/profiles.yaml into compiled Profiles.
//
// Per module: `full`, `none`, or a list of actions (globs allowed, e.g.
// "view*"); the key "*" sets every module first. `inherits: [a, b]` starts
// from the union of the parents; each module the profile names then replaces
// the inherited setting ("clone, then edit"). Cycles, unknown modules/actions
// and grants that miss a required permission are errors.
#include <algorithm>
#include <functional>
#include <map>

#include "core/policy.h"
#include "core/yaml_reader.h"

namespace idb {
namespace {

struct RawProfile {
  std::string name;
  YAML::Node name_node;
  YAML::Node body;
  std::vector<std::string> inherits;
  YAML::Node inherits_node;
};

bool ValidProfileName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
          c == '.'))
      return false;
  }
  return true;
}

// Applies one module setting node to `bits` for module `m` (replacing it).
// Returns false on error (reported).
bool ApplySetting(YamlReader& r, const Catalog& catalog, const ModuleInfo& m, const YAML::Node& value,
                  PermissionBits* bits, bool from_star, std::vector<bool>* pattern_used) {
  for (PermissionId id : m.permissions) bits->Reset(id);
  if (value.IsScalar()) {
    const std::string v = value.Scalar();
    if (v == "full") {
      for (PermissionId id : m.permissions) bits->Set(id);
      return true;
    }
    if (v == "none") return true;
    r.Error(value, "module setting must be full, none or a list of actions, not '" + v + "'");
    return false;
  }
  if (!value.IsSequence()) {
    r.Error(value, std::string("module setting must be full, none or a list of actions, not ") + YamlTypeName(value));
    return false;
  }
  bool good = true;
  size_t i = 0;
  for (const auto& item : value) {
    if (!item.IsScalar()) {
      r.Error(item, std::string("each action must be a string, not ") + YamlTypeName(item));
      good = false;
      ++i;
      continue;
    }
    const std::string a = item.Scalar();
    if (Glob::HasWildcards(a)) {
      auto g = Glob::Compile(a, false);
      if (!g.ok()) {
        r.Error(item, g.status().message());
        good = false;
        ++i;
        continue;
      }
      for (PermissionId id : m.permissions) {
        if (g->Matches(catalog.Get(id).action)) {
          bits->Set(id);
          if (pattern_used) (*pattern_used)[i] = true;
        }
      }
      if (!from_star && !pattern_used) {
        bool any = false;
        for (PermissionId id : m.permissions) any = any || g->Matches(catalog.Get(id).action);
        if (!any) {
          r.Error(item, "action pattern '" + a + "' matches no action of module '" + m.name + "'");
          good = false;
        }
      }
    } else {
      bool found = false;
      for (PermissionId id : m.permissions) {
        if (catalog.Get(id).action == a) {
          bits->Set(id);
          found = true;
          if (pattern_used) (*pattern_used)[i] = true;
        }
      }
      if (!found && !from_star) {
        std::vector<std::string> names;
        for (PermissionId id : m.permissions) names.push_back(catalog.Get(id).action);
        std::string msg = "unknown action '" + a + "' in module '" + m.name + "'";
        if (auto hint = DidYouMean(a, names)) msg += " (did you mean '" + *hint + "'?)";
        r.Error(item, msg);
        good = false;
      }
    }
    ++i;
  }
  return good;
}

}  // namespace

bool LoadProfilesNode(const YAML::Node& root, const std::string& file, Policy* policy,
                      std::vector<Diagnostic>* errors) {
  YamlReader r(file, errors);
  const Catalog& catalog = policy->catalog();
  if (!r.ExpectMap(root, "the profiles file")) return false;
  r.CheckKeys(root, {"version", "profiles"}, "the profiles file");
  auto version = r.GetInt(root, "version", true);
  if (version && *version != 1)
    r.Error(YamlReader::Find(root, "version"),
            "unsupported profiles version " + std::to_string(*version) + " (this build reads version 1)");
  YAML::Node profiles = YamlReader::Find(root, "profiles");
  if (!profiles.IsDefined()) {
    r.Error(root, "missing required key 'profiles'");
    return false;
  }
  if (!r.ExpectMap(profiles, "'profiles'")) return false;

  std::vector<RawProfile> raws;
  std::map<std::string, size_t> by_name;
  for (const auto& kv : profiles) {
    if (!kv.first.IsScalar()) {
      r.Error(kv.first, "profile names must be strings");
      continue;
    }
    RawProfile raw;
    raw.name = kv.first.Scalar();
    raw.name_node.reset(kv.first);
    raw.body.reset(kv.second);
    if (!ValidProfileName(raw.name)) {
      r.Error(kv.first, "profile name '" + raw.name + "' may use only letters, digits, '_', '-', '.'");
      continue;
    }
    if (by_name.count(raw.name)) {
      r.Error(kv.first, "duplicate profile '" + raw.name + "'");
      continue;
    }
    const std::string what = "profile '" + raw.name + "'";
    if (!r.ExpectMap(raw.body, what)) continue;
    r.CheckKeys(raw.body, {"description", "inherits", "modules"}, what);
    r.GetString(raw.body, "description", false);
    raw.inherits_node.reset(YamlReader::Find(raw.body, "inherits"));
    if (raw.inherits_node.IsDefined()) {
      if (auto list = r.AsStringList(raw.inherits_node, "'inherits'", true)) raw.inherits = *list;
    }
    YAML::Node modules = YamlReader::Find(raw.body, "modules");
    if (modules.IsDefined()) {
      if (r.ExpectMap(modules, "'modules' of " + what)) {
        std::vector<std::string> allowed = catalog.ModuleNames();
        allowed.push_back("*");
        r.CheckKeys(modules, allowed, "'modules' of " + what);
      }
    }
    by_name[raw.name] = raws.size();
    raws.push_back(std::move(raw));
  }
  // Unknown parents.
  for (const auto& raw : raws) {
    for (const auto& parent : raw.inherits) {
      if (!by_name.count(parent)) {
        std::vector<std::string> names;
        for (const auto& [n, _] : by_name) names.push_back(n);
        std::string msg = "profile '" + raw.name + "' inherits unknown profile '" + parent + "'";
        if (auto hint = DidYouMean(parent, names)) msg += " (did you mean '" + *hint + "'?)";
        r.Error(raw.inherits_node, msg);
      }
    }
  }
  if (!r.ok()) return false;

  // Compile in dependency order with cycle detection.
  std::vector<int> state(raws.size(), 0);  // 0 new, 1 in progress, 2 done
  std::vector<PermissionBits> bits(raws.size(), PermissionBits(catalog.size()));
  std::vector<std::string> path;
  std::function<bool(size_t)> compile = [&](size_t i) -> bool {
    if (state[i] == 2) return true;
    if (state[i] == 1) {
      std::string cycle;
      for (const auto& p : path) cycle += p + " -> ";
      r.Error(raws[i].inherits_node.IsDefined() ? raws[i].inherits_node : raws[i].name_node,
              "inherits cycle: " + cycle + raws[i].name);
      return false;
    }
    state[i] = 1;
    path.push_back(raws[i].name);
    const RawProfile& raw = raws[i];
    PermissionBits b(catalog.size());
    bool good = true;
    for (const auto& parent : raw.inherits) {
      size_t p = by_name[parent];
      if (!compile(p)) {
        good = false;
        break;
      }
      b.Or(bits[p]);
    }
    path.pop_back();
    if (!good) {
      state[i] = 2;
      return false;
    }
    YAML::Node modules = YamlReader::Find(raw.body, "modules");
    if (modules.IsDefined() && modules.IsMap()) {
      YAML::Node star = YamlReader::Find(modules, "*");
      if (star.IsDefined()) {
        std::vector<bool> used(star.IsSequence() ? star.size() : 0, false);
        for (const auto& m : catalog.modules()) {
          good = ApplySetting(r, catalog, m, star, &b, true, &used) && good;
          if (!good) break;
        }
        if (good && star.IsSequence()) {
          size_t k = 0;
          for (const auto& item : star) {
            if (!used[k]) {
              r.Error(item, "action '" + item.Scalar() + "' matches no action of any module");
              good = false;
            }
            ++k;
          }
        }
      }
      for (const auto& kv : modules) {
        if (!kv.first.IsScalar() || kv.first.Scalar() == "*") continue;
        const ModuleInfo* m = catalog.FindModule(kv.first.Scalar());
        if (!m) continue;  // reported by CheckKeys
        good = ApplySetting(r, catalog, *m, kv.second, &b, false, nullptr) && good;
      }
    }
    // Every granted permission must come with its requirements.
    if (good) {
      b.ForEach([&](uint32_t id) {
        for (PermissionId req : catalog.Get(id).requires_all) {
          if (!b.Test(req)) {
            r.Error(raw.name_node, "profile '" + raw.name + "' grants " + catalog.Get(id).name +
                                       " without its required permission " + catalog.Get(req).name);
            good = false;
          }
        }
      });
    }
    bits[i] = std::move(b);
    state[i] = 2;
    return good;
  };
  bool all_good = true;
  for (size_t i = 0; i < raws.size(); ++i) {
    if (state[i] == 0) all_good = compile(i) && all_good;
  }
  if (!all_good || !r.ok()) return false;

  auto& out = policy->mutable_profiles();
  out.clear();
  for (size_t i = 0; i < raws.size(); ++i) {
    Profile p;
    p.id = static_cast<ProfileId>(i);
    p.name = raws[i].name;
    p.description = r.GetString(raws[i].body, "description", false).value_or("");
    p.inherits = raws[i].inherits;
    p.permissions = std::move(bits[i]);
    p.where = r.Where(raws[i].name_node);
    out.push_back(std::move(p));
  }
  return true;
}

}  // namespace idb
