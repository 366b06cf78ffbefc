// tls_listener.cc — see tls_listener.h.
#include "daemon/tls_listener.h"

#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "daemon/http_api.h"
#include "daemon/log.h"

namespace idb::daemon {

namespace {

std::string Sha256(std::string_view s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return std::string(reinterpret_cast<const char*>(d), sizeof(d));
}

bool TokenAccepted(const std::vector<std::string>& digests, const std::string& header) {
  static const std::string kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  const std::string d = Sha256(std::string_view(header).substr(kPrefix.size()));
  bool ok = false;
  for (const auto& want : digests) ok = (CRYPTO_memcmp(want.data(), d.data(), d.size()) == 0) || ok;
  return ok;
}

}  // namespace

Result<std::vector<std::string>> LoadTokenDigests(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return NotFound("daemon.tls.client_tokens_file " + path + " does not exist");
  if (st.st_mode & 0077) {
    return FailedPrecondition("daemon.tls.client_tokens_file " + path + " is readable by group/others (chmod 600)");
  }
  std::ifstream f(path);
  std::vector<std::string> digests;
  for (std::string line; std::getline(f, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line.size() < 16) {
      explicit_bzero(line.data(), line.size());
      return InvalidArgument("daemon.tls.client_tokens_file " + path + ": tokens must be at least 16 characters");
    }
    digests.push_back(Sha256(line));
    explicit_bzero(line.data(), line.size());
  }
  if (digests.empty()) return InvalidArgument("daemon.tls.client_tokens_file " + path + " holds no token");
  return digests;
}

Result<std::unique_ptr<TlsListener>> TlsListener::Start(const TlsListenerSettings& s, DaemonCore& core,
                                                        int threads) {
  std::unique_ptr<TlsListener> l(new TlsListener());
  if (!s.client_tokens_file.empty()) {
    auto digests = LoadTokenDigests(s.client_tokens_file);
    if (!digests.ok()) return digests.status();
    l->token_digests_ = std::move(digests).value();
  }
  l->server_ = std::make_unique<httplib::SSLServer>(
      s.cert_file.c_str(), s.key_file.c_str(), s.client_ca_file.empty() ? nullptr : s.client_ca_file.c_str());
  if (!l->server_->is_valid()) {
    return InvalidArgument("daemon.tls: cannot load cert_file " + s.cert_file + " / key_file " + s.key_file +
                           (s.client_ca_file.empty() ? "" : " / client_ca_file " + s.client_ca_file));
  }
  SSL_CTX_set_min_proto_version(l->server_->ssl_context(), TLS1_2_VERSION);
  l->server_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  l->server_->set_tcp_nodelay(true);
  l->server_->set_keep_alive_timeout(5);
  l->server_->set_read_timeout(10, 0);
  l->server_->set_write_timeout(10, 0);
  const std::vector<std::string>* digests = &l->token_digests_;
  l->server_->set_pre_routing_handler([digests](const httplib::Request& req, httplib::Response& res) {
    if (digests->empty() || TokenAccepted(*digests, req.get_header_value("Authorization"))) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.status = 401;
    res.set_content(ErrorReply(401, "forbidden", "a valid client token is required").body.dump(), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
  RegisterRoutes(*l->server_, core, [](const httplib::Request& req) {
    Caller c;
    c.client = "tls " + req.remote_addr + ":" + std::to_string(req.remote_port);
    c.admin = false;  // administer locally, over the UNIX socket
    c.owner = "tls";  // authenticated fleet-app servers share their flows
    return c;
  });
  // httplib's default adds SO_REUSEPORT, which would let a second daemon (or
  // anything else of the same uid) bind the same port and take half of the
  // fleet servers' connections: SO_REUSEADDR only.
  l->server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  if (!l->server_->bind_to_port(s.host, s.port)) {
    return Unavailable("daemon.tls: cannot listen on " + s.host + ":" + std::to_string(s.port) + ": " +
                       std::strerror(errno));
  }
  httplib::SSLServer* server = l->server_.get();
  l->thread_ = std::thread([server] { server->listen_after_bind(); });
  for (int i = 0; i < 2000 && !server->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  LogInfo("TLS listener on " + s.host + ":" + std::to_string(s.port) +
          (s.client_ca_file.empty() ? "" : " (client certificates)") +
          (l->token_digests_.empty() ? "" : " (client tokens)"));
  return l;
}

void TlsListener::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

TlsListener::~TlsListener() { Stop(); }

}  // namespace idb::daemon
