// explanation.cc — JSON and text renderings of an Explanation
// (fields documented in README "idbridgectl explain --json fields").
#include <sstream>

#include "common/display_text.h"
#include "core/engine.h"

namespace idb {
namespace {

nlohmann::json ScopeJson(ScopeKind kind, const ScopeSet& s) {
  nlohmann::json j{{"scope", ScopeKindName(kind)}};
  if (kind == ScopeKind::kNone || s.IsEverywhere()) {
    j["everywhere"] = true;
  } else if (s.all_except) {
    j["except"] = s.items;
  } else {
    j["only"] = s.items;
  }
  return j;
}

std::string ScopeString(ScopeKind kind, const ScopeSet& s) {
  if (kind == ScopeKind::kNone || s.IsEverywhere()) return "everywhere";
  std::string out = s.all_except ? "all " + std::string(ScopeKindName(kind)) + "s except " : "";
  for (size_t i = 0; i < s.items.size(); ++i) out += (i ? ", " : "") + s.items[i];
  if (!s.all_except) out = std::string(ScopeKindName(kind)) + (s.items.size() == 1 ? " " : "s ") + out;
  return out;
}

const char* ProvenanceKindName(Provenance::Kind k) {
  switch (k) {
    case Provenance::Kind::kRule: return "rule";
    case Provenance::Kind::kDefault: return "default";
    case Provenance::Kind::kOverride: return "override";
  }
  return "?";
}

nlohmann::json ProvenanceJson(const Provenance& p, ScopeKind kind) {
  nlohmann::json j{{"kind", ProvenanceKindName(p.kind)}};
  if (p.kind == Provenance::Kind::kRule) j["rule"] = p.rule;
  if (!p.profile.empty()) j["profile"] = p.profile;
  if (p.kind == Provenance::Kind::kOverride) j["override_id"] = p.override_id;
  if (!p.pattern.empty()) j["pattern"] = p.pattern;
  j["where"] = ScopeJson(kind, p.scope);
  return j;
}

nlohmann::json PermissionJson(const EffectivePermission& e) {
  nlohmann::json granted = nlohmann::json::array(), denied = nlohmann::json::array();
  for (const auto& p : e.granted_by) granted.push_back(ProvenanceJson(p, e.kind));
  for (const auto& p : e.denied_by) denied.push_back(ProvenanceJson(p, e.kind));
  return {{"permission", e.permission}, {"allowed", ScopeJson(e.kind, e.allowed)}, {"granted_by", granted},
          {"denied_by", denied},       {"limited_by", e.limited_by}};
}

}  // namespace

std::string Provenance::ToString() const {
  std::string s;
  switch (kind) {
    case Kind::kRule: s = "rule " + rule + (profile.empty() ? "" : " -> profile " + profile); break;
    case Kind::kDefault: s = "default -> profile " + profile; break;
    case Kind::kOverride: s = "override #" + std::to_string(override_id); break;
  }
  if (!pattern.empty()) s += " (" + pattern + ")";
  if (!scope.IsEverywhere()) {
    s += scope.all_except ? " except " : " at ";
    for (size_t i = 0; i < scope.items.size(); ++i) s += (i ? ", " : "") + scope.items[i];
  }
  return s;
}

nlohmann::json Explanation::ToJson() const {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : matched_rules) {
    nlohmann::json reasons = nlohmann::json::array();
    for (const auto& m : r.reasons) reasons.push_back({{"matcher", m.matcher}, {"pattern", m.pattern}, {"matched", m.matched}});
    nlohmann::json j{{"rule", r.rule},         {"file", r.where.file}, {"line", r.where.line},
                     {"reasons", reasons},     {"profiles", r.profiles}, {"denies", r.denies}};
    if (r.locations) j["locations"] = *r.locations;
    if (r.warehouses) j["warehouses"] = *r.warehouses;
    rules.push_back(std::move(j));
  }
  nlohmann::json perms = nlohmann::json::array(), removed_j = nlohmann::json::array();
  for (const auto& e : permissions) perms.push_back(PermissionJson(e));
  for (const auto& e : removed) removed_j.push_back(PermissionJson(e));
  return {{"user", user},
          {"source", source},
          {"client_address", client_address},
          {"login", login_allowed},
          {"verdict", verdict},
          {"profiles", profiles},
          {"default_applied", default_applied},
          {"matched_rules", rules},
          {"permissions", perms},
          {"removed", removed_j},
          {"notes", notes},
          {"decision_set", decisions.ToJson()}};
}

std::string Explanation::ToText() const {
  std::ostringstream o;
  // Names and matched values come from users and directories: shown escaped
  // (common/display_text.h) so a bidi or zero-width character cannot disguise them.
  o << "user " << EscapeForDisplay(user) << (source.empty() ? "" : " (" + EscapeForDisplay(source) + ")")
    << (client_address.empty() ? "" : " from " + EscapeForDisplay(client_address)) << "\n";
  o << "login: " << (login_allowed ? "allowed" : "DENIED (" + verdict + ")") << "\n";
  o << "profiles: ";
  for (size_t i = 0; i < profiles.size(); ++i) o << (i ? ", " : "") << profiles[i];
  if (profiles.empty()) o << "(none)";
  if (default_applied) o << "  [from default:]";
  o << "\n\nmatched rules (" << matched_rules.size() << "):\n";
  for (const auto& r : matched_rules) {
    o << "  " << r.rule << "  (" << r.where.ToString() << ")\n";
    for (const auto& m : r.reasons) {
      o << "      because " << m.matcher << " " << EscapeForDisplay(m.pattern) << " matched "
        << EscapeForDisplay(m.matched) << "\n";
    }
    if (!r.profiles.empty()) {
      o << "      grants ";
      for (size_t i = 0; i < r.profiles.size(); ++i) o << (i ? ", " : "") << r.profiles[i];
      if (r.locations) {
        o << " at locations ";
        for (size_t i = 0; i < r.locations->size(); ++i) o << (i ? ", " : "") << (*r.locations)[i];
      }
      if (r.warehouses) {
        o << " at warehouses ";
        for (size_t i = 0; i < r.warehouses->size(); ++i) o << (i ? ", " : "") << (*r.warehouses)[i];
      }
      o << "\n";
    }
    for (const auto& d : r.denies) o << "      denies " << d << "\n";
  }
  if (matched_rules.empty()) o << "  (none)\n";
  o << "\neffective permissions (" << permissions.size() << "):\n";
  for (const auto& e : permissions) {
    o << "  " << e.permission << "  " << ScopeString(e.kind, e.allowed) << "\n";
    for (const auto& p : e.granted_by) o << "      granted by " << p.ToString() << "\n";
    for (const auto& p : e.denied_by) o << "      partly denied by " << p.ToString() << "\n";
    for (const auto& l : e.limited_by) o << "      limited by " << l << "\n";
  }
  if (!removed.empty()) {
    o << "\nremoved entirely (" << removed.size() << "):\n";
    for (const auto& e : removed) {
      o << "  " << e.permission << "\n";
      for (const auto& p : e.denied_by) o << "      denied by " << p.ToString() << "\n";
      for (const auto& l : e.limited_by) o << "      limited by " << l << "\n";
    }
  }
  if (!notes.empty()) {
    o << "\nnotes:\n";
    for (const auto& n : notes) o << "  " << n << "\n";
  }
  return o.str();
}

}  // namespace idb
