/*
 * idbridge.h — the stable C ABI of libidbridge.so.1, the plugin a fleet
 * application loads to sign users in through idbridged and to ask
 * "may this user do X at location L / warehouse W".
 *
 * Why a C ABI: the host may be written in anything and built with any
 * compiler; the plugin is a guest in its process (STYLE.md). This header
 * compiles as C99 and as C++; nothing C++ crosses it, no exception escapes it.
 *
 * THIN CLIENT: the library only talks HTTP/1.1+JSON to idbridged over a UNIX
 * socket and keeps each session's decision set in memory; passwords are sent
 * to the daemon and wiped from the library's copies, never stored or logged.
 *
 * STABILITY RULES (SQLite, Redis, PAM):
 *  - Status codes are append-only and never change meaning. A host MUST treat
 *    any code it does not know as a failure/deny.
 *  - Every struct that crosses the ABI starts with `size_t struct_size`; new
 *    members are only ever appended. Structs the host fills (options) carry the
 *    size the host was compiled with, and the library reads only that much.
 *    Structs the library hands out are read through pointers, never indexed as
 *    arrays, so they can grow. tests/plugin/abi_layout_test.* freezes layouts.
 *  - idb_abi_version() returns IDB_ABI_VERSION of the library at run time; the
 *    major part (>> 16) equals the soname number and only changes with it.
 *
 * OWNERSHIP: every input pointer is borrowed for the duration of the call.
 * Every handle or list handed out is owned by the caller and freed only with
 * the matching idb_*_free / idb_*_close function of this library (never with
 * free()). Strings inside a list live exactly as long as the list. Strings
 * returned as `const char*` by idb_strerror()/idb_version() are static.
 *
 * THREAD-SAFETY: every function is safe to call from any thread at any time.
 * One idb_client may be shared by all threads. One idb_session may be used by
 * many threads at once for idb_check()/idb_session_*(); idb_session_close()
 * must not race with other calls on the same session (the usual rule for
 * freeing). idb_check() takes no lock and does not allocate.
 *
 * FAIL CLOSED: idb_check() answers IDB_DENY for a NULL/unknown/expired/
 * logged-out/revoked session, a NULL permission, or any internal trouble.
 * A daemon that cannot be reached gives IDB_E_DAEMON_UNAVAILABLE (or
 * IDB_E_TIMEOUT once the configured timeout passes); it never hangs longer.
 *
 * GUEST MANNERS: no signal handlers are installed and no signal mask is
 * touched; every send uses MSG_NOSIGNAL, so a daemon dying mid-request never
 * raises SIGPIPE in the host; no exit()/abort(), no locale, umask or environment changes, no threads.
 * CONNECTIONS: each idb_client keeps up to 4 idle keep-alive UNIX-socket
 * connections to idbridged between calls (closed by idb_client_close(); a
 * session that outlives its client may still open and keep some until it is
 * closed). After fork(), the child may go on using inherited handles: it
 * never sends on or shuts down the parent's connections (its copies are
 * closed with close() only) and opens its own. In a multi-threaded parent the
 * usual POSIX rule applies: only if no other thread was inside an idb_* call.
 *
 * REFRESH: a session's decisions are re-fetched from the daemon when the
 * daemon's refresh interval has passed: lazily by the first idb_check() after
 * it passes (that one call waits for the round trip; other threads keep
 * answering from the previous set), or explicitly with idb_session_refresh().
 * If the daemon cannot be reached, the previous decisions are kept until the
 * session expires (then everything is denied); a session the daemon no longer
 * knows (logout, revoke, expiry) denies everything from then on.
 */
#ifndef IDBRIDGE_H
#define IDBRIDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define IDB_API __attribute__((visibility("default")))
#else
#define IDB_API
#endif

/* Major version << 16 | minor. Major == soname number (libidbridge.so.1). */
#define IDB_ABI_VERSION_MAJOR 1
#define IDB_ABI_VERSION_MINOR 1
#define IDB_ABI_VERSION ((IDB_ABI_VERSION_MAJOR << 16) | IDB_ABI_VERSION_MINOR)

/* Where idbridged listens unless the host says otherwise. */
#define IDB_DEFAULT_SOCKET "/run/idbridge/idbridged.sock"

/* ---- status codes (append-only; unknown code = failure, deny) ---------- */
typedef int idb_status;
enum {
  IDB_OK = 0,
  IDB_E_BAD_CREDENTIALS = 1,      /* wrong user name OR wrong password (never told apart) */
  IDB_E_ACCOUNT_DISABLED = 2,
  IDB_E_ACCOUNT_LOCKED = 3,       /* locked by the directory or by too many attempts */
  IDB_E_ACCOUNT_EXPIRED = 4,
  IDB_E_PASSWORD_EXPIRED = 5,
  IDB_E_MUST_CHANGE_PASSWORD = 6,
  IDB_E_NO_PROFILE = 7,           /* signed in, but no security profile is mapped */
  IDB_E_DIRECTORY_UNAVAILABLE = 8,/* the daemon cannot reach LDAP/AD/OIDC */
  IDB_E_DAEMON_UNAVAILABLE = 9,   /* idbridged cannot be reached */
  IDB_E_TIMEOUT = 10,             /* idbridged did not answer within the timeout */
  IDB_E_BAD_ARGUMENT = 11,        /* NULL/empty/oversized argument, bad options */
  IDB_E_SESSION_UNKNOWN = 12,     /* session expired, logged out or revoked */
  IDB_E_UNSUPPORTED = 13,         /* the login method is not configured in idbridged */
  IDB_E_INTERNAL = 14,            /* a bug or an unexpected failure (see idb_last_error) */
  IDB_E_PENDING = 15,             /* device/browser login: the user has not finished yet */
  IDB_E_PERMISSION_DENIED = 16,   /* idbridged refused this process (socket allow-list) */
  IDB_E_TOKEN_INVALID = 17,       /* token login: signature, issuer, audience or expiry refused */
  IDB_E_PROTOCOL = 18,            /* idbridged speaks an incompatible protocol version */
  IDB_E_PASSWORD_POLICY = 19      /* password change: the directory's policy refused the new
                                     password; idb_last_error() has a sentence for the user */
};

/* idb_check() answers. Anything other than IDB_ALLOW means deny. */
#define IDB_DENY 0
#define IDB_ALLOW 1

/* Scope kinds of a permission (idb_permission.scope). */
#define IDB_SCOPE_NONE 0
#define IDB_SCOPE_LOCATION 1
#define IDB_SCOPE_WAREHOUSE 2

/* ---- opaque handles --------------------------------------------------- */
/* OWNERSHIP: created by idb_client_open, freed by idb_client_close. */
typedef struct idb_client idb_client;
/* OWNERSHIP: created by idb_login, idb_login_token or idb_flow_poll; freed by idb_session_close.
 * A session stays usable after its client is closed. */
typedef struct idb_session idb_session;
/* OWNERSHIP: created by idb_device_begin/idb_browser_begin, freed by idb_flow_free. */
typedef struct idb_flow idb_flow;

/* ---- structs (struct_size first, append-only, layout frozen by tests) -- */

/* Filled by the host. Start from IDB_CLIENT_OPTIONS_INIT so struct_size is set. */
typedef struct idb_client_options {
  size_t struct_size;          /* sizeof(idb_client_options) as the host was compiled */
  const char *socket_path;     /* NULL = IDB_DEFAULT_SOCKET; copied by idb_client_open */
  uint32_t connect_timeout_ms; /* 0 = 2000: connecting to the socket */
  uint32_t request_timeout_ms; /* 0 = 15000: a whole request (logins wait on directories) */
  const char *application;     /* optional name recorded in login history; copied */
} idb_client_options;

#define IDB_CLIENT_OPTIONS_INIT {sizeof(idb_client_options), NULL, 0, 0, NULL}

/* Handed out by idb_session_profiles; free with idb_string_list_free. */
typedef struct idb_string_list {
  size_t struct_size;
  size_t count;
  const char *const *items; /* count strings, UTF-8, NUL-terminated */
} idb_string_list;

/* One granted permission with where it holds. */
typedef struct idb_permission {
  size_t struct_size;
  const char *name;          /* "work_orders.delete" */
  int scope;                 /* IDB_SCOPE_* */
  int all_except;            /* 1: everywhere except `places`; 0: only `places` */
  size_t place_count;        /* all_except=1 and place_count=0: everywhere */
  const char *const *places; /* location or warehouse names */
} idb_permission;

/* Handed out by idb_session_permissions; free with idb_permission_list_free. */
typedef struct idb_permission_list {
  size_t struct_size;
  size_t count;
  const idb_permission *const *items; /* pointers: idb_permission may grow */
} idb_permission_list;

/* Handed out by idb_session_info; free with idb_session_info_free. */
typedef struct idb_session_info {
  size_t struct_size;
  const char *user;       /* canonical user name the daemon signed in */
  const char *source;     /* "local", "ldap:corp", "oidc:entra" */
  int stale;              /* 1: decided from cached credentials (directory down) */
  int64_t expires_unix;   /* session end, seconds since the epoch (UTC) */
  int64_t refreshed_unix; /* when the decisions were last fetched */
} idb_session_info;

/* Handed out by idb_flow_info; free with idb_flow_info_free. */
typedef struct idb_flow_info {
  size_t struct_size;
  const char *user_code;        /* device flow: code to type; browser flow: "" */
  const char *verification_uri; /* page the user opens */
  const char *verification_uri_complete; /* same with the code filled in, or "" */
  uint32_t interval_s;          /* poll no faster than this */
  int64_t expires_unix;
} idb_flow_info;

/* ---- library ---------------------------------------------------------- */
IDB_API uint32_t idb_abi_version(void);
IDB_API const char *idb_version(void);          /* "0.1.0"; static */
IDB_API const char *idb_strerror(idb_status s); /* static English text; never NULL */
/* Copies the calling thread's last error detail (never secret) into buf,
 * truncated and NUL-terminated; "" if none. Returns the full length. */
IDB_API size_t idb_last_error(char *buf, size_t buf_len);

/* ---- client ----------------------------------------------------------- */
/* Does not contact the daemon (open works before idbridged starts). */
IDB_API idb_status idb_client_open(const idb_client_options *options, idb_client **out);
/* Asks idbridged for its health and protocol version: IDB_OK, IDB_E_PROTOCOL,
 * IDB_E_DAEMON_UNAVAILABLE, IDB_E_TIMEOUT, IDB_E_PERMISSION_DENIED. */
IDB_API idb_status idb_client_ping(idb_client *client);
IDB_API void idb_client_close(idb_client *client); /* NULL is fine */

/* ---- logins (each gives a session on IDB_OK, *out untouched otherwise) -- */
/* The same as idb_login_ex without a client address (see there): the
 * throttle then counts only the user, never this host process, so one user's
 * failures never lock out another user of the same application. */
IDB_API idb_status idb_login(idb_client *client, const char *user, const char *password,
                             idb_session **out);
/* An OpenID Connect access or ID token the host obtained itself
 * (idb_login_token_ex with no client address). */
IDB_API idb_status idb_login_token(idb_client *client, const char *token, idb_session **out);
/* Device flow (RFC 8628): show idb_flow_info to the user, then poll. */
IDB_API idb_status idb_device_begin(idb_client *client, idb_flow **out);
/* Browser flow (authorization code + PKCE): open idb_flow_info's
 * verification_uri (the provider's sign-in page; user_code is "") in the
 * user's browser, then poll. The provider redirects the browser to idbridged's
 * own listener (daemon.oidc_redirect), which checks and finishes the sign-in;
 * the next idb_flow_poll gives the session. IDB_E_UNSUPPORTED when idbridged
 * has no oidc section or no redirect listener. A refusal at the provider
 * (consent denied) ends the poll with IDB_E_BAD_CREDENTIALS; a flow is only
 * visible to the process uid that began it (others get IDB_E_SESSION_UNKNOWN). */
IDB_API idb_status idb_browser_begin(idb_client *client, idb_flow **out);
IDB_API idb_status idb_flow_info_get(const idb_flow *flow, idb_flow_info **out);
IDB_API void idb_flow_info_free(idb_flow_info *info);
/* IDB_E_PENDING until the user finished; then IDB_OK and a session, or the
 * refusal (IDB_E_BAD_CREDENTIALS, IDB_E_TOKEN_INVALID, IDB_E_NO_PROFILE, ...).
 * After a final answer, or once expired, the flow is IDB_E_SESSION_UNKNOWN. */
IDB_API idb_status idb_flow_poll(idb_client *client, idb_flow *flow, idb_session **out);
IDB_API void idb_flow_free(idb_flow *flow);

/* ---- decisions -------------------------------------------------------- */
/* IDB_ALLOW or IDB_DENY, answered from the session's cached decision set.
 * location / warehouse: NULL or "" = none given; a location-scoped permission
 * without a location is allowed only if granted everywhere. */
IDB_API int idb_check(const idb_session *session, const char *permission,
                      const char *location, const char *warehouse);
IDB_API idb_status idb_session_profiles(const idb_session *session, idb_string_list **out);
IDB_API idb_status idb_session_permissions(const idb_session *session, idb_permission_list **out);
IDB_API idb_status idb_session_info_get(const idb_session *session, idb_session_info **out);
/* Fetches fresh decisions now. IDB_E_SESSION_UNKNOWN: the session ended (all denied). */
IDB_API idb_status idb_session_refresh(idb_session *session);
/* Ends the session in idbridged; every later check denies. Frees nothing. */
IDB_API idb_status idb_logout(idb_session *session);
IDB_API void idb_session_close(idb_session *session); /* frees the handle; NULL is fine */

IDB_API void idb_string_list_free(idb_string_list *list);
IDB_API void idb_permission_list_free(idb_permission_list *list);
IDB_API void idb_session_info_free(idb_session_info *info);

/* ---- logins that name the end user's machine (ABI 1.1) ------------------ */

/* Filled by the host. Start from IDB_LOGIN_REQUEST_INIT so struct_size is set;
 * the library reads only the struct_size bytes the host has. Every pointer is
 * borrowed for the call; NULL = not given.
 *
 * client_address is the END USER's machine (where the person typing sits), not
 * the host's: an IPv4 or IPv6 literal ("10.20.3.4", "2001:db8::7") or a host
 * name (letters, digits, '-', '.', at most 253 bytes). idbridged validates it
 * (a bad one: IDB_E_BAD_ARGUMENT), records it in the login history and its
 * log, lets mapping rules match it (`client_network: 10.20.0.0/16`), and its
 * throttle counts failures per address: repeated failures from one address
 * slow down and then lock out that address (IDB_E_ACCOUNT_LOCKED), for every
 * user, while other addresses go on. Without an address only the user is
 * throttled. A host serving many users from one process (a web or terminal
 * server) must pass each end user's address, or there is no per-machine limit.
 * workstation and application are free names (at most 64 bytes of UTF-8,
 * no control characters) recorded in history; application overrides
 * idb_client_options.application for this login. */
typedef struct idb_login_request {
  size_t struct_size;         /* sizeof(idb_login_request) as the host was compiled */
  const char *user;           /* password logins: at most 256 bytes of UTF-8 */
  const char *password;       /* password logins: 1..1024 bytes of UTF-8; wiped from the library's copies */
  const char *client_address; /* the end user's machine: IP literal or host name; NULL = unknown */
  const char *workstation;    /* optional name of the end user's machine */
  const char *application;    /* optional; NULL = idb_client_options.application */
} idb_login_request;

#define IDB_LOGIN_REQUEST_INIT {sizeof(idb_login_request), NULL, NULL, NULL, NULL, NULL}

/* Password login with the end user's origin. Every refusal, including those
 * the library makes itself, writes a login-history row in idbridged (the
 * library then reports the refusal without the password):
 *  - empty password: IDB_E_BAD_CREDENTIALS;
 *  - empty user, user over 256 bytes, password over 1024 bytes, a user name
 *    or password that is not valid UTF-8 (e.g. Latin-1 typed in a non-UTF-8
 *    terminal), or a request field that is not UTF-8 or over 1024 bytes:
 *    IDB_E_BAD_ARGUMENT, nothing secret sent (if idbridged cannot be reached
 *    the code is the same; the row is then missing and idb_last_error says so);
 *  - a client_address idbridged refuses: IDB_E_BAD_ARGUMENT.
 * NULL client, request or out, or a struct_size too small: IDB_E_BAD_ARGUMENT
 * (a programming error; nothing is sent). */
IDB_API idb_status idb_login_ex(idb_client *client, const idb_login_request *request, idb_session **out);
/* Token login with the end user's origin: `request` may be NULL (no origin);
 * its user and password must be NULL. An empty token, one over 16384 bytes or
 * not valid UTF-8: IDB_E_BAD_ARGUMENT, reported to idbridged's history. */
IDB_API idb_status idb_login_token_ex(idb_client *client, const char *token, const idb_login_request *request,
                                      idb_session **out);

/* ---- password change ("Change Password" at sign-in) -------------------- */

/* Filled by the host. Start from IDB_PASSWORD_CHANGE_INIT so struct_size is
 * set. All strings are borrowed for the call; the library wipes its own
 * copies of the passwords. */
typedef struct idb_password_change {
  size_t struct_size;          /* sizeof(idb_password_change) as the host was compiled */
  const char *user;            /* as typed at sign-in; 1..256 bytes */
  const char *old_password;    /* the current (possibly expired) password; non-empty */
  const char *new_password;    /* non-empty; the directory's policy decides the rest */
  const char *client_address;  /* optional: where the person is (IP literal or host
                                  name, at most 253 bytes); NULL or "" = none */
} idb_password_change;

#define IDB_PASSWORD_CHANGE_INIT {sizeof(idb_password_change), NULL, NULL, NULL, NULL}

/* Changes the user's password in the directory that holds the account, for a
 * user whose login answered IDB_E_PASSWORD_EXPIRED or
 * IDB_E_MUST_CHANGE_PASSWORD (or any user who knows the old password). No
 * session is created: sign in with the new password afterwards.
 * Answers: IDB_OK; IDB_E_BAD_CREDENTIALS (unknown user OR wrong old password,
 * never told apart; also an empty password, refused without contacting
 * anything); IDB_E_PASSWORD_POLICY (the directory refused the new password:
 * too short, used before, not complex enough, changed too recently —
 * idb_last_error() gives a sentence that can be shown to the user as is);
 * IDB_E_ACCOUNT_LOCKED (also too many failed attempts), IDB_E_ACCOUNT_DISABLED,
 * IDB_E_ACCOUNT_EXPIRED, IDB_E_PASSWORD_EXPIRED (expired beyond what the
 * directory lets its user change: an administrator must reset it);
 * IDB_E_UNSUPPORTED (no directory that can change passwords, or one reached
 * without TLS: passwords are never changed over a plain connection);
 * IDB_E_DIRECTORY_UNAVAILABLE, IDB_E_DAEMON_UNAVAILABLE, IDB_E_TIMEOUT,
 * IDB_E_BAD_ARGUMENT, IDB_E_PROTOCOL (a daemon without this endpoint). */
IDB_API idb_status idb_change_password(idb_client *client, const idb_password_change *request);

#ifdef __cplusplus
}
#endif

#endif /* IDBRIDGE_H */
