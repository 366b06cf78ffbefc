// commands.h — the command groups idbridgectl is made of.
#pragma once

#include <vector>

#include "ctl/command.h"

namespace idb::ctl {

std::vector<Command> CoreCommands();   // catalog, check, explain        (core_commands.cc)
std::vector<Command> StoreCommands();  // override, limits, history, audit, local-admin, diff (store_commands.cc)
std::vector<Command> DaemonCommands(); // status, reload, revoke: the running idbridged (daemon_commands.cc)

}  // namespace idb::ctl
