// ldap_login_bench — logins per second against a real slapd with 10,000 users
// and 500 groups (~20 groups per user), 1 and 4 concurrent clients:
//   BM_RawLibldapCeiling     a raw libldap loop doing only what a login needs:
//                            service-account search of the user (with memberOf)
//                            + bind as the user, on persistent LDAPS connections
//                            (one pair per thread) — the ceiling;
//   BM_RawLibldapPaused/N    the ceiling's loop with an N µs sleep between logins;
//                            counter ldap_us_per_login = the time of the search +
//                            bind alone. Shows what an idle gap between requests
//                            (e.g. a daemon hop) costs the directory's answers on
//                            the machine at hand, with no idbridge code involved;
//   BM_LdapAuthenticator     LdapAuthenticator::Authenticate (validation, pooled
//                            connections, search, user bind, groups with nesting
//                            resolution, claims) on the same server in the same run;
//   BM_PluginDaemonLogin     idb_login() in the plugin → UNIX socket → idbridged
//                            (in-process, 8 worker threads) → LdapAuthenticator →
//                            slapd, mapping, store (login history), session;
//                            then idb_session_close();
//   BM_PluginDaemonPing      idb_client_ping() to the same idbridged: the hop
//                            alone (UNIX socket, HTTP framing, a worker), the
//                            floor under any login that goes through the daemon.
// The directory is generated here and loaded with slapadd -q (memberOf values
// written into the LDIF). Run:
//   build-*/tests/bench/ldap_login_bench --benchmark_min_time=3 --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <ldap.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#ifdef IDB_BENCH_WITH_DAEMON
#include "daemon/daemon_server.h"
#include "daemon/log.h"
#include "daemon_test_env.h"
#include "idbridge.h"
#endif
#include "ldap/ldap_authenticator.h"
#include "slapd_server.h"

namespace {

constexpr int kUsers = 10000;
constexpr int kGroups = 500;
constexpr int kGroupsPerUser = 20;
const char* kServiceDn = "cn=idbridge-svc,ou=Services,dc=fleet,dc=test";
const char* kServicePassword = "svc-bench-password";

std::string UserName(int i) {
  char buf[16];
  snprintf(buf, sizeof buf, "u%05d", i);
  return buf;
}

std::string GenerateLdif() {
  std::ostringstream o;
  o << "dn: dc=fleet,dc=test\nobjectClass: dcObject\nobjectClass: organization\ndc: fleet\no: Bench\n\n";
  for (const char* ou : {"People", "Groups", "Services", "Policies"}) {
    o << "dn: ou=" << ou << ",dc=fleet,dc=test\nobjectClass: organizationalUnit\nou: " << ou << "\n\n";
  }
  o << "dn: cn=default,ou=Policies,dc=fleet,dc=test\nobjectClass: device\nobjectClass: pwdPolicy\ncn: default\n"
       "pwdAttribute: userPassword\n\n";
  o << "dn: " << kServiceDn << "\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\n"
    << "cn: idbridge-svc\nuserPassword: " << kServicePassword << "\n\n";
  for (int i = 0; i < kUsers; ++i) {
    const std::string u = UserName(i);
    o << "dn: uid=" << u << ",ou=People,dc=fleet,dc=test\nobjectClass: inetOrgPerson\nuid: " << u << "\ncn: User " << i
      << "\nsn: " << i << "\ndepartmentNumber: Depot " << (i % 7) << "\ntitle: Mechanic\nemployeeNumber: E" << i
      << "\nmail: " << u << "@fleet.test\nuserPassword: pw-" << u << "\n\n";
  }
  std::vector<std::vector<int>> members(kGroups);
  std::mt19937 rng(42);
  for (int i = 0; i < kUsers; ++i) {
    for (int k = 0; k < kGroupsPerUser; ++k) members[rng() % kGroups].push_back(i);
  }
  for (int g = 0; g < kGroups; ++g) {
    o << "dn: cn=Group " << g << ",ou=Groups,dc=fleet,dc=test\nobjectClass: groupOfNames\ncn: Group " << g << "\n";
    std::sort(members[g].begin(), members[g].end());
    members[g].erase(std::unique(members[g].begin(), members[g].end()), members[g].end());
    if (members[g].empty()) members[g].push_back(0);
    for (int m : members[g]) o << "member: uid=" << UserName(m) << ",ou=People,dc=fleet,dc=test\n";
    o << "\n";
  }
  return o.str();
}

LDAP* Open(const idb::testing::SlapdServer& s);
int Bind(LDAP* ld, const std::string& dn, const std::string& pw);

// Reads every entry once, so slapd's entry cache and the page cache are warm
// for whichever benchmark runs first (the first one measured used to pay for
// a cold server).
void WarmUp(const idb::testing::SlapdServer& s) {
  LDAP* ld = Open(s);
  if (Bind(ld, kServiceDn, kServicePassword) == LDAP_SUCCESS) {
    for (const char* base : {"ou=People,dc=fleet,dc=test", "ou=Groups,dc=fleet,dc=test"}) {
      LDAPMessage* res = nullptr;
      (void)ldap_search_ext_s(ld, base, LDAP_SCOPE_SUBTREE, "(objectClass=*)", nullptr, 0, nullptr, nullptr, nullptr,
                              0, &res);
      ldap_msgfree(res);
    }
  }
  ldap_unbind_ext_s(ld, nullptr, nullptr);
}

idb::testing::SlapdServer* Server() {
  static std::once_flag once;
  static std::unique_ptr<idb::testing::SlapdServer> server;
  std::call_once(once, [] {
    idb::testing::SlapdOptions o;
    o.ldif_text = GenerateLdif();
    o.service_dn = kServiceDn;
    auto s = idb::testing::SlapdServer::Start(o);
    if (!s.ok()) {
      fprintf(stderr, "ldap_login_bench: slapd: %s\n", s.status().ToString().c_str());
      return;
    }
    server = std::move(*s);
    WarmUp(*server);
  });
  return server.get();
}

std::atomic<int> g_next{0};

LDAP* Open(const idb::testing::SlapdServer& s) {
  LDAP* ld = nullptr;
  ldap_initialize(&ld, s.ldaps_uri().c_str());
  const int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
  ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
  ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, s.ca_file().c_str());
  ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
  return ld;
}

int Bind(LDAP* ld, const std::string& dn, const std::string& pw) {
  berval cred{pw.size(), const_cast<char*>(pw.data())};
  return ldap_sasl_bind_s(ld, dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
}

// One raw login: service search of the user (with memberOf), bind as the user.
bool RawLogin(LDAP* svc, LDAP* usr) {
  static char* attrs[] = {const_cast<char*>("uid"), const_cast<char*>("memberOf"), const_cast<char*>("mail"),
                          const_cast<char*>("departmentNumber"), nullptr};
  const std::string u = UserName(g_next++ % kUsers);
  const std::string filter = "(&(objectClass=inetOrgPerson)(uid=" + u + "))";
  LDAPMessage* res = nullptr;
  int rc = ldap_search_ext_s(svc, "ou=People,dc=fleet,dc=test", LDAP_SCOPE_SUBTREE, filter.c_str(), attrs, 0, nullptr,
                             nullptr, nullptr, 2, &res);
  LDAPMessage* e = rc == LDAP_SUCCESS ? ldap_first_entry(svc, res) : nullptr;
  char* dn = e ? ldap_get_dn(svc, e) : nullptr;
  berval** groups = e ? ldap_get_values_len(svc, e, "memberOf") : nullptr;
  benchmark::DoNotOptimize(groups);
  const bool ok = dn && Bind(usr, dn, "pw-" + u) == LDAP_SUCCESS;
  if (groups) ldap_value_free_len(groups);
  if (dn) ldap_memfree(dn);
  ldap_msgfree(res);
  return ok;
}

// Runs `login` (given the service and user connections) per iteration.
template <typename Login>
void RawLoop(benchmark::State& state, Login login) {
  auto* s = Server();
  if (!s) {
    state.SkipWithError("slapd did not start");
    return;
  }
  LDAP* svc = Open(*s);
  LDAP* usr = Open(*s);
  if (Bind(svc, kServiceDn, kServicePassword) != LDAP_SUCCESS) {
    state.SkipWithError("service bind failed");
    return;
  }
  int64_t failures = 0;
  for (auto _ : state) {
    if (!login(svc, usr)) ++failures;
  }
  ldap_unbind_ext_s(svc, nullptr, nullptr);
  ldap_unbind_ext_s(usr, nullptr, nullptr);
  state.counters["logins_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["failures"] = static_cast<double>(failures);
}

void BM_RawLibldapCeiling(benchmark::State& state) { RawLoop(state, RawLogin); }

void BM_RawLibldapPaused(benchmark::State& state) {
  const auto pause = std::chrono::microseconds(state.range(0));
  std::chrono::steady_clock::duration in_ldap{};
  RawLoop(state, [&](LDAP* svc, LDAP* usr) {
    const auto start = std::chrono::steady_clock::now();
    const bool ok = RawLogin(svc, usr);
    in_ldap += std::chrono::steady_clock::now() - start;
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
    return ok;
  });
  if (state.iterations() > 0) {
    state.counters["ldap_us_per_login"] =
        std::chrono::duration<double, std::micro>(in_ldap).count() / static_cast<double>(state.iterations());
  }
}

idb::ldap::LdapAuthenticator* Authenticator() {
  static std::once_flag once;
  static std::unique_ptr<idb::ldap::LdapAuthenticator> auth;
  std::call_once(once, [] {
    auto* s = Server();
    if (!s) return;
    const std::string dir = s->dir();  // removed with the server at exit
    idb::ldap::DirectoryConfig c;
    c.name = "bench";
    c.preset = idb::ldap::DirectoryPreset::kOpenLdap;
    c.uris = {s->ldaps_uri()};
    c.ca_file = s->ca_file();
    c.bind_dn = kServiceDn;
    c.bind_password_file = dir + "/svc.pw";
    idb::testing::WriteFile(c.bind_password_file, kServicePassword, 0600);
    c.user_search_base = "ou=People,dc=fleet,dc=test";
    c.group_search_base = "ou=Groups,dc=fleet,dc=test";
    c.user_filter = "(&(objectClass=inetOrgPerson)(uid={user}))";
    c.user_name_attribute = "uid";
    c.login_forms = {idb::ldap::LoginForm::kPlain};
    c.group_filter = "(objectClass=groupOfNames)";
    c.member_attribute = "member";
    c.claims = {{"department", "departmentNumber"}, {"mail", "mail"}};
    c.pool_size = 4;
    c.throttle_enabled = true;
    auto a = idb::ldap::LdapAuthenticator::Create(c);
    if (a.ok()) auth = std::move(*a);
  });
  return auth.get();
}

void BM_LdapAuthenticator(benchmark::State& state) {
  auto* a = Authenticator();
  if (!a) {
    state.SkipWithError("no authenticator");
    return;
  }
  int64_t failures = 0;
  for (auto _ : state) {
    idb::LoginRequest r;
    r.user = UserName(g_next++ % kUsers);
    r.password = idb::Secret("pw-" + r.user);
    r.client = "bench";
    idb::AuthOutcome o = a->Authenticate(r);
    if (!o.ok() || o.success.identity.groups.empty()) ++failures;
    benchmark::DoNotOptimize(o);
  }
  state.counters["logins_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["failures"] = static_cast<double>(failures);
}

#ifdef IDB_BENCH_WITH_DAEMON
struct DaemonWorld {
  idb::daemon::testing::DaemonTestEnv env;
  std::unique_ptr<idb::daemon::DaemonServer> daemon;
  idb_client* client = nullptr;
  std::string error;

  explicit DaemonWorld(const idb::testing::SlapdServer& s) {
    idb::daemon::Log::SetQuiet(true);
    const std::string fx = idb::daemon::testing::DaemonTestEnv::FixtureDir();
    const std::string dir = env.dir();
    idb::testing::WriteFile(dir + "/svc.pw", kServicePassword, 0600);
    idb::testing::WriteFile(dir + "/ldap_rules.yaml",
                            "version: 1\ndefault: deny\nrules:\n  - name: bench-groups\n"
                            "    match: { group_glob: \"Group *\" }\n    grant_profiles: [technician]\n");
    env.WriteRawConfig("version: 1\nmappings:\n  catalog: " + fx + "/catalog.yaml\n  profiles: " + fx +
                       "/profiles.yaml\n  rules: " + dir + "/ldap_rules.yaml\nstore:\n  path: " + env.store_path() +
                       "\ndaemon:\n  socket: " + env.socket_path() +
                       "\n  socket_mode: \"0660\"\n  session_ttl: 3600\n  session_refresh: 86400\n"
                       "  max_sessions: 10000000\n  threads: 8\n"
                       "directories:\n  - name: bench\n    preset: openldap\n    uris: [" + s.ldaps_uri() +
                       "]\n    ca_file: " + s.ca_file() + "\n    bind_dn: " + kServiceDn +
                       "\n    bind_password_file: " + dir + "/svc.pw\n    user_search_base: ou=People,dc=fleet,dc=test\n"
                       "    group_search_base: ou=Groups,dc=fleet,dc=test\n    pool_size: 4\n");
    auto d = idb::daemon::DaemonServer::Start(env.Options());
    if (!d.ok()) {
      error = d.status().ToString();
      return;
    }
    daemon = std::move(d).value();
    idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
    o.socket_path = env.socket_path().c_str();
    if (idb_client_open(&o, &client) != IDB_OK) error = "idb_client_open failed";
  }
};

DaemonWorld* TheDaemon() {
  static DaemonWorld* w = [] {
    auto* s = Server();
    return s ? new DaemonWorld(*s) : nullptr;  // lives until exit
  }();
  return w;
}

// Runs `call` (given the plugin client; true = success) per iteration
// against the in-process daemon; `rate` names the per-second counter.
template <typename Call>
void DaemonLoop(benchmark::State& state, const char* rate, Call call) {
  DaemonWorld* w = TheDaemon();
  if (!w || !w->error.empty()) {
    state.SkipWithError(w ? w->error.c_str() : "slapd did not start");
    return;
  }
  int64_t failures = 0;
  for (auto _ : state) {
    if (!call(w->client)) ++failures;
  }
  state.counters[rate] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["failures"] = static_cast<double>(failures);
}

void BM_PluginDaemonLogin(benchmark::State& state) {
  DaemonLoop(state, "logins_per_s", [](idb_client* client) {
    const std::string u = UserName(g_next++ % kUsers);
    idb_session* session = nullptr;
    const bool ok = idb_login(client, u.c_str(), ("pw-" + u).c_str(), &session) == IDB_OK;
    idb_session_close(session);
    return ok;
  });
}

void BM_PluginDaemonPing(benchmark::State& state) {
  DaemonLoop(state, "pings_per_s", [](idb_client* client) { return idb_client_ping(client) == IDB_OK; });
}
#endif  // IDB_BENCH_WITH_DAEMON

// The ceiling first, then the authenticator, then the full path: each 1 then
// 4 clients, all on the same (warmed-up) server. On a noisy machine, compare
// with --benchmark_repetitions=3 --benchmark_enable_random_interleaving=true.
BENCHMARK(BM_RawLibldapCeiling)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_RawLibldapPaused)->Arg(0)->Arg(300)->UseRealTime();
BENCHMARK(BM_LdapAuthenticator)->Threads(1)->Threads(4)->UseRealTime();
#ifdef IDB_BENCH_WITH_DAEMON
BENCHMARK(BM_PluginDaemonLogin)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_PluginDaemonPing)->Threads(1)->Threads(4)->UseRealTime();
#endif

}  // namespace

BENCHMARK_MAIN();
