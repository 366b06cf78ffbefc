// store_commands_fallback.cc — used only while store_commands.cc (the store
// component's override/limits/history/audit commands) does not exist yet.
#include "ctl/commands.h"

namespace idb::ctl {

std::vector<Command> StoreCommands() { return {}; }

}  // namespace idb::ctl
