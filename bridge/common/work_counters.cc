#include "common/work_counters.h"

namespace idb {
namespace {
thread_local WorkCounts t_work;
}  // namespace

WorkCounts ThisThreadWork() { return t_work; }

WorkCounts WorkSince(const WorkCounts& before) {
  return {t_work.password_hashes - before.password_hashes,
          t_work.directory_operations - before.directory_operations};
}

void CountPasswordHash() { ++t_work.password_hashes; }
void CountDirectoryOperation() { ++t_work.directory_operations; }

}  // namespace idb
