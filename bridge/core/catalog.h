// catalog.h — the permission catalog: every `module.action` the fleet
// application knows, with titles, scope kinds and requirements.
//
// Why: permissions are interned once (PermissionId = dense index), so profiles
// are bitsets and decisions never compare strings except at the edges.
// Loaded from mappings/catalog.yaml (format at the top of that file):
//   version: 1
//   modules:
//     meter_entries:
//       title: Meter Entries
//       scope: location            # location | warehouse | none
//       source: fleetio            # which reference it comes from (informative)
//       actions:
//         view: { title: View, description: ... }
//         edit: { title: Edit, description: ..., requires: [view] }  # or "module.action"
// Requirements must be acyclic and keep the scope kind (or require an
// unscoped permission); both are validated.
// Ownership: immutable after LoadCatalog; shared by Policy.
// Thread-safety: const methods are safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/decision_set.h"
#include "core/diagnostic.h"

namespace idb {

using PermissionId = uint32_t;

struct PermissionInfo {
  PermissionId id = 0;
  std::string name;         // "meter_entries.edit"
  std::string module;       // "meter_entries"
  std::string action;       // "edit"
  std::string title;
  std::string description;
  ScopeKind kind = ScopeKind::kNone;
  std::vector<PermissionId> requires_direct;  // as written
  std::vector<PermissionId> requires_all;     // transitive closure, sorted
  SourceRef where;
};

struct ModuleInfo {
  std::string name;   // "meter_entries"
  std::string title;  // "Meter Entries"
  std::string source; // "fleetio", "fleet_maintenance_pro"
  ScopeKind kind = ScopeKind::kNone;
  std::vector<PermissionId> permissions;  // in file order
  SourceRef where;
};

class Catalog {
 public:
  const std::vector<PermissionInfo>& permissions() const { return permissions_; }  // index = id
  const std::vector<ModuleInfo>& modules() const { return modules_; }
  size_t size() const { return permissions_.size(); }

  std::optional<PermissionId> Find(std::string_view name) const;
  const PermissionInfo& Get(PermissionId id) const { return permissions_[id]; }
  const ModuleInfo* FindModule(std::string_view name) const;
  // Permissions in a topological order (requirements first).
  const std::vector<PermissionId>& topo_order() const { return topo_; }
  // Permissions sorted by name (set by Finish), so the engine emits decisions
  // already in DecisionSet order.
  const std::vector<PermissionId>& name_order() const { return name_order_; }
  // Permissions that (transitively) require `id`.
  std::vector<PermissionId> RequiredBy(PermissionId id) const;
  // "unknown permission 'work_order.delete' (did you mean 'work_orders.delete'?)"
  std::string UnknownPermissionMessage(std::string_view name) const;
  std::vector<std::string> PermissionNames() const;
  std::vector<std::string> ModuleNames() const;

  // Builders used by the loader and by tests that make synthetic catalogs.
  // AddModule/AddPermission return false on duplicates; Finish() computes
  // closures and topo order and returns false on cycles/scope mismatches,
  // with messages appended to `errors`.
  bool AddModule(ModuleInfo module);
  std::optional<PermissionId> AddPermission(PermissionInfo info);  // module must exist
  void AddRequirement(PermissionId from, PermissionId to) { permissions_[from].requires_direct.push_back(to); }
  bool Finish(std::vector<Diagnostic>* errors);

 private:
  std::vector<PermissionInfo> permissions_;
  std::vector<ModuleInfo> modules_;
  std::unordered_map<std::string, PermissionId> by_name_;
  std::unordered_map<std::string, size_t> module_by_name_;
  std::vector<PermissionId> topo_;
  std::vector<PermissionId> name_order_;
};

// Loads and validates mappings/catalog.yaml. Returns nullopt with
// diagnostics on any error. Never throws.
std::optional<Catalog> LoadCatalog(const std::string& path, std::vector<Diagnostic>* errors);
std::optional<Catalog> LoadCatalogNode(const YAML::Node& root, const std::string& file,
                                       std::vector<Diagnostic>* errors);

}  // namespace idb
