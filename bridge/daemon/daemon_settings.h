// daemon_settings.h — the `daemon:` section of config/idbridge.yaml.
//
// Why its own struct: yaml-cpp nodes are not safe to share between threads
// (core/config.h), so the section is converted once per (re)load into these
// plain values, with `file:line:col` diagnostics from YamlReader for every
// unknown key, wrong type or out-of-range value.
//
//   daemon:
//     socket: /run/idbridge/idbridged.sock   # UNIX socket path (--socket overrides)
//     socket_mode: "0660"                    # octal, quoted
//     allowed_uids: [0, 998]                 # peers (SO_PEERCRED) allowed to connect
//     allowed_gids: [998]                    #  (uid OR gid listed); default: the daemon's own uid
//     admin_uids: [0]                        # may reload and revoke; default: root + own uid
//     session_ttl: 28800                     # seconds a session lives (absolute)
//     session_refresh: 300                   # seconds between decision refreshes
//     max_sessions: 100000
//     threads: 8                             # request worker threads
//     local_admin: true                      # allow break-glass local admin logins
//     local_admin_throttle:                  # their throttle (same keys as a directory's `throttle:`)
//       free_failures: 3                     #  defaults shown; per user name and per client
//       base_delay: 1s                       #  doubling up to max_delay
//       max_delay: 30s
//       lockout_failures: 10                 #  within `window`: locked out for `lockout`
//       lockout: 15m
//       window: 15m
//     tls: {listen: "0.0.0.0:8443", cert_file: .., key_file: .., client_ca_file: .., client_tokens_file: ..}
//     oidc_redirect:                         # browser (code + PKCE) sign-in; absent = off
//       listen: "127.0.0.1:8765"             # HOST:PORT of the redirect listener (default shown)
//       redirect_uri: http://127.0.0.1:8765/oidc/callback   # default: from a loopback listen
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "auth/login_throttle.h"
#include "core/config.h"
#include "core/diagnostic.h"

namespace idb::daemon {

struct TlsListenerSettings {
  bool enabled = false;
  std::string host = "0.0.0.0";
  int port = 0;
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;      // client certificates signed by this CA are accepted
  std::string client_tokens_file;  // or one bearer token per line (sha256 compared)
};

// daemon.oidc_redirect: the plain-HTTP listener that receives the browser's
// redirect after an OpenID sign-in (RFC 8252 loopback redirect). redirect_uri
// is what the provider sends the browser to (registered with the provider);
// the listener serves its path. An http redirect_uri must name a loopback
// host and the listener's port; anything else must be https:// (a reverse
// proxy in front of the listener).
struct OidcRedirectSettings {
  bool enabled = false;
  std::string host = "127.0.0.1";  // bind address (IPv6 without brackets)
  int port = 8765;
  std::string redirect_uri;        // http://127.0.0.1:8765/oidc/callback
  std::string path;                // /oidc/callback (the path of redirect_uri)
};

struct DaemonSettings {
  std::string socket_path = "/run/idbridge/idbridged.sock";
  mode_t socket_mode = 0660;
  std::vector<uid_t> allowed_uids;  // filled with the daemon's own uid when both lists are absent
  std::vector<gid_t> allowed_gids;
  std::vector<uid_t> admin_uids;    // default {0, own uid}
  int64_t session_ttl_s = 8 * 3600;
  int64_t session_refresh_s = 300;
  int64_t max_sessions = 100000;
  int threads = 8;
  bool local_admin = true;
  ThrottleSettings local_admin_throttle;  // a reload that changes it starts the throttle afresh
  bool local_admin_throttle_enabled = true;
  TlsListenerSettings tls;
  OidcRedirectSettings oidc_redirect;
};

// Reads config.daemon (absent = all defaults). Appends diagnostics to `errors`
// and returns nullopt when any is found.
std::optional<DaemonSettings> ParseDaemonSettings(const Config& config, std::vector<Diagnostic>* errors);

}  // namespace idb::daemon
