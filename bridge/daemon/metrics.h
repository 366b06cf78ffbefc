// metrics.h — counters for /metrics (Prometheus text format 0.0.4).
//
// Why: operators watch login failures, reloads and directory latency without
// reading logs. Exposed:
//   idbridge_logins_total{method,result}        counter (result = LoginFailureName)
//   idbridge_checks_total{result}               server-side /v1/check answers
//   idbridge_decision_sets_served_total         decision sets sent to plugins (login, refresh)
//   idbridge_sessions                           gauge, open sessions
//   idbridge_reloads_total{result}              ok | rejected
//   idbridge_connections_refused_total          peers not on the allow-list
//   idbridge_connections_accepted_total         UNIX-socket connections taken up by a worker
//                                               (refused ones included; plugins reuse theirs)
//   idbridge_directory_request_seconds{authenticator}  histogram of Authenticate/Lookup latency
//   idbridge_history_write_failures_total       login-history/known-user rows given up (shutdown, store failing)
//   idbridge_history_queued_rows                gauge, rows waiting for their commit (retries included)
//   idbridge_history_failing                    gauge, 1 while the last history commit failed
//   idbridge_history_commit_failures_total      failed history commit attempts (each retried)
//   (logins refused because their row had no place: idbridge_logins_total{result="history_unavailable"})
// Thread-safety: every method is safe for concurrent use (a mutex for the
// labelled maps, atomics for the plain counters).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace idb::daemon {

class Metrics {
 public:
  void CountLogin(const std::string& method, const std::string& result);
  void CountCheck(bool allowed) { (allowed ? checks_allow_ : checks_deny_).fetch_add(1, std::memory_order_relaxed); }
  void CountDecisionSetServed() { decision_sets_.fetch_add(1, std::memory_order_relaxed); }
  void CountReload(bool ok) { (ok ? reloads_ok_ : reloads_rejected_).fetch_add(1, std::memory_order_relaxed); }
  void CountHistoryWriteFailure(uint64_t rows) { history_failures_.fetch_add(rows, std::memory_order_relaxed); }
  uint64_t HistoryWriteFailures() const { return history_failures_.load(); }
  // The history writer's backlog, set before each Render.
  void SetHistoryBacklog(uint64_t queued_rows, bool failing, uint64_t commit_failures) {
    history_queued_.store(queued_rows, std::memory_order_relaxed);
    history_failing_.store(failing, std::memory_order_relaxed);
    history_commit_failures_.store(commit_failures, std::memory_order_relaxed);
  }
  void CountRefusedConnection() { refused_.fetch_add(1, std::memory_order_relaxed); }
  void CountAcceptedConnection() { accepted_.fetch_add(1, std::memory_order_relaxed); }
  void ObserveDirectoryLatency(const std::string& authenticator, double seconds);

  uint64_t LoginCount(const std::string& method, const std::string& result) const;
  uint64_t ReloadCount(bool ok) const { return (ok ? reloads_ok_ : reloads_rejected_).load(); }
  uint64_t RefusedConnections() const { return refused_.load(); }
  uint64_t AcceptedConnections() const { return accepted_.load(); }

  std::string Render(size_t open_sessions) const;

  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> logins_;  // guarded by mu_
  std::map<std::string, Histogram> directory_;                       // guarded by mu_
  std::atomic<uint64_t> checks_allow_{0}, checks_deny_{0}, decision_sets_{0};
  std::atomic<uint64_t> reloads_ok_{0}, reloads_rejected_{0}, refused_{0}, accepted_{0};
  std::atomic<uint64_t> history_failures_{0};
  std::atomic<uint64_t> history_queued_{0}, history_commit_failures_{0};
  std::atomic<bool> history_failing_{false};
};

}  // namespace idb::daemon
