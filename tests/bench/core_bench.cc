// core_bench — the engine's two performance targets (issue 2):
//   BM_Check*: DecisionSet::Check() with a string permission id and a
//              location/warehouse (target < 20 ns median);
//   BM_MapUser1000Groups10000Rules: Evaluate() for a user in 1,000 groups
//              against 10,000 rules of mixed kinds (target < 100 µs).
// Run: build-*/tests/bench/core_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/dn.h"
#include "core/engine.h"

namespace idb {
namespace {

const SystemTime kNow = SystemTime(std::chrono::hours(24 * 365 * 50));

std::shared_ptr<const Policy> ShippedPolicy() {
  static std::shared_ptr<const Policy> policy = [] {
    ConfigLoad load = LoadConfig(std::string(IDB_SOURCE_DIR) + "/config/idbridge.yaml");
    if (!load.ok()) {
      for (const auto& d : load.errors) std::fprintf(stderr, "%s\n", d.ToString().c_str());
      std::abort();
    }
    return load.config->policy;
  }();
  return policy;
}

DecisionSet MechanicDecisions() {
  Identity id;
  id.user = "alice";
  id.source = "ldap:corp";
  id.groups.push_back({"CN=Mechanics,OU=Groups,DC=fleet,DC=test", "Mechanics", "", {}});
  id.groups.push_back({"CN=Fleet Managers,OU=Groups,DC=fleet,DC=test", "Fleet Managers", "", {}});
  id.claims["department"] = {"Depot A"};
  UserAdjustments adj;
  adj.limits.locations = std::vector<std::string>{"Depot A", "Depot B", "Depot C"};
  return Evaluate(*ShippedPolicy(), id, adj, kNow);
}

struct Point {
  std::string permission, location, warehouse;
};

void RunChecks(benchmark::State& state, const std::vector<Point>& points) {
  DecisionSet d = MechanicDecisions();
  size_t i = 0, allowed = 0;
  for (auto _ : state) {
    const Point& p = points[i];
    bool ok = d.Check(p.permission, p.location, p.warehouse);
    benchmark::DoNotOptimize(ok);
    allowed += ok;
    i = (i + 1) & 7;
  }
  state.counters["allowed_ratio"] = benchmark::Counter(static_cast<double>(allowed) / static_cast<double>(state.iterations()));
}

// Eight rotating points, all allowed, each with a location or warehouse.
void BM_CheckAllowedWithLocation(benchmark::State& state) {
  RunChecks(state, {{"work_orders.edit", "Depot B", ""},
                    {"vehicles.view_financial", "Depot A", ""},
                    {"meter_entries.edit", "Depot C", ""},
                    {"parts.view", "", "Depot A Stores"},
                    {"purchase_orders.approve", "", "Main"},
                    {"vendors.edit", "Depot A", ""},
                    {"inspections.submit", "Depot B", ""},
                    {"service_entries.manage_costs", "Depot A", ""}});
}
BENCHMARK(BM_CheckAllowedWithLocation);

// Denied answers: outside the limit, unknown ids, no location on a scoped grant.
void BM_CheckDenied(benchmark::State& state) {
  RunChecks(state, {{"work_orders.edit", "Depot Z", ""},
                    {"work_orders.frobnicate", "Depot A", ""},
                    {"work_orders.edit", "", ""},
                    {"employees.edit", "Depot Q", ""},
                    {"vehicles.delete", "Depot Q", ""},
                    {"x", "", ""},
                    {"security.nonexistent_permission_id", "", ""},
                    {"meter_entries.edit", "Elsewhere", ""}});
}
BENCHMARK(BM_CheckDenied);

// ---- 1,000 groups x 10,000 rules ----

struct Mapping {
  std::shared_ptr<const Policy> policy;
  Identity user;
};

const Mapping& BigMapping() {
  static Mapping m = [] {
    std::string rules = "version: 1\ndefault: deny\nrules:\n";
    const char* profiles[] = {"technicians", "auditor", "temporary_workers"};
    auto add = [&](const std::string& name, const std::string& match, const std::string& extra) {
      rules += "  - name: " + name + "\n    match: " + match + "\n" + extra;
    };
    int n = 0;
    for (int i = 0; i < 7000; ++i, ++n)  // group DN rules, a third of them scoped
      add("dn-" + std::to_string(i), "{ group: \"CN=Group " + std::to_string(i) + ",OU=Groups,DC=fleet,DC=test\" }",
          std::string("    grant_profiles: [") + profiles[i % 3] + "]\n" +
              (i % 3 == 0 ? "    locations: [\"Depot " + std::to_string(i % 40) + "\"]\n" : ""));
    for (int i = 0; i < 1500; ++i, ++n)  // CN + claim
      add("team-" + std::to_string(i),
          "{ all: [ { group_cn: \"Team " + std::to_string(i) + "\" }, { claim: { department: \"Depot " +
              std::to_string(i % 50) + "\" } } ] }",
          "    grant_profiles: [technicians]\n    warehouses: [\"Stores " + std::to_string(i % 20) + "\"]\n");
    for (int i = 0; i < 1000; ++i, ++n)  // claim only
      add("title-" + std::to_string(i), "{ claim: { title: \"Title " + std::to_string(i) + "\" } }",
          "    grant_profiles: [auditor]\n");
    for (int i = 0; i < 400; ++i, ++n)  // any of SID / CN
      add("any-" + std::to_string(i),
          "{ any: [ { group_sid: \"S-1-5-21-1-2-3-" + std::to_string(5000 + i) + "\" }, { group_cn: \"Alt " +
              std::to_string(i) + "\" } ] }",
          "    grant_profiles: [temporary_workers]\n");
    for (int i = 0; i < 90; ++i, ++n)  // unanchored: not
      add("not-" + std::to_string(i), "{ not: { group_cn: \"Exempt " + std::to_string(i) + "\" } }",
          "    deny: [{ permission: purchase_orders.approve, warehouses: [\"Stores " + std::to_string(i) + "\"] }]\n");
    for (int i = 0; i < 10; ++i, ++n)  // unanchored: glob over every group
      add("glob-" + std::to_string(i), "{ group_glob: \"Temp " + std::to_string(i) + "*\" }",
          "    grant_profiles: [temporary_workers]\n");
    std::string dir = std::string(IDB_SOURCE_DIR) + "/mappings/";
    auto read = [](const std::string& path) {
      std::FILE* f = std::fopen(path.c_str(), "rb");
      std::string s;
      char buf[65536];
      size_t k;
      while (f && (k = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, k);
      if (f) std::fclose(f);
      return s;
    };
    PolicyLoad load = LoadPolicyFromStrings(read(dir + "catalog.yaml"), read(dir + "profiles.yaml"), rules);
    if (!load.ok()) {
      for (const auto& d : load.errors) std::fprintf(stderr, "%s\n", d.ToString().c_str());
      std::abort();
    }
    Mapping m{load.policy, {}};
    m.user.user = "bench";
    m.user.source = "ldap:corp";
    // 1,000 groups: 100 hit DN rules, 20 hit CN+claim rules, 10 hit SID rules, 870 hit nothing.
    for (int i = 0; i < 1000; ++i) {
      DirectoryGroup g;
      if (i < 100) {
        g.dn = "CN=Group " + std::to_string(i * 70) + ",OU=Groups,DC=fleet,DC=test";
      } else if (i < 120) {
        g.dn = "CN=Team " + std::to_string((i - 100) * 50) + ",OU=Teams,DC=fleet,DC=test";
      } else {
        g.dn = "CN=Unrelated Group " + std::to_string(i) + ",OU=Other,DC=fleet,DC=test";
        if (i < 130) g.sid = "S-1-5-21-1-2-3-" + std::to_string(5000 + i);
      }
      m.user.groups.push_back(std::move(g));
    }
    m.user.claims["department"] = {"Depot 0"};
    m.user.claims["title"] = {"Title 7"};
    return m;
  }();
  return m;
}

void BM_MapUser1000Groups10000Rules(benchmark::State& state) {
  const Mapping& m = BigMapping();
  UserAdjustments adj;
  size_t perms = 0;
  for (auto _ : state) {
    DecisionSet d = Evaluate(*m.policy, m.user, adj, kNow);
    perms = d.decisions().size();
    benchmark::DoNotOptimize(d);
  }
  state.counters["rules"] = static_cast<double>(m.policy->rules().size());
  state.counters["groups"] = static_cast<double>(m.user.groups.size());
  state.counters["permissions"] = static_cast<double>(perms);
}
BENCHMARK(BM_MapUser1000Groups10000Rules)->Unit(benchmark::kMicrosecond);

// Break-down: the same user with none of the groups matching (normalise +
// index lookups + unanchored rules only), and DN normalisation alone.
void BM_Map1000UnmatchedGroups10000Rules(benchmark::State& state) {
  const Mapping& m = BigMapping();
  Identity user = m.user;
  for (size_t i = 0; i < user.groups.size(); ++i) {
    user.groups[i].dn = "CN=Unrelated Group " + std::to_string(i) + ",OU=Other,DC=fleet,DC=test";
    user.groups[i].sid.clear();
  }
  user.claims.clear();
  for (auto _ : state) {
    DecisionSet d = Evaluate(*m.policy, user, {}, kNow);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_Map1000UnmatchedGroups10000Rules)->Unit(benchmark::kMicrosecond);

void BM_Normalize1000Dns(benchmark::State& state) {
  const Mapping& m = BigMapping();
  std::string buf;
  for (auto _ : state) {
    for (const auto& g : m.user.groups) {
      bool ok = NormalizeDnInto(g.dn, &buf);
      benchmark::DoNotOptimize(ok);
    }
  }
}
BENCHMARK(BM_Normalize1000Dns)->Unit(benchmark::kMicrosecond);

// The same with Explain (idbridgectl explain), for reference.
void BM_Explain1000Groups10000Rules(benchmark::State& state) {
  const Mapping& m = BigMapping();
  for (auto _ : state) {
    Explanation ex = Explain(*m.policy, m.user, {}, kNow);
    benchmark::DoNotOptimize(ex);
  }
}
BENCHMARK(BM_Explain1000Groups10000Rules)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace idb

BENCHMARK_MAIN();
