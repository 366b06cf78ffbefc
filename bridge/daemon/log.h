// log.h — idbridged's log lines on stderr: "2026-11-23T23:59:01Z info message".
//
// Why this small: the daemon runs in the foreground under a supervisor that
// collects stderr. Lines are written whole under a mutex so threads never
// interleave; values that come from clients go through Log::Quote (control,
// bidi and invisible characters escaped — common/display_text.h — length
// capped) so nobody can forge or disguise log lines. Secrets
// are never passed here.
// Thread-safety: safe from any thread.
#pragma once

#include <string>

namespace idb::daemon {

struct Log {
  static std::string Quote(const std::string& value);  // QuoteForDisplay, at most ~200 bytes
  static void SetQuiet(bool quiet);                      // tests: only errors
};

void LogInfo(const std::string& message);
void LogWarn(const std::string& message);
void LogError(const std::string& message);

}  // namespace idb::daemon
