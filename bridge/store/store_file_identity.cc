// store_file_identity.cc — see store_file_identity.h.
#include "store/store_file_identity.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace idb::store {

Result<StoreFileIdentity> StoreFileIdentity::Capture(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Unavailable("cannot stat store " + path + ": " + std::strerror(errno));
  return StoreFileIdentity(path, st.st_dev, st.st_ino);
}

Status StoreFileIdentity::Check() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    const int e = errno;
    if (e == ENOENT)
      return FailedPrecondition("the store file " + path_ +
                                " was removed while in use; nothing more is written until it is back "
                                "(restore it at that path, or restart idbridged on a new store)");
    return FailedPrecondition("the store file " + path_ + " cannot be checked: " + std::strerror(e));
  }
  if (st.st_dev != dev_ || st.st_ino != ino_)
    return FailedPrecondition("the store file " + path_ +
                              " was replaced by another file while in use; nothing more is written to either "
                              "(put the original back, or restart idbridged to use the new one)");
  return Status::Ok();
}

}  // namespace idb::store
