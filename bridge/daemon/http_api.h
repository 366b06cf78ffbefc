// http_api.h — the HTTP/1.1 + JSON routes of idbridged (docs/protocol.md),
// mapped onto DaemonCore.
//
// Why separate: the UNIX-socket server and the TLS listener register the same
// routes, each with its own way of naming the caller. Request bodies are
// limited, parsed without exceptions, type-checked (400 "bad_request" with
// what is wrong), and wiped after a password or token was read from them.
// Ownership: borrows `core`, which must outlive the server.
// Thread-safety: handlers run concurrently on the server's worker threads.
#pragma once

#include <functional>

#include <httplib.h>

#include "daemon/daemon_core.h"

namespace idb::daemon {

using CallerOf = std::function<Caller(const httplib::Request&)>;

void RegisterRoutes(httplib::Server& server, DaemonCore& core, CallerOf caller_of);

}  // namespace idb::daemon
