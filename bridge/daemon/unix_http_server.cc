// unix_http_server.cc — see unix_http_server.h.
#include "daemon/unix_http_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <utility>

#include "common/buffered_socket_stream.h"

namespace idb::daemon {

namespace {

int PollFor(int fd, short events, time_t sec, time_t usec) {
  pollfd p{fd, events, 0};
  int timeout_ms = static_cast<int>(sec * 1000 + usec / 1000);
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0 && (p.revents & (POLLERR | POLLNVAL))) return -1;
    return n;
  }
}

// Answers 403 without reading the request, then lets the client read it.
void Refuse(int fd) {
  static const std::string kBody =
      "{\"error\":{\"code\":\"forbidden\",\"message\":\"this uid/gid is not allowed to use idbridged\"}}";
  const std::string response = "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(kBody.size()) + "\r\nConnection: close\r\n\r\n" + kBody;
  (void)::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  // Drain what the client sent (bounded), so closing does not reset the
  // connection before it read our answer.
  char sink[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  size_t total = 0;
  while (total < (64u << 10) && std::chrono::steady_clock::now() < deadline) {
    if (PollFor(fd, POLLIN, 0, 50000) <= 0) break;
    ssize_t n = ::recv(fd, sink, sizeof(sink), 0);
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
}

// httplib's ThreadPool, counting the jobs (accepted connections) queued but
// not yet started, so idle keep-alive connections know someone is waiting.
class CountingThreadPool final : public httplib::ThreadPool {
 public:
  CountingThreadPool(size_t n, std::atomic<int>* waiting, std::atomic<int>* busy)
      : httplib::ThreadPool(n), waiting_(waiting), busy_(busy) {}

  void enqueue(std::function<void()> fn) override {
    waiting_->fetch_add(1, std::memory_order_relaxed);
    httplib::ThreadPool::enqueue([waiting = waiting_, busy = busy_, fn = std::move(fn)] {
      busy->fetch_add(1, std::memory_order_relaxed);
      waiting->fetch_sub(1, std::memory_order_relaxed);
      struct Done {
        std::atomic<int>* busy;
        ~Done() { busy->fetch_sub(1, std::memory_order_relaxed); }
      } done{busy};
      fn();
    });
  }

 private:
  std::atomic<int>* waiting_;  // the server's counters; the server outlives its pool
  std::atomic<int>* busy_;
};

}  // namespace

PeerCheckedServer::PeerCheckedServer(std::function<bool(const PeerCredentials&)> admit,
                                     std::function<void(const PeerCredentials&)> on_refused,
                                     std::function<void()> on_accepted)
    : admit_(std::move(admit)), on_refused_(std::move(on_refused)), on_accepted_(std::move(on_accepted)) {}

void PeerCheckedServer::SetWorkerThreads(size_t n) {
  std::atomic<int>* waiting = &waiting_for_worker_;
  std::atomic<int>* busy = &busy_workers_;
  worker_threads_ = static_cast<int>(n);
  new_task_queue = [n, waiting, busy] { return new CountingThreadPool(n, waiting, busy); };
}

bool PeerCheckedServer::ConnectionsStarve() const {
  // Busy first: a worker taking a connection raises busy before lowering waiting.
  const int busy = busy_workers_.load(std::memory_order_relaxed);
  return waiting_for_worker_.load(std::memory_order_relaxed) > 0 && busy >= worker_threads_;
}

bool PeerCheckedServer::process_and_close_socket(socket_t sock) {
  bool ret = false;
  if (on_accepted_) on_accepted_();
  auto peer = ReadPeerCredentials(sock);
  bool admitted = false;
  try {
    admitted = peer.ok() && admit_(*peer);
    if (!admitted && on_refused_) on_refused_(peer.ok() ? *peer : PeerCredentials{});
  } catch (...) {
    admitted = false;
  }
  if (!admitted) {
    Refuse(sock);
  } else {
    ScopedPeer scope(*peer);
    BufferedSocketStream strm(sock,
                              std::chrono::seconds(read_timeout_sec_) + std::chrono::microseconds(read_timeout_usec_),
                              std::chrono::seconds(write_timeout_sec_) + std::chrono::microseconds(write_timeout_usec_));
    strm.SetPeer(peer->ToString(), static_cast<int>(peer->pid));
    size_t count = keep_alive_max_count_;
    bool served = false;
    // Waits for the next request. An idle connection that has already served
    // a request is closed — without reading from it, which is what makes the
    // plugin's retry of a request that raced with this close safe — when the
    // keep-alive timeout passes, the server stops, or another connection is
    // waiting for a worker (pooled idle connections must not starve new ones).
    // A new connection is always given its first request.
    auto wait_for_request = [&]() {
      if (strm.buffered()) return true;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
      while (svr_sock_ != INVALID_SOCKET) {
        if (served && ConnectionsStarve()) {
          if (PollFor(sock, POLLIN, 0, 0) <= 0) return false;  // a request already sent is still served
          strm.MarkReadable();
          return true;
        }
        int n = PollFor(sock, POLLIN, 0, kIdleSliceMs * 1000);
        if (n < 0) return false;
        if (n > 0) {
          strm.MarkReadable();
          return true;
        }
        if (std::chrono::steady_clock::now() > deadline) return false;
      }
      return false;
    };
    while (svr_sock_ != INVALID_SOCKET && count > 0 && wait_for_request()) {
      bool close_connection = count == 1;
      bool connection_closed = false;
      ret = process_request(strm, close_connection, connection_closed, nullptr);
      // httplib wrote the answer into the stream; it leaves in one send.
      if (!strm.Flush()) ret = false;
      served = true;
      if (!ret || connection_closed) break;
      --count;
    }
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ret;
}

}  // namespace idb::daemon
