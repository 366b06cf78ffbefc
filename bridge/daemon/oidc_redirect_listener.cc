// oidc_redirect_listener.cc — see oidc_redirect_listener.h.
#include "daemon/oidc_redirect_listener.h"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "daemon/log.h"

namespace idb::daemon {

namespace {

// httplib routes are regular expressions: match the configured path literally.
std::string LiteralPattern(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (std::strchr("\\^$.|?*+()[]{}", c) != nullptr) out += '\\';
    out += c;
  }
  return out;
}

void SendPage(httplib::Response& res, int status, const std::string& html) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  res.set_content(html, "text/html; charset=utf-8");
}

}  // namespace

Result<std::unique_ptr<OidcRedirectListener>> OidcRedirectListener::Start(const OidcRedirectSettings& s,
                                                                          DaemonCore& core) {
  std::unique_ptr<OidcRedirectListener> l(new OidcRedirectListener());
  l->server_ = std::make_unique<httplib::Server>();
  l->server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  l->server_->set_tcp_nodelay(true);
  l->server_->set_keep_alive_timeout(2);
  l->server_->set_read_timeout(5, 0);
  l->server_->set_write_timeout(5, 0);
  l->server_->set_payload_max_length(1024);
  // httplib's default adds SO_REUSEPORT, which would let a second daemon bind
  // the same port and receive half of the redirects: SO_REUSEADDR only.
  l->server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  l->server_->Get(LiteralPattern(s.path), [&core](const httplib::Request& req, httplib::Response& res) {
    RedirectPage page = core.BrowserRedirect(req.params);
    SendPage(res, page.status, page.html);
  });
  l->server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    SendPage(res, res.status,
             "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>idbridge</title></head><body>"
             "<p>idbridge sign-in: nothing here.</p></body></html>");
  });
  l->server_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    LogError("redirect listener: handler threw; answered 500");
    SendPage(res, 500, "<!DOCTYPE html><html><body><p>idbridge: internal error.</p></body></html>");
  });
  if (!l->server_->bind_to_port(s.host, s.port)) {
    return Unavailable("daemon.oidc_redirect: cannot listen on " + s.host + ":" + std::to_string(s.port) + ": " +
                       std::strerror(errno));
  }
  httplib::Server* server = l->server_.get();
  l->thread_ = std::thread([server] { server->listen_after_bind(); });
  for (int i = 0; i < 2000 && !server->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  core.EnableBrowserFlow(s.redirect_uri);
  LogInfo("browser sign-in redirect listener on " + s.host + ":" + std::to_string(s.port) + " for " + s.redirect_uri);
  return l;
}

void OidcRedirectListener::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

OidcRedirectListener::~OidcRedirectListener() { Stop(); }

}  // namespace idb::daemon
