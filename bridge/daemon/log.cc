// log.cc — see log.h.
#include "daemon/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "common/display_text.h"

namespace idb::daemon {

namespace {
std::mutex g_mu;
std::atomic<bool> g_quiet{false};

void Write(const char* level, const std::string& message) {
  char stamp[32];
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::lock_guard<std::mutex> lock(g_mu);
  std::fprintf(stderr, "%s idbridged %s %s\n", stamp, level, message.c_str());
  std::fflush(stderr);
}
}  // namespace

std::string Log::Quote(const std::string& value) { return QuoteForDisplay(value, 200); }

void Log::SetQuiet(bool quiet) { g_quiet = quiet; }

void LogInfo(const std::string& message) {
  if (!g_quiet) Write("info", message);
}
void LogWarn(const std::string& message) {
  if (!g_quiet) Write("warn", message);
}
void LogError(const std::string& message) { Write("error", message); }

}  // namespace idb::daemon
