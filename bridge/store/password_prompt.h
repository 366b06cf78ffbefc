// password_prompt.h — reads a new password for `idbridgectl local-admin set`.
//
// Why: a password must never appear on the command line (ps, shell history).
// On a terminal it is asked twice with echo off (termios, restored even on
// error); otherwise the first line of standard input is the password (for
// scripts: `printf '%s\n' "$PW" | idbridgectl local-admin set --user x`).
// Intermediate buffers are wiped; the result is a Secret.
// Thread-safety: uses the process's stdin/terminal; call from one thread.
#pragma once

#include "common/result.h"
#include "common/secret.h"

namespace idb::store {

// `fd` is normally 0. kInvalidArgument when the two entries differ or the
// input is empty; kUnavailable when nothing can be read.
Result<Secret> ReadNewPassword(int fd);

}  // namespace idb::store
