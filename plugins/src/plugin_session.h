// plugin_session.h — what an idb_session handle holds: the daemon's session
// id and an immutable decision snapshot swapped atomically on refresh.
//
// Why: idb_check() must answer in nanoseconds from many threads with no lock
// and no allocation. Readers load one atomic pointer (acquire) to an immutable
// SessionState; a refresh builds a new state and publishes it (release). Old
// states are retired, not freed, until the handle is closed (a reader may
// still be inside one; there is no reader counter to contend on). A refresh
// only publishes when the daemon's answer differs, so the retired list grows
// only when decisions actually change.
// Thread-safety: Check/Profiles/Refresh may run concurrently; Close (the
// destructor) must not race with them (documented in idbridge.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/decision_set.h"
#include "daemon_client.h"
#include "idbridge.h"

namespace idb::plugin {

// Milliseconds on CLOCK_MONOTONIC_COARSE: a few ns to read, 1–4 ms resolution,
// plenty for expiry and refresh deadlines.
int64_t CoarseNowMs() noexcept;

struct SessionState {
  DecisionSet decisions;
  std::string user;
  std::string source;
  bool stale = false;
  bool ended = false;          // logged out / revoked / unknown: deny everything
  int64_t expires_unix = 0;
  int64_t refreshed_unix = 0;
  int64_t expires_mono_ms = 0; // CoarseNowMs() deadline
  std::string fingerprint;     // the daemon's decisions JSON, to skip no-op swaps
};

// Parses a daemon session answer (docs/protocol.md "Session object").
// `now_mono_ms` anchors expires_in on our clock.
Result<std::unique_ptr<SessionState>> ParseSessionState(const nlohmann::json& j, int64_t now_mono_ms);

class PluginSession {
 public:
  PluginSession(std::shared_ptr<const DaemonClient> client, std::string id,
                std::unique_ptr<SessionState> first, int64_t refresh_in_ms);
  ~PluginSession();
  PluginSession(const PluginSession&) = delete;
  PluginSession& operator=(const PluginSession&) = delete;

  // Hot path. IDB_ALLOW / IDB_DENY.
  int Check(const char* permission, const char* location, const char* warehouse) noexcept;
  const SessionState& Current() const noexcept { return *current_.load(std::memory_order_acquire); }

  // Fetches decisions now (POST /v1/sessions/{id}/refresh).
  CallResult Refresh();
  CallResult Logout();

 private:
  void LazyRefresh(int64_t now_ms) noexcept;
  void Publish(std::unique_ptr<SessionState> next);
  void EndLocally();

  std::shared_ptr<const DaemonClient> client_;
  std::string id_;  // a bearer secret: wiped in the destructor
  std::atomic<const SessionState*> current_{nullptr};
  std::atomic<int64_t> next_refresh_ms_{0};
  std::atomic<int64_t> refresh_in_ms_{0};
  std::atomic<bool> refreshing_{false};
  std::mutex states_mu_;                              // guards states_
  std::vector<std::unique_ptr<SessionState>> states_; // owns every published state
};

}  // namespace idb::plugin

// The opaque handle of the ABI.
struct idb_session {
  explicit idb_session(std::unique_ptr<idb::plugin::PluginSession> s) : impl(std::move(s)) {}
  std::unique_ptr<idb::plugin::PluginSession> impl;
};
