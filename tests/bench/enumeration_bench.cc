// enumeration_bench — does a refusal take as long whether or not the account
// exists? Medians over 50 tries, side by side, of the refusals an attacker can
// provoke, through DaemonCore::Login as the plugin calls it:
//   unknown_ms   a name no directory or local admin knows, wrong password;
//   wrong_ms     an existing account, wrong password;
//   disabled_ms  a disabled account (slapd: ppolicy; AD: userAccountControl),
//                wrong password;
//   expired_ms   AD only: an expired account, wrong password;
//   max_ratio    the slowest median over the fastest (target: below 1.25).
// Each row is one setup: the directory (slapd, Samba AD), with or without the
// break-glass local admin (production PBKDF2 cost, 600,000 iterations) and
// with or without offline logins. The three (four) refusals are interleaved in
// a rotating order so that drift of the machine hits them alike; throttles are
// off (they would refuse the repeated guesses). On AD an untimed right-password
// login after each round keeps the account below the domain's lockout threshold.
// Samba AD rows need root and ports 389/636: run under
//   flock /tmp/idb-samba.lock build-*/tests/bench/enumeration_bench --benchmark_counters_tabular=true
// (without Samba those rows are skipped with the reason).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/daemon_core.h"
#include "daemon/log.h"
#include "daemon_test_env.h"
#include "samba_dc.h"
#include "slapd_server.h"
#include "process.h"

namespace {

using idb::Secret;
using idb::daemon::Caller;
using idb::daemon::DaemonCore;

constexpr int kTries = 50;

idb::testing::SlapdServer* Slapd() {
  static idb::testing::SlapdServer* server = [] {
    idb::testing::SlapdOptions o;
    o.ldif_files = {std::string(IDB_SOURCE_DIR) + "/tests/fixtures/demo-company.ldif"};
    auto s = idb::testing::SlapdServer::Start(o);
    return s.ok() ? std::move(*s).release() : nullptr;
  }();
  return server;
}

std::string g_samba_skip;
idb::testing::SambaDc* Samba() {
  static idb::testing::SambaDc* dc = [] {
    g_samba_skip = idb::testing::SambaDc::CannotRunReason();
    if (!g_samba_skip.empty()) return static_cast<idb::testing::SambaDc*>(nullptr);
    auto d = idb::testing::SambaDc::Start();
    if (!d.ok()) {
      g_samba_skip = d.status().message();
      return static_cast<idb::testing::SambaDc*>(nullptr);
    }
    return std::move(*d).release();
  }();
  return dc;
}

struct Paths {
  std::string wrong_user, disabled_user, expired_user, right_password;
};

std::string DirectoryYaml(bool ad, const std::string& dir, bool offline) {
  std::string y = "directories:\n  - name: corp\n";
  if (ad) {
    idb::testing::SambaDc* dc = Samba();
    idb::testing::WriteFile(dir + "/svc.pw", idb::testing::SambaDc::kServicePassword, 0600);
    y += "    preset: active_directory\n    uris: [" + dc->ldaps_uri() + "]\n    ca_file: " + dc->ca_file() +
         "\n    bind_dn: " + idb::testing::SambaDc::kServiceUser + "@fleet.test\n    bind_password_file: " + dir +
         "/svc.pw\n    user_search_base: " + dc->base_dn() +
         "\n    login_forms: [username, upn, domain_user]\n    upn_domains: [fleet.test]\n    netbios_domain: FLEET\n";
  } else {
    idb::testing::SlapdServer* s = Slapd();
    idb::testing::WriteFile(dir + "/svc.pw", "svc-test-password\n", 0600);
    y += "    preset: openldap\n    uris: [" + s->ldaps_uri() + "]\n    ca_file: " + s->ca_file() +
         "\n    bind_dn: cn=idbridge-svc,ou=Services,dc=fleet,dc=test\n    bind_password_file: " + dir +
         "/svc.pw\n    user_search_base: ou=People,dc=fleet,dc=test\n    group_search_base: ou=Groups,dc=fleet,dc=test\n";
  }
  y += "    throttle: {enabled: false}\n";
  if (offline) y += "    offline_logins: {enabled: true, max_age: 1h}\n";
  return y;
}

double MedianMs(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void BM_RefusalMedians(benchmark::State& state, bool ad, bool local_admin, bool offline) {
  if (ad && Samba() == nullptr) {
    state.SkipWithError(("Samba AD not available: " + g_samba_skip).c_str());
    return;
  }
  if (!ad && Slapd() == nullptr) {
    state.SkipWithError("slapd did not start");
    return;
  }
  idb::daemon::Log::SetQuiet(true);
  idb::daemon::testing::DaemonTestEnv env;
  const std::string fx = idb::daemon::testing::DaemonTestEnv::FixtureDir();
  idb::testing::WriteFile(env.dir() + "/rules.yaml",
                          "version: 1\ndefault: deny\nrules:\n  - name: everyone\n    match: { group_glob: \"*\" }\n"
                          "    grant_profiles: [technician]\n",
                          0600);
  env.WriteRawConfig("version: 1\nmappings:\n  catalog: " + fx + "/catalog.yaml\n  profiles: " + fx +
                     "/profiles.yaml\n  rules: " + env.dir() + "/rules.yaml\nstore:\n  path: " + env.store_path() +
                     "\ndaemon:\n  socket: " + env.socket_path() + "\n  local_admin: " +
                     (local_admin ? "true" : "false") + "\n  local_admin_throttle: {enabled: false}\n" +
                     DirectoryYaml(ad, env.dir(), offline));
  if (local_admin) env.AddLocalAdmin();
  idb::daemon::DaemonOptions options = env.Options();
  options.local_admin_dummy_iterations = 600'000;  // what production pays
  auto core = DaemonCore::Create(options);
  if (!core.ok()) {
    state.SkipWithError(core.status().ToString().c_str());
    return;
  }
  const Caller caller{"uid=1000 pid=1", false};
  const Paths p = ad ? Paths{"mike", "dave", "emma", idb::testing::SambaDc::kUserPassword}
                     : Paths{"mike", "dave", "", "mike-pw"};
  // Warm the pools (and the offline cache, when on).
  (void)(*core)->Login(p.wrong_user, Secret(p.right_password), "", caller);

  std::vector<std::pair<std::string, std::string>> kinds = {
      {"unknown", "no-such-user"}, {"wrong", p.wrong_user}, {"disabled", p.disabled_user}};
  if (!p.expired_user.empty()) kinds.emplace_back("expired", p.expired_user);
  std::map<std::string, std::vector<double>> ms;
  size_t round = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < kinds.size(); ++k) {
      const auto& [kind, user] = kinds[(k + round) % kinds.size()];
      const auto start = std::chrono::steady_clock::now();
      idb::daemon::Reply r = (*core)->Login(user, Secret("Wrong-Password-1"), "", caller);
      ms[kind].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      if (r.status != 401) state.SkipWithError(("unexpected answer for " + kind + ": " + r.body.dump()).c_str());
    }
    ++round;
    if (ad) {
      state.PauseTiming();
      (void)(*core)->Login(p.wrong_user, Secret(p.right_password), "", caller);
      state.ResumeTiming();
    }
  }
  double lo = 1e300, hi = 0;
  for (const auto& [kind, v] : ms) {
    const double m = MedianMs(v);
    state.counters[kind + "_ms"] = m;
    lo = std::min(lo, m);
    hi = std::max(hi, m);
  }
  state.counters["max_ratio"] = lo > 0 ? hi / lo : 0;
  (*core)->FlushHistory();
}

void Register() {
  for (bool ad : {false, true}) {
    for (bool local_admin : {false, true}) {
      for (bool offline : {false, true}) {
        const std::string name = std::string("BM_RefusalMedians/") + (ad ? "samba_ad" : "slapd") +
                                 (local_admin ? "/local_admin" : "/no_local_admin") +
                                 (offline ? "/offline" : "/no_offline");
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) { BM_RefusalMedians(s, ad, local_admin, offline); })
            ->Iterations(kTries)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Register();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
