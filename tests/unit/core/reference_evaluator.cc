// reference_evaluator.cc — see reference_evaluator.h. Plain loops; no cleverness.
#include "reference_evaluator.h"

#include <algorithm>

namespace idb::reference {

const std::vector<std::string>& AllLocations() {
  static const std::vector<std::string> v = {"L0", "L1", "L2", "L3", "fresh-location"};
  return v;
}
const std::vector<std::string>& AllWarehouses() {
  static const std::vector<std::string> v = {"W0", "W1", "W2", "W3", "fresh-warehouse"};
  return v;
}

std::string Pattern::Text() const {
  switch (type) {
    case Type::kExact: return module + "." + action;
    case Type::kAnyModule: return "*." + action;
    case Type::kAnyAction: return module + ".*";
  }
  return "";
}

bool Pattern::Covers(const Perm& p) const {
  switch (type) {
    case Type::kExact: return p.module == module && p.action == action;
    case Type::kAnyModule: return p.action == action;
    case Type::kAnyAction: return p.module == module;
  }
  return false;
}

namespace {

bool HasGroup(const User& u, int g) { return std::find(u.groups.begin(), u.groups.end(), g) != u.groups.end(); }

bool Matches(const Matcher& m, const User& u) {
  switch (m.type) {
    case Matcher::Type::kGroupDn:
    case Matcher::Type::kGroupCn: return HasGroup(u, m.group);
    case Matcher::Type::kGlobAll: return !u.groups.empty();  // "g*" on CNs G0..G9
    case Matcher::Type::kGlobLow:                             // "G[0-4]"
      for (int g : u.groups) {
        if (g <= 4) return true;
      }
      return false;
    case Matcher::Type::kClaim:
      for (const auto& d : m.depts) {
        if (std::find(u.depts.begin(), u.depts.end(), d) != u.depts.end()) return true;
      }
      return false;
    case Matcher::Type::kAll:
      for (const auto& c : m.children) {
        if (!Matches(c, u)) return false;
      }
      return true;
    case Matcher::Type::kAny:
      for (const auto& c : m.children) {
        if (Matches(c, u)) return true;
      }
      return false;
    case Matcher::Type::kNot: return !Matches(m.children[0], u);
  }
  return false;
}

bool ListAllows(const std::optional<std::vector<std::string>>& list, const std::string& place) {
  return !list || std::find(list->begin(), list->end(), place) != list->end();
}

// The scope list of a grant/deny that applies to permissions of `kind`.
const std::optional<std::vector<std::string>>& ListFor(Kind kind, const std::optional<std::vector<std::string>>& locs,
                                                       const std::optional<std::vector<std::string>>& whs) {
  static const std::optional<std::vector<std::string>> kNone;
  if (kind == Kind::kLocation) return locs;
  if (kind == Kind::kWarehouse) return whs;
  return kNone;
}

std::optional<std::vector<std::string>> One(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::vector<std::string>{*s};
}

std::vector<int> Profiles(const Model& m, const User& u) {
  std::vector<int> out;
  for (const auto& r : m.rules) {
    if (Matches(r.match, u)) out.insert(out.end(), r.profiles.begin(), r.profiles.end());
  }
  if (out.empty() && m.default_profile) out.push_back(*m.default_profile);
  return out;
}

// Allowed at one concrete place ("" for unscoped permissions).
bool HoldsAt(const Model& m, const User& u, int pi, const std::string& place) {
  const Perm& p = m.perms[pi];
  bool granted = false;
  bool any_rule_profile = false;
  for (const auto& r : m.rules) {
    if (!Matches(r.match, u)) continue;
    if (!r.profiles.empty()) any_rule_profile = true;
    for (int prof : r.profiles) {
      if (m.profiles[prof].perms[pi] && ListAllows(ListFor(p.kind, r.locations, r.warehouses), place)) granted = true;
    }
  }
  if (!any_rule_profile && m.default_profile && m.profiles[*m.default_profile].perms[pi]) granted = true;
  for (const auto& o : u.overrides) {
    if (o.expired || !o.grant || o.perm != pi) continue;
    if (ListAllows(ListFor(p.kind, One(o.location), One(o.warehouse)), place)) granted = true;
  }
  if (!granted) return false;
  for (const auto& r : m.rules) {
    if (!Matches(r.match, u)) continue;
    for (const auto& d : r.denies) {
      if (d.pattern.Covers(p) && ListAllows(ListFor(p.kind, d.locations, d.warehouses), place)) return false;
    }
  }
  for (const auto& o : u.overrides) {
    if (o.expired || o.grant || !o.pattern.Covers(p)) continue;
    if (ListAllows(ListFor(p.kind, One(o.location), One(o.warehouse)), place)) return false;
  }
  if (p.kind == Kind::kLocation && !ListAllows(u.loc_limit, place)) return false;
  if (p.kind == Kind::kWarehouse && !ListAllows(u.wh_limit, place)) return false;
  for (int q : p.requires_) {
    const Perm& req = m.perms[q];
    if (req.kind == p.kind) {
      if (!HoldsAt(m, u, q, place)) return false;
    } else if (!HoldsAt(m, u, q, "")) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool LoginAllowed(const Model& m, const User& u) { return !Profiles(m, u).empty(); }

bool Check(const Model& m, const User& u, int perm, const std::string& location, const std::string& warehouse) {
  if (!LoginAllowed(m, u)) return false;
  const Perm& p = m.perms[perm];
  if (p.kind == Kind::kNone) return HoldsAt(m, u, perm, "");
  const std::string& place = p.kind == Kind::kLocation ? location : warehouse;
  if (!place.empty()) return HoldsAt(m, u, perm, place);
  // No place given: allowed only if allowed everywhere.
  for (const auto& x : p.kind == Kind::kLocation ? AllLocations() : AllWarehouses()) {
    if (!HoldsAt(m, u, perm, x)) return false;
  }
  return true;
}

}  // namespace idb::reference
