// Differential test: random catalogs, profiles, rules, users, overrides and
// limits; the compiled engine (loaders + Evaluate + DecisionSet::Check) must
// agree with the naive reference evaluator at every (permission, location,
// warehouse) point.
#include <gtest/gtest.h>

#include <random>

#include "core/engine.h"
#include "reference_evaluator.h"

namespace idb {
namespace {

namespace ref = idb::reference;

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Coin(double p = 0.5) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))]; }

  std::vector<std::string> Subset(const std::vector<std::string>& all, bool allow_empty) {
    std::vector<std::string> out;
    for (const auto& s : all) {
      if (Coin(0.4)) out.push_back(s);
    }
    if (out.empty() && !allow_empty) out.push_back(Pick(all));
    return out;
  }

  ref::Model Model() {
    ref::Model m;
    const int modules = Int(2, 5);
    for (int i = 0; i < modules; ++i) {
      m.module_names.push_back("m" + std::to_string(i));
      m.module_kinds.push_back(static_cast<ref::Kind>(Int(0, 2)));
      const int actions = Int(1, 4);
      const int first = static_cast<int>(m.perms.size());
      for (int a = 0; a < actions; ++a) {
        ref::Perm p{m.module_names.back(), "a" + std::to_string(a), m.module_kinds.back(), {}};
        if (a > 0 && Coin(0.35)) p.requires_.push_back(first + Int(0, a - 1));
        // Sometimes a scoped permission requires an earlier unscoped one.
        if (p.kind != ref::Kind::kNone && Coin(0.2)) {
          for (int q = 0; q < first; ++q) {
            if (m.perms[q].kind == ref::Kind::kNone) {
              p.requires_.push_back(q);
              break;
            }
          }
        }
        m.perms.push_back(p);
      }
    }
    const int profiles = Int(1, 4);
    for (int i = 0; i < profiles; ++i) {
      ref::Profile prof{"p" + std::to_string(i), std::vector<bool>(m.perms.size(), false)};
      for (size_t k = 0; k < m.perms.size(); ++k) prof.perms[k] = Coin(0.45);
      Close(m, &prof.perms);
      m.profiles.push_back(prof);
    }
    const int rules = Int(1, 7);
    for (int i = 0; i < rules; ++i) {
      ref::Rule r;
      r.name = "r" + std::to_string(i);
      r.match = Matcher(2);
      if (Coin(0.8)) {
        for (int k = Int(1, 2); k > 0; --k) r.profiles.push_back(Int(0, profiles - 1));
        std::sort(r.profiles.begin(), r.profiles.end());
        r.profiles.erase(std::unique(r.profiles.begin(), r.profiles.end()), r.profiles.end());
        if (Coin(0.4)) r.locations = Subset(kLocs, false);
        if (Coin(0.4)) r.warehouses = Subset(kWhs, false);
      }
      const int denies = r.profiles.empty() ? Int(1, 2) : (Coin(0.35) ? Int(1, 2) : 0);
      for (int k = 0; k < denies; ++k) {
        ref::Deny d;
        d.pattern = PatternFor(m);
        if (Coin(0.4)) d.locations = Subset(kLocs, false);
        if (Coin(0.4)) d.warehouses = Subset(kWhs, false);
        r.denies.push_back(d);
      }
      m.rules.push_back(r);
    }
    if (Coin(0.3)) m.default_profile = Int(0, profiles - 1);
    return m;
  }

  ref::User User(const ref::Model& m) {
    ref::User u;
    for (int g = 0; g < 10; ++g) {
      if (Coin(0.3)) u.groups.push_back(g);
    }
    for (const auto& d : kDepts) {
      if (Coin(0.3)) u.depts.push_back(d);
    }
    for (int k = Int(0, 3); k > 0; --k) {
      ref::Override o;
      o.grant = Coin(0.6);
      o.perm = Int(0, static_cast<int>(m.perms.size()) - 1);
      o.pattern = PatternFor(m);
      if (Coin(0.4)) o.location = Pick(kLocs);
      if (Coin(0.4)) o.warehouse = Pick(kWhs);
      o.expired = Coin(0.2);
      u.overrides.push_back(o);
    }
    if (Coin(0.3)) u.loc_limit = Subset(kLocs, true);
    if (Coin(0.3)) u.wh_limit = Subset(kWhs, true);
    return u;
  }

  // Random spellings of the same DN, to exercise normalisation.
  std::string Dn(int g) {
    static const std::vector<std::string> forms = {"CN=G%,OU=Groups,DC=t", "cn=g%,ou=groups,dc=t",
                                                   "CN = G% , OU=Groups , DC=T", "cn=G%,OU=GROUPS,dc=t"};
    std::string f = Pick(forms);
    f.replace(f.find('%'), 1, std::to_string(g));
    return f;
  }

  const std::vector<std::string> kLocs = {"L0", "L1", "L2", "L3"};
  const std::vector<std::string> kWhs = {"W0", "W1", "W2", "W3"};
  const std::vector<std::string> kDepts = {"D0", "D1", "D2"};

 private:
  void Close(const ref::Model& m, std::vector<bool>* perms) {
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t k = 0; k < m.perms.size(); ++k) {
        if (!(*perms)[k]) continue;
        for (int q : m.perms[k].requires_) {
          if (!(*perms)[q]) (*perms)[q] = true, changed = true;
        }
      }
    }
  }

  ref::Pattern PatternFor(const ref::Model& m) {
    const ref::Perm& p = Pick(m.perms);
    ref::Pattern pat;
    pat.module = p.module;
    pat.action = p.action;
    const int t = Int(0, 4);
    pat.type = t <= 2 ? ref::Pattern::Type::kExact : (t == 3 ? ref::Pattern::Type::kAnyModule : ref::Pattern::Type::kAnyAction);
    return pat;
  }

  ref::Matcher Matcher(int depth) {
    ref::Matcher mt;
    const int t = depth > 0 ? Int(0, 7) : Int(0, 4);
    mt.type = static_cast<ref::Matcher::Type>(t);
    mt.group = Int(0, 9);
    if (mt.type == ref::Matcher::Type::kClaim) mt.depts = Subset(kDepts, false);
    if (mt.type == ref::Matcher::Type::kAll || mt.type == ref::Matcher::Type::kAny) {
      for (int k = Int(1, 3); k > 0; --k) mt.children.push_back(Matcher(depth - 1));
    }
    if (mt.type == ref::Matcher::Type::kNot) mt.children.push_back(Matcher(depth - 1));
    return mt;
  }

  std::mt19937 rng_;
};

std::string List(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::string("\"") + v[i] + "\"";
  return s + "]";
}

std::string MatcherYaml(const ref::Matcher& m, Gen& gen) {
  switch (m.type) {
    case ref::Matcher::Type::kGroupDn: return "{ group: \"" + gen.Dn(m.group) + "\" }";
    case ref::Matcher::Type::kGroupCn: return "{ group_cn: " + std::string(gen.Coin() ? "g" : "G") + std::to_string(m.group) + " }";
    case ref::Matcher::Type::kGlobAll: return "{ group_glob: \"g*\" }";
    case ref::Matcher::Type::kGlobLow: return "{ group_glob: \"G[0-4]\" }";
    case ref::Matcher::Type::kClaim: return "{ claim: { department: " + List(m.depts) + " } }";
    case ref::Matcher::Type::kAll:
    case ref::Matcher::Type::kAny: {
      std::string s = m.type == ref::Matcher::Type::kAll ? "{ all: [" : "{ any: [";
      for (size_t i = 0; i < m.children.size(); ++i) s += (i ? ", " : "") + MatcherYaml(m.children[i], gen);
      return s + "] }";
    }
    case ref::Matcher::Type::kNot: return "{ not: " + MatcherYaml(m.children[0], gen) + " }";
  }
  return "";
}

const char* KindName(ref::Kind k) {
  return k == ref::Kind::kLocation ? "location" : k == ref::Kind::kWarehouse ? "warehouse" : "none";
}

void Render(const ref::Model& m, Gen& gen, std::string* catalog, std::string* profiles, std::string* rules) {
  *catalog = "version: 1\nmodules:\n";
  for (size_t i = 0; i < m.module_names.size(); ++i) {
    *catalog += "  " + m.module_names[i] + ":\n    title: T\n    scope: " + KindName(m.module_kinds[i]) + "\n    actions:\n";
    for (const auto& p : m.perms) {
      if (p.module != m.module_names[i]) continue;
      *catalog += "      " + p.action + ": { title: X";
      if (!p.requires_.empty()) {
        std::vector<std::string> reqs;
        for (int q : p.requires_) reqs.push_back(m.perms[q].Name());
        *catalog += ", requires: " + List(reqs);
      }
      *catalog += " }\n";
    }
  }
  *profiles = "version: 1\nprofiles:\n";
  for (const auto& prof : m.profiles) {
    *profiles += "  " + prof.name + ":\n    modules:\n";
    for (const auto& mod : m.module_names) {
      std::vector<std::string> actions;
      for (size_t k = 0; k < m.perms.size(); ++k) {
        if (m.perms[k].module == mod && prof.perms[k]) actions.push_back(m.perms[k].action);
      }
      *profiles += "      " + mod + ": " + (actions.empty() ? std::string("none") : List(actions)) + "\n";
    }
  }
  *rules = "version: 1\ndefault: " +
           (m.default_profile ? "{ profile: " + m.profiles[*m.default_profile].name + " }" : std::string("deny")) +
           "\nrules:\n";
  for (const auto& r : m.rules) {
    *rules += "  - name: " + r.name + "\n    match: " + MatcherYaml(r.match, gen) + "\n";
    if (!r.profiles.empty()) {
      std::vector<std::string> names;
      for (int p : r.profiles) names.push_back(m.profiles[p].name);
      *rules += "    grant_profiles: " + List(names) + "\n";
    }
    if (r.locations) *rules += "    locations: " + List(*r.locations) + "\n";
    if (r.warehouses) *rules += "    warehouses: " + List(*r.warehouses) + "\n";
    if (!r.denies.empty()) {
      *rules += "    deny:\n";
      for (const auto& d : r.denies) {
        *rules += "      - { permission: \"" + d.pattern.Text() + "\"";
        if (d.locations) *rules += ", locations: " + List(*d.locations);
        if (d.warehouses) *rules += ", warehouses: " + List(*d.warehouses);
        *rules += " }\n";
      }
    }
  }
}

Identity ToIdentity(const ref::User& u, Gen& gen) {
  Identity id;
  id.user = "u";
  id.source = "ldap:corp";
  for (int g : u.groups) {
    DirectoryGroup dg;
    dg.dn = gen.Dn(g);
    if (gen.Coin()) dg.cn = "G" + std::to_string(g);  // else derived from the DN
    id.groups.push_back(dg);
  }
  if (!u.depts.empty()) id.claims["department"] = u.depts;
  return id;
}

UserAdjustments ToAdjustments(const ref::Model& m, const ref::User& u, SystemTime now) {
  UserAdjustments adj;
  int64_t next = 1;
  for (const auto& o : u.overrides) {
    UserOverride uo;
    uo.id = next++;
    uo.effect = o.grant ? OverrideEffect::kGrant : OverrideEffect::kDeny;
    uo.permission = o.grant ? m.perms[o.perm].Name() : o.pattern.Text();
    uo.location = o.location;
    uo.warehouse = o.warehouse;
    if (o.expired) uo.expires = now;
    else if (next % 2) uo.expires = now + std::chrono::hours(1);
    adj.overrides.push_back(uo);
  }
  adj.limits.locations = u.loc_limit;
  adj.limits.warehouses = u.wh_limit;
  return adj;
}

TEST(Differential, CompiledEngineAgreesWithReferenceEvaluator) {
  const SystemTime now = SystemTime(std::chrono::hours(24 * 365 * 50));
  std::vector<std::string> locs = ref::AllLocations(), whs = ref::AllWarehouses();
  locs.push_back("");
  whs.push_back("");
  long points = 0, users = 0, allowed = 0, logins = 0;
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    Gen gen(seed);
    ref::Model model = gen.Model();
    std::string catalog, profiles, rules;
    Render(model, gen, &catalog, &profiles, &rules);
    PolicyLoad load = LoadPolicyFromStrings(catalog, profiles, rules);
    std::string errs;
    for (const auto& d : load.errors) errs += d.ToString() + "\n";
    ASSERT_TRUE(load.ok()) << "seed " << seed << "\n" << errs << catalog << profiles << rules;
    for (int k = 0; k < 10; ++k) {
      ref::User user = gen.User(model);
      Identity id = ToIdentity(user, gen);
      UserAdjustments adj = ToAdjustments(model, user, now);
      DecisionSet d = Evaluate(*load.policy, id, adj, now);
      ++users;
      ASSERT_EQ(d.login_allowed(), ref::LoginAllowed(model, user)) << "seed " << seed << " user " << k << "\n" << rules;
      logins += d.login_allowed();
      for (size_t p = 0; p < model.perms.size(); ++p) {
        for (const auto& l : locs) {
          for (const auto& w : whs) {
            const bool want = ref::Check(model, user, static_cast<int>(p), l, w);
            const bool got = d.Check(model.perms[p].Name(), l, w);
            ++points;
            allowed += got;
            ASSERT_EQ(got, want) << "seed " << seed << " user " << k << " " << model.perms[p].Name() << " @'" << l
                                 << "' #'" << w << "'\n"
                                 << catalog << profiles << rules << d.ToJson().dump();
          }
        }
      }
      // Explain computes the same decisions.
      if (k == 0) {
        EXPECT_EQ(Explain(*load.policy, id, adj, now).decisions.ToJson(), d.ToJson());
      }
    }
  }
  // The generator must exercise both answers, or the test proves nothing.
  EXPECT_GT(allowed, points / 20);
  EXPECT_LT(allowed, points - points / 20);
  EXPECT_GT(logins, users / 4);
  EXPECT_LT(logins, users);
  std::printf("differential: %ld users, %ld check points, %ld allowed\n", users, points, allowed);
}

}  // namespace
}  // namespace idb
