// keepalive_test.cc — the plugin's pooled keep-alive connections to idbridged
// (plugins/src/daemon_client.h) and the daemon's side of them
// (bridge/daemon/unix_http_server.h): reuse, a restarted daemon, the retry of
// a stale connection (and the cases never retried), fork(), and idle pooled
// connections not starving a new client. Real daemon in-process where the
// daemon's behaviour matters; a scripted socket server where the exact moment
// a connection breaks must be chosen.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/daemon_server.h"
#include "daemon/log.h"
#include "daemon_test_env.h"
#include "idbridge.h"
#include "default_sigpipe.h"

namespace {

using idb::testing::DefaultSigpipe;

using idb::daemon::DaemonServer;
using idb::daemon::testing::DaemonTestEnv;
using idb::daemon::testing::kAdminPassword;
using idb::daemon::testing::kAdminUser;
using Clock = std::chrono::steady_clock;

idb_client* OpenClient(const std::string& socket_path, uint32_t request_timeout_ms = 0) {
  idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
  o.socket_path = socket_path.c_str();
  o.request_timeout_ms = request_timeout_ms;
  o.application = "keepalive_test";
  idb_client* c = nullptr;
  EXPECT_EQ(idb_client_open(&o, &c), IDB_OK);
  return c;
}

class KeepAliveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    idb::daemon::Log::SetQuiet(true);
    env_.AddLocalAdmin();
  }
  void TearDown() override {
    for (idb_client* c : clients_) idb_client_close(c);
  }
  void StartDaemon() {
    auto s = DaemonServer::Start(env_.Options());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    daemon_ = std::move(s).value();
  }
  idb_client* Client() {
    clients_.push_back(OpenClient(env_.socket_path()));
    return clients_.back();
  }
  uint64_t Accepted() { return daemon_->core().metrics().AcceptedConnections(); }

  DaemonTestEnv env_;
  std::unique_ptr<DaemonServer> daemon_;
  std::vector<idb_client*> clients_;
};

TEST_F(KeepAliveTest, SequentialCallsFromOneClientReuseOneConnection) {
  StartDaemon();
  idb_client* c = Client();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(idb_client_ping(c), IDB_OK) << i;
  idb_session* s = nullptr;
  ASSERT_EQ(idb_login(c, kAdminUser, kAdminPassword, &s), IDB_OK);
  EXPECT_EQ(idb_session_refresh(s), IDB_OK);
  EXPECT_EQ(idb_logout(s), IDB_OK);
  idb_session_close(s);
  EXPECT_EQ(Accepted(), 1u);
}

TEST_F(KeepAliveTest, AcceptedConnectionsAreInTheMetricsText) {
  StartDaemon();
  ASSERT_EQ(idb_client_ping(Client()), IDB_OK);
  const std::string text = daemon_->core().metrics().Render(0);
  EXPECT_NE(text.find("\nidbridge_connections_accepted_total 1\n"), std::string::npos) << text;
}

TEST_F(KeepAliveTest, CallAfterTheDaemonRestartedSucceeds) {
  StartDaemon();
  idb_client* c = Client();
  ASSERT_EQ(idb_client_ping(c), IDB_OK);
  daemon_->Stop();
  daemon_.reset();
  StartDaemon();
  idb_session* s = nullptr;
  EXPECT_EQ(idb_login(c, kAdminUser, kAdminPassword, &s), IDB_OK);
  idb_session_close(s);
  EXPECT_EQ(Accepted(), 1u);
}

TEST_F(KeepAliveTest, ClientCloseInAForkedChildDoesNotShutDownTheParentsConnection) {
  StartDaemon();
  idb_client* c = Client();
  ASSERT_EQ(idb_client_ping(c), IDB_OK);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    idb_client_close(c);  // the pool holds only the parent's connection
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(idb_client_ping(c), IDB_OK);
  EXPECT_EQ(Accepted(), 1u);  // reused: a shutdown() in the child would force a new one
}

TEST_F(KeepAliveTest, IdlePooledConnectionsDoNotStarveANewClient) {
  env_.WriteConfig("rules.yaml", "threads: 2\n");
  StartDaemon();
  // Each of these leaves one idle pooled connection holding a worker.
  ASSERT_EQ(idb_client_ping(Client()), IDB_OK);
  ASSERT_EQ(idb_client_ping(Client()), IDB_OK);
  for (int i = 0; i < 2; ++i) {
    idb_client* late = Client();
    auto start = Clock::now();
    EXPECT_EQ(idb_client_ping(late), IDB_OK);
    // Without the hand-over it waits for the 2 s keep-alive timeout.
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000)) << i;
  }
  // The clients whose connections were given up still work.
  EXPECT_EQ(idb_client_ping(clients_[0]), IDB_OK);
  EXPECT_EQ(idb_client_ping(clients_[1]), IDB_OK);
}

TEST_F(KeepAliveTest, ForkedChildUsesItsOwnConnectionAndLeavesTheParentsAlone) {
  StartDaemon();
  idb_client* c = Client();
  idb_session* s = nullptr;
  ASSERT_EQ(idb_login(c, kAdminUser, kAdminPassword, &s), IDB_OK);
  ASSERT_EQ(Accepted(), 1u);

  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: log in and check through the inherited client, then close it.
    int code = 0;
    idb_session* cs = nullptr;
    if (idb_login(c, kAdminUser, kAdminPassword, &cs) != IDB_OK) code = 1;
    if (code == 0 && idb_check(cs, "work_orders.view", "Depot A", nullptr) != IDB_ALLOW) code = 2;
    if (code == 0 && idb_client_ping(c) != IDB_OK) code = 3;
    idb_session_close(cs);
    idb_client_close(c);
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(Accepted(), 2u);  // the child opened its own

  // The parent's pooled connection survived the child: reused, not replaced.
  EXPECT_EQ(idb_client_ping(c), IDB_OK);
  EXPECT_EQ(idb_session_refresh(s), IDB_OK);
  EXPECT_EQ(Accepted(), 2u);
  idb_session_close(s);
}

// A UNIX-socket server that answers GET /v1/health as scripted per request:
// answer it, close the connection after reading it (no status line), never
// answer, or stop reading the connection (shutdown SHUT_RD: a later send to
// it fails with EPIPE) and answer, keeping it open. Connections are served
// one after another.
class ScriptedServer {
 public:
  enum class Action { kAnswer, kCloseAfterReading, kHang, kStopReadingAndAnswer };
  using Script = std::function<Action(int connection, int request)>;

  ScriptedServer(const std::string& path, Script script) : script_(std::move(script)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    for (int c : held_) ::close(c);
  }
  int accepted() const { return accepted_.load(); }

 private:
  // Waits for `fd` to be readable in short slices; false once stopping.
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }
  void Run() {
    for (int conn = 0; WaitReadable(fd_); ++conn) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      accepted_.fetch_add(1);
      if (Serve(c, conn)) {
        held_.push_back(c);
      } else {
        ::close(c);
      }
    }
  }
  static void Answer(int c) {
    const std::string body = "{\"status\":\"ok\",\"protocol\":1}";
    const std::string out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body;
    (void)::send(c, out.data(), out.size(), MSG_NOSIGNAL);
  }
  // True when the connection is to be kept open (not read any more).
  bool Serve(int c, int conn) {
    std::string in;
    for (int request = 0;; ++request) {
      while (in.find("\r\n\r\n") == std::string::npos) {
        char buf[1024];
        if (!WaitReadable(c)) return false;
        ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) return false;
        in.append(buf, static_cast<size_t>(n));
      }
      in.erase(0, in.find("\r\n\r\n") + 4);
      switch (script_(conn, request)) {
        case Action::kAnswer:
          Answer(c);
          break;
        case Action::kCloseAfterReading:
          return false;
        case Action::kHang:
          while (WaitReadable(c)) {
            char buf[1024];
            if (::recv(c, buf, sizeof(buf), 0) <= 0) return false;
          }
          return false;
        case Action::kStopReadingAndAnswer:
          // Before answering, so the client's next send surely finds it.
          ::shutdown(c, SHUT_RD);
          Answer(c);
          return true;
      }
    }
  }

  Script script_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> held_;  // connections kept open unread (server thread, then destructor)
  std::thread thread_;
};

using Action = ScriptedServer::Action;

TEST_F(KeepAliveTest, PooledConnectionClosedUnderTheRequestIsRetriedOnANewOne) {
  // The first connection answers one request, then closes while the second
  // is in flight — the race the daemon's idle close can lose.
  ScriptedServer server(env_.socket_path(), [](int conn, int request) {
    return conn == 0 && request == 1 ? Action::kCloseAfterReading : Action::kAnswer;
  });
  idb_client* c = Client();
  ASSERT_EQ(idb_client_ping(c), IDB_OK);
  EXPECT_EQ(idb_client_ping(c), IDB_OK);
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(KeepAliveTest, SendToADaemonThatStoppedReadingRaisesNoSigpipeAndIsRetried) {
  // The plugin must send with MSG_NOSIGNAL, and must not leave one pending.
  DefaultSigpipe sigpipe_kills;  // a SIGPIPE would end this test process
  ScriptedServer server(env_.socket_path(), [](int conn, int) {
    return conn == 0 ? Action::kStopReadingAndAnswer : Action::kAnswer;
  });
  idb_client* c = Client();
  ASSERT_EQ(idb_client_ping(c), IDB_OK);
  // The pooled connection looks alive (nothing to read, not closed) but the
  // daemon reads it no more: the send fails with EPIPE, then one retry.
  EXPECT_EQ(idb_client_ping(c), IDB_OK);
  EXPECT_EQ(server.accepted(), 2);
  sigset_t pending;
  sigemptyset(&pending);
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST_F(KeepAliveTest, FailureOnTheNewConnectionIsNotRetriedAgain) {
  ScriptedServer server(env_.socket_path(), [](int conn, int request) {
    return conn == 0 && request == 0 ? Action::kAnswer : Action::kCloseAfterReading;
  });
  idb_client* c = Client();
  ASSERT_EQ(idb_client_ping(c), IDB_OK);
  EXPECT_EQ(idb_client_ping(c), IDB_E_DAEMON_UNAVAILABLE);
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(KeepAliveTest, FreshConnectionClosedWithoutAnswerIsNotRetried) {
  ScriptedServer server(env_.socket_path(), [](int, int) { return Action::kCloseAfterReading; });
  EXPECT_EQ(idb_client_ping(Client()), IDB_E_DAEMON_UNAVAILABLE);
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(KeepAliveTest, TimeoutOnAPooledConnectionIsATimeoutNotARetry) {
  ScriptedServer server(env_.socket_path(), [](int, int request) {
    return request == 0 ? Action::kAnswer : Action::kHang;
  });
  clients_.push_back(OpenClient(env_.socket_path(), /*request_timeout_ms=*/300));
  idb_client* c = clients_.back();
  ASSERT_EQ(idb_client_ping(c), IDB_OK);
  auto start = Clock::now();
  EXPECT_EQ(idb_client_ping(c), IDB_E_TIMEOUT);
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1500));
  EXPECT_EQ(server.accepted(), 1);
}

}  // namespace
