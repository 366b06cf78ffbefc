// store_file_identity.h — is the store path still the file this process opened?
//
// Why: a store file removed or replaced (mv, rm, a restore) under a running
// process leaves SQLite writing to the old, unlinked inode with no error,
// while the next `idbridgectl` opens whatever is at the path now: two stores,
// and everything written to the old one vanishes at the next restart. The
// store records the file's (device, inode) when it opens it and checks the
// path against it before every write (one stat(), ~1 µs).
// Ownership: a value type. Thread-safety: Check() is const and reentrant.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/result.h"

namespace idb::store {

class StoreFileIdentity {
 public:
  // The identity of the file at `path` now (kUnavailable when it cannot be stat()ed).
  static Result<StoreFileIdentity> Capture(const std::string& path);

  // Ok while `path` still names the captured file. kFailedPrecondition with
  // what happened ("was removed", "was replaced by another file") otherwise.
  Status Check() const;

  const std::string& path() const { return path_; }

 private:
  StoreFileIdentity(std::string path, dev_t dev, ino_t ino) : path_(std::move(path)), dev_(dev), ino_(ino) {}
  std::string path_;
  dev_t dev_;
  ino_t ino_;
};

}  // namespace idb::store
