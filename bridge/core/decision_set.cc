// decision_set.cc — ScopeSet algebra, the open-addressing permission index
// behind DecisionSet::Check(), and the JSON wire form.
//
// Check() hashes the permission id 8 bytes at a time, probes a power-of-two
// table of (hash, index) and compares the string once; the location/warehouse
// test is a short scan (binary search above 8 names). No allocation, no lock.
#include "core/decision_set.h"

#include "core/fast_hash.h"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

namespace idb {
namespace {

inline uint64_t HashId(std::string_view s) noexcept { return FastHash(s); }

std::vector<std::string> SortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

bool IsSortedUnique(const std::vector<std::string>& v) {
  return std::adjacent_find(v.begin(), v.end(), [](const std::string& a, const std::string& b) { return !(a < b); }) ==
         v.end();
}

std::vector<std::string> SetUnion(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}
std::vector<std::string> SetIntersect(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}
std::vector<std::string> SetMinus(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

const char* ScopeKindName(ScopeKind k) {
  switch (k) {
    case ScopeKind::kNone: return "none";
    case ScopeKind::kLocation: return "location";
    case ScopeKind::kWarehouse: return "warehouse";
  }
  return "none";
}

ScopeSet ScopeSet::Only(std::vector<std::string> names) { return {false, SortedUnique(std::move(names))}; }

bool ScopeSet::Contains(std::string_view name) const {
  bool in;
  if (items.size() <= 8) {
    in = false;
    for (const auto& i : items) {
      if (SameString(i, name)) {
        in = true;
        break;
      }
    }
  } else {
    auto it = std::lower_bound(items.begin(), items.end(), name,
                               [](const std::string& a, std::string_view b) { return std::string_view(a) < b; });
    in = it != items.end() && *it == name;
  }
  return all_except ? !in : in;
}

// Four cases each; A = all_except. Everything-except sets are complements.
ScopeSet ScopeSet::Union(const ScopeSet& o) const {
  if (!all_except && !o.all_except) return {false, SetUnion(items, o.items)};
  if (all_except && o.all_except) return {true, SetIntersect(items, o.items)};
  if (all_except) return {true, SetMinus(items, o.items)};
  return {true, SetMinus(o.items, items)};
}

ScopeSet ScopeSet::Intersect(const ScopeSet& o) const {
  if (!all_except && !o.all_except) return {false, SetIntersect(items, o.items)};
  if (all_except && o.all_except) return {true, SetUnion(items, o.items)};
  if (all_except) return {false, SetMinus(o.items, items)};
  return {false, SetMinus(items, o.items)};
}

ScopeSet ScopeSet::Minus(const ScopeSet& o) const {
  ScopeSet complement{!o.all_except, o.items};
  return Intersect(complement);
}

DecisionSet::DecisionSet(std::string user, bool login_allowed, std::vector<std::string> profiles,
                         std::vector<PermissionDecision> decisions, bool stale)
    : user_(std::move(user)),
      login_allowed_(login_allowed),
      stale_(stale),
      profiles_(std::move(profiles)),
      decisions_(std::move(decisions)) {
  // The engine hands everything over sorted and unique: check in one pass and
  // sort only what is not (same result, no string moves in the common case).
  for (auto& d : decisions_) {
    if (!IsSortedUnique(d.allowed.items)) d.allowed.items = SortedUnique(std::move(d.allowed.items));
  }
  std::erase_if(decisions_, [](const PermissionDecision& d) { return d.allowed.IsEmpty(); });
  auto by_permission = [](const PermissionDecision& a, const PermissionDecision& b) {
    return a.permission < b.permission;
  };
  if (!std::is_sorted(decisions_.begin(), decisions_.end(), by_permission)) {
    std::sort(decisions_.begin(), decisions_.end(), by_permission);
  }
  // Duplicates: keep the first (FromJson refuses them; callers should not make them).
  decisions_.erase(std::unique(decisions_.begin(), decisions_.end(),
                               [](const PermissionDecision& a, const PermissionDecision& b) {
                                 return a.permission == b.permission;
                               }),
                   decisions_.end());
  BuildIndex();
}

void DecisionSet::BuildIndex() {
  size_t cap = 8;
  while (cap < decisions_.size() * 2 + 2) cap <<= 1;
  slots_.assign(cap, Slot{0, UINT32_MAX});
  mask_ = cap - 1;
  for (uint32_t i = 0; i < decisions_.size(); ++i) {
    uint64_t h = HashId(decisions_[i].permission);
    size_t slot = h & mask_;
    while (slots_[slot].index != UINT32_MAX) slot = (slot + 1) & mask_;
    slots_[slot] = Slot{h, i};
  }
}

bool DecisionSet::Check(std::string_view permission, std::string_view location,
                        std::string_view warehouse) const noexcept {
  if (!login_allowed_ || slots_.empty()) return false;
  const uint64_t h = HashId(permission);
  const Slot* const slots = slots_.data();
  size_t slot = h & mask_;
  for (;;) {
    const uint32_t i = slots[slot].index;
    if (i == UINT32_MAX) return false;
    if (slots[slot].hash == h) {
      const PermissionDecision& d = decisions_[i];
      if (SameString(d.permission, permission)) {
        switch (d.kind) {
          case ScopeKind::kNone: return true;
          case ScopeKind::kLocation:
            return location.empty() ? d.allowed.IsEverywhere() : d.allowed.Contains(location);
          case ScopeKind::kWarehouse:
            return warehouse.empty() ? d.allowed.IsEverywhere() : d.allowed.Contains(warehouse);
        }
        return false;
      }
    }
    slot = (slot + 1) & mask_;
  }
}

nlohmann::json DecisionSet::ToJson() const {
  nlohmann::json perms = nlohmann::json::object();
  for (const auto& d : decisions_) {
    nlohmann::json p;
    p["scope"] = ScopeKindName(d.kind);
    if (d.allowed.all_except) {
      p["except"] = d.allowed.items;
    } else {
      p["only"] = d.allowed.items;
    }
    perms[d.permission] = std::move(p);
  }
  return nlohmann::json{{"user", user_},         {"login", login_allowed_}, {"stale", stale_},
                        {"profiles", profiles_}, {"permissions", std::move(perms)}};
}

Result<DecisionSet> DecisionSet::FromJson(const nlohmann::json& j) {
  try {
    if (!j.is_object()) return InvalidArgument("decision set: not a JSON object");
    for (const char* key : {"user", "login", "profiles", "permissions"}) {
      if (!j.contains(key)) return InvalidArgument(std::string("decision set: missing '") + key + "'");
    }
    if (!j["user"].is_string()) return InvalidArgument("decision set: 'user' is not a string");
    if (!j["login"].is_boolean()) return InvalidArgument("decision set: 'login' is not a boolean");
    bool stale = false;
    if (j.contains("stale")) {
      if (!j["stale"].is_boolean()) return InvalidArgument("decision set: 'stale' is not a boolean");
      stale = j["stale"].get<bool>();
    }
    if (!j["profiles"].is_array()) return InvalidArgument("decision set: 'profiles' is not an array");
    std::vector<std::string> profiles;
    for (const auto& p : j["profiles"]) {
      if (!p.is_string()) return InvalidArgument("decision set: a profile is not a string");
      profiles.push_back(p.get<std::string>());
    }
    if (!j["permissions"].is_object()) return InvalidArgument("decision set: 'permissions' is not an object");
    std::vector<PermissionDecision> decisions;
    for (auto it = j["permissions"].begin(); it != j["permissions"].end(); ++it) {
      const std::string& id = it.key();
      const auto& v = it.value();
      if (id.empty()) return InvalidArgument("decision set: empty permission id");
      if (!v.is_object() || !v.contains("scope") || !v["scope"].is_string())
        return InvalidArgument("decision set: permission '" + id + "' lacks a scope");
      PermissionDecision d;
      d.permission = id;
      const std::string scope = v["scope"].get<std::string>();
      if (scope == "none") d.kind = ScopeKind::kNone;
      else if (scope == "location") d.kind = ScopeKind::kLocation;
      else if (scope == "warehouse") d.kind = ScopeKind::kWarehouse;
      else return InvalidArgument("decision set: permission '" + id + "' has unknown scope '" + scope + "'");
      const bool has_only = v.contains("only"), has_except = v.contains("except");
      if (has_only == has_except)
        return InvalidArgument("decision set: permission '" + id + "' needs exactly one of only/except");
      const auto& list = has_only ? v["only"] : v["except"];
      if (!list.is_array()) return InvalidArgument("decision set: permission '" + id + "' scope list is not an array");
      std::vector<std::string> items;
      for (const auto& n : list) {
        if (!n.is_string()) return InvalidArgument("decision set: permission '" + id + "' has a non-string place");
        items.push_back(n.get<std::string>());
      }
      d.allowed = has_only ? ScopeSet::Only(std::move(items)) : ScopeSet{true, SortedUnique(std::move(items))};
      decisions.push_back(std::move(d));
    }
    return DecisionSet(j["user"].get<std::string>(), j["login"].get<bool>(), std::move(profiles),
                       std::move(decisions), stale);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("decision set: ") + e.what());
  }
}

}  // namespace idb
