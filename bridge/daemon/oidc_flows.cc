// oidc_flows.cc — see oidc_flows.h.
#include "daemon/oidc_flows.h"

#include <utility>

#include "daemon/session_table.h"  // NewSessionId

namespace idb::daemon {

using oidc::OidcError;
using oidc::OidcFailure;
using oidc::OidcResult;

void OidcFlowTable::EraseLocked(std::map<std::string, Entry>::iterator it) {
  if (!it->second.state.empty()) by_state_.erase(it->second.state);
  flows_.erase(it);
}

void OidcFlowTable::PurgeExpiredLocked(SystemTime now) {
  for (auto it = flows_.begin(); it != flows_.end();) {
    auto next = std::next(it);
    if (it->second.expires <= now) EraseLocked(it);
    it = next;
  }
}

std::optional<OidcFailure> OidcFlowTable::NoRoomLocked(const std::string& owner) const {
  if (flows_.size() >= kMaxFlows) {
    return OidcFailure{OidcError::kTooManyFlows, "too many pending sign-ins; try again later", ""};
  }
  size_t mine = 0;
  for (const auto& [id, e] : flows_) mine += e.owner == owner ? 1 : 0;
  if (mine >= kMaxFlowsPerOwner) {
    return OidcFailure{OidcError::kTooManyFlows, "this client has too many pending sign-ins; finish or let them expire",
                       ""};
  }
  return std::nullopt;
}

OidcResult<FlowStartInfo> OidcFlowTable::Begin(FlowKind kind,
                                               const std::vector<std::shared_ptr<oidc::OidcProvider>>& providers,
                                               const std::string& redirect_uri, const std::string& owner,
                                               SystemTime now) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    PurgeExpiredLocked(now);
    if (auto full = NoRoomLocked(owner)) return *full;
  }
  OidcFailure last{OidcError::kProviderError,
                   kind == FlowKind::kDevice ? "no provider offers the device flow" : "no provider offers the browser flow",
                   ""};
  for (const auto& provider : providers) {
    FlowStartInfo info;
    Entry entry;
    entry.kind = kind;
    entry.provider = provider;
    entry.owner = owner;
    if (kind == FlowKind::kDevice) {
      auto start = provider->BeginDeviceFlow(now);
      if (!start.ok()) {
        last = start.failure();
        continue;
      }
      entry.handle = start->handle;
      entry.expires = now + start->expires_in;
      info.user_code = start->user_code;
      info.verification_uri = start->verification_uri;
      info.verification_uri_complete = start->verification_uri_complete;
      info.interval_s = start->interval.count();
    } else {
      auto start = provider->BeginCodeFlow(redirect_uri, now);
      if (!start.ok()) {
        last = start.failure();
        continue;
      }
      entry.handle = start->poll_handle;
      entry.state = start->state;
      entry.expires = start->expires;
      info.verification_uri = start->authorize_url;
      info.interval_s = 1;  // polls are answered locally until the redirect arrives
    }
    info.expires = entry.expires;
    auto id = NewSessionId();
    if (!id.ok()) return OidcFailure{OidcError::kInternal, "cannot make a flow id", ""};
    info.id = *id;
    std::lock_guard<std::mutex> lock(mu_);
    // Checked again: other callers may have filled the table meanwhile. The
    // provider's own entry then expires unused.
    if (auto full = NoRoomLocked(owner)) return *full;
    if (!entry.state.empty()) by_state_[entry.state] = info.id;
    flows_[info.id] = std::move(entry);
    return info;
  }
  return last;
}

FlowPollOutcome OidcFlowTable::Poll(const std::string& id, const std::string& owner, SystemTime now) {
  FlowPollOutcome out;
  Entry entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = flows_.find(id);
    if (it == flows_.end() || it->second.owner != owner) return out;  // kUnknown
    if (it->second.expires <= now) {
      EraseLocked(it);
      return out;
    }
    entry = it->second;
  }
  OidcResult<Identity> result = entry.kind == FlowKind::kDevice ? entry.provider->PollDeviceFlow(entry.handle, now)
                                                                : entry.provider->PollCodeFlow(entry.handle, now);
  if (!result.ok() &&
      (result.error() == OidcError::kAuthorizationPending || result.error() == OidcError::kSlowDown)) {
    out.state = FlowPollOutcome::State::kPending;
    out.slow_down = result.error() == OidcError::kSlowDown;
    return out;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = flows_.find(id);
    if (it != flows_.end()) EraseLocked(it);
  }
  out.state = FlowPollOutcome::State::kDone;
  out.provider = entry.provider;
  out.result = std::move(result);
  return out;
}

OidcResult<Identity> OidcFlowTable::HandleRedirect(const std::multimap<std::string, std::string>& params,
                                                   SystemTime now) {
  std::map<std::string, std::string> query;
  for (const auto& [key, value] : params) {
    if (!query.emplace(key, value).second) {
      return OidcFailure{OidcError::kInvalidRequest, "the redirect repeats a query parameter", ""};
    }
    if (key.size() > 64 || value.size() > kMaxRedirectValue) {
      return OidcFailure{OidcError::kInvalidRequest, "the redirect carries an oversized query parameter", ""};
    }
  }
  auto state = query.find("state");
  if (state == query.end() || state->second.empty()) {
    return OidcFailure{OidcError::kInvalidRequest, "the redirect has no state parameter", ""};
  }
  std::shared_ptr<oidc::OidcProvider> provider;
  {
    std::lock_guard<std::mutex> lock(mu_);
    PurgeExpiredLocked(now);
    auto s = by_state_.find(state->second);
    if (s == by_state_.end()) {
      return OidcFailure{OidcError::kFlowUnknown,
                         "unknown, expired or already used sign-in (state); start again from the application", ""};
    }
    auto it = flows_.find(s->second);
    if (it == flows_.end()) return OidcFailure{OidcError::kInternal, "flow table out of step", ""};
    provider = it->second.provider;
  }
  return provider->HandleRedirect(query, now);
}

size_t OidcFlowTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return flows_.size();
}

}  // namespace idb::daemon
