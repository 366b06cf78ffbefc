// work_counters.h — how much expensive work the calling thread has done:
// password-hash computations (PBKDF2) and directory operations (LDAP binds
// and searches).
//
// Why: a refusal must not reveal whether an account exists, so every refusal
// path does the same expensive work. Timing is measured by benchmarks; tests
// instead compare these counts before and after a login, which cannot flake on
// a loaded machine.
// Thread-safety: the counts are thread-local; a login runs on one thread.
#pragma once

#include <cstdint>

namespace idb {

struct WorkCounts {
  uint64_t password_hashes = 0;
  uint64_t directory_operations = 0;
  bool operator==(const WorkCounts&) const = default;
};

// The calling thread's counts since it started.
WorkCounts ThisThreadWork();
// Work done since `before` was taken on the same thread.
WorkCounts WorkSince(const WorkCounts& before);

void CountPasswordHash();
void CountDirectoryOperation();

}  // namespace idb
