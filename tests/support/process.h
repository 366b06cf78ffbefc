// process.h — running helper programs (openssl, slapadd, slapd, samba-tool)
// from test harnesses, by PID, without a shell.
//
// Why: harnesses must start servers themselves and stop exactly the processes
// they started (never by name). No shell means no quoting bugs with temp paths.
// Thread-safety: functions are safe to call from any thread; a ChildProcess is
// owned by one harness.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace idb::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when it could not be started or was killed
  std::string output;  // stdout + stderr
};

// Runs argv[0] (PATH lookup) with `stdin_text` on stdin and waits for it,
// killing it after `timeout`.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                         std::chrono::seconds timeout = std::chrono::seconds(120));

// A long-running child: output goes to `log_file`; Stop() sends SIGTERM and
// waits (SIGKILL after `grace`); Kill() sends SIGKILL (a crash).
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { Stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool Start(const std::vector<std::string>& argv, const std::string& log_file);
  bool Running();  // reaps it when it has exited
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  void Kill();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();
// Creates a fresh directory under $TMPDIR (or /tmp) named prefix-XXXXXX.
std::string MakeTempDir(const std::string& prefix);
// rm -rf, without a shell.
void RemoveTree(const std::string& path);
bool WriteFile(const std::string& path, const std::string& content, int mode = 0644);
std::string ReadFile(const std::string& path);

}  // namespace idb::testing
