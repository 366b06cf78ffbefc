// audited_action.h — an administrative action of idbridged (reload, revoke,
// and any added later) that takes effect only once its security-log entry is
// durable.
//
// Why: the security log is a precondition, not an afterthought (Vault's audit
// devices refuse a request whose entry cannot be written). The entry is
// appended first, in its own durable store transaction; only when that
// returned Ok does `apply` run. When the entry cannot be written (disk full,
// store read-only, store file removed or replaced) nothing is applied and the
// error comes back, so `audit verify` can never pass over an action that took
// effect without its entry.
// Contract: do every fallible step (validation, building the new state)
// before, so `apply` cannot fail; it should only publish what was prepared.
// Ownership: borrows the store for the call. Thread-safety: as the Store.
#pragma once

#include <functional>

#include "common/result.h"
#include "store/store.h"

namespace idb::daemon {

// Appends `event` (at `now`); runs `apply` only when the entry is durable.
// Returns the store's error otherwise, prefixed with what was refused.
Status RunAudited(store::Store& store, const store::SecurityEvent& event, SystemTime now,
                  const std::function<void()>& apply);

}  // namespace idb::daemon
