// live_check.h — `idbridgectl check --live`: connect to every configured
// directory and warn about every group a rule names that does not exist there.
//
// Why: a typo in a group DN ("cn=Mechanic,…") is today's most common silent
// failure — the rule simply never matches. The static check cannot know; only
// the directory can. For each directory: every server is probed (connect +
// service bind), then every group a rule names by DN (`group:`), by SID
// (`group_sid:`) or by CN (`group_cn:`) is looked up with the service account.
// A DN outside every directory's group search base is reported too.
// Output: one line per finding, "warning: file:line:col: rule 'name': …".
// Thread-safety: runs on the caller's thread; no shared state.
#pragma once

#include <ostream>

#include "core/config.h"

namespace idb::ldap {

struct LiveCheckReport {
  int warnings = 0;  // groups not found, servers unreachable
  int errors = 0;    // a directory section that does not parse / cannot be checked
};

LiveCheckReport LiveCheck(const Config& config, std::ostream& out);

}  // namespace idb::ldap
