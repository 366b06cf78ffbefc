// plugin_bench.cc — the plugin's hot path and a login round trip.
//
//   BM_PluginCheck/threads:N   idb_check() on a live session, answered from the
//                              cached decision set (no I/O). Counter
//                              allocs_per_check counts operator new calls made
//                              during the timed loop (target: 0).
//   BM_LoginRoundTrip/threads:N  idb_login() through the UNIX socket into an
//                              in-process idbridged: a local admin with the cheap
//                              test PBKDF2 setting (1,000 iterations), the store
//                              lookup, the engine, the session, and the login
//                              history row (SQLite, synchronous=FULL).
// Run: build-*/tests/bench/plugin_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>

#include "daemon/daemon_server.h"
#include "daemon/log.h"
#include "daemon_test_env.h"
#include "idbridge.h"
#include "store/password_hash.h"

// Counts every operator new in the process, the plugin's included (its
// references to operator new resolve to this definition).
// (GCC 12 warns free() after a replaced operator new: a known false positive.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
static std::atomic<long> g_allocations{0};
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using idb::daemon::testing::DaemonTestEnv;
using idb::daemon::testing::kAdminPassword;
using idb::daemon::testing::kAdminUser;

struct World {
  DaemonTestEnv env;
  std::unique_ptr<idb::daemon::DaemonServer> daemon;
  idb_client* client = nullptr;
  idb_session* session = nullptr;

  World() {
    idb::daemon::Log::SetQuiet(true);
    env.WriteConfig("rules.yaml", "session_refresh: 86400\nmax_sessions: 10000000\nthreads: 8\n");
    env.AddLocalAdmin();
    auto d = idb::daemon::DaemonServer::Start(env.Options());
    if (!d.ok()) std::abort();
    daemon = std::move(d).value();
    idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
    o.socket_path = env.socket_path().c_str();
    if (idb_client_open(&o, &client) != IDB_OK) std::abort();
    if (idb_login(client, kAdminUser, kAdminPassword, &session) != IDB_OK) std::abort();
  }
};

World& TheWorld() {
  static World* w = new World();  // lives until exit (threads may still run at teardown)
  return *w;
}

void BM_PluginCheck(benchmark::State& state) {
  World& w = TheWorld();
  const long before = g_allocations.load();
  long allowed = 0;
  for (auto _ : state) {
    allowed += idb_check(w.session, "work_orders.edit", "Depot A", nullptr);
    benchmark::DoNotOptimize(allowed);
  }
  if (state.thread_index() == 0) {
    state.counters["allocs_per_check"] =
        benchmark::Counter(static_cast<double>(g_allocations.load() - before) / static_cast<double>(state.iterations()));
  }
  state.SetItemsProcessed(state.iterations());
  if (allowed != static_cast<long>(state.iterations())) state.SkipWithError("check denied");
}
BENCHMARK(BM_PluginCheck)->Threads(1)->Threads(4)->UseRealTime();

void BM_LoginRoundTrip(benchmark::State& state) {
  World& w = TheWorld();
  for (auto _ : state) {
    idb_session* s = nullptr;
    if (idb_login(w.client, kAdminUser, kAdminPassword, &s) != IDB_OK) {
      state.SkipWithError("login failed");
      break;
    }
    idb_session_close(s);
  }
  state.SetItemsProcessed(state.iterations());  // items/s = logins per second, all threads together
  if (state.thread_index() == 0) state.counters["pbkdf2_iterations"] = idb::store::kTestPbkdf2Iterations;
}
BENCHMARK(BM_LoginRoundTrip)->Threads(1)->Threads(4)->UseRealTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
