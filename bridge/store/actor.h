// actor.h — who is running idbridgectl, for the security log.
//
// Why: every administrative change records its actor. The uid comes from the
// kernel (getuid) and cannot be faked; under sudo, SUDO_USER names the person
// behind it (set by sudo; a user could set it by hand, but only to mislabel
// their own changes, which still carry their real uid).
// Form: "alice (uid 1000)", "root (uid 0, sudo by alice)".
// Thread-safety: reads the environment; call from one thread at start-up.
#pragma once

#include "store/store.h"

namespace idb::store {

Actor CurrentActor();

}  // namespace idb::store
