// metrics.cc — see metrics.h.
#include "daemon/metrics.h"

#include <sstream>

namespace idb::daemon {

namespace {
// Label values are our own identifiers, but escape anyway (\, ", newline).
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

void Metrics::CountLogin(const std::string& method, const std::string& result) {
  std::lock_guard<std::mutex> lock(mu_);
  ++logins_[{method, result}];
}

uint64_t Metrics::LoginCount(const std::string& method, const std::string& result) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = logins_.find({method, result});
  return it == logins_.end() ? 0 : it->second;
}

void Metrics::ObserveDirectoryLatency(const std::string& authenticator, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  Histogram& h = directory_[authenticator];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::Render(size_t open_sessions) const {
  std::ostringstream os;
  std::lock_guard<std::mutex> lock(mu_);
  os << "# HELP idbridge_logins_total Login attempts by method and result.\n"
     << "# TYPE idbridge_logins_total counter\n";
  for (const auto& [key, n] : logins_) {
    os << "idbridge_logins_total{method=\"" << Label(key.first) << "\",result=\"" << Label(key.second) << "\"} "
       << n << "\n";
  }
  os << "# HELP idbridge_checks_total Server-side checks answered (/v1/check).\n"
     << "# TYPE idbridge_checks_total counter\n"
     << "idbridge_checks_total{result=\"allow\"} " << checks_allow_.load() << "\n"
     << "idbridge_checks_total{result=\"deny\"} " << checks_deny_.load() << "\n"
     << "# HELP idbridge_decision_sets_served_total Decision sets sent to plugins (login, refresh).\n"
     << "# TYPE idbridge_decision_sets_served_total counter\n"
     << "idbridge_decision_sets_served_total " << decision_sets_.load() << "\n"
     << "# HELP idbridge_sessions Open sessions.\n"
     << "# TYPE idbridge_sessions gauge\n"
     << "idbridge_sessions " << open_sessions << "\n"
     << "# HELP idbridge_reloads_total Configuration reloads by result.\n"
     << "# TYPE idbridge_reloads_total counter\n"
     << "idbridge_reloads_total{result=\"ok\"} " << reloads_ok_.load() << "\n"
     << "idbridge_reloads_total{result=\"rejected\"} " << reloads_rejected_.load() << "\n"
     << "# HELP idbridge_connections_refused_total Connections from peers not on the allow-list.\n"
     << "# TYPE idbridge_connections_refused_total counter\n"
     << "idbridge_connections_refused_total " << refused_.load() << "\n"
     << "# HELP idbridge_connections_accepted_total UNIX-socket connections accepted (refused ones included).\n"
     << "# TYPE idbridge_connections_accepted_total counter\n"
     << "idbridge_connections_accepted_total " << accepted_.load() << "\n"
     << "# HELP idbridge_history_write_failures_total Login-history and known-user rows given up (only at shutdown with the store failing).\n"
     << "# TYPE idbridge_history_write_failures_total counter\n"
     << "idbridge_history_write_failures_total " << history_failures_.load() << "\n"
     << "# HELP idbridge_history_queued_rows Login-history and known-user rows waiting to be committed.\n"
     << "# TYPE idbridge_history_queued_rows gauge\n"
     << "idbridge_history_queued_rows " << history_queued_.load() << "\n"
     << "# HELP idbridge_history_failing 1 while the last login-history commit failed (rows wait for a retry).\n"
     << "# TYPE idbridge_history_failing gauge\n"
     << "idbridge_history_failing " << (history_failing_.load() ? 1 : 0) << "\n"
     << "# HELP idbridge_history_commit_failures_total Login-history commit attempts that failed (each is retried).\n"
     << "# TYPE idbridge_history_commit_failures_total counter\n"
     << "idbridge_history_commit_failures_total " << history_commit_failures_.load() << "\n"
     << "# HELP idbridge_directory_request_seconds Authenticate/Lookup latency per authenticator.\n"
     << "# TYPE idbridge_directory_request_seconds histogram\n";
  for (const auto& [name, h] : directory_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      os << "idbridge_directory_request_seconds_bucket{authenticator=\"" << Label(name) << "\",le=\""
         << kBuckets[i] << "\"} " << h.buckets[i] << "\n";
    }
    os << "idbridge_directory_request_seconds_bucket{authenticator=\"" << Label(name) << "\",le=\"+Inf\"} "
       << h.count << "\n"
       << "idbridge_directory_request_seconds_sum{authenticator=\"" << Label(name) << "\"} " << h.sum << "\n"
       << "idbridge_directory_request_seconds_count{authenticator=\"" << Label(name) << "\"} " << h.count << "\n";
  }
  return os.str();
}

}  // namespace idb::daemon
