// engine.cc — Evaluate() and Explain(): one implementation, with an optional
// trace, so the explanation is always the computation the daemon performs.
//
// Steps (engine.h has the semantics):
//  1. fire indexed leaves: each group's normalised DN, lower-case CN and SID,
//     each claim value and the user name are looked up once in the policy's
//     flat indexes; this marks the rules anchored on them as candidates;
//  2. evaluate candidates + unanchored rules in file order;
//  3. accumulate grants (bitsets for unscoped grants, ScopeSets for scoped),
//     denies, overrides, limits; apply requirements in topological order.
#include "core/engine.h"

#include <algorithm>

#include "core/dn.h"
#include "core/glob.h"

namespace idb {
namespace {

struct Scratch {
  std::string buf;
  std::vector<uint32_t> fired;          // leaf → 1 + evidence index; 0 = not fired
  std::vector<uint32_t> touched;        // leaves to reset
  std::vector<std::string_view> evidence;
  std::vector<uint8_t> candidate;       // rule → 1
  std::vector<RuleId> candidates;
  std::vector<std::string> cn_lower;    // per group: lower-case CN (capacity reused across calls)
  std::vector<std::string_view> cns;    // per group: view of cn_lower or of dns[g] ("" = none)
  std::vector<std::pair<PermissionId, const PermissionBits*>> scoped_grants;
  std::vector<std::string> dns;         // per group: normalised DN (capacity reused; valid when dn_ok)
  std::vector<uint8_t> dn_ok;
};

struct Ctx {
  const Policy& policy;
  const Identity& identity;
  Scratch& s;
};

void Fire(Scratch& s, std::span<const uint32_t> leaves, std::string_view what) {
  if (leaves.empty()) return;
  s.evidence.push_back(what);
  const uint32_t tag = static_cast<uint32_t>(s.evidence.size());
  for (uint32_t leaf : leaves) {
    if (s.fired[leaf] == 0) {
      s.fired[leaf] = tag;
      s.touched.push_back(leaf);
    }
  }
}

void Reason(std::vector<MatchReason>* why, const Matcher& m, std::string_view matched) {
  if (!why) return;
  std::string pattern = m.value;
  if (m.kind == Matcher::Kind::kClaim) {
    pattern = m.value + "=";
    for (size_t i = 0; i < m.values.size(); ++i) pattern += (i ? "|" : "") + m.values[i];
  }
  why->push_back({MatcherKindName(m.kind), pattern, std::string(matched)});
}

bool Eval(const Matcher& m, Ctx& c, std::vector<MatchReason>* why) {
  switch (m.kind) {
    case Matcher::Kind::kGroupDn:
    case Matcher::Kind::kGroupCn:
    case Matcher::Kind::kGroupSid:
    case Matcher::Kind::kClaim:
    case Matcher::Kind::kUser: {
      const uint32_t f = c.s.fired[m.leaf];
      if (f == 0) return false;
      Reason(why, m, c.s.evidence[f - 1]);
      return true;
    }
    case Matcher::Kind::kGroupGlob: {
      const auto& groups = c.identity.groups;
      // CNs are lower-case here and CN globs fold case: the first literal
      // character rejects most groups without a call.
      const char first = m.glob_on_dn || m.glob->prefix().empty() ? 0 : m.glob->prefix()[0];
      for (size_t g = 0; g < groups.size(); ++g) {
        if (first && (c.s.cns[g].empty() || c.s.cns[g][0] != first)) continue;
        if (m.glob_on_dn) {
          if (c.s.dn_ok[g] && m.glob->Matches(c.s.dns[g])) {
            Reason(why, m, groups[g].dn);
            return true;
          }
        } else if (!c.s.cns[g].empty() && m.glob->Matches(c.s.cns[g])) {
          Reason(why, m, groups[g].dn.empty() ? std::string_view(groups[g].cn) : std::string_view(groups[g].dn));
          return true;
        }
      }
      return false;
    }
    case Matcher::Kind::kSource:
      if (!m.glob->Matches(c.identity.source)) return false;
      Reason(why, m, c.identity.source);
      return true;
    case Matcher::Kind::kAll: {
      const size_t mark = why ? why->size() : 0;
      for (const auto& child : m.children) {
        if (!Eval(child, c, why)) {
          if (why) why->resize(mark);
          return false;
        }
      }
      return true;
    }
    case Matcher::Kind::kAny:
      for (const auto& child : m.children) {
        if (Eval(child, c, why)) return true;
      }
      return false;
    case Matcher::Kind::kNot: {
      if (Eval(m.children[0], c, nullptr)) return false;
      if (why) why->push_back({"not", m.children[0].Describe(), "(does not hold)"});
      return true;
    }
  }
  return false;
}

ScopeSet ScopeFor(ScopeKind kind, const std::optional<std::vector<std::string>>& locations,
                  const std::optional<std::vector<std::string>>& warehouses) {
  if (kind == ScopeKind::kLocation && locations) return ScopeSet{false, *locations};
  if (kind == ScopeKind::kWarehouse && warehouses) return ScopeSet{false, *warehouses};
  return ScopeSet::Everywhere();
}

ScopeSet OverrideScope(ScopeKind kind, const UserOverride& o) {
  if (kind == ScopeKind::kLocation && o.location) return ScopeSet::Only({*o.location});
  if (kind == ScopeKind::kWarehouse && o.warehouse) return ScopeSet::Only({*o.warehouse});
  return ScopeSet::Everywhere();
}

std::string ScopeText(ScopeKind kind, const ScopeSet& s) {
  if (kind == ScopeKind::kNone || s.IsEverywhere()) return "everywhere";
  std::string out = s.all_except ? "everywhere except " : "only ";
  for (size_t i = 0; i < s.items.size(); ++i) out += (i ? ", " : "") + s.items[i];
  return out;
}

DecisionSet Run(const Policy& policy, const Identity& identity, const UserAdjustments& adj, SystemTime now,
                Explanation* ex) {
  thread_local Scratch s;
  const Catalog& cat = policy.catalog();
  const RuleIndex& index = policy.index();
  const size_t n = cat.size();
  const auto& groups = identity.groups;

  // 1. Fire indexed leaves.
  s.fired.resize(index.leaf_rule.size(), 0);
  s.touched.clear();
  s.evidence.clear();
  s.evidence.reserve(groups.size() * 3 + 8);
  if (s.cn_lower.size() < groups.size()) s.cn_lower.resize(groups.size());
  // Each group's DN is normalised straight into its own reused buffer (no copy
  // for DN globs) and its CN is a view into that normal form when it can be.
  if (s.dns.size() < groups.size()) s.dns.resize(groups.size());
  s.cns.assign(groups.size(), std::string_view());
  s.dn_ok.assign(groups.size(), 0);
  for (size_t g = 0; g < groups.size(); ++g) {
    const DirectoryGroup& grp = groups[g];
    std::string& norm = s.dns[g];
    bool dn_ok = false;
    if (!grp.dn.empty()) {
      dn_ok = NormalizeDnInto(grp.dn, &norm);
      if (dn_ok) {
        Fire(s, index.by_dn.Find(norm), grp.dn);
        s.dn_ok[g] = 1;
      } else if (ex) {
        ex->notes.push_back("group DN '" + grp.dn + "' does not parse; it can match only by CN/SID");
      }
    }
    std::string_view cn;
    if (!grp.cn.empty()) {
      std::string& lower = s.cn_lower[g];
      lower.assign(grp.cn);
      for (char& ch : lower) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
      cn = lower;
    } else if (dn_ok) {
      // The normal form starts "cn=<lower-case value>," when the first RDN is a
      // plain CN; anything else (escapes, multi-valued) takes the parser.
      bool plain = norm.size() >= 3 && norm[0] == 'c' && norm[1] == 'n' && norm[2] == '=';
      size_t end = 3;
      for (; plain && end < norm.size() && norm[end] != ','; ++end) {
        if (norm[end] == '\\' || norm[end] == '+') plain = false;
      }
      if (plain) {
        cn = std::string_view(norm).substr(3, end - 3);
      } else {
        s.cn_lower[g] = AsciiLower(FirstCnOf(grp.dn));
        cn = s.cn_lower[g];
      }
    }
    if (!cn.empty()) {
      s.cns[g] = cn;
      Fire(s, index.by_cn.Find(cn), grp.dn.empty() ? std::string_view(grp.cn) : std::string_view(grp.dn));
    }
    if (!grp.sid.empty()) {
      s.buf.assign(grp.sid);
      for (char& ch : s.buf) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
      Fire(s, index.by_sid.Find(s.buf), grp.sid);
    }
  }
  for (const auto& [key, values] : identity.claims) {
    for (const auto& v : values) {
      s.buf.assign(key);
      for (char& ch : s.buf) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
      s.buf.push_back('\0');
      s.buf += v;
      Fire(s, index.by_claim.Find(s.buf), v);
    }
  }
  if (!identity.user.empty()) {
    s.buf.assign(identity.user);
    for (char& ch : s.buf) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    Fire(s, index.by_user.Find(s.buf), identity.user);
  }

  // 2. Candidates in file order.
  s.candidate.assign(policy.rules().size(), 0);
  s.candidates.clear();
  for (uint32_t leaf : s.touched) {
    if (index.leaf_is_anchor[leaf]) {
      RuleId r = index.leaf_rule[leaf];
      if (!s.candidate[r]) s.candidate[r] = 1, s.candidates.push_back(r);
    }
  }
  for (RuleId r : index.unanchored) {
    if (!s.candidate[r]) s.candidate[r] = 1, s.candidates.push_back(r);
  }
  std::sort(s.candidates.begin(), s.candidates.end());

  Ctx ctx{policy, identity, s};
  std::vector<const Rule*> matched;
  for (RuleId r : s.candidates) {
    const Rule& rule = policy.rules()[r];
    std::vector<MatchReason> reasons;
    if (Eval(rule.match, ctx, ex ? &reasons : nullptr)) {
      matched.push_back(&rule);
      if (ex) {
        RuleMatch rm;
        rm.rule = rule.name;
        rm.description = rule.description;
        rm.where = rule.where;
        rm.reasons = std::move(reasons);
        for (ProfileId p : rule.profiles) rm.profiles.push_back(policy.profiles()[p].name);
        rm.locations = rule.locations;
        rm.warehouses = rule.warehouses;
        for (const auto& d : rule.denies) {
          std::string text = d.pattern;
          if (d.locations) text += " at locations " + ScopeText(ScopeKind::kLocation, ScopeSet{false, *d.locations});
          if (d.warehouses) text += " at warehouses " + ScopeText(ScopeKind::kWarehouse, ScopeSet{false, *d.warehouses});
          rm.denies.push_back(std::move(text));
        }
        ex->matched_rules.push_back(std::move(rm));
      }
    }
  }
  for (uint32_t leaf : s.touched) s.fired[leaf] = 0;

  // 3. Grants.
  PermissionBits everywhere(n);
  std::vector<ScopeSet> scoped(n);  // Nowhere by default
  std::vector<uint8_t> has_scoped(n, 0);
  std::vector<ProfileId> profiles;
  s.scoped_grants.clear();
  std::vector<std::vector<Provenance>> granted_by(ex ? n : 0), denied_by(ex ? n : 0);
  for (const Rule* rule : matched) {
    if (rule->profiles.empty()) continue;
    profiles.insert(profiles.end(), rule->profiles.begin(), rule->profiles.end());
    if (!rule->locations && !rule->warehouses) {
      everywhere.Or(rule->granted);
    } else {
      rule->granted.ForEach([&](uint32_t p) {
        const ScopeKind k = cat.Get(p).kind;
        if (k == ScopeKind::kLocation && rule->locations) {
          s.scoped_grants.push_back({p, &rule->location_bits});
        } else if (k == ScopeKind::kWarehouse && rule->warehouses) {
          s.scoped_grants.push_back({p, &rule->warehouse_bits});
        } else {
          everywhere.Set(p);
        }
      });
    }
    if (ex) {
      for (ProfileId pid : rule->profiles) {
        const Profile& prof = policy.profiles()[pid];
        prof.permissions.ForEach([&](uint32_t p) {
          granted_by[p].push_back({Provenance::Kind::kRule, rule->name, prof.name, 0, "",
                                   ScopeFor(cat.Get(p).kind, rule->locations, rule->warehouses)});
        });
      }
    }
  }
  // Scoped grants: OR the rules' place bitsets per permission, then turn each
  // into a sorted name list once (place_names() is sorted).
  const auto& places = policy.place_names();
  auto names_of = [&](const PermissionBits& b) {
    std::vector<std::string> names;
    b.ForEach([&](uint32_t i) { names.push_back(places[i]); });
    return names;
  };
  if (!s.scoped_grants.empty()) {
    std::vector<PermissionBits> acc(n);
    for (const auto& [p, bits] : s.scoped_grants) {
      if (acc[p].size() == 0) acc[p] = PermissionBits(places.size());
      acc[p].Or(*bits);
    }
    for (PermissionId p = 0; p < n; ++p) {
      if (acc[p].size() == 0) continue;
      scoped[p] = ScopeSet{false, names_of(acc[p])};
      has_scoped[p] = 1;
    }
  }
  bool default_applied = false;
  if (profiles.empty() && policy.default_decision().profile) {
    const Profile& prof = policy.profiles()[*policy.default_decision().profile];
    profiles.push_back(prof.id);
    everywhere.Or(prof.permissions);
    default_applied = true;
    if (ex) {
      prof.permissions.ForEach([&](uint32_t p) {
        granted_by[p].push_back({Provenance::Kind::kDefault, "", prof.name, 0, "", ScopeSet::Everywhere()});
      });
    }
  }
  std::sort(profiles.begin(), profiles.end());
  profiles.erase(std::unique(profiles.begin(), profiles.end()), profiles.end());
  std::vector<std::string> profile_names;
  for (ProfileId p : profiles) profile_names.push_back(policy.profiles()[p].name);
  std::sort(profile_names.begin(), profile_names.end());
  const bool login = !profiles.empty();
  if (ex) {
    ex->user = identity.user;
    ex->source = identity.source;
    ex->login_allowed = login;
    ex->verdict = login ? "allowed" : "no profile mapped";
    ex->profiles = profile_names;
    ex->default_applied = default_applied;
  }
  if (!login) return DecisionSet(identity.user, false, {}, {});

  // Overrides (unexpired only).
  std::vector<ScopeSet> denied(n);
  std::vector<uint8_t> has_denied(n, 0);
  for (const UserOverride& o : adj.overrides) {
    if (o.expires && *o.expires <= now) {
      if (ex) ex->notes.push_back("override " + std::to_string(o.id) + " (" + o.permission + ") expired; ignored");
      continue;
    }
    if (o.effect == OverrideEffect::kGrant) {
      auto id = cat.Find(o.permission);
      if (!id) {
        if (ex) ex->notes.push_back("override " + std::to_string(o.id) + ": " + cat.UnknownPermissionMessage(o.permission) + "; ignored");
        continue;
      }
      const ScopeSet sc = OverrideScope(cat.Get(*id).kind, o);
      if (sc.IsEverywhere()) {
        everywhere.Set(*id);
      } else {
        scoped[*id] = scoped[*id].Union(sc);
        has_scoped[*id] = 1;
      }
      if (ex) granted_by[*id].push_back({Provenance::Kind::kOverride, "", "", o.id, "", sc});
    } else {
      const auto ids = policy.ExpandPattern(o.permission);
      if (ids.empty() && ex) ex->notes.push_back("override " + std::to_string(o.id) + ": deny '" + o.permission + "' matches no permission");
      for (PermissionId id : ids) {
        const ScopeSet sc = OverrideScope(cat.Get(id).kind, o);
        denied[id] = denied[id].Union(sc);
        has_denied[id] = 1;
        if (ex) denied_by[id].push_back({Provenance::Kind::kOverride, "", "", o.id, o.permission, sc});
      }
    }
  }
  // Rule denies: entire denies as flags, scoped ones as OR-ed place bitsets.
  {
    std::vector<PermissionBits> acc(n);
    std::vector<uint8_t> entire(n, 0);
    for (const Rule* rule : matched) {
      for (const DenySpec& d : rule->denies) {
        for (PermissionId id : d.permissions) {
          const ScopeKind k = cat.Get(id).kind;
          const PermissionBits* bits = k == ScopeKind::kLocation && d.locations     ? &d.location_bits
                                       : k == ScopeKind::kWarehouse && d.warehouses ? &d.warehouse_bits
                                                                                    : nullptr;
          if (bits) {
            if (acc[id].size() == 0) acc[id] = PermissionBits(places.size());
            acc[id].Or(*bits);
          } else {
            entire[id] = 1;
          }
          if (ex) {
            denied_by[id].push_back({Provenance::Kind::kRule, rule->name, "", 0, d.pattern,
                                     ScopeFor(k, d.locations, d.warehouses)});
          }
        }
      }
    }
    for (PermissionId id = 0; id < n; ++id) {
      if (entire[id]) {
        denied[id] = ScopeSet::Everywhere();
        has_denied[id] = 1;
      } else if (acc[id].size() != 0) {
        denied[id] = denied[id].Union(ScopeSet{false, names_of(acc[id])});
        has_denied[id] = 1;
      }
    }
  }
  // Limits, requirements; topological order so requirements are final first.
  const ScopeSet loc_limit = adj.limits.locations ? ScopeSet::Only(*adj.limits.locations) : ScopeSet::Everywhere();
  const ScopeSet wh_limit = adj.limits.warehouses ? ScopeSet::Only(*adj.limits.warehouses) : ScopeSet::Everywhere();
  std::vector<ScopeSet> eff(n);
  std::vector<uint8_t> granted_any(n, 0);
  std::vector<std::vector<std::string>> limited(ex ? n : 0);
  for (PermissionId p : cat.topo_order()) {
    const PermissionInfo& info = cat.Get(p);
    ScopeSet set;
    if (everywhere.Test(p)) {
      set = ScopeSet::Everywhere();
    } else if (has_scoped[p]) {
      set = scoped[p];
    } else {
      continue;
    }
    granted_any[p] = 1;
    if (has_denied[p]) set = set.Minus(denied[p]);
    if (info.kind == ScopeKind::kLocation && adj.limits.locations) {
      ScopeSet limited_set = set.Intersect(loc_limit);
      if (ex && !(limited_set == set)) limited[p].push_back("user location limit: " + ScopeText(info.kind, loc_limit));
      set = std::move(limited_set);
    } else if (info.kind == ScopeKind::kWarehouse && adj.limits.warehouses) {
      ScopeSet limited_set = set.Intersect(wh_limit);
      if (ex && !(limited_set == set)) limited[p].push_back("user warehouse limit: " + ScopeText(info.kind, wh_limit));
      set = std::move(limited_set);
    }
    for (PermissionId q : info.requires_direct) {
      const PermissionInfo& req = cat.Get(q);
      ScopeSet next = set;
      if (req.kind == info.kind) {
        next = set.Intersect(eff[q]);
      } else if (eff[q].IsEmpty()) {
        next = ScopeSet::Nowhere();
      }
      if (ex && !(next == set)) limited[p].push_back("requires " + req.name + " (" + ScopeText(req.kind, eff[q]) + ")");
      set = std::move(next);
    }
    eff[p] = std::move(set);
  }
  std::vector<PermissionDecision> decisions;
  for (PermissionId p = 0; p < n; ++p) {
    if (!granted_any[p]) continue;
    const PermissionInfo& info = cat.Get(p);
    if (!eff[p].IsEmpty()) {
      decisions.push_back({info.name, info.kind, eff[p]});
    }
    if (ex) {
      EffectivePermission e{info.name, info.kind, eff[p], std::move(granted_by[p]), std::move(denied_by[p]),
                            std::move(limited[p])};
      (eff[p].IsEmpty() ? ex->removed : ex->permissions).push_back(std::move(e));
    }
  }
  if (ex) {
    auto by_name = [](const EffectivePermission& a, const EffectivePermission& b) { return a.permission < b.permission; };
    std::sort(ex->permissions.begin(), ex->permissions.end(), by_name);
    std::sort(ex->removed.begin(), ex->removed.end(), by_name);
  }
  return DecisionSet(identity.user, true, std::move(profile_names), std::move(decisions));
}

}  // namespace

DecisionSet Evaluate(const Policy& policy, const Identity& identity, const UserAdjustments& adjustments,
                     SystemTime now) {
  return Run(policy, identity, adjustments, now, nullptr);
}

Explanation Explain(const Policy& policy, const Identity& identity, const UserAdjustments& adjustments,
                    SystemTime now) {
  Explanation ex;
  ex.decisions = Run(policy, identity, adjustments, now, &ex);
  return ex;
}

Status ValidateOverrideGrant(const Policy& policy, const DecisionSet& current, const UserOverride& grant) {
  if (auto err = policy.ValidatePermission(grant.permission)) return InvalidArgument(*err);
  const Catalog& cat = policy.catalog();
  const PermissionInfo& info = cat.Get(*cat.Find(grant.permission));
  const std::string loc = grant.location.value_or("");
  const std::string wh = grant.warehouse.value_or("");
  for (PermissionId q : info.requires_all) {
    const PermissionInfo& req = cat.Get(q);
    // The requirement must hold where the grant would hold.
    if (!current.Check(req.name, req.kind == ScopeKind::kLocation ? loc : "",
                       req.kind == ScopeKind::kWarehouse ? wh : "")) {
      std::string where;
      if (req.kind == ScopeKind::kLocation) where = loc.empty() ? " everywhere" : " at location '" + loc + "'";
      if (req.kind == ScopeKind::kWarehouse) where = wh.empty() ? " everywhere" : " at warehouse '" + wh + "'";
      return InvalidArgument("granting " + info.name + " needs " + req.name + ", which the user does not have" +
                             where + "; grant " + req.name + " first");
    }
  }
  return Status::Ok();
}

}  // namespace idb
