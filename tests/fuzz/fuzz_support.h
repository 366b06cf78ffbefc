// fuzz_support.h — shared helpers of the libFuzzer targets in tests/fuzz.
//
// Why: several loaders take a file path, not bytes; a fuzz input is handed to
// them through an anonymous memory file (memfd) named /proc/self/fd/N, so no
// temporary file is left behind and runs stay independent.
// Thread-safety: libFuzzer calls a target from one thread.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace idb::fuzz {

// An anonymous file holding `bytes`; closed on destruction.
class MemoryFile {
 public:
  explicit MemoryFile(const std::string& bytes) : fd_(::memfd_create("idb-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) std::abort();
      done += static_cast<size_t>(n);
    }
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

// A shipped file of the source tree (mappings/…), read once per process.
inline std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(IDB_SOURCE_DIR) + "/" + relative, std::ios::binary);
  if (!in) std::abort();
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace idb::fuzz
