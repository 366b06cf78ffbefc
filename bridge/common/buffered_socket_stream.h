// buffered_socket_stream.h — an httplib::Stream over a connected socket that
// reads through a buffer and gathers writes into one send.
//
// Why: cpp-httplib writes a request or a response in two writes (headers,
// then body) and its own SocketStream polls before every read and every
// write (twice per write in 0.11.4). Over the daemon's UNIX socket each
// separate write wakes the peer once more, and on the VMs we measured every
// wake-up and syscall is expensive (issue #5: a context switch costs tens of
// µs, a syscall ~1 µs). This stream gathers what httplib writes and sends it
// in one send() when the caller reads the answer or calls Flush(); it reads
// with one recv() when the socket is known to be readable, else poll + recv.
// Used by both ends of the plugin ↔ idbridged protocol (plugin/daemon_client,
// daemon/unix_http_server). Sends use MSG_NOSIGNAL: no SIGPIPE in the host.
// Both buffers may hold secrets (a password in a login body, a session id in
// an answer): they are overwritten when the stream is destroyed and the
// write buffer after each send.
// Ownership: does not own the socket. Thread-safety: one thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include <httplib.h>

namespace idb {

class BufferedSocketStream : public httplib::Stream {
 public:
  // Each read and each send waits at most its timeout (as httplib's own stream).
  BufferedSocketStream(int fd, std::chrono::microseconds read_timeout, std::chrono::microseconds write_timeout);
  ~BufferedSocketStream() override;
  BufferedSocketStream(const BufferedSocketStream&) = delete;
  BufferedSocketStream& operator=(const BufferedSocketStream&) = delete;

  // Sends everything written so far; false when the peer is gone or the
  // write timeout passed (the stream is then unusable).
  bool Flush();
  // True when bytes already received wait in the read buffer.
  bool buffered() const { return read_pos_ < read_len_; }
  // The caller has just seen the socket readable (poll): the next read
  // receives without polling first.
  void MarkReadable() { known_readable_ = true; }
  // What the peer is, as httplib's handlers see it (remote "address" and "port").
  void SetPeer(std::string address, int port);

  // httplib::Stream
  bool is_readable() const override;
  bool is_writable() const override;  // writes are gathered: true until a send failed
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

 private:
  // Gathered writes beyond this are sent at once (a large answer streams).
  static constexpr size_t kMaxGathered = 64 * 1024;

  int fd_;
  int read_timeout_ms_;
  int write_timeout_ms_;
  bool known_readable_ = false;
  bool failed_ = false;
  std::string peer_address_;
  int peer_port_ = 0;
  std::string out_;
  char in_[4096];
  size_t read_pos_ = 0;
  size_t read_len_ = 0;
};

}  // namespace idb
