// daemon_settings_test.cc — the `daemon:` section: defaults, positions of
// errors, refusal of unsafe settings.
#include "daemon/daemon_settings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/yaml_reader.h"

namespace idb::daemon {
namespace {

struct Parsed {
  std::optional<DaemonSettings> settings;
  std::vector<Diagnostic> errors;
};

Parsed Parse(const std::string& daemon_yaml) {
  Parsed p;
  Config c;
  c.path = "idbridge.yaml";
  c.dir = "/etc/idbridge";
  auto root = LoadYamlString(daemon_yaml, "idbridge.yaml", &p.errors);
  EXPECT_TRUE(root.has_value());
  if (root) c.daemon = YamlReader::Find(*root, "daemon");
  p.settings = ParseDaemonSettings(c, &p.errors);
  return p;
}

TEST(DaemonSettings, AbsentSectionGivesDefaultsAllowingOnlyOurOwnUid) {
  Parsed p = Parse("version: 1\n");
  ASSERT_TRUE(p.settings.has_value());
  EXPECT_EQ(p.settings->socket_path, "/run/idbridge/idbridged.sock");
  EXPECT_EQ(p.settings->socket_mode, 0660u);
  EXPECT_EQ(p.settings->allowed_uids, std::vector<uid_t>{::getuid()});
  EXPECT_TRUE(p.settings->allowed_gids.empty());
  EXPECT_FALSE(p.settings->tls.enabled);
}

TEST(DaemonSettings, ReadsEveryKey) {
  Parsed p = Parse(
      "daemon:\n  socket: run/d.sock\n  socket_mode: \"0600\"\n  allowed_uids: [0, 1000]\n"
      "  allowed_gids: [998]\n  admin_uids: [0]\n  session_ttl: 600\n  session_refresh: 30\n"
      "  max_sessions: 5\n  threads: 2\n  local_admin: false\n");
  ASSERT_TRUE(p.settings.has_value()) << (p.errors.empty() ? "" : p.errors[0].ToString());
  EXPECT_EQ(p.settings->socket_path, "/etc/idbridge/run/d.sock");
  EXPECT_EQ(p.settings->socket_mode, 0600u);
  EXPECT_EQ(p.settings->allowed_uids, (std::vector<uid_t>{0, 1000}));
  EXPECT_EQ(p.settings->allowed_gids, std::vector<gid_t>{998});
  EXPECT_EQ(p.settings->session_ttl_s, 600);
  EXPECT_EQ(p.settings->session_refresh_s, 30);
  EXPECT_EQ(p.settings->max_sessions, 5);
  EXPECT_EQ(p.settings->threads, 2);
  EXPECT_FALSE(p.settings->local_admin);
}

TEST(DaemonSettings, UnknownKeyIsReportedWithItsPosition) {
  Parsed p = Parse("daemon:\n  sesion_ttl: 10\n");
  EXPECT_FALSE(p.settings.has_value());
  ASSERT_FALSE(p.errors.empty());
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_NE(p.errors[0].message.find("session_ttl"), std::string::npos) << p.errors[0].message;
}

TEST(DaemonSettings, LocalAdminThrottleDefaultsAndEveryKey) {
  Parsed d = Parse("daemon:\n  threads: 2\n");
  ASSERT_TRUE(d.settings.has_value());
  EXPECT_TRUE(d.settings->local_admin_throttle_enabled);
  EXPECT_EQ(d.settings->local_admin_throttle, ThrottleSettings{});
  Parsed p = Parse(
      "daemon:\n  local_admin_throttle:\n    free_failures: 0\n    base_delay: 250ms\n    max_delay: 5s\n"
      "    lockout_failures: 2\n    lockout: 1h\n    window: 10m\n");
  ASSERT_TRUE(p.settings.has_value()) << (p.errors.empty() ? "" : p.errors[0].message);
  const ThrottleSettings& t = p.settings->local_admin_throttle;
  EXPECT_EQ(t.free_failures, 0);
  EXPECT_EQ(t.base_delay, std::chrono::milliseconds(250));
  EXPECT_EQ(t.max_delay, std::chrono::milliseconds(5000));
  EXPECT_EQ(t.lockout_failures, 2);
  EXPECT_EQ(t.lockout_duration, std::chrono::seconds(3600));
  EXPECT_EQ(t.window, std::chrono::seconds(600));
  EXPECT_FALSE(Parse("daemon:\n  local_admin_throttle: {enabled: false}\n").settings->local_admin_throttle_enabled);
}

TEST(DaemonSettings, LocalAdminThrottleMistakesAreReportedWithTheirPosition) {
  Parsed typo = Parse("daemon:\n  local_admin_throttle:\n    lockout_failure: 3\n");
  EXPECT_FALSE(typo.settings.has_value());
  ASSERT_FALSE(typo.errors.empty());
  EXPECT_EQ(typo.errors[0].line, 3);
  EXPECT_NE(typo.errors[0].message.find("lockout_failures"), std::string::npos) << typo.errors[0].message;
  Parsed bad = Parse("daemon:\n  local_admin_throttle:\n    lockout: soon\n");
  EXPECT_FALSE(bad.settings.has_value());
  ASSERT_FALSE(bad.errors.empty());
  EXPECT_EQ(bad.errors[0].line, 3);
  EXPECT_FALSE(Parse("daemon:\n  local_admin_throttle: [1]\n").settings.has_value());
  EXPECT_FALSE(Parse("daemon:\n  local_admin_throttle:\n    free_failures: -1\n").settings.has_value());
}

TEST(DaemonSettings, WorldAccessibleSocketModeIsRefused) {
  Parsed p = Parse("daemon:\n  socket_mode: \"0666\"\n");
  EXPECT_FALSE(p.settings.has_value());
}

TEST(DaemonSettings, NonOctalSocketModeIsRefused) {
  EXPECT_FALSE(Parse("daemon:\n  socket_mode: \"rw-rw----\"\n").settings.has_value());
  EXPECT_FALSE(Parse("daemon:\n  socket_mode: \"0980\"\n").settings.has_value());
}

TEST(DaemonSettings, OutOfRangeNumbersAreRefused) {
  EXPECT_FALSE(Parse("daemon:\n  session_ttl: 0\n").settings.has_value());
  EXPECT_FALSE(Parse("daemon:\n  threads: 100000\n").settings.has_value());
  EXPECT_FALSE(Parse("daemon:\n  allowed_uids: [-1]\n").settings.has_value());
  EXPECT_FALSE(Parse("daemon:\n  allowed_uids: [alice]\n").settings.has_value());
}

TEST(DaemonSettings, OverlongSocketPathIsRefused) {
  EXPECT_FALSE(Parse("daemon:\n  socket: /" + std::string(200, 'x') + "\n").settings.has_value());
}

TEST(DaemonSettings, TlsWithoutClientAuthenticationIsRefused) {
  Parsed p = Parse("daemon:\n  tls:\n    listen: \"127.0.0.1:8443\"\n    cert_file: c.pem\n    key_file: k.pem\n");
  EXPECT_FALSE(p.settings.has_value());
}

TEST(DaemonSettings, TlsListenMustBeHostAndPort) {
  Parsed p = Parse(
      "daemon:\n  tls:\n    listen: \"8443\"\n    cert_file: c.pem\n    key_file: k.pem\n    client_ca_file: ca.pem\n");
  EXPECT_FALSE(p.settings.has_value());
}

TEST(DaemonSettings, SectionThatIsNotAMapIsRefused) {
  EXPECT_FALSE(Parse("daemon: [1, 2]\n").settings.has_value());
}

// ---- daemon.oidc_redirect (browser sign-in redirect listener) ----

std::string FirstError(const Parsed& p) { return p.errors.empty() ? "" : p.errors[0].ToString(); }

TEST(DaemonSettings, OidcRedirectIsOffWhenAbsent) {
  Parsed p = Parse("daemon:\n  threads: 2\n");
  ASSERT_TRUE(p.settings.has_value());
  EXPECT_FALSE(p.settings->oidc_redirect.enabled);
}

TEST(DaemonSettings, OidcRedirectDefaultsToTheLoopbackCallback) {
  Parsed p = Parse("daemon:\n  oidc_redirect: {}\n");
  ASSERT_TRUE(p.settings.has_value()) << FirstError(p);
  const auto& r = p.settings->oidc_redirect;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.host, "127.0.0.1");
  EXPECT_EQ(r.port, 8765);
  EXPECT_EQ(r.redirect_uri, "http://127.0.0.1:8765/oidc/callback");
  EXPECT_EQ(r.path, "/oidc/callback");
}

TEST(DaemonSettings, OidcRedirectOnIpv6LoopbackKeepsBracketsOnlyInTheUri) {
  Parsed p = Parse("daemon:\n  oidc_redirect:\n    listen: \"[::1]:9000\"\n");
  ASSERT_TRUE(p.settings.has_value()) << FirstError(p);
  EXPECT_EQ(p.settings->oidc_redirect.host, "::1");
  EXPECT_EQ(p.settings->oidc_redirect.redirect_uri, "http://[::1]:9000/oidc/callback");
}

TEST(DaemonSettings, OidcRedirectBehindAnHttpsProxyServesTheUrisPath) {
  Parsed p = Parse(
      "daemon:\n  oidc_redirect:\n    listen: \"0.0.0.0:9000\"\n"
      "    redirect_uri: https://idbridge.example.com/signin/done\n");
  ASSERT_TRUE(p.settings.has_value()) << FirstError(p);
  EXPECT_EQ(p.settings->oidc_redirect.host, "0.0.0.0");
  EXPECT_EQ(p.settings->oidc_redirect.path, "/signin/done");
}

TEST(DaemonSettings, OidcRedirectNonLoopbackListenNeedsAnExplicitUri) {
  Parsed p = Parse("daemon:\n  oidc_redirect:\n    listen: \"0.0.0.0:9000\"\n");
  EXPECT_FALSE(p.settings.has_value());
  EXPECT_NE(FirstError(p).find("redirect_uri is required"), std::string::npos) << FirstError(p);
}

TEST(DaemonSettings, OidcRedirectBadListenIsReportedWithItsLine) {
  for (const char* listen : {"8765", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:", "::1:8765", "host:80x"}) {
    Parsed p = Parse(std::string("daemon:\n  oidc_redirect:\n    listen: \"") + listen + "\"\n");
    EXPECT_FALSE(p.settings.has_value()) << listen;
    ASSERT_FALSE(p.errors.empty()) << listen;
    EXPECT_EQ(p.errors[0].line, 3) << listen;
    EXPECT_NE(p.errors[0].message.find("HOST:PORT"), std::string::npos) << p.errors[0].message;
  }
}

TEST(DaemonSettings, OidcRedirectUriMustBeLoopbackHttpOnTheListenPortOrHttps) {
  const char* bad[] = {
      "http://fleet.example.com:8765/cb",        // plain http to a real host
      "http://127.0.0.1:9999/oidc/callback",     // not the listener's port
      "http://127.0.0.1/oidc/callback",          // no port
      "ftp://127.0.0.1:8765/cb",                 // scheme
      "https://idbridge.example.com",            // no path
      "https://idbridge.example.com/cb?x=1",     // a query
      "https://idbridge.example.com/cb#frag",    // a fragment
      "https://user@idbridge.example.com/cb",    // user info
  };
  for (const char* uri : bad) {
    Parsed p = Parse(std::string("daemon:\n  oidc_redirect:\n    listen: \"127.0.0.1:8765\"\n    redirect_uri: \"") +
                     uri + "\"\n");
    EXPECT_FALSE(p.settings.has_value()) << uri;
    ASSERT_FALSE(p.errors.empty()) << uri;
    EXPECT_EQ(p.errors[0].line, 4) << uri;
    EXPECT_NE(p.errors[0].message.find("daemon.oidc_redirect.redirect_uri"), std::string::npos) << p.errors[0].message;
  }
}

TEST(DaemonSettings, OidcRedirectUnknownKeyIsRefused) {
  Parsed p = Parse("daemon:\n  oidc_redirect:\n    listne: \"127.0.0.1:8765\"\n");
  EXPECT_FALSE(p.settings.has_value());
  EXPECT_NE(FirstError(p).find("listen"), std::string::npos) << FirstError(p);
}

}  // namespace
}  // namespace idb::daemon
