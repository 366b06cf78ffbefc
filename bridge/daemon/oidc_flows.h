// oidc_flows.h — idbridged's pending OpenID sign-ins: device flows (RFC 8628)
// and browser flows (authorization code + PKCE), between the app's "begin"
// and its last "poll".
//
// Why apart from DaemonCore: the table, its bounds and the redirect's lookup
// by OAuth state are one job; DaemonCore only turns a finished flow into a
// session (FinishLogin, the same path as every other login).
//
// Each flow has an id for the app (256 random bits, never in a URL) that maps
// to the provider running it and that provider's own handle (the device_code
// and the PKCE verifier stay inside OidcProvider). A flow belongs to the
// caller that began it (`owner`, e.g. "uid=1000" from SO_PEERCRED): polled by
// anyone else it is "unknown", as if it did not exist. Browser flows are also
// indexed by their `state`, which travels through the browser to the
// redirect listener (HandleRedirect). At most kMaxFlows flows in all and
// kMaxFlowsPerOwner per owner; expired flows are dropped on every begin and
// redirect, and when polled. Each entry holds its provider (shared_ptr), so a
// configuration reload between begin and poll does not break a flow.
// Ownership: owns the entries; providers are shared with the runtime.
// Thread-safety: every method is safe for concurrent use; provider calls
// (which may do HTTP) are made without holding the table's lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/identity.h"
#include "core/user_adjustments.h"  // SystemTime
#include "oidc/oidc_provider.h"
#include "oidc/oidc_result.h"

namespace idb::daemon {

enum class FlowKind { kDevice, kBrowser };

// What the app shows the user (device: user code + page; browser: the
// authorization URL to open, user_code empty).
struct FlowStartInfo {
  std::string id;
  std::string user_code;
  std::string verification_uri;
  std::string verification_uri_complete;
  int64_t interval_s = 5;
  SystemTime expires{};
};

struct FlowPollOutcome {
  enum class State { kUnknown, kPending, kDone };
  State state = State::kUnknown;
  bool slow_down = false;                               // kPending: the provider asked to poll less often
  std::shared_ptr<oidc::OidcProvider> provider;         // kDone
  std::optional<oidc::OidcResult<Identity>> result;     // kDone: the identity or the refusal
};

class OidcFlowTable {
 public:
  static constexpr size_t kMaxFlows = 1024;
  static constexpr size_t kMaxFlowsPerOwner = 256;
  static constexpr size_t kMaxRedirectValue = 4096;  // bytes per redirect query value

  // Starts a flow with the first provider able to (in `oidc:` order).
  // redirect_uri: browser flows only (the redirect listener's URI). Refusals:
  // kTooManyFlows (table or owner full), or the last provider's failure.
  oidc::OidcResult<FlowStartInfo> Begin(FlowKind kind, const std::vector<std::shared_ptr<oidc::OidcProvider>>& providers,
                                        const std::string& redirect_uri, const std::string& owner, SystemTime now);

  // kUnknown: no such flow for this owner, expired, or already finished.
  // kPending: not yet. kDone: over (result holds the identity or the
  // refusal); the flow is forgotten.
  FlowPollOutcome Poll(const std::string& id, const std::string& owner, SystemTime now);

  // The browser's redirect (decoded query parameters, as received). Finds the
  // flow by `state` and lets its provider check and exchange; the outcome is
  // kept for the app's poll. A repeated parameter, an oversized value, a
  // missing or unknown state is refused without asking any provider.
  oidc::OidcResult<Identity> HandleRedirect(const std::multimap<std::string, std::string>& params, SystemTime now);

  size_t size() const;

 private:
  struct Entry {
    FlowKind kind = FlowKind::kDevice;
    std::shared_ptr<oidc::OidcProvider> provider;
    std::string handle;  // the provider's device handle or code-flow poll handle
    std::string state;   // browser flows
    std::string owner;
    SystemTime expires{};
  };

  void PurgeExpiredLocked(SystemTime now);
  // nullopt when `owner` may begin one more flow.
  std::optional<oidc::OidcFailure> NoRoomLocked(const std::string& owner) const;
  void EraseLocked(std::map<std::string, Entry>::iterator it);

  mutable std::mutex mu_;
  std::map<std::string, Entry> flows_;            // by flow id
  std::map<std::string, std::string> by_state_;   // browser state → flow id
};

}  // namespace idb::daemon
