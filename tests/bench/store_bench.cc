// store_bench — costs of the local store on this machine: a durable write
// (fsync per commit, synchronous=FULL), the daemon's per-login read
// (AdjustmentsFor), a login-history append, verifying the security log, and the
// local admin's PBKDF2 (600,000 iterations).
// Run: build-*/tests/bench/store_bench --benchmark_min_time=0.5
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>

#include "store/password_hash.h"
#include "store/sqlite_store.h"
#include "store/time_format.h"

namespace {

using namespace idb;
using namespace idb::store;

struct BenchStore {
  BenchStore() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "idb-store-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    dir = tmpl;
    store = std::move(OpenSqliteStore(dir + "/idb.db").value());
  }
  ~BenchStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<Store> store;
};

const SystemTime kNow = ParseUtcTime("2026-06-01").value();

void BM_AddOverrideDurable(benchmark::State& state) {
  BenchStore b;
  int64_t i = 0;
  for (auto _ : state) {
    NewOverride o;
    o.user = "user" + std::to_string(i++);
    o.permission = "work_orders.view_incomplete";
    o.location = "Depot A";
    if (!b.store->AddOverride(o, "bench (uid 0)", kNow).ok()) state.SkipWithError("write failed");
  }
}
BENCHMARK(BM_AddOverrideDurable)->Unit(benchmark::kMillisecond);

void BM_RecordLogin(benchmark::State& state) {
  BenchStore b;
  for (auto _ : state) {
    LoginRecord r{0, kNow, "alice", "ldap", "ldap:corp", true, "ok", "uid=1000 pid=42", ""};
    if (!b.store->RecordLogin(r).ok()) state.SkipWithError("write failed");
  }
}
BENCHMARK(BM_RecordLogin)->Unit(benchmark::kMillisecond);

// 200 users with 5 overrides each; read one user's adjustments (the daemon does
// this at every login and session refresh).
void BM_AdjustmentsFor(benchmark::State& state) {
  BenchStore b;
  for (int u = 0; u < 200; ++u)
    for (int k = 0; k < 5; ++k) {
      NewOverride o;
      o.user = "user" + std::to_string(u);
      o.permission = "perm" + std::to_string(k) + ".view";
      (void)b.store->AddOverride(o, "bench", kNow);
    }
  int64_t i = 0;
  for (auto _ : state) {
    auto adj = b.store->AdjustmentsFor("user" + std::to_string(i++ % 200), kNow);
    if (!adj.ok()) state.SkipWithError("read failed");
    benchmark::DoNotOptimize(adj);
  }
}
BENCHMARK(BM_AdjustmentsFor)->Unit(benchmark::kMicrosecond);

void BM_VerifySecurityLog1000(benchmark::State& state) {
  BenchStore b;
  for (int i = 0; i < 1000; ++i)
    (void)b.store->AppendSecurityEvent({"bench", "config.reload", "f", "{\"hash\":\"a\"}", "{\"hash\":\"b\"}"}, kNow);
  for (auto _ : state) {
    auto r = b.store->VerifySecurityLog();
    if (!r.ok() || !r->ok) state.SkipWithError("verify failed");
  }
}
BENCHMARK(BM_VerifySecurityLog1000)->Unit(benchmark::kMillisecond);

void BM_HashPassword600k(benchmark::State& state) {
  Secret pw("Correct-Horse-42");
  for (auto _ : state) benchmark::DoNotOptimize(HashPassword(pw));
}
BENCHMARK(BM_HashPassword600k)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
