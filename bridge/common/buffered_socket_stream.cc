// buffered_socket_stream.cc — see buffered_socket_stream.h.
#include "common/buffered_socket_stream.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace idb {

namespace {

int ToMs(std::chrono::microseconds t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t + std::chrono::microseconds(999)).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, std::numeric_limits<int>::max()));
}

// > 0 ready, 0 timed out, < 0 error or hang-up without data.
int WaitFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0 && (p.revents & (POLLERR | POLLNVAL))) return -1;
    return n;
  }
}

// Overwrites, then releases, a buffer that may hold a secret.
void WipeString(std::string& s) {
  if (s.capacity() > 0) explicit_bzero(s.data(), s.capacity());
  s.clear();
}

}  // namespace

BufferedSocketStream::BufferedSocketStream(int fd, std::chrono::microseconds read_timeout,
                                           std::chrono::microseconds write_timeout)
    : fd_(fd), read_timeout_ms_(ToMs(read_timeout)), write_timeout_ms_(ToMs(write_timeout)) {
  out_.reserve(2048);
}

BufferedSocketStream::~BufferedSocketStream() {
  WipeString(out_);
  explicit_bzero(in_, sizeof(in_));
}

void BufferedSocketStream::SetPeer(std::string address, int port) {
  peer_address_ = std::move(address);
  peer_port_ = port;
}

bool BufferedSocketStream::Flush() {
  size_t sent = 0;
  while (!failed_ && sent < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (WaitFor(fd_, POLLOUT, write_timeout_ms_) <= 0) failed_ = true;
    } else {
      failed_ = true;
    }
  }
  // Wiped, not just cleared: a login body holds a password.
  explicit_bzero(out_.data(), out_.size());
  out_.clear();
  return !failed_;
}

bool BufferedSocketStream::is_readable() const {
  return buffered() || known_readable_ || WaitFor(fd_, POLLIN, read_timeout_ms_) > 0;
}

bool BufferedSocketStream::is_writable() const { return !failed_; }

ssize_t BufferedSocketStream::read(char* ptr, size_t size) {
  if (!out_.empty() && !Flush()) return -1;
  if (failed_) return -1;
  if (!buffered()) {
    const bool ready = known_readable_;
    known_readable_ = false;
    if (!ready && WaitFor(fd_, POLLIN, read_timeout_ms_) <= 0) return -1;
    auto receive = [this](int flags) {
      ssize_t got;
      do {
        got = ::recv(fd_, in_, sizeof(in_), flags);
      } while (got < 0 && errno == EINTR);
      return got;
    };
    ssize_t n = receive(ready ? MSG_DONTWAIT : 0);
    if (n < 0 && ready && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Readable only in appearance (e.g. the poll saw a hang-up): wait properly.
      if (WaitFor(fd_, POLLIN, read_timeout_ms_) <= 0) return -1;
      n = receive(0);
    }
    if (n <= 0) return n;
    read_pos_ = 0;
    read_len_ = static_cast<size_t>(n);
  }
  const size_t n = std::min(size, read_len_ - read_pos_);
  memcpy(ptr, in_ + read_pos_, n);
  read_pos_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t BufferedSocketStream::write(const char* ptr, size_t size) {
  if (failed_) return -1;
  if (out_.size() + size > out_.capacity()) {
    // Grow by hand so the old buffer is wiped, not just freed.
    std::string bigger;
    bigger.reserve(std::max(out_.capacity() * 2, out_.size() + size));
    bigger.append(out_);
    WipeString(out_);
    out_ = std::move(bigger);
  }
  out_.append(ptr, size);
  if (out_.size() >= kMaxGathered && !Flush()) return -1;
  return static_cast<ssize_t>(size);
}

void BufferedSocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = peer_address_;
  port = peer_port_;
}

void BufferedSocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = "unix";
  port = 0;
}

}  // namespace idb
