// oidc_e2e_test.cc — OpenID sign-ins end to end: the built idbridged binary
// with an `oidc:` provider (a real npm oidc-provider, tests/support) and its
// browser-redirect listener, driven through the dlopen()ed plugin exactly as
// a fleet application does. The test plays the user's browser with HTTP
// requests: approves the device code, submits the provider's login and
// consent forms, and delivers the provider's redirect to idbridged's
// listener. Also the daemon's flow table in-process with an injected clock
// (expiry, owners, bounds).
//
// One provider and one idbridged per test process (each test is its own
// ctest entry, so that is one pair per test; ~1 s).
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "daemon/oidc_flows.h"
#include "daemon_test_env.h"
#include "plugin_api.h"
#include "idbridge.h"
#include "oidc/oidc_provider.h"
#include "oidc_provider.h"

namespace {

using idb::daemon::FlowKind;
using idb::daemon::FlowPollOutcome;
using idb::daemon::OidcFlowTable;
using idb::daemon::testing::DaemonTestEnv;
using idb::testing::BrowserApproveDevice;
using idb::testing::BrowserAuthorize;
using idb::testing::OidcTestProvider;
using idb::testing::QueryParams;

constexpr const char* kSecretEnv = "IDB_E2E_OIDC_CLIENT_SECRET";

using Api = idb::daemon::testing::PluginApi;

std::string ReadFile(const std::string& path) { return idb::daemon::testing::ReadWholeFile(path); }

// Mapping rules on the provider's groups claim (alice: Mechanics; bob: Drivers).
constexpr const char* kRules = R"(version: 1
default: deny
rules:
  - name: oidc-mechanics
    match: { all: [ { source: "oidc:corp" }, { group_cn: Mechanics } ] }
    grant_profiles: [technician]
    locations: ["Depot A"]
  - name: oidc-drivers
    match: { all: [ { source: "oidc:corp" }, { group_cn: Drivers } ] }
    grant_profiles: [technician]
    locations: ["Depot B"]
)";

// One oidc-provider and one idbridged (with its redirect listener) per process.
class OidcEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_ = new Shared();
    s_->redirect_port = idb::testing::FreeLoopbackPort();
    auto options = idb::testing::StandardOidcOptions(s_->redirect_port);
    options.opaque_access_tokens = true;  // token login through introspection
    auto provider = OidcTestProvider::Start(options);
    if (!provider.ok()) {
      s_->error = "oidc-provider: " + provider.status().ToString();
      return;
    }
    s_->provider = std::move(provider).value();
    ::setenv(kSecretEnv, "fleet-secret", 1);
    const std::string dir = s_->env.dir();
    {
      std::ofstream f(dir + "/rules_oidc.yaml");
      f << kRules;
    }
    const std::string fx = DaemonTestEnv::FixtureDir();
    std::ostringstream c;
    c << "version: 1\nmappings:\n  catalog: " << fx << "/catalog.yaml\n  profiles: " << fx
      << "/profiles.yaml\n  rules: " << dir << "/rules_oidc.yaml\n"
      << "store:\n  path: " << s_->env.store_path() << "\n"
      << "daemon:\n  socket: " << s_->env.socket_path() << "\n  socket_mode: \"0660\"\n  threads: 4\n"
      << "  allowed_uids: [" << ::getuid() << ", 65534]\n"
      << "  oidc_redirect:\n    listen: \"127.0.0.1:" << s_->redirect_port << "\"\n"
      << "oidc:\n  - name: corp\n    issuer: " << s_->provider->issuer() << "\n    client_id: fleet-app\n"
      << "    client_secret_env: " << kSecretEnv << "\n    scopes: [openid, profile, email, groups]\n"
      << "    claims: [department]\n    http_timeout_ms: 5000\n    introspection: true\n"
      << "    access_tokens: true\n    audiences: [\"urn:idbridge:fleet-api\"]\n";
    s_->env.WriteRawConfig(c.str());
    s_->log_path = dir + "/idbridged.log";
    s_->pid = ::fork();
    if (s_->pid == 0) {
      int fd = ::open(s_->log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(fd, 2);
      ::execl(IDBRIDGED_PATH, IDBRIDGED_PATH, "--config", s_->env.config_path().c_str(), nullptr);
      ::_exit(127);
    }
    idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
    o.socket_path = s_->env.socket_path().c_str();
    o.request_timeout_ms = 10000;
    if (s_->api.client_open(&o, &s_->client) != IDB_OK) {
      s_->error = "idb_client_open failed";
      return;
    }
    for (int i = 0; i < 400; ++i) {
      if (s_->api.client_ping(s_->client) == IDB_OK) return;
      int status = 0;
      if (::waitpid(s_->pid, &status, WNOHANG) == s_->pid) {
        s_->pid = -1;
        s_->error = "idbridged exited: " + ReadFile(s_->log_path);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    s_->error = "idbridged did not become ready: " + ReadFile(s_->log_path);
  }

  static void TearDownTestSuite() {
    if (s_->client) s_->api.client_close(s_->client);
    if (s_->pid > 0) {
      ::kill(s_->pid, SIGTERM);
      int status = 0;
      ::waitpid(s_->pid, &status, 0);
    }
    delete s_;
    s_ = nullptr;
  }

  void SetUp() override { ASSERT_TRUE(s_->error.empty()) << s_->error; }
  void TearDown() override {
    if (HasFailure()) std::cerr << "idbridged log:\n" << ReadFile(s_->log_path) << "\n";
  }

  Api& api() { return s_->api; }
  idb_client* client() { return s_->client; }
  std::string LastError() {
    char buf[512];
    api().last_error(buf, sizeof(buf));
    return buf;
  }

  // A begun flow and what the plugin tells the app to show.
  struct Flow {
    idb_flow* flow = nullptr;
    std::string user_code, uri;
    uint32_t interval_s = 0;
  };
  Flow Begin(bool browser) {
    Flow f;
    idb_status st = browser ? api().browser_begin(client(), &f.flow) : api().device_begin(client(), &f.flow);
    EXPECT_EQ(st, IDB_OK) << LastError();
    if (st != IDB_OK) return f;
    idb_flow_info* info = nullptr;
    EXPECT_EQ(api().flow_info_get(f.flow, &info), IDB_OK);
    if (info != nullptr) {
      f.user_code = info->user_code;
      f.uri = info->verification_uri;
      f.interval_s = info->interval_s;
      api().flow_info_free(info);
    }
    return f;
  }

  // Polls until the answer is not IDB_E_PENDING (at most `limit`).
  idb_status PollUntilDone(idb_flow* flow, idb_session** out, std::chrono::seconds limit = std::chrono::seconds(20)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    idb_status st = IDB_E_PENDING;
    while (st == IDB_E_PENDING && std::chrono::steady_clock::now() < end) {
      st = api().flow_poll(client(), flow, out);
      if (st == IDB_E_PENDING) std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return st;
  }

  // The browser arriving at idbridged's listener (path + query of `url`).
  httplib::Result Deliver(const std::string& url) {
    const std::string origin = "http://127.0.0.1:" + std::to_string(s_->redirect_port);
    std::string target = url.rfind(origin, 0) == 0 ? url.substr(origin.size()) : url;
    httplib::Client http("127.0.0.1", s_->redirect_port);
    http.set_url_encode(false);
    http.set_connection_timeout(5);
    http.set_read_timeout(10);
    return http.Get(target);
  }

  std::string Callback() const { return "/oidc/callback"; }
  const std::string& Issuer() const { return s_->provider->issuer(); }
  const std::string& LogPath() const { return s_->log_path; }
  const DaemonTestEnv& Env() const { return s_->env; }

  struct Shared {
    Api api;
    DaemonTestEnv env;
    std::unique_ptr<OidcTestProvider> provider;
    int redirect_port = 0;
    std::string log_path;
    pid_t pid = -1;
    idb_client* client = nullptr;
    std::string error;
  };
  static Shared* s_;
};

OidcEndToEnd::Shared* OidcEndToEnd::s_ = nullptr;

TEST_F(OidcEndToEnd, DeviceFlowBegunThroughThePluginCompletesIntoASessionMappedFromTheGroupsClaim) {
  Flow f = Begin(/*browser=*/false);
  ASSERT_NE(f.flow, nullptr);
  EXPECT_FALSE(f.user_code.empty());
  EXPECT_NE(f.uri.find("/device"), std::string::npos) << f.uri;
  idb_session* s = nullptr;
  EXPECT_EQ(api().flow_poll(client(), f.flow, &s), IDB_E_PENDING);
  ASSERT_TRUE(BrowserApproveDevice(Issuer(), f.user_code, "bob", "bob-pw").ok());
  ASSERT_EQ(PollUntilDone(f.flow, &s, std::chrono::seconds(f.interval_s + 15)), IDB_OK) << LastError();
  ASSERT_NE(s, nullptr);
  idb_session_info* info = nullptr;
  ASSERT_EQ(api().session_info_get(s, &info), IDB_OK);
  EXPECT_STREQ(info->user, "bob");
  EXPECT_STREQ(info->source, "oidc:corp");
  api().session_info_free(info);
  // bob is in Drivers: technician at Depot B only.
  EXPECT_EQ(api().check(s, "work_orders.edit", "Depot B", nullptr), IDB_ALLOW);
  EXPECT_EQ(api().check(s, "work_orders.edit", "Depot A", nullptr), IDB_DENY);
  EXPECT_EQ(api().check(s, "work_orders.delete", "Depot B", nullptr), IDB_DENY);
  // Finished: the flow id is spent.
  idb_session* again = nullptr;
  EXPECT_EQ(api().flow_poll(client(), f.flow, &again), IDB_E_SESSION_UNKNOWN);
  EXPECT_EQ(again, nullptr);
  api().session_close(s);
  api().flow_free(f.flow);
}

TEST_F(OidcEndToEnd, BrowserFlowCompletesThroughTheDaemonsRedirectListener) {
  Flow f = Begin(/*browser=*/true);
  ASSERT_NE(f.flow, nullptr);
  EXPECT_EQ(f.user_code, "");
  EXPECT_EQ(f.uri.rfind(Issuer(), 0), 0u) << f.uri;
  EXPECT_NE(f.uri.find("code_challenge_method=S256"), std::string::npos);
  idb_session* s = nullptr;
  EXPECT_EQ(api().flow_poll(client(), f.flow, &s), IDB_E_PENDING);
  auto redirect = BrowserAuthorize(f.uri, "alice", "alice-pw");
  ASSERT_TRUE(redirect.ok()) << redirect.status().ToString();
  EXPECT_EQ(redirect->find("http://127.0.0.1:" + std::to_string(s_->redirect_port) + Callback() + "?"), 0u)
      << *redirect;
  auto page = Deliver(*redirect);
  ASSERT_TRUE(page) << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("Signed in as alice"), std::string::npos) << page->body;
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(page->get_header_value("Referrer-Policy"), "no-referrer");
  ASSERT_EQ(api().flow_poll(client(), f.flow, &s), IDB_OK) << LastError();
  ASSERT_NE(s, nullptr);
  idb_session_info* info = nullptr;
  ASSERT_EQ(api().session_info_get(s, &info), IDB_OK);
  EXPECT_STREQ(info->user, "alice");
  EXPECT_STREQ(info->source, "oidc:corp");
  api().session_info_free(info);
  // alice is in Mechanics: technician at Depot A only.
  EXPECT_EQ(api().check(s, "work_orders.edit", "Depot A", nullptr), IDB_ALLOW);
  EXPECT_EQ(api().check(s, "work_orders.edit", "Depot B", nullptr), IDB_DENY);
  EXPECT_EQ(api().check(s, "work_orders.delete", "Depot A", nullptr), IDB_DENY);
  api().session_close(s);
  api().flow_free(f.flow);
}

TEST_F(OidcEndToEnd, BrowserSignInWithoutAMappedProfileSaysNoAccessAndThePollIsRefused) {
  Flow f = Begin(/*browser=*/true);
  ASSERT_NE(f.flow, nullptr);
  auto redirect = BrowserAuthorize(f.uri, "erin", "erin-pw");  // only in Visitors: no rule
  ASSERT_TRUE(redirect.ok()) << redirect.status().ToString();
  auto page = Deliver(*redirect);
  ASSERT_TRUE(page) << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 403);
  EXPECT_EQ(page->body.find("Signed in"), std::string::npos) << page->body;
  EXPECT_NE(page->body.find("no access to the application"), std::string::npos) << page->body;
  EXPECT_NE(page->body.find("erin"), std::string::npos) << page->body;
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-store");
  idb_session* s = nullptr;
  EXPECT_EQ(api().flow_poll(client(), f.flow, &s), IDB_E_NO_PROFILE) << LastError();
  EXPECT_EQ(s, nullptr);
  api().flow_free(f.flow);
}

TEST_F(OidcEndToEnd, ReplayedRedirectGetsAClearPageAndNoSecondSession) {
  Flow f = Begin(/*browser=*/true);
  ASSERT_NE(f.flow, nullptr);
  auto redirect = BrowserAuthorize(f.uri, "alice", "alice-pw");
  ASSERT_TRUE(redirect.ok()) << redirect.status().ToString();
  auto first = Deliver(*redirect);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  auto replay = Deliver(*redirect);  // before the app polled
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 400);
  EXPECT_NE(replay->body.find("already used"), std::string::npos) << replay->body;
  idb_session* s = nullptr;
  ASSERT_EQ(api().flow_poll(client(), f.flow, &s), IDB_OK) << LastError();
  api().session_close(s);
  auto late = Deliver(*redirect);  // after the poll
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 400);
  idb_session* none = nullptr;
  EXPECT_EQ(api().flow_poll(client(), f.flow, &none), IDB_E_SESSION_UNKNOWN);
  EXPECT_EQ(none, nullptr);
  api().flow_free(f.flow);
}

TEST_F(OidcEndToEnd, DeniedConsentEndsThePollWithBadCredentialsAndNoSession) {
  Flow f = Begin(/*browser=*/true);
  ASSERT_NE(f.flow, nullptr);
  auto redirect = BrowserAuthorize(f.uri, "bob", "bob-pw", /*approve=*/false);
  ASSERT_TRUE(redirect.ok()) << redirect.status().ToString();
  EXPECT_EQ(QueryParams(*redirect)["error"], "access_denied");
  auto page = Deliver(*redirect);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 403);
  EXPECT_NE(page->body.find("cancelled or refused"), std::string::npos) << page->body;
  idb_session* s = nullptr;
  EXPECT_EQ(api().flow_poll(client(), f.flow, &s), IDB_E_BAD_CREDENTIALS) << LastError();
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(api().flow_poll(client(), f.flow, &s), IDB_E_SESSION_UNKNOWN);
  api().flow_free(f.flow);
}

TEST_F(OidcEndToEnd, ProviderErrorRedirectEndsThePollAsProviderTrouble) {
  Flow f = Begin(/*browser=*/true);
  ASSERT_NE(f.flow, nullptr);
  const std::string state = QueryParams(f.uri)["state"];
  ASSERT_FALSE(state.empty());
  auto page = Deliver(Callback() + "?error=server_error&state=" + state);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 502);
  idb_session* s = nullptr;
  EXPECT_EQ(api().flow_poll(client(), f.flow, &s), IDB_E_DIRECTORY_UNAVAILABLE) << LastError();
  EXPECT_EQ(s, nullptr);
  api().flow_free(f.flow);
}

TEST_F(OidcEndToEnd, ForgedStateIsRefusedAndLeavesTheRealFlowPending) {
  Flow f = Begin(/*browser=*/true);
  ASSERT_NE(f.flow, nullptr);
  auto redirect = BrowserAuthorize(f.uri, "alice", "alice-pw");
  ASSERT_TRUE(redirect.ok()) << redirect.status().ToString();
  auto q = QueryParams(*redirect);
  auto forged = Deliver(Callback() + "?code=" + q["code"] + "&state=forged-state&iss=" +
                        idb::oidc::UrlEncode(q["iss"]));
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 400);
  EXPECT_NE(forged->body.find("Sign-in failed"), std::string::npos);
  idb_session* s = nullptr;
  EXPECT_EQ(api().flow_poll(client(), f.flow, &s), IDB_E_PENDING);
  EXPECT_EQ(s, nullptr);
  // The genuine redirect still completes.
  auto page = Deliver(*redirect);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  ASSERT_EQ(api().flow_poll(client(), f.flow, &s), IDB_OK) << LastError();
  api().session_close(s);
  api().flow_free(f.flow);
}

TEST_F(OidcEndToEnd, GarbageAtTheRedirectListenerGetsClearPagesAndTheDaemonCarriesOn) {
  struct Case {
    std::string target;
    int status;
  } cases[] = {
      {Callback(), 400},                                    // no query at all
      {Callback() + "?code=abc", 400},                      // no state
      {Callback() + "?state=&code=abc", 400},               // empty state
      {Callback() + "?state=a&state=b&code=c", 400},        // repeated parameter
      {Callback() + "?state=%00%ff%zz&code=%", 400},        // bytes that decode to nothing sensible
      {Callback() + "?state=" + std::string(5000, 'x'), 400},  // oversized value
      {Callback() + "?error=access_denied", 400},           // an error without state
      {Callback() + "x?state=a", 404},                      // another path
      {"/", 404},
  };
  for (const auto& c : cases) {
    auto res = Deliver(c.target);
    ASSERT_TRUE(res) << c.target.substr(0, 80);
    EXPECT_EQ(res->status, c.status) << c.target.substr(0, 80);
    EXPECT_NE(res->get_header_value("Content-Type").find("text/html"), std::string::npos);
  }
  httplib::Client http("127.0.0.1", s_->redirect_port);
  auto post = http.Post(Callback(), "state=a&code=b", "application/x-www-form-urlencoded");
  ASSERT_TRUE(post);
  EXPECT_NE(post->status, 200);
  auto huge = Deliver(Callback() + "?state=" + std::string(20000, 'y'));
  if (huge) {
    EXPECT_GE(huge->status, 400);  // 414, or the connection is closed
  }
  EXPECT_EQ(api().client_ping(client()), IDB_OK);
}

TEST_F(OidcEndToEnd, AnotherUidPollingSomeoneElsesFlowGetsUnknown) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to run a client as uid 65534";
  Flow f = Begin(/*browser=*/true);
  ASSERT_NE(f.flow, nullptr);
  // Let uid 65534 reach the socket (it is on daemon.allowed_uids).
  ASSERT_EQ(::chmod(Env().dir().c_str(), 0711), 0);
  ASSERT_EQ(::chmod(Env().socket_path().c_str(), 0666), 0);
  auto redirect = BrowserAuthorize(f.uri, "alice", "alice-pw");
  ASSERT_TRUE(redirect.ok());
  auto page = Deliver(*redirect);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(100);
    idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
    o.socket_path = Env().socket_path().c_str();
    idb_client* c = nullptr;
    if (api().client_open(&o, &c) != IDB_OK) ::_exit(101);
    idb_session* s = nullptr;
    idb_status st = api().flow_poll(c, f.flow, &s);  // the same flow id, another uid
    ::_exit(st == IDB_E_SESSION_UNKNOWN && s == nullptr ? 0 : 50 + st);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "child poll status " << WEXITSTATUS(status) - 50;
  // The owner still completes it.
  idb_session* s = nullptr;
  ASSERT_EQ(api().flow_poll(client(), f.flow, &s), IDB_OK) << LastError();
  api().session_close(s);
  api().flow_free(f.flow);
}

TEST_F(OidcEndToEnd, PendingFlowsPerCallerAreBounded) {
  std::vector<idb_flow*> flows;
  idb_status st = IDB_OK;
  for (size_t i = 0; i <= OidcFlowTable::kMaxFlowsPerOwner && st == IDB_OK; ++i) {
    idb_flow* f = nullptr;
    st = api().browser_begin(client(), &f);
    if (st == IDB_OK) flows.push_back(f);
  }
  EXPECT_EQ(flows.size(), OidcFlowTable::kMaxFlowsPerOwner);
  EXPECT_EQ(st, IDB_E_DAEMON_UNAVAILABLE);
  EXPECT_NE(LastError().find("too many pending sign-ins"), std::string::npos) << LastError();
  for (auto* f : flows) api().flow_free(f);
}

TEST_F(OidcEndToEnd, OpaqueAccessTokenLoginThroughThePluginIsIntrospectedAndMapped) {
  auto tokens = idb::testing::ObtainTokens(Issuer(), s_->provider->options().clients[0], "alice", "alice-pw");
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_EQ(tokens->access_token.find('.'), std::string::npos) << "expected an opaque access token";
  idb_session* s = nullptr;
  ASSERT_EQ(api().login_token(client(), tokens->access_token.c_str(), &s), IDB_OK) << LastError();
  EXPECT_EQ(api().check(s, "work_orders.edit", "Depot A", nullptr), IDB_ALLOW);
  EXPECT_EQ(api().check(s, "work_orders.edit", "Depot B", nullptr), IDB_DENY);
  api().session_close(s);
  idb_session* none = nullptr;
  EXPECT_EQ(api().login_token(client(), std::string(43, 'Q').c_str(), &none), IDB_E_TOKEN_INVALID);
  EXPECT_EQ(none, nullptr);
}

// Tokens minted with the provider's own key: a user name with a newline and
// an ID token for another client (azp) get no session, and the application
// hears only "token_invalid" (the precise reason is for the history).
TEST_F(OidcEndToEnd, TokenWithAControlCharacterInTheUserNameOrAForeignAzpGetsNoSession) {
  auto signer = s_->provider->Signer("rsa-1");
  ASSERT_NE(signer, nullptr);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json claims = {{"iss", Issuer()}, {"sub", "alice"}, {"aud", "fleet-app"}, {"exp", now + 300},
                           {"iat", now}, {"preferred_username", "alice"}, {"groups", {"Mechanics"}}};
  idb_session* s = nullptr;
  ASSERT_EQ(api().login_token(client(), signer->Sign(claims).c_str(), &s), IDB_OK) << LastError();
  api().session_close(s);
  nlohmann::json newline = claims;
  newline["preferred_username"] = "alice\nroot";
  nlohmann::json foreign = claims;
  foreign["azp"] = "cli";
  for (const auto& bad : {newline, foreign}) {
    idb_session* none = nullptr;
    EXPECT_EQ(api().login_token(client(), signer->Sign(bad).c_str(), &none), IDB_E_TOKEN_INVALID) << bad.dump();
    EXPECT_EQ(none, nullptr);
    EXPECT_EQ(LastError().find("user_name"), std::string::npos) << LastError();
    EXPECT_EQ(LastError().find("azp"), std::string::npos) << LastError();
  }
}

TEST_F(OidcEndToEnd, RedirectPortAlreadyTakenStopsASecondDaemonWithAClearMessage) {
  DaemonTestEnv other;
  std::string config = ReadFile(Env().config_path());
  for (const std::string* from : {&Env().socket_path(), &Env().store_path()}) {
    const std::string& to = from == &Env().socket_path() ? other.socket_path() : other.store_path();
    config.replace(config.find(*from), from->size(), to);
  }
  other.WriteRawConfig(config);  // same daemon.oidc_redirect port as the running daemon
  const std::string log = other.dir() + "/idbridged.log";
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::execl(IDBRIDGED_PATH, IDBRIDGED_PATH, "--config", other.config_path().c_str(), nullptr);
    ::_exit(127);
  }
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 200 && !exited; ++i) {  // at most 10 s
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL() << "a second idbridged started on the same redirect port";
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(ReadFile(log).find("daemon.oidc_redirect: cannot listen on 127.0.0.1:"), std::string::npos)
      << ReadFile(log);
  EXPECT_EQ(api().client_ping(client()), IDB_OK);  // the first daemon is untouched
}

// ---- the daemon's flow table in-process, with an injected clock ----

class OidcFlowTableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    port_ = idb::testing::FreeLoopbackPort();
    auto p = OidcTestProvider::Start(idb::testing::StandardOidcOptions(port_));
    if (p.ok()) provider_ = std::move(p).value().release();
    else error_ = p.status().ToString();
  }
  static void TearDownTestSuite() {
    delete provider_;
    provider_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(error_.empty()) << error_;
    ::setenv(kSecretEnv, "fleet-secret", 1);
    idb::oidc::OidcProviderConfig c;
    c.name = "corp";
    c.issuer = provider_->issuer();
    c.client_id = "fleet-app";
    c.client_secret_env = kSecretEnv;
    c.scopes = {"openid", "profile", "email", "groups"};
    auto p = idb::oidc::OidcProvider::Create(c);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    providers_.push_back(std::shared_ptr<idb::oidc::OidcProvider>(std::move(p).value()));
  }
  std::string RedirectUri() const { return "http://127.0.0.1:" + std::to_string(port_) + "/oidc/callback"; }

  static int port_;
  static OidcTestProvider* provider_;
  static std::string error_;
  std::vector<std::shared_ptr<idb::oidc::OidcProvider>> providers_;
  OidcFlowTable table_;
};

int OidcFlowTableTest::port_ = 0;
OidcTestProvider* OidcFlowTableTest::provider_ = nullptr;
std::string OidcFlowTableTest::error_;

TEST_F(OidcFlowTableTest, ExpiredBrowserFlowIsDroppedAndItsStateForgotten) {
  const auto now = std::chrono::system_clock::now();
  auto start = table_.Begin(FlowKind::kBrowser, providers_, RedirectUri(), "uid=1", now);
  ASSERT_TRUE(start.ok()) << start.failure().detail;
  EXPECT_EQ(table_.Poll(start->id, "uid=1", now).state, FlowPollOutcome::State::kPending);
  const auto later = start->expires + std::chrono::seconds(1);
  std::multimap<std::string, std::string> q = {{"state", QueryParams(start->verification_uri)["state"]},
                                               {"code", "whatever"}};
  EXPECT_EQ(table_.HandleRedirect(q, later).error(), idb::oidc::OidcError::kFlowUnknown);
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(table_.Poll(start->id, "uid=1", later).state, FlowPollOutcome::State::kUnknown);
}

TEST_F(OidcFlowTableTest, FlowIsUnknownToAnotherOwner) {
  const auto now = std::chrono::system_clock::now();
  auto start = table_.Begin(FlowKind::kBrowser, providers_, RedirectUri(), "uid=1", now);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(table_.Poll(start->id, "uid=2", now).state, FlowPollOutcome::State::kUnknown);
  EXPECT_EQ(table_.Poll(start->id, "uid=1", now).state, FlowPollOutcome::State::kPending);
}

TEST_F(OidcFlowTableTest, ExpiredFlowsMakeRoomForNewOnes) {
  const auto now = std::chrono::system_clock::now();
  std::chrono::system_clock::time_point expires{};
  for (size_t i = 0; i < OidcFlowTable::kMaxFlowsPerOwner; ++i) {
    auto start = table_.Begin(FlowKind::kBrowser, providers_, RedirectUri(), "uid=1", now);
    ASSERT_TRUE(start.ok()) << i;
    expires = start->expires;
  }
  EXPECT_EQ(table_.Begin(FlowKind::kBrowser, providers_, RedirectUri(), "uid=1", now).error(),
            idb::oidc::OidcError::kTooManyFlows);
  EXPECT_TRUE(table_.Begin(FlowKind::kBrowser, providers_, RedirectUri(), "uid=2", now + std::chrono::seconds(1)).ok());
  EXPECT_TRUE(table_.Begin(FlowKind::kBrowser, providers_, RedirectUri(), "uid=1", expires).ok());
  EXPECT_EQ(table_.size(), 2u);
}

TEST_F(OidcFlowTableTest, RedirectWithoutStateOrWithRepeatsIsRefusedBeforeAnyProvider) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(table_.HandleRedirect({{"code", "x"}}, now).error(), idb::oidc::OidcError::kInvalidRequest);
  EXPECT_EQ(table_.HandleRedirect({{"state", "a"}, {"state", "b"}}, now).error(),
            idb::oidc::OidcError::kInvalidRequest);
  EXPECT_EQ(table_.HandleRedirect({{"state", std::string(5000, 's')}}, now).error(),
            idb::oidc::OidcError::kInvalidRequest);
  EXPECT_EQ(table_.HandleRedirect({{"state", "never-issued"}, {"code", "x"}}, now).error(),
            idb::oidc::OidcError::kFlowUnknown);
}

}  // namespace
