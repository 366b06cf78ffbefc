// http_server_test.cc — the daemon in-process on a temp UNIX socket, spoken
// to with a plain HTTP client (as `curl --unix-socket` would).
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "daemon/daemon_server.h"
#include "daemon/log.h"
#include "daemon_test_env.h"

namespace idb::daemon {
namespace {

using testing::DaemonTestEnv;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Log::SetQuiet(true);
    env_.AddLocalAdmin();
  }
  std::unique_ptr<DaemonServer> Start() {
    auto s = DaemonServer::Start(env_.Options());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  httplib::Result Post(const std::string& path, const std::string& body) {
    httplib::Client c(env_.socket_path());
    c.set_address_family(AF_UNIX);
    return c.Post(path, body, "application/json");
  }
  httplib::Result Get(const std::string& path) {
    httplib::Client c(env_.socket_path());
    c.set_address_family(AF_UNIX);
    return c.Get(path);
  }
  DaemonTestEnv env_;
};

TEST_F(HttpServerTest, HealthNamesTheProtocolVersion) {
  auto d = Start();
  auto r = Get("/v1/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["protocol"], 1);
  EXPECT_EQ(j["status"], "ok");
}

TEST_F(HttpServerTest, SocketGetsTheConfiguredMode) {
  auto d = Start();
  struct stat st {};
  ASSERT_EQ(::stat(env_.socket_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(HttpServerTest, LoginOverTheSocketGivesASession) {
  auto d = Start();
  auto r = Post("/v1/login", R"({"user":"breakglass","password":"Correct-Horse-42!"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["session"].get<std::string>().size(), 64u);
  auto s = Get("/v1/sessions/" + j["session"].get<std::string>());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, 200);
}

TEST_F(HttpServerTest, MalformedJsonIsBadRequest) {
  auto d = Start();
  for (const char* body : {"{", "[1,2]", "\"x\"", "{\"user\": 5, \"password\": \"x\"}", "{\"user\":\"a\",\"password\":7}"}) {
    auto r = Post("/v1/login", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["code"], "bad_request") << body;
  }
}

TEST_F(HttpServerTest, OversizedBodyIsRefused) {
  auto d = Start();
  auto r = Post("/v1/login", std::string(200 * 1024, 'x'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(HttpServerTest, UnknownEndpointIsJson404) {
  auto d = Start();
  auto r = Get("/v2/nothing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["code"], "not_found");
}

TEST_F(HttpServerTest, MetricsArePrometheusText) {
  auto d = Start();
  auto r = Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("# TYPE idbridge_logins_total counter"), std::string::npos);
}

TEST_F(HttpServerTest, PeerNotOnTheAllowListIsRefusedWith403) {
  env_.WriteConfig("rules.yaml", "allowed_uids: [" + std::to_string(::getuid() + 4242) + "]\n");
  auto d = Start();
  auto r = Get("/v1/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["code"], "forbidden");
  EXPECT_EQ(d->core().metrics().RefusedConnections(), 1u);
}

TEST_F(HttpServerTest, PeerAllowedByGroupIsServed) {
  env_.WriteConfig("rules.yaml",
                   "allowed_uids: [" + std::to_string(::getuid() + 4242) + "]\nallowed_gids: [" +
                       std::to_string(::getgid()) + "]\n");
  auto d = Start();
  auto r = Get("/v1/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, ReloadOverTheSocketNeedsAnAdminUid) {
  env_.WriteConfig("rules.yaml", "admin_uids: [" + std::to_string(::getuid() + 4242) + "]\n");
  auto d = Start();
  auto r = Post("/v1/reload", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

TEST_F(HttpServerTest, StartRefusesWhenAnotherDaemonListens) {
  auto d = Start();
  auto second = DaemonServer::Start(env_.Options());
  EXPECT_FALSE(second.ok());
  auto r = Get("/v1/health");  // the first one still serves
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, StartRefusesToReplaceARegularFile) {
  { std::ofstream(env_.socket_path()) << "precious"; }
  auto s = DaemonServer::Start(env_.Options());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("not a socket"), std::string::npos);
}

TEST_F(HttpServerTest, StopRemovesTheSocket) {
  auto d = Start();
  d->Stop();
  EXPECT_NE(::access(env_.socket_path().c_str(), F_OK), 0);
}

}  // namespace
}  // namespace idb::daemon
