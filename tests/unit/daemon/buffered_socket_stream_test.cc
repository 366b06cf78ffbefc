// buffered_socket_stream_test.cc — the plugin ↔ idbridged transport stream
// (bridge/common/buffered_socket_stream.h) over a socketpair: writes leave in
// one send only when the caller reads or flushes, reads are buffered, a read
// waits at most its timeout, a dead peer gives -1 without SIGPIPE.
#include "common/buffered_socket_stream.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "default_sigpipe.h"

namespace idb {
namespace {

using idb::testing::DefaultSigpipe;

using std::chrono::milliseconds;

class BufferedSocketStreamTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0); }
  void TearDown() override {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  // What the peer can read right now, without waiting.
  std::string PeerReadsNow() {
    char buf[4096];
    ssize_t n = ::recv(fds_[1], buf, sizeof(buf), MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }
  int fds_[2] = {-1, -1};
};

TEST_F(BufferedSocketStreamTest, WritesAreGatheredUntilFlushThenLeaveInOneSend) {
  BufferedSocketStream s(fds_[0], milliseconds(500), milliseconds(500));
  EXPECT_EQ(s.write("POST / HTTP/1.1\r\n\r\n", 19), 19);
  EXPECT_EQ(s.write("{\"a\":1}", 7), 7);
  EXPECT_EQ(PeerReadsNow(), "");
  ASSERT_TRUE(s.Flush());
  // One recv sees both writes: they went out together.
  EXPECT_EQ(PeerReadsNow(), "POST / HTTP/1.1\r\n\r\n{\"a\":1}");
  EXPECT_TRUE(s.Flush());  // nothing left: a no-op
  EXPECT_EQ(PeerReadsNow(), "");
}

TEST_F(BufferedSocketStreamTest, ReadingSendsWhatWasWrittenFirst) {
  BufferedSocketStream s(fds_[0], milliseconds(500), milliseconds(500));
  s.write("ping", 4);
  ASSERT_EQ(::send(fds_[1], "pong", 4, 0), 4);  // the peer's answer is already there
  char buf[8] = {};
  ASSERT_EQ(s.read(buf, sizeof(buf)), 4);
  EXPECT_EQ(std::string(buf, 4), "pong");
  EXPECT_EQ(PeerReadsNow(), "ping");
}

TEST_F(BufferedSocketStreamTest, ReadsAreBufferedAcrossSmallReads) {
  BufferedSocketStream s(fds_[0], milliseconds(500), milliseconds(500));
  ASSERT_EQ(::send(fds_[1], "HTTP/1.1 200 OK\r\n", 17, 0), 17);
  std::string line;
  char c;
  while (line.size() < 17 && s.read(&c, 1) == 1) line += c;
  EXPECT_EQ(line, "HTTP/1.1 200 OK\r\n");
  EXPECT_FALSE(s.buffered());
}

TEST_F(BufferedSocketStreamTest, ReadGivesUpAfterItsTimeout) {
  BufferedSocketStream s(fds_[0], milliseconds(150), milliseconds(150));
  const auto start = std::chrono::steady_clock::now();
  char buf[8];
  EXPECT_EQ(s.read(buf, sizeof(buf)), -1);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, milliseconds(140));
  EXPECT_LT(waited, milliseconds(2000));
}

TEST_F(BufferedSocketStreamTest, MarkedReadableStillWaitsWhenNothingCame) {
  // A mark that turns out wrong must not make a read fail at once.
  BufferedSocketStream s(fds_[0], milliseconds(2000), milliseconds(500));
  s.MarkReadable();
  std::thread later([this] {
    std::this_thread::sleep_for(milliseconds(50));
    (void)::send(fds_[1], "late", 4, 0);
  });
  char buf[8] = {};
  EXPECT_EQ(s.read(buf, sizeof(buf)), 4);
  later.join();
  EXPECT_EQ(std::string(buf, 4), "late");
}

TEST_F(BufferedSocketStreamTest, PeerGoneIsAnErrorNotASignal) {
  DefaultSigpipe sigpipe_kills;  // a SIGPIPE would end this test process
  BufferedSocketStream s(fds_[0], milliseconds(200), milliseconds(200));
  ::close(fds_[1]);
  fds_[1] = -1;
  s.write("x", 1);
  EXPECT_FALSE(s.Flush());
  EXPECT_FALSE(s.is_writable());
  EXPECT_EQ(s.write("y", 1), -1);
  char buf[4];
  EXPECT_EQ(s.read(buf, sizeof(buf)), -1);
}

TEST_F(BufferedSocketStreamTest, LargeWritesAreSentBeforeTheBufferGrowsWithoutBound) {
  BufferedSocketStream s(fds_[0], milliseconds(500), milliseconds(500));
  const std::string chunk(16 * 1024, 'a');
  for (int i = 0; i < 3; ++i) ASSERT_EQ(s.write(chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
  char probe;
  EXPECT_EQ(::recv(fds_[1], &probe, 1, MSG_PEEK | MSG_DONTWAIT), -1);  // 48 KiB: still gathered
  ASSERT_EQ(s.write(chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
  EXPECT_EQ(::recv(fds_[1], &probe, 1, MSG_PEEK | MSG_DONTWAIT), 1);  // 64 KiB: sent without a Flush
  std::thread reader([this] {
    size_t total = 0;
    char buf[65536];
    while (total < 5 * 16 * 1024) {
      ssize_t n = ::recv(fds_[1], buf, sizeof(buf), 0);
      if (n <= 0) break;
      total += static_cast<size_t>(n);
    }
    EXPECT_EQ(total, 5u * 16 * 1024);
  });
  ASSERT_EQ(s.write(chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
  ASSERT_TRUE(s.Flush());
  reader.join();
}

}  // namespace
}  // namespace idb
