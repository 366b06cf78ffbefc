// tls_listener_test.cc — the optional TLS listener: certificates made with the
// openssl CLI in a temp dir, the daemon in-process, an HTTPS client that
// verifies the server against the test CA.
#include "daemon/tls_listener.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "daemon/daemon_server.h"
#include "daemon/log.h"
#include "daemon_test_env.h"

namespace idb::daemon {
namespace {

using testing::DaemonTestEnv;

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

constexpr const char* kToken = "fleet-server-token-0123456789";

class TlsListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Log::SetQuiet(true);
    const std::string d = env_.dir();
    const std::string script =
        "cd '" + d + "' && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca && "
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 && "
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > san.ext && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile san.ext && "
        "openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=fleet-app && "
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2";
    ASSERT_EQ(std::system((script + " >/dev/null 2>&1").c_str()), 0);
    std::ofstream(d + "/tokens") << "# fleet servers\n" << kToken << "\n";
    ::chmod((d + "/tokens").c_str(), 0600);
    port_ = FreePort();
  }
  std::unique_ptr<DaemonServer> Start(bool tokens, bool certs) {
    std::string tls = "tls:\n  listen: \"127.0.0.1:" + std::to_string(port_) + "\"\n  cert_file: " + env_.dir() +
                      "/server.pem\n  key_file: " + env_.dir() + "/server.key\n";
    if (tokens) tls += "  client_tokens_file: " + env_.dir() + "/tokens\n";
    if (certs) tls += "  client_ca_file: " + env_.dir() + "/ca.pem\n";
    env_.WriteConfig("rules.yaml", tls);
    auto s = DaemonServer::Start(env_.Options());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::unique_ptr<httplib::SSLClient> Client(bool with_cert) {
    auto c = with_cert ? std::make_unique<httplib::SSLClient>("127.0.0.1", port_, env_.dir() + "/client.pem",
                                                               env_.dir() + "/client.key")
                       : std::make_unique<httplib::SSLClient>("127.0.0.1", port_);
    c->set_ca_cert_path((env_.dir() + "/ca.pem").c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(5);
    return c;
  }
  DaemonTestEnv env_;
  int port_ = 0;
};

TEST_F(TlsListenerTest, RightTokenIsServed) {
  auto d = Start(true, false);
  ASSERT_NE(d, nullptr);
  auto r = Client(false)->Get("/v1/health", {{"Authorization", std::string("Bearer ") + kToken}});
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsListenerTest, MissingOrWrongTokenIsRefused) {
  auto d = Start(true, false);
  ASSERT_NE(d, nullptr);
  auto none = Client(false)->Get("/v1/health");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto wrong = Client(false)->Get("/v1/health", {{"Authorization", "Bearer fleet-server-token-0123456788"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
}

TEST_F(TlsListenerTest, AdminEndpointsAreRefusedOverTls) {
  auto d = Start(true, false);
  ASSERT_NE(d, nullptr);
  auto r = Client(false)->Post("/v1/reload", {{"Authorization", std::string("Bearer ") + kToken}}, "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

TEST_F(TlsListenerTest, ClientCertificateIsRequiredWhenACaIsSet) {
  auto d = Start(false, true);
  ASSERT_NE(d, nullptr);
  auto without = Client(false)->Get("/v1/health");
  EXPECT_TRUE(!without || without->status != 200);
  auto with = Client(true)->Get("/v1/health");
  ASSERT_TRUE(with) << httplib::to_string(with.error());
  EXPECT_EQ(with->status, 200);
}

TEST_F(TlsListenerTest, TokensFileReadableByOthersIsRefused) {
  ::chmod((env_.dir() + "/tokens").c_str(), 0644);
  auto r = LoadTokenDigests(env_.dir() + "/tokens");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(TlsListenerTest, ShortTokensAreRefused) {
  std::ofstream(env_.dir() + "/short") << "abc\n";
  ::chmod((env_.dir() + "/short").c_str(), 0600);
  EXPECT_FALSE(LoadTokenDigests(env_.dir() + "/short").ok());
}

TEST_F(TlsListenerTest, APortHeldByAnotherListenerStopsTheStartEvenWithReusePort) {
  // Another process of the same uid listening with SO_REUSEPORT (as httplib
  // does by default) must not get to share the port with the daemon.
  int other = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(other, 0);
  int yes = 1;
  ::setsockopt(other, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  ::setsockopt(other, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof(yes));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port_));
  ASSERT_EQ(::bind(other, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(other, 4), 0);
  std::string tls = "tls:\n  listen: \"127.0.0.1:" + std::to_string(port_) + "\"\n  cert_file: " + env_.dir() +
                    "/server.pem\n  key_file: " + env_.dir() + "/server.key\n  client_tokens_file: " + env_.dir() +
                    "/tokens\n";
  env_.WriteConfig("rules.yaml", tls);
  auto s = DaemonServer::Start(env_.Options());
  ::close(other);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("cannot listen on 127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << s.status().ToString();
  EXPECT_NE(::access(env_.socket_path().c_str(), F_OK), 0);  // the UNIX socket was cleaned up
}

TEST_F(TlsListenerTest, BadCertificateFileStopsTheStart) {
  std::string tls = "tls:\n  listen: \"127.0.0.1:" + std::to_string(port_) + "\"\n  cert_file: " + env_.dir() +
                    "/nothing.pem\n  key_file: " + env_.dir() + "/server.key\n  client_tokens_file: " + env_.dir() +
                    "/tokens\n";
  env_.WriteConfig("rules.yaml", tls);
  auto s = DaemonServer::Start(env_.Options());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("cert_file"), std::string::npos);
  EXPECT_NE(::access(env_.socket_path().c_str(), F_OK), 0);  // the UNIX socket was cleaned up
}

}  // namespace
}  // namespace idb::daemon
