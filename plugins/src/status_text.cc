// status_text.cc — idb_strerror(): fixed English text per idb_status.
// The texts are for logs and administrators; a host shows its own wording
// (plugins/examples/fleet_host.c has user-facing sentences per code).
#include "idbridge.h"

extern "C" IDB_API const char* idb_strerror(idb_status s) {
  switch (s) {
    case IDB_OK: return "ok";
    case IDB_E_BAD_CREDENTIALS: return "bad credentials";
    case IDB_E_ACCOUNT_DISABLED: return "account disabled";
    case IDB_E_ACCOUNT_LOCKED: return "account locked";
    case IDB_E_ACCOUNT_EXPIRED: return "account expired";
    case IDB_E_PASSWORD_EXPIRED: return "password expired";
    case IDB_E_MUST_CHANGE_PASSWORD: return "password must be changed";
    case IDB_E_NO_PROFILE: return "no security profile mapped";
    case IDB_E_DIRECTORY_UNAVAILABLE: return "directory unavailable";
    case IDB_E_DAEMON_UNAVAILABLE: return "idbridged unavailable";
    case IDB_E_TIMEOUT: return "timed out";
    case IDB_E_BAD_ARGUMENT: return "bad argument";
    case IDB_E_SESSION_UNKNOWN: return "session unknown or ended";
    case IDB_E_UNSUPPORTED: return "login method not configured";
    case IDB_E_INTERNAL: return "internal error";
    case IDB_E_PENDING: return "waiting for the user";
    case IDB_E_PERMISSION_DENIED: return "idbridged refused this process";
    case IDB_E_TOKEN_INVALID: return "token refused";
    case IDB_E_PROTOCOL: return "incompatible idbridged protocol";
    case IDB_E_PASSWORD_POLICY: return "new password refused by the directory's password policy";
  }
  return "unknown status (treat as failure)";
}
