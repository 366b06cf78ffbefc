// plugin_session.cc — see plugin_session.h.
#include "plugin_session.h"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

namespace idb::plugin {

int64_t CoarseNowMs() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

namespace {

constexpr int64_t kRetryAfterFailureMs = 5000;

int64_t NowUnix() { return static_cast<int64_t>(::time(nullptr)); }

}  // namespace

Result<std::unique_ptr<SessionState>> ParseSessionState(const nlohmann::json& j, int64_t now_mono_ms) {
  if (!j.is_object() || !j.contains("decisions") || !j.contains("expires_in")) {
    return InvalidArgument("session answer lacks 'decisions' or 'expires_in'");
  }
  const auto& exp = j["expires_in"];
  if (!exp.is_number_integer() || exp.get<int64_t>() < 0) {
    return InvalidArgument("session answer has a bad 'expires_in'");
  }
  auto decisions = DecisionSet::FromJson(j["decisions"]);
  if (!decisions.ok()) return decisions.status();
  auto state = std::make_unique<SessionState>();
  state->decisions = std::move(decisions).value();
  state->user = j.value("user", state->decisions.user());
  state->source = j.value("source", std::string());
  state->stale = j.value("stale", false) || state->decisions.stale();
  const int64_t expires_in = exp.get<int64_t>();
  state->expires_unix = j.value("expires_unix", NowUnix() + expires_in);
  state->refreshed_unix = NowUnix();
  state->expires_mono_ms = now_mono_ms + expires_in * 1000;
  state->fingerprint = j["decisions"].dump() + "|" + (state->stale ? "1" : "0");
  return state;
}

PluginSession::PluginSession(std::shared_ptr<const DaemonClient> client, std::string id,
                             std::unique_ptr<SessionState> first, int64_t refresh_in_ms)
    : client_(std::move(client)), id_(std::move(id)) {
  refresh_in_ms_.store(std::max<int64_t>(refresh_in_ms, 1000), std::memory_order_relaxed);
  next_refresh_ms_.store(CoarseNowMs() + refresh_in_ms_.load(), std::memory_order_relaxed);
  Publish(std::move(first));
}

PluginSession::~PluginSession() { Wipe(id_); }

void PluginSession::Publish(std::unique_ptr<SessionState> next) {
  std::lock_guard<std::mutex> lock(states_mu_);
  const SessionState* raw = next.get();
  states_.push_back(std::move(next));
  current_.store(raw, std::memory_order_release);
}

void PluginSession::EndLocally() {
  auto ended = std::make_unique<SessionState>();
  const SessionState& cur = Current();
  ended->user = cur.user;
  ended->source = cur.source;
  ended->ended = true;
  Publish(std::move(ended));
}

int PluginSession::Check(const char* permission, const char* location,
                         const char* warehouse) noexcept {
  if (permission == nullptr) return IDB_DENY;
  const int64_t now = CoarseNowMs();
  if (now >= next_refresh_ms_.load(std::memory_order_relaxed)) LazyRefresh(now);
  const SessionState* st = current_.load(std::memory_order_acquire);
  if (st == nullptr || st->ended || now >= st->expires_mono_ms) return IDB_DENY;
  return st->decisions.Check(std::string_view(permission),
                             location ? std::string_view(location) : std::string_view(),
                             warehouse ? std::string_view(warehouse) : std::string_view())
             ? IDB_ALLOW
             : IDB_DENY;
}

void PluginSession::LazyRefresh(int64_t now_ms) noexcept {
  bool expected = false;
  if (!refreshing_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) return;
  // Re-check under the flag: another thread may have just refreshed.
  if (now_ms >= next_refresh_ms_.load(std::memory_order_relaxed)) {
    try {
      (void)Refresh();
    } catch (...) {
      next_refresh_ms_.store(now_ms + kRetryAfterFailureMs, std::memory_order_relaxed);
    }
  }
  refreshing_.store(false, std::memory_order_release);
}

CallResult PluginSession::Refresh() {
  const int64_t now = CoarseNowMs();
  if (Current().ended) {
    CallResult r;
    r.status = IDB_E_SESSION_UNKNOWN;
    r.message = "the session has ended";
    return r;
  }
  CallResult r = client_->Call("POST", "/v1/sessions/" + id_ + "/refresh", "{}");
  if (r.status == IDB_E_SESSION_UNKNOWN) {
    EndLocally();
    next_refresh_ms_.store(INT64_MAX, std::memory_order_relaxed);
    return r;
  }
  if (r.status != IDB_OK) {
    // Daemon down or busy: keep the current decisions until they expire.
    next_refresh_ms_.store(now + std::min<int64_t>(kRetryAfterFailureMs, refresh_in_ms_.load()),
                           std::memory_order_relaxed);
    return r;
  }
  auto next = ParseSessionState(r.body, now);
  if (!next.ok()) {
    r.status = IDB_E_PROTOCOL;
    r.message = next.status().message();
    next_refresh_ms_.store(now + kRetryAfterFailureMs, std::memory_order_relaxed);
    return r;
  }
  if (r.body.contains("refresh_in") && r.body["refresh_in"].is_number_integer()) {
    refresh_in_ms_.store(std::max<int64_t>(r.body["refresh_in"].get<int64_t>() * 1000, 1000),
                         std::memory_order_relaxed);
  }
  const SessionState& cur = Current();
  if (cur.fingerprint != (*next)->fingerprint || cur.expires_unix != (*next)->expires_unix) {
    Publish(std::move(next).value());
  }
  next_refresh_ms_.store(now + refresh_in_ms_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  r.body = nullptr;
  return r;
}

CallResult PluginSession::Logout() {
  nlohmann::json req = {{"session", id_}};
  std::string body = req.dump();
  CallResult r = client_->Call("POST", "/v1/logout", body);
  Wipe(body);
  // Whatever the daemon said, this handle allows nothing from now on.
  EndLocally();
  next_refresh_ms_.store(INT64_MAX, std::memory_order_relaxed);
  if (r.status == IDB_E_SESSION_UNKNOWN) r.status = IDB_OK;  // already gone: logged out
  return r;
}

}  // namespace idb::plugin
