// catalog.cc — Catalog lookups, requirement closure, and the catalog.yaml loader.
#include "core/catalog.h"

#include <algorithm>
#include <functional>

#include "core/yaml_reader.h"

namespace idb {
namespace {

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  if (!(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::optional<ScopeKind> ParseScope(const std::string& s) {
  if (s == "location") return ScopeKind::kLocation;
  if (s == "warehouse") return ScopeKind::kWarehouse;
  if (s == "none") return ScopeKind::kNone;
  return std::nullopt;
}

}  // namespace

std::optional<PermissionId> Catalog::Find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

const ModuleInfo* Catalog::FindModule(std::string_view name) const {
  auto it = module_by_name_.find(std::string(name));
  return it == module_by_name_.end() ? nullptr : &modules_[it->second];
}

std::vector<PermissionId> Catalog::RequiredBy(PermissionId id) const {
  std::vector<PermissionId> out;
  for (const auto& p : permissions_) {
    if (std::binary_search(p.requires_all.begin(), p.requires_all.end(), id)) out.push_back(p.id);
  }
  return out;
}

std::vector<std::string> Catalog::PermissionNames() const {
  std::vector<std::string> out;
  out.reserve(permissions_.size());
  for (const auto& p : permissions_) out.push_back(p.name);
  return out;
}

std::vector<std::string> Catalog::ModuleNames() const {
  std::vector<std::string> out;
  for (const auto& m : modules_) out.push_back(m.name);
  return out;
}

std::string Catalog::UnknownPermissionMessage(std::string_view name) const {
  std::string msg = "unknown permission '" + std::string(name) + "'";
  if (auto hint = DidYouMean(name, PermissionNames())) msg += " (did you mean '" + *hint + "'?)";
  return msg;
}

bool Catalog::AddModule(ModuleInfo module) {
  if (module_by_name_.count(module.name)) return false;
  module_by_name_[module.name] = modules_.size();
  modules_.push_back(std::move(module));
  return true;
}

std::optional<PermissionId> Catalog::AddPermission(PermissionInfo info) {
  auto mit = module_by_name_.find(info.module);
  if (mit == module_by_name_.end()) return std::nullopt;
  info.name = info.module + "." + info.action;
  if (by_name_.count(info.name)) return std::nullopt;
  info.id = static_cast<PermissionId>(permissions_.size());
  info.kind = modules_[mit->second].kind;
  modules_[mit->second].permissions.push_back(info.id);
  by_name_[info.name] = info.id;
  permissions_.push_back(std::move(info));
  return permissions_.back().id;
}

bool Catalog::Finish(std::vector<Diagnostic>* errors) {
  bool good = true;
  // Scope compatibility.
  for (const auto& p : permissions_) {
    for (PermissionId r : p.requires_direct) {
      const auto& q = permissions_[r];
      if (q.kind != p.kind && q.kind != ScopeKind::kNone) {
        errors->push_back({p.where.file, p.where.line, p.where.column,
                           p.name + " (" + ScopeKindName(p.kind) + "-scoped) cannot require " + q.name + " (" +
                               ScopeKindName(q.kind) + "-scoped)"});
        good = false;
      }
    }
  }
  // Topological order and cycle detection (iterative DFS colours).
  std::vector<int> colour(permissions_.size(), 0);  // 0 new, 1 on stack, 2 done
  topo_.clear();
  for (PermissionId start = 0; start < permissions_.size(); ++start) {
    if (colour[start]) continue;
    std::vector<std::pair<PermissionId, size_t>> stack{{start, 0}};
    colour[start] = 1;
    while (!stack.empty()) {
      auto& [id, next] = stack.back();
      const auto& reqs = permissions_[id].requires_direct;
      if (next < reqs.size()) {
        PermissionId r = reqs[next++];
        if (colour[r] == 1) {
          const auto& p = permissions_[id];
          errors->push_back({p.where.file, p.where.line, p.where.column,
                             "requirement cycle: " + p.name + " requires " + permissions_[r].name +
                                 ", which requires it back"});
          good = false;
        } else if (colour[r] == 0) {
          colour[r] = 1;
          stack.push_back({r, 0});
        }
      } else {
        colour[id] = 2;
        topo_.push_back(id);
        stack.pop_back();
      }
    }
  }
  if (!good) return false;
  for (PermissionId id : topo_) {
    auto& p = permissions_[id];
    std::vector<PermissionId> all;
    for (PermissionId r : p.requires_direct) {
      all.push_back(r);
      all.insert(all.end(), permissions_[r].requires_all.begin(), permissions_[r].requires_all.end());
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    p.requires_all = std::move(all);
  }
  name_order_.resize(permissions_.size());
  for (PermissionId id = 0; id < permissions_.size(); ++id) name_order_[id] = id;
  std::sort(name_order_.begin(), name_order_.end(),
            [&](PermissionId a, PermissionId b) { return permissions_[a].name < permissions_[b].name; });
  return true;
}

std::optional<Catalog> LoadCatalogNode(const YAML::Node& root, const std::string& file,
                                       std::vector<Diagnostic>* errors) {
  YamlReader r(file, errors);
  if (!r.ExpectMap(root, "the catalog file")) return std::nullopt;
  r.CheckKeys(root, {"version", "modules"}, "the catalog file");
  auto version = r.GetInt(root, "version", true);
  if (version && *version != 1) r.Error(YamlReader::Find(root, "version"), "unsupported catalog version " + std::to_string(*version) + " (this build reads version 1)");
  YAML::Node modules = YamlReader::Find(root, "modules");
  if (!modules.IsDefined()) {
    r.Error(root, "missing required key 'modules'");
    return std::nullopt;
  }
  if (!r.ExpectMap(modules, "'modules'")) return std::nullopt;

  Catalog catalog;
  struct PendingReq {
    PermissionId from;
    std::string text;
    YAML::Node node;
  };
  std::vector<PendingReq> pending;
  for (const auto& kv : modules) {
    if (!kv.first.IsScalar()) continue;  // reported by CheckKeys-like check below
    const std::string name = kv.first.Scalar();
    if (!ValidName(name)) {
      r.Error(kv.first, "module name '" + name + "' must be lower_snake_case");
      continue;
    }
    const YAML::Node& m = kv.second;
    if (!r.ExpectMap(m, "module '" + name + "'")) continue;
    r.CheckKeys(m, {"title", "description", "scope", "source", "actions"}, "module '" + name + "'");
    ModuleInfo info;
    info.name = name;
    info.where = r.Where(kv.first);
    info.title = r.GetString(m, "title", true).value_or(name);
    info.source = r.GetString(m, "source", false).value_or("");
    r.GetString(m, "description", false);
    if (auto scope = r.GetString(m, "scope", true)) {
      if (auto k = ParseScope(*scope)) {
        info.kind = *k;
      } else {
        r.Error(YamlReader::Find(m, "scope"), "scope must be location, warehouse or none, not '" + *scope + "'");
      }
    }
    if (!catalog.AddModule(info)) {
      r.Error(kv.first, "duplicate module '" + name + "'");
      continue;
    }
    YAML::Node actions = YamlReader::Find(m, "actions");
    if (!actions.IsDefined()) {
      r.Error(m, "module '" + name + "' has no 'actions'");
      continue;
    }
    if (!r.ExpectMap(actions, "actions of '" + name + "'")) continue;
    if (actions.size() == 0) r.Error(actions, "module '" + name + "' has no actions");
    for (const auto& akv : actions) {
      if (!akv.first.IsScalar()) {
        r.Error(akv.first, "action names must be strings");
        continue;
      }
      const std::string action = akv.first.Scalar();
      if (!ValidName(action)) {
        r.Error(akv.first, "action name '" + action + "' must be lower_snake_case");
        continue;
      }
      const YAML::Node& a = akv.second;
      const std::string what = "permission '" + name + "." + action + "'";
      if (!r.ExpectMap(a, what)) continue;
      r.CheckKeys(a, {"title", "description", "requires"}, what);
      PermissionInfo p;
      p.module = name;
      p.action = action;
      p.where = r.Where(akv.first);
      p.title = r.GetString(a, "title", true).value_or(action);
      p.description = r.GetString(a, "description", false).value_or("");
      auto id = catalog.AddPermission(p);
      if (!id) {
        r.Error(akv.first, "duplicate " + what);
        continue;
      }
      YAML::Node reqs = YamlReader::Find(a, "requires");
      if (reqs.IsDefined()) {
        if (r.AsStringList(reqs, "'requires'", true)) {
          std::vector<YAML::Node> items;
          if (reqs.IsSequence()) {
            for (const auto& item : reqs) items.push_back(item);
          } else {
            items.push_back(reqs);
          }
          for (const auto& item : items) {
            const std::string text = item.Scalar();
            pending.push_back({*id, text.find('.') == std::string::npos ? name + "." + text : text, item});
          }
        }
      }
    }
  }
  // Resolve requirements now that every permission is known.
  for (const auto& req : pending) {
    auto target = catalog.Find(req.text);
    if (!target) {
      r.Error(req.node, "'requires': " + catalog.UnknownPermissionMessage(req.text));
      continue;
    }
    if (*target == req.from) {
      r.Error(req.node, catalog.Get(req.from).name + " cannot require itself");
      continue;
    }
    catalog.AddRequirement(req.from, *target);
  }
  if (!r.ok()) return std::nullopt;
  if (catalog.size() == 0) {
    r.Error(modules, "the catalog defines no permissions");
    return std::nullopt;
  }
  if (!catalog.Finish(errors)) return std::nullopt;
  return catalog;
}

std::optional<Catalog> LoadCatalog(const std::string& path, std::vector<Diagnostic>* errors) {
  auto root = LoadYamlFile(path, errors);
  if (!root) return std::nullopt;
  return LoadCatalogNode(*root, path, errors);
}

}  // namespace idb
