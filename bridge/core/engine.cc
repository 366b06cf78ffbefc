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
#include "core/place_sets.h"

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
  std::vector<std::string> dns;         // per group: normalised DN (capacity reused; valid when dn_ok)
  std::vector<uint8_t> dn_ok;
  std::vector<uint64_t> dn_hash, cn_hash;  // per group (valid when dn_ok / cns[g] non-empty)
  std::vector<uint32_t> probe_dn, probe_cn;  // groups that passed an index's filter
  // CN globs: group indexes bucketed by the first CN character (built lazily).
  bool by_first_built = false;
  uint32_t by_first_start[257];
  std::vector<uint32_t> by_first;
  // Step 3 (grants, denies, scopes): reused across calls.
  std::vector<const Rule*> matched;
  std::vector<ProfileId> profiles;
  std::vector<const std::string*> place_names;  // place number → name
  PlaceSets sets;
  PermissionBits everywhere, loc_kind, wh_kind;
  std::vector<uint8_t> has_scoped, has_denied, granted_any;
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

// The groups (indexes, ascending) whose lower-case CN starts with `first`;
// bucketed once per evaluation, on the first CN glob that asks.
std::span<const uint32_t> GroupsByFirstCnChar(Scratch& s, unsigned char first) {
  if (!s.by_first_built) {
    std::fill(std::begin(s.by_first_start), std::end(s.by_first_start), 0);
    for (std::string_view cn : s.cns) {
      if (!cn.empty()) ++s.by_first_start[static_cast<unsigned char>(cn[0]) + 1];
    }
    for (size_t k = 1; k < 257; ++k) s.by_first_start[k] += s.by_first_start[k - 1];
    s.by_first.resize(s.by_first_start[256]);
    uint32_t next[256];
    std::copy(s.by_first_start, s.by_first_start + 256, next);
    for (uint32_t g = 0; g < s.cns.size(); ++g) {
      if (!s.cns[g].empty()) s.by_first[next[static_cast<unsigned char>(s.cns[g][0])]++] = g;
    }
    s.by_first_built = true;
  }
  return {s.by_first.data() + s.by_first_start[first], s.by_first_start[first + 1] - s.by_first_start[first]};
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
      if (first) {
        // Only the groups whose CN starts with that character, in group order.
        for (uint32_t g : GroupsByFirstCnChar(c.s, static_cast<unsigned char>(first))) {
          if (m.glob->Matches(c.s.cns[g])) {
            Reason(why, m, groups[g].dn.empty() ? std::string_view(groups[g].cn) : std::string_view(groups[g].dn));
            return true;
          }
        }
        return false;
      }
      for (size_t g = 0; g < groups.size(); ++g) {
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
    case Matcher::Kind::kClientNetwork: {
      // No address (or a host name): the network cannot be shown to hold.
      if (c.identity.client_address.empty()) return false;
      auto address = ParseIpAddress(c.identity.client_address);
      if (!address.ok() || !m.network->Contains(*address)) return false;
      Reason(why, m, c.identity.client_address);
      return true;
    }
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
  s.by_first_built = false;
  s.dn_ok.assign(groups.size(), 0);
  s.dn_hash.resize(groups.size());
  s.cn_hash.resize(groups.size());
  // (a) normalise and hash every group's DN and CN (SIDs are looked up here);
  // (b) test all hashes against the indexes' filters; (c) probe the few that
  // pass. Leaves fire in group order within each index, as one loop would.
  for (size_t g = 0; g < groups.size(); ++g) {
    const DirectoryGroup& grp = groups[g];
    std::string& norm = s.dns[g];
    bool dn_ok = false;
    size_t first_rdn_end = std::string::npos;
    if (!grp.dn.empty()) {
      dn_ok = NormalizeDnInto(grp.dn, &norm, &first_rdn_end);
      if (dn_ok) {
        s.dn_hash[g] = FlatIndex::Hash(norm);
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
    } else if (dn_ok && first_rdn_end != std::string::npos) {
      // A normal form without escapes or '+': the CN is "cn=<value>" up to the
      // end of the first RDN, or there is none.
      if (first_rdn_end >= 3 && norm[0] == 'c' && norm[1] == 'n' && norm[2] == '=') {
        cn = std::string_view(norm).substr(3, first_rdn_end - 3);
      }
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
      s.cn_hash[g] = FlatIndex::Hash(cn);
    }
    if (!grp.sid.empty()) {
      s.buf.assign(grp.sid);
      for (char& ch : s.buf) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
      Fire(s, index.by_sid.Find(s.buf), grp.sid);
    }
  }
  s.probe_dn.clear();
  s.probe_cn.clear();
  for (uint32_t g = 0; g < groups.size(); ++g) {
    if (s.dn_ok[g] && index.by_dn.MayContain(s.dn_hash[g])) s.probe_dn.push_back(g);
    if (!s.cns[g].empty() && index.by_cn.MayContain(s.cn_hash[g])) s.probe_cn.push_back(g);
  }
  for (uint32_t g : s.probe_dn) Fire(s, index.by_dn.Find(s.dns[g], s.dn_hash[g]), groups[g].dn);
  for (uint32_t g : s.probe_cn) {
    const DirectoryGroup& grp = groups[g];
    Fire(s, index.by_cn.Find(s.cns[g], s.cn_hash[g]),
         grp.dn.empty() ? std::string_view(grp.cn) : std::string_view(grp.dn));
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
  std::vector<const Rule*>& matched = s.matched;
  matched.clear();
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

  // 3. Grants, overrides, denies, limits and requirements. Places are numbered
  // (the policy's sorted names, then names only the user's overrides/limits
  // use) and every per-permission scope is a PlaceSets entry; strings are
  // made only for the result.
  const auto& policy_places = policy.place_names();
  s.place_names.clear();
  for (const std::string& name : policy_places) s.place_names.push_back(&name);
  auto place_of = [&](const std::string& name) -> uint32_t {
    auto it = std::lower_bound(policy_places.begin(), policy_places.end(), name);
    if (it != policy_places.end() && *it == name) return static_cast<uint32_t>(it - policy_places.begin());
    for (size_t k = policy_places.size(); k < s.place_names.size(); ++k) {
      if (*s.place_names[k] == name) return static_cast<uint32_t>(k);
    }
    s.place_names.push_back(&name);
    return static_cast<uint32_t>(s.place_names.size() - 1);
  };
  for (const UserOverride& o : adj.overrides) {
    if (o.location) place_of(*o.location);
    if (o.warehouse) place_of(*o.warehouse);
  }
  if (adj.limits.locations) for (const auto& name : *adj.limits.locations) place_of(name);
  if (adj.limits.warehouses) for (const auto& name : *adj.limits.warehouses) place_of(name);
  // Set numbers: scoped grants, denies, effective scopes, then scratch sets.
  PlaceSets& sets = s.sets;
  auto kScoped = [](PermissionId p) { return size_t{p}; };
  auto kDenied = [n](PermissionId p) { return n + p; };
  auto kEff = [n](PermissionId p) { return 2 * n + p; };
  const size_t kCur = 3 * n, kNext = kCur + 1, kLocLimit = kCur + 2, kWhLimit = kCur + 3;
  sets.Reset(3 * n + 4, s.place_names.size());
  auto to_scope_set = [&](size_t i) { return sets.ToScopeSet(i, s.place_names, policy_places.size()); };

  // Permission kinds as masks, so a scoped rule splits its grant by words.
  s.loc_kind.Reset(n);
  s.wh_kind.Reset(n);
  for (PermissionId p = 0; p < n; ++p) {
    const ScopeKind k = cat.Get(p).kind;
    if (k == ScopeKind::kLocation) s.loc_kind.Set(p);
    if (k == ScopeKind::kWarehouse) s.wh_kind.Set(p);
  }
  PermissionBits& everywhere = s.everywhere;
  everywhere.Reset(n);
  s.has_scoped.assign(n, 0);
  std::vector<ProfileId>& profiles = s.profiles;
  profiles.clear();
  std::vector<std::vector<Provenance>> granted_by(ex ? n : 0), denied_by(ex ? n : 0);
  const size_t perm_words = everywhere.word_count();
  for (const Rule* rule : s.matched) {
    if (rule->profiles.empty()) continue;
    profiles.insert(profiles.end(), rule->profiles.begin(), rule->profiles.end());
    if (!rule->locations && !rule->warehouses) {
      everywhere.Or(rule->granted);
    } else {
      const uint64_t* g = rule->granted.words();
      for (size_t w = 0; w < perm_words && w < rule->granted.word_count(); ++w) {
        const uint64_t at_locs = rule->locations ? g[w] & s.loc_kind.words()[w] : 0;
        const uint64_t at_whs = rule->warehouses ? g[w] & s.wh_kind.words()[w] : 0;
        everywhere.words()[w] |= g[w] & ~(at_locs | at_whs);
        for (uint64_t x = at_locs; x; x &= x - 1) {
          const PermissionId p = static_cast<PermissionId>(w * 64 + static_cast<size_t>(__builtin_ctzll(x)));
          sets.UnionOnly(kScoped(p), rule->location_bits.words(), rule->location_bits.word_count());
          s.has_scoped[p] = 1;
        }
        for (uint64_t x = at_whs; x; x &= x - 1) {
          const PermissionId p = static_cast<PermissionId>(w * 64 + static_cast<size_t>(__builtin_ctzll(x)));
          sets.UnionOnly(kScoped(p), rule->warehouse_bits.words(), rule->warehouse_bits.word_count());
          s.has_scoped[p] = 1;
        }
      }
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
  profile_names.reserve(profiles.size());
  for (ProfileId p : profiles) profile_names.push_back(policy.profiles()[p].name);
  std::sort(profile_names.begin(), profile_names.end());
  const bool login = !profiles.empty();
  if (ex) {
    ex->user = identity.user;
    ex->source = identity.source;
    ex->client_address = identity.client_address;
    ex->login_allowed = login;
    ex->verdict = login ? "allowed" : "no profile mapped";
    ex->profiles = profile_names;
    ex->default_applied = default_applied;
  }
  if (!login) return DecisionSet(identity.user, false, {}, {});

  // The place an override names for a permission of `kind`; none = everywhere.
  auto override_place = [](ScopeKind kind, const UserOverride& o) -> const std::string* {
    if (kind == ScopeKind::kLocation && o.location) return &*o.location;
    if (kind == ScopeKind::kWarehouse && o.warehouse) return &*o.warehouse;
    return nullptr;
  };
  // Overrides (unexpired only).
  s.has_denied.assign(n, 0);
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
      const std::string* place = override_place(cat.Get(*id).kind, o);
      if (!place) {
        everywhere.Set(*id);
      } else {
        sets.UnionOne(kScoped(*id), place_of(*place));
        s.has_scoped[*id] = 1;
      }
      if (ex) granted_by[*id].push_back({Provenance::Kind::kOverride, "", "", o.id, "", OverrideScope(cat.Get(*id).kind, o)});
    } else {
      const auto ids = policy.ExpandPattern(o.permission);
      if (ids.empty() && ex) ex->notes.push_back("override " + std::to_string(o.id) + ": deny '" + o.permission + "' matches no permission");
      for (PermissionId id : ids) {
        const std::string* place = override_place(cat.Get(id).kind, o);
        if (!place) {
          sets.SetEverywhere(kDenied(id));
        } else {
          sets.UnionOne(kDenied(id), place_of(*place));
        }
        s.has_denied[id] = 1;
        if (ex) denied_by[id].push_back({Provenance::Kind::kOverride, "", "", o.id, o.permission, OverrideScope(cat.Get(id).kind, o)});
      }
    }
  }
  // Rule denies: a deny with a list of the permission's kind removes those
  // places, any other removes the permission everywhere.
  for (const Rule* rule : s.matched) {
    for (const DenySpec& d : rule->denies) {
      for (PermissionId id : d.permissions) {
        const ScopeKind k = cat.Get(id).kind;
        const PermissionBits* bits = k == ScopeKind::kLocation && d.locations     ? &d.location_bits
                                     : k == ScopeKind::kWarehouse && d.warehouses ? &d.warehouse_bits
                                                                                  : nullptr;
        if (bits) {
          sets.UnionOnly(kDenied(id), bits->words(), bits->word_count());
        } else {
          sets.SetEverywhere(kDenied(id));
        }
        s.has_denied[id] = 1;
        if (ex) {
          denied_by[id].push_back({Provenance::Kind::kRule, rule->name, "", 0, d.pattern,
                                   ScopeFor(k, d.locations, d.warehouses)});
        }
      }
    }
  }
  // Limits, requirements; topological order so requirements are final first.
  if (adj.limits.locations) for (const auto& name : *adj.limits.locations) sets.UnionOne(kLocLimit, place_of(name));
  if (adj.limits.warehouses) for (const auto& name : *adj.limits.warehouses) sets.UnionOne(kWhLimit, place_of(name));
  s.granted_any.assign(n, 0);
  std::vector<std::vector<std::string>> limited(ex ? n : 0);
  for (PermissionId p : cat.topo_order()) {
    const PermissionInfo& info = cat.Get(p);
    if (everywhere.Test(p)) {
      sets.SetEverywhere(kCur);
    } else if (s.has_scoped[p]) {
      sets.Copy(kCur, kScoped(p));
    } else {
      continue;
    }
    s.granted_any[p] = 1;
    if (s.has_denied[p]) sets.Minus(kCur, kDenied(p));
    const bool loc_limited = info.kind == ScopeKind::kLocation && adj.limits.locations;
    const bool wh_limited = info.kind == ScopeKind::kWarehouse && adj.limits.warehouses;
    if (loc_limited || wh_limited) {
      const size_t limit = loc_limited ? kLocLimit : kWhLimit;
      if (ex) {
        sets.Copy(kNext, kCur);
        sets.Intersect(kNext, limit);
        if (!sets.Equal(kNext, kCur)) {
          limited[p].push_back(std::string(loc_limited ? "user location limit: " : "user warehouse limit: ") +
                               ScopeText(info.kind, to_scope_set(limit)));
        }
      }
      sets.Intersect(kCur, limit);
    }
    for (PermissionId q : info.requires_direct) {
      const PermissionInfo& req = cat.Get(q);
      sets.Copy(kNext, kCur);
      if (req.kind == info.kind) {
        sets.Intersect(kNext, kEff(q));
      } else if (sets.IsEmpty(kEff(q))) {
        sets.SetNowhere(kNext);
      }
      if (ex && !sets.Equal(kNext, kCur)) {
        limited[p].push_back("requires " + req.name + " (" + ScopeText(req.kind, to_scope_set(kEff(q))) + ")");
      }
      sets.Copy(kCur, kNext);
    }
    sets.Copy(kEff(p), kCur);
  }
  // The result, in name order (what DecisionSet keeps).
  std::vector<PermissionDecision> decisions;
  decisions.reserve(n);
  const std::vector<PermissionId>& order = cat.name_order();
  for (size_t i = 0; i < n; ++i) {
    const PermissionId p = order.size() == n ? order[i] : static_cast<PermissionId>(i);
    if (!s.granted_any[p]) continue;
    const PermissionInfo& info = cat.Get(p);
    const bool empty = sets.IsEmpty(kEff(p));
    if (!empty) decisions.push_back({info.name, info.kind, to_scope_set(kEff(p))});
    if (ex) {
      EffectivePermission e{info.name, info.kind, to_scope_set(kEff(p)), std::move(granted_by[p]),
                            std::move(denied_by[p]), std::move(limited[p])};
      (empty ? ex->removed : ex->permissions).push_back(std::move(e));
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

namespace {

// Whether some rule, or the default profile, grants `req` at the grant's place.
// Rule denies are not subtracted: the question is whether a grant can count.
bool PolicyCanGive(const Policy& policy, const PermissionInfo& req, PermissionId req_id, const std::string& loc,
                   const std::string& wh) {
  const auto scoped_to = [](const std::optional<std::vector<std::string>>& places, const std::string& place) {
    if (!places) return true;  // unscoped grant: everywhere
    if (place.empty()) return false;
    return std::find(places->begin(), places->end(), place) != places->end();
  };
  for (const Rule& rule : policy.rules()) {
    if (rule.granted.size() <= req_id || !rule.granted.Test(req_id)) continue;
    if (req.kind == ScopeKind::kLocation && !scoped_to(rule.locations, loc)) continue;
    if (req.kind == ScopeKind::kWarehouse && !scoped_to(rule.warehouses, wh)) continue;
    return true;
  }
  const auto& fallback = policy.default_decision().profile;
  if (!fallback) return false;
  const PermissionBits& bits = policy.profiles()[*fallback].permissions;
  return bits.size() > req_id && bits.Test(req_id);
}

}  // namespace

Result<std::vector<std::string>> ValidateOverrideGrant(const Policy& policy, const DecisionSet& current,
                                                       bool user_known, const UserOverride& grant) {
  if (auto err = policy.ValidatePermission(grant.permission)) return InvalidArgument(*err);
  const Catalog& cat = policy.catalog();
  const PermissionInfo& info = cat.Get(*cat.Find(grant.permission));
  const std::string loc = grant.location.value_or("");
  const std::string wh = grant.warehouse.value_or("");
  std::vector<std::string> warnings;
  for (PermissionId q : info.requires_all) {
    const PermissionInfo& req = cat.Get(q);
    const std::string req_loc = req.kind == ScopeKind::kLocation ? loc : "";
    const std::string req_wh = req.kind == ScopeKind::kWarehouse ? wh : "";
    if (current.Check(req.name, req_loc, req_wh)) continue;
    std::string where;
    if (req.kind == ScopeKind::kLocation) where = loc.empty() ? " everywhere" : " at location '" + loc + "'";
    if (req.kind == ScopeKind::kWarehouse) where = wh.empty() ? " everywhere" : " at warehouse '" + wh + "'";
    if (!PolicyCanGive(policy, req, q, req_loc, req_wh))
      return InvalidArgument("granting " + info.name + " needs " + req.name + where +
                             ", which no rule gives there and the user has no override for; grant " + req.name +
                             " first");
    warnings.push_back(std::string(user_known ? "the user did not hold " : "the user has not signed in yet, so "
                                                                           "nothing shows they hold ") +
                       req.name + where + (user_known ? " at their last sign-in" : "") + "; " + info.name +
                       " counts only where they also hold " + req.name);
  }
  return warnings;
}

}  // namespace idb
