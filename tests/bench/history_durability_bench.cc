// history_durability_bench — what store.history_commit costs and what it buys,
// both modes in one run, against the built idbridged (a separate process) and
// the plugin, 4 client threads logging in the break-glass local admin (test
// PBKDF2 cost, so the daemon and the store dominate, not a directory):
//   BM_LoginThroughput/mode    logins/s and latency p50/p99 for 5 s;
//   BM_LoginsUnderSigkill/mode the daemon is SIGKILLed `kills` times at a random
//                              moment under that load and restarted; every
//                              login carries its own application name, so each
//                              login answered OK is looked up in the history
//                              afterwards: `lost` = answered OK without a row.
// mode 0 = after_answer (group commit after the answer), 1 = before_answer.
// Run: build-*/tests/bench/history_durability_bench [--kills=N]
//      (default 20 kills per mode; figures in docs/store.md)
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon_test_env.h"
#include "idbridge.h"

namespace {

using idb::daemon::testing::DaemonTestEnv;
using idb::daemon::testing::kAdminPassword;
using idb::daemon::testing::kAdminUser;
using Clock = std::chrono::steady_clock;

int g_kills = 20;
constexpr int kClients = 4;

const char* ModeName(int64_t mode) { return mode == 1 ? "before_answer" : "after_answer"; }

class Daemon {
 public:
  explicit Daemon(const DaemonTestEnv& env) : env_(env) {}
  ~Daemon() { Stop(SIGTERM); }
  bool Start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open("/dev/null", O_WRONLY);
      ::dup2(fd, 2);
      ::execl(IDBRIDGED_PATH, IDBRIDGED_PATH, "--config", env_.config_path().c_str(), nullptr);
      ::_exit(127);
    }
    idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
    o.socket_path = env_.socket_path().c_str();
    idb_client* c = nullptr;
    if (idb_client_open(&o, &c) != IDB_OK) return false;
    bool up = false;
    for (int i = 0; i < 400 && !up; ++i) {
      up = idb_client_ping(c) == IDB_OK;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    idb_client_close(c);
    return up;
  }
  void Stop(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  const DaemonTestEnv& env_;
  pid_t pid_ = -1;
};

void Configure(DaemonTestEnv& env, int64_t mode) {
  env.WriteConfig("rules.yaml", "threads: 8\n", std::string("history_commit: ") + ModeName(mode) + "\n");
  env.AddLocalAdmin();
}

void BM_LoginThroughput(benchmark::State& state) {
  DaemonTestEnv env;
  Configure(env, state.range(0));
  Daemon daemon(env);
  if (!daemon.Start()) {
    state.SkipWithError("idbridged did not start");
    return;
  }
  std::vector<double> latencies_ms;
  std::mutex mu;
  size_t logins = 0;
  double seconds = 0;
  for (auto _ : state) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    const auto start = Clock::now();
    for (int t = 0; t < kClients; ++t) {
      clients.emplace_back([&] {
        idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
        o.socket_path = env.socket_path().c_str();
        idb_client* c = nullptr;
        if (idb_client_open(&o, &c) != IDB_OK) return;
        std::vector<double> mine;
        while (!stop.load()) {
          const auto t0 = Clock::now();
          idb_session* s = nullptr;
          if (idb_login(c, kAdminUser, kAdminPassword, &s) == IDB_OK) {
            mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            idb_session_close(s);
          }
        }
        idb_client_close(c);
        std::lock_guard<std::mutex> lock(mu);
        latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(5));
    stop = true;
    for (auto& c : clients) c.join();
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    logins = latencies_ms.size();
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms.empty() ? 0.0 : latencies_ms[std::min(latencies_ms.size() - 1,
                                                              static_cast<size_t>(p * latencies_ms.size()))];
  };
  state.counters["logins_per_s"] = logins / seconds;
  state.counters["p50_ms"] = pct(0.50);
  state.counters["p99_ms"] = pct(0.99);
  state.SetLabel(ModeName(state.range(0)));
}

void BM_LoginsUnderSigkill(benchmark::State& state) {
  DaemonTestEnv env;
  Configure(env, state.range(0));
  std::mt19937 rng(12345);
  std::set<std::string> answered;  // application names of logins answered OK
  std::mutex mu;
  std::atomic<uint64_t> serial{0};
  int kills = 0;
  for (auto _ : state) {
    for (int k = 0; k < g_kills; ++k) {
      Daemon daemon(env);
      if (!daemon.Start()) {
        state.SkipWithError("idbridged did not start");
        return;
      }
      std::atomic<bool> stop{false};
      std::vector<std::thread> clients;
      for (int t = 0; t < kClients; ++t) {
        clients.emplace_back([&, t] {
          while (!stop.load()) {
            // One client per login: its application name marks the login's row.
            const std::string app = "k" + std::to_string(t) + "-" + std::to_string(serial.fetch_add(1));
            idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
            o.socket_path = env.socket_path().c_str();
            o.application = app.c_str();
            o.request_timeout_ms = 5000;
            idb_client* c = nullptr;
            if (idb_client_open(&o, &c) != IDB_OK) continue;
            idb_session* s = nullptr;
            if (idb_login(c, kAdminUser, kAdminPassword, &s) == IDB_OK) {
              std::lock_guard<std::mutex> lock(mu);
              answered.insert(app);
              idb_session_close(s);
            }
            idb_client_close(c);
          }
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
      daemon.Stop(SIGKILL);
      ++kills;
      stop = true;
      for (auto& c : clients) c.join();
    }
  }
  // Every row in the store, matched by application name.
  auto store = env.OpenStore();
  idb::store::HistoryQuery q;
  q.limit = 1'000'000;
  auto rows = store->QueryHistory(q);
  if (!rows.ok()) {
    state.SkipWithError(rows.status().ToString().c_str());
    return;
  }
  std::set<std::string> recorded;
  for (const auto& r : *rows) {
    auto at = r.client.find(" app=");
    if (r.success && at != std::string::npos) recorded.insert(r.client.substr(at + 5));
  }
  size_t lost = 0;
  for (const auto& a : answered) lost += recorded.count(a) == 0 ? 1 : 0;
  state.counters["kills"] = kills;
  state.counters["answered_ok"] = static_cast<double>(answered.size());
  state.counters["lost"] = static_cast<double>(lost);
  state.counters["rows_ok"] = static_cast<double>(recorded.size());
  state.SetLabel(ModeName(state.range(0)));
}

BENCHMARK(BM_LoginThroughput)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_LoginsUnderSigkill)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--kills=", 8) == 0) {
      g_kills = std::max(1, std::atoi(argv[i] + 8));
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
