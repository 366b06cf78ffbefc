// unix_http_server.cc — see unix_http_server.h.
#include "daemon/unix_http_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <utility>

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

// A buffered socket Stream (httplib reads request lines byte by byte).
class FdStream final : public httplib::Stream {
 public:
  FdStream(int fd, std::string peer, int pid, time_t rsec, time_t rusec, time_t wsec, time_t wusec)
      : fd_(fd), peer_(std::move(peer)), pid_(pid), rsec_(rsec), rusec_(rusec), wsec_(wsec), wusec_(wusec) {}

  bool buffered() const { return pos_ < len_; }

  bool is_readable() const override { return buffered() || PollFor(fd_, POLLIN, rsec_, rusec_) > 0; }
  bool is_writable() const override { return PollFor(fd_, POLLOUT, wsec_, wusec_) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (!buffered()) {
      if (PollFor(fd_, POLLIN, rsec_, rusec_) <= 0) return -1;
      ssize_t n;
      do {
        n = ::recv(fd_, buf_, sizeof(buf_), 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      pos_ = 0;
      len_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, len_ - pos_);
    std::memcpy(ptr, buf_ + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_;
    port = pid_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "unix";
    port = 0;
  }
  socket_t socket() const override { return fd_; }

 private:
  int fd_;
  std::string peer_;
  int pid_;
  time_t rsec_, rusec_, wsec_, wusec_;
  char buf_[4096];
  size_t pos_ = 0;
  size_t len_ = 0;
};

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
    FdStream strm(sock, peer->ToString(), static_cast<int>(peer->pid), read_timeout_sec_, read_timeout_usec_,
                  write_timeout_sec_, write_timeout_usec_);
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
          return PollFor(sock, POLLIN, 0, 0) > 0;  // a request already sent is still served
        }
        int n = PollFor(sock, POLLIN, 0, kIdleSliceMs * 1000);
        if (n < 0) return false;
        if (n > 0) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
      }
      return false;
    };
    while (svr_sock_ != INVALID_SOCKET && count > 0 && wait_for_request()) {
      bool close_connection = count == 1;
      bool connection_closed = false;
      ret = process_request(strm, close_connection, connection_closed, nullptr);
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
