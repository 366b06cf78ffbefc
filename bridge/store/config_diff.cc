#include "store/config_diff.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "core/engine.h"

namespace idb::store {
namespace {

std::vector<std::string> Minus(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

nlohmann::json ScopeJson(const ScopeSet& s) {
  if (s.IsEmpty()) return nullptr;
  if (s.IsEverywhere()) return {{"everywhere", true}};
  if (s.all_except) return {{"except", s.items}};
  return {{"only", s.items}};
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

}  // namespace

std::string DescribeScope(ScopeKind kind, const ScopeSet& s) {
  const char* noun = kind == ScopeKind::kWarehouse ? "warehouse" : "location";
  if (s.IsEverywhere()) return kind == ScopeKind::kNone ? "" : "everywhere";
  if (s.all_except) return std::string("everywhere except ") + noun + " " + Join(s.items);
  return std::string("only at ") + noun + (s.items.size() > 1 ? "s " : " ") + Join(s.items);
}

DecisionSet EvaluateForDiff(const Policy& policy, const DiffInput& in, SystemTime now) {
  return Evaluate(policy, in.identity, in.adjustments, now);
}

UserDiff CompareDecisions(const std::string& user, const DecisionSet& before, const DecisionSet& after) {
  UserDiff d;
  d.user = user;
  d.login_before = before.login_allowed();
  d.login_after = after.login_allowed();
  d.profiles_gained = Minus(after.profiles(), before.profiles());
  d.profiles_lost = Minus(before.profiles(), after.profiles());
  std::map<std::string, std::pair<const PermissionDecision*, const PermissionDecision*>> all;
  for (const auto& p : before.decisions()) all[p.permission].first = &p;
  for (const auto& p : after.decisions()) all[p.permission].second = &p;
  for (const auto& [name, pair] : all) {
    const ScopeSet old_set = pair.first ? pair.first->allowed : ScopeSet::Nowhere();
    const ScopeSet new_set = pair.second ? pair.second->allowed : ScopeSet::Nowhere();
    PermissionChange c;
    c.permission = name;
    c.kind = pair.second ? pair.second->kind : pair.first->kind;
    c.gained = new_set.Minus(old_set);
    c.lost = old_set.Minus(new_set);
    if (!c.gained.IsEmpty() || !c.lost.IsEmpty()) d.permissions.push_back(std::move(c));
  }
  return d;
}

DiffReport DiffPolicies(const Policy& before, const Policy& after, const std::vector<DiffInput>& users,
                        SystemTime now) {
  DiffReport r;
  for (const auto& in : users) {
    ++r.users_checked;
    UserDiff d = CompareDecisions(in.identity.user, EvaluateForDiff(before, in, now), EvaluateForDiff(after, in, now));
    if (d.changed()) r.changed.push_back(std::move(d));
  }
  std::sort(r.changed.begin(), r.changed.end(), [](const UserDiff& a, const UserDiff& b) { return a.user < b.user; });
  return r;
}

nlohmann::json DiffReport::ToJson() const {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& d : changed) {
    nlohmann::json perms = nlohmann::json::array();
    for (const auto& p : d.permissions)
      perms.push_back({{"permission", p.permission},
                       {"scope", ScopeKindName(p.kind)},
                       {"gained", ScopeJson(p.gained)},
                       {"lost", ScopeJson(p.lost)}});
    changes.push_back({{"user", d.user},
                       {"login", {{"before", d.login_before}, {"after", d.login_after}}},
                       {"profiles", {{"gained", d.profiles_gained}, {"lost", d.profiles_lost}}},
                       {"permissions", perms}});
  }
  return {{"users_checked", users_checked}, {"users_changed", changed.size()}, {"changes", changes}};
}

std::string DiffReport::ToText() const {
  std::ostringstream os;
  for (const auto& d : changed) {
    if (d.login_before && !d.login_after) os << d.user << ": can no longer log in\n";
    if (!d.login_before && d.login_after) os << d.user << ": can now log in\n";
    for (const auto& p : d.profiles_lost) os << d.user << ": loses profile " << p << "\n";
    for (const auto& p : d.profiles_gained) os << d.user << ": gains profile " << p << "\n";
    for (const auto& p : d.permissions) {
      if (!p.lost.IsEmpty()) {
        std::string where = DescribeScope(p.kind, p.lost);
        os << d.user << ": loses " << p.permission << (where.empty() ? "" : " " + where) << "\n";
      }
      if (!p.gained.IsEmpty()) {
        std::string where = DescribeScope(p.kind, p.gained);
        os << d.user << ": gains " << p.permission << (where.empty() ? "" : " " + where) << "\n";
      }
    }
  }
  os << changed.size() << " of " << users_checked << " known users would change\n";
  return os.str();
}

}  // namespace idb::store
