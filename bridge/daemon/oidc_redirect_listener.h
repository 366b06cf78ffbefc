// oidc_redirect_listener.h — the plain-HTTP TCP listener that receives the
// browser's redirect at the end of an OpenID browser sign-in
// (daemon.oidc_redirect; loopback by default, RFC 8252).
//
// Why: with the authorization code + PKCE flow the provider sends the user's
// browser to redirect_uri?code=…&state=…; the desktop application cannot
// host that page, so idbridged does. GET <path of redirect_uri> goes to
// DaemonCore::BrowserRedirect (state, iss, error, code exchange, nonce — all
// checked there) and the browser gets a short page saying it worked or why
// not. No other path and no other method is served; the page is never cached,
// never framed, sends no Referer (the URL held a code) and runs no script.
// The listener's settings are read at start; changing them needs a restart.
// Ownership: borrows the DaemonCore (must outlive it); owns its server and
// thread. Thread-safety: Stop() may be called from any thread.
#pragma once

#include <memory>
#include <thread>

#include <httplib.h>

#include "common/result.h"
#include "daemon/daemon_core.h"
#include "daemon/daemon_settings.h"

namespace idb::daemon {

class OidcRedirectListener {
 public:
  // Binds settings.host:port (Unavailable when it cannot), serves, and calls
  // core.EnableBrowserFlow(settings.redirect_uri).
  static Result<std::unique_ptr<OidcRedirectListener>> Start(const OidcRedirectSettings& settings, DaemonCore& core);
  ~OidcRedirectListener();
  OidcRedirectListener(const OidcRedirectListener&) = delete;
  OidcRedirectListener& operator=(const OidcRedirectListener&) = delete;
  void Stop();

 private:
  OidcRedirectListener() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace idb::daemon
