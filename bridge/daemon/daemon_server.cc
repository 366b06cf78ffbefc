// daemon_server.cc — see daemon_server.h.
#include "daemon/daemon_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "daemon/http_api.h"
#include "daemon/log.h"

namespace idb::daemon {

namespace {
constexpr size_t kKeepAliveMaxRequests = 1000;
}  // namespace

Status PrepareSocketPath(const std::string& path) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) {
    return InvalidArgument("socket path is empty or longer than 107 bytes: " + path);
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Unavailable("cannot stat " + path + ": " + std::strerror(errno));
  }
  if (!S_ISSOCK(st.st_mode)) return FailedPrecondition(path + " exists and is not a socket; refusing to replace it");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Internal(std::string("socket(): ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::close(fd);
  if (rc == 0) return FailedPrecondition("another process already listens on " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Unavailable("cannot remove stale socket " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

DaemonServer::DaemonServer(std::unique_ptr<DaemonCore> core) : core_(std::move(core)) {}

Result<std::unique_ptr<DaemonServer>> DaemonServer::Start(DaemonOptions options) {
  auto core = DaemonCore::Create(std::move(options));
  if (!core.ok()) return core.status();
  std::unique_ptr<DaemonServer> server(new DaemonServer(std::move(core).value()));
  IDB_RETURN_IF_ERROR(server->Listen());
  return server;
}

Status DaemonServer::Listen() {
  const auto rt = core_->runtime();
  const std::string path = rt->settings.socket_path;
  IDB_RETURN_IF_ERROR(PrepareSocketPath(path));

  DaemonCore* core = core_.get();
  server_ = std::make_unique<PeerCheckedServer>(
      [core](const PeerCredentials& peer) {
        const auto s = core->runtime();
        return PeerAllowed(peer, s->settings.allowed_uids, s->settings.allowed_gids);
      },
      [core](const PeerCredentials& peer) {
        core->metrics().CountRefusedConnection();
        LogWarn("refused connection from " + peer.ToString() + " (not in daemon.allowed_uids/allowed_gids)");
      },
      [core] { core->metrics().CountAcceptedConnection(); });
  const int threads = rt->settings.threads;
  // One worker per open connection; plugins keep up to 4 idle keep-alive
  // connections each, and an idle one gives its worker up when a new
  // connection waits because all workers are taken (unix_http_server.h). Idle connections are closed after
  // 2 s, and after kKeepAliveMaxRequests requests (the last answer says
  // `Connection: close`), so no connection lives forever.
  server_->SetWorkerThreads(static_cast<size_t>(threads));
  server_->set_address_family(AF_UNIX);
  server_->set_keep_alive_timeout(2);
  server_->set_keep_alive_max_count(kKeepAliveMaxRequests);
  server_->set_read_timeout(10, 0);
  server_->set_write_timeout(10, 0);
  RegisterRoutes(*server_, *core_, [core](const httplib::Request&) {
    Caller c;
    auto peer = CurrentPeer();
    if (peer) {
      c.client = peer->ToString();
      c.owner = "uid=" + std::to_string(peer->uid);
      const auto s = core->runtime();
      c.admin = std::find(s->settings.admin_uids.begin(), s->settings.admin_uids.end(), peer->uid) !=
                s->settings.admin_uids.end();
    } else {
      c.client = "unknown";
      c.owner = "unknown";
    }
    return c;
  });

  // The socket is created with the process umask; tighten to socket_mode
  // before anyone can be admitted (the peer check protects the gap anyway).
  if (!server_->bind_to_port(path, 80)) {
    return Unavailable("cannot listen on " + path + ": " + std::strerror(errno));
  }
  socket_path_ = path;  // ours from now on: Stop() unlinks it
  if (::chmod(socket_path_.c_str(), rt->settings.socket_mode) != 0) {
    server_->stop();
    return Unavailable("cannot chmod " + socket_path_ + ": " + std::strerror(errno));
  }
  // The redirect listener is up before the first client can begin a browser flow.
  if (rt->settings.oidc_redirect.enabled) {
    auto redirect = OidcRedirectListener::Start(rt->settings.oidc_redirect, *core_);
    if (!redirect.ok()) {
      Stop();
      return redirect.status();
    }
    oidc_redirect_ = std::move(redirect).value();
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 2000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (rt->settings.tls.enabled) {
    auto tls = TlsListener::Start(rt->settings.tls, *core_, threads);
    if (!tls.ok()) {
      Stop();
      return tls.status();
    }
    tls_ = std::move(tls).value();
  }
  LogInfo("listening on " + socket_path_ + " (config " + rt->config->files_hash.substr(0, 12) + ")");
  return Status::Ok();
}

Reply DaemonServer::Reload() {
  Caller root;
  root.client = "signal SIGHUP";
  root.admin = true;
  return core_->Reload(root);
}

void DaemonServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (tls_) tls_->Stop();
  if (oidc_redirect_) oidc_redirect_->Stop();
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
}

DaemonServer::~DaemonServer() { Stop(); }

}  // namespace idb::daemon
