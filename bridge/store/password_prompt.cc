#include "store/password_prompt.h"

#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdio>
#include <string>

namespace idb::store {
namespace {

// Turns terminal echo off for its lifetime.
class NoEcho {
 public:
  explicit NoEcho(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) == 0) {
      termios t = saved_;
      t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = ::tcsetattr(fd_, TCSAFLUSH, &t) == 0;
    }
  }
  ~NoEcho() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

// Reads one line (without the newline) byte by byte, so nothing after it is
// consumed. Returns false at EOF before any byte or on a read error.
bool ReadLine(int fd, std::string& line) {
  line.clear();
  line.reserve(4097);  // no reallocation: no unwiped copies left behind
  bool any = false;
  while (line.size() < 4096) {
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return any;
    any = true;
    if (c == '\n') return true;
    line.push_back(c);
  }
  return true;
}

void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace

Result<Secret> ReadNewPassword(int fd) {
  std::string first, second;
  if (::isatty(fd)) {
    NoEcho guard(fd);
    std::fputs("New password: ", stderr);
    bool ok1 = ReadLine(fd, first);
    std::fputs("\nRepeat password: ", stderr);
    bool ok2 = ok1 && ReadLine(fd, second);
    std::fputs("\n", stderr);
    if (!ok1 || !ok2) {
      Wipe(first);
      Wipe(second);
      return Unavailable("no password was entered");
    }
    if (first != second) {
      Wipe(first);
      Wipe(second);
      return InvalidArgument("the two passwords differ");
    }
    Wipe(second);
  } else if (!ReadLine(fd, first)) {
    return Unavailable("no password on standard input (give it as the first line)");
  }
  if (!first.empty() && first.back() == '\r') {
    first.back() = '\0';
    first.pop_back();
  }
  if (first.empty()) return InvalidArgument("empty password");
  Secret s(first);
  Wipe(first);
  return s;
}

}  // namespace idb::store
