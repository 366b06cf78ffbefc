// audited_action.cc — see audited_action.h.
#include "daemon/audited_action.h"

namespace idb::daemon {

Status RunAudited(store::Store& store, const store::SecurityEvent& event, SystemTime now,
                  const std::function<void()>& apply) {
  auto seq = store.AppendSecurityEvent(event, now);
  if (!seq.ok()) {
    return Status(seq.status().code(), "the security-log entry for " + event.action +
                                           " cannot be written, so nothing was changed: " + seq.status().message());
  }
  apply();
  return Status::Ok();
}

}  // namespace idb::daemon
