// idbridge.cc — the exported C functions of libidbridge.so.1 (idbridge.h).
//
// Every function catches every exception (none crosses the ABI), validates its
// arguments (IDB_E_BAD_ARGUMENT, never a crash), records a detail message for
// idb_last_error() in a thread-local, and wipes its copies of passwords and
// tokens before freeing them.
// Thread-safety: see idbridge.h; the only shared mutable state is per handle.
#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/display_text.h"
#include "daemon_client.h"
#include "idbridge.h"
#include "plugin_session.h"

using idb::plugin::CallResult;
using idb::plugin::DaemonClient;
using idb::plugin::PluginSession;

struct idb_client {
  std::shared_ptr<const DaemonClient> daemon;
};

struct idb_flow {
  std::string id;  // the daemon's flow handle (a bearer secret: wiped)
  std::string user_code, verification_uri, verification_uri_complete;
  uint32_t interval_s = 5;
  int64_t expires_unix = 0;
  ~idb_flow() { idb::plugin::Wipe(id); }
};

namespace {

constexpr size_t kMaxUserLength = 256;
constexpr size_t kMaxPasswordLength = 1024;
constexpr size_t kMaxTokenLength = 16384;
constexpr size_t kMaxOriginField = 1024;  // as sent; idbridged enforces the real limits
constexpr size_t kMaxClientAddressLength = 253;
constexpr uint32_t kDefaultConnectMs = 2000;
constexpr uint32_t kDefaultRequestMs = 15000;

thread_local std::string t_last_error;

idb_status SetError(idb_status s, std::string message) {
  try {
    t_last_error = std::move(message);
  } catch (...) {
  }
  return s;
}

idb_status Ok() {
  t_last_error.clear();
  return IDB_OK;
}

// Runs `fn` with the ABI's manners: exceptions become IDB_E_INTERNAL.
template <typename Fn>
idb_status Guard(Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return SetError(IDB_E_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return SetError(IDB_E_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return SetError(IDB_E_INTERNAL, "internal error");
  }
}

// Builds a session handle from a successful login/poll answer.
idb_status MakeSession(const std::shared_ptr<const DaemonClient>& daemon, CallResult& r,
                       idb_session** out) {
  const auto& body = r.body;
  if (!body.contains("session") || !body["session"].is_string()) {
    return SetError(IDB_E_PROTOCOL, "login answer without a session id");
  }
  auto state = idb::plugin::ParseSessionState(body, idb::plugin::CoarseNowMs());
  if (!state.ok()) return SetError(IDB_E_PROTOCOL, state.status().message());
  int64_t refresh_in = body.value("refresh_in", int64_t{300});
  auto impl = std::make_unique<PluginSession>(daemon, body["session"].get<std::string>(),
                                              std::move(state).value(), refresh_in * 1000);
  *out = new idb_session(std::move(impl));
  return Ok();
}

idb_status LoginWith(idb_client* client, const char* path, nlohmann::json request,
                     const char* secret_key, idb_session** out) {
  if (!request.contains("application")) request["application"] = client->daemon->application();
  std::string body = request.dump();
  if (secret_key != nullptr) idb::plugin::Wipe(request[secret_key].get_ref<std::string&>());
  CallResult r = client->daemon->Call("POST", path, body);
  idb::plugin::Wipe(body);
  if (r.status != IDB_OK) return SetError(r.status, r.message);
  return MakeSession(client->daemon, r, out);
}

// The host's idb_login_request, read only as far as its struct_size; an
// all-NULL request when `in` is NULL.
bool ReadLoginRequest(const idb_login_request* in, idb_login_request* out) {
  *out = IDB_LOGIN_REQUEST_INIT;
  if (in == nullptr) return true;
  if (in->struct_size < offsetof(idb_login_request, user) + sizeof(const char*) || in->struct_size > 4096) {
    return false;
  }
  std::memcpy(out, in, in->struct_size < sizeof(*out) ? in->struct_size : sizeof(*out));
  out->struct_size = sizeof(*out);
  return true;
}

// Non-empty and at most `max` bytes.
bool BoundedString(const char* s, size_t max) {
  return s != nullptr && s[0] != '\0' && ::strnlen(s, max + 1) <= max;
}

// `s` cut to at most `max` bytes without splitting a UTF-8 sequence.
std::string CutUtf8(const char* s, size_t max) {
  size_t n = ::strnlen(s, max);
  if (s[n] != '\0') {
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  }
  return std::string(s, n);
}

// Adds the origin fields of `r` to a login body. A field that is not UTF-8 or
// is too long is left out; returns false when that happened.
bool AddOrigin(const idb_client* client, const idb_login_request& r, nlohmann::json* body) {
  bool good = true;
  auto add = [&](const char* key, const char* value) {
    if (value == nullptr) return;
    const size_t n = ::strnlen(value, kMaxOriginField + 1);
    if (n > kMaxOriginField || !idb::IsValidUtf8(std::string_view(value, n))) {
      good = false;
      return;
    }
    (*body)[key] = std::string(value, n);
  };
  add("client_address", r.client_address);
  add("workstation", r.workstation);
  if (r.application != nullptr) {
    add("application", r.application);
  } else {
    (*body)["application"] = client->daemon->application();
  }
  return good;
}

// A refusal the library makes itself: reported to idbridged (never with the
// password) so the login history shows the attempt; the answer is `status`
// whatever idbridged says.
idb_status ReportRefusal(idb_client* client, const char* path, nlohmann::json body, const char* refusal,
                         idb_status status, std::string message) {
  body["refused"] = refusal;
  CallResult r = client->daemon->Call("POST", path, body.dump());
  if (r.status == IDB_E_DAEMON_UNAVAILABLE || r.status == IDB_E_TIMEOUT || r.status == IDB_E_PERMISSION_DENIED) {
    message += " (not recorded: " + r.message + ")";
  }
  return SetError(status, std::move(message));
}

idb_status PasswordLogin(idb_client* client, const idb_login_request& r, idb_session** out) {
  nlohmann::json body = nlohmann::json::object();
  const bool origin_ok = AddOrigin(client, r, &body);
  const char* user = r.user;
  const char* password = r.password;
  // The user name as recorded when it cannot be sent as it is.
  if (user == nullptr || user[0] == '\0') {
    body["user"] = "";
    return ReportRefusal(client, "/v1/login", std::move(body), "user_empty", IDB_E_BAD_ARGUMENT, "user name is empty");
  }
  const size_t user_len = ::strnlen(user, kMaxUserLength + 1);
  if (!idb::IsValidUtf8(std::string_view(user, std::min(user_len, kMaxUserLength)))) {
    body["user"] = idb::EscapeForDisplay(std::string_view(user, std::min(user_len, kMaxUserLength)), kMaxUserLength);
    return ReportRefusal(client, "/v1/login", std::move(body), "user_not_utf8", IDB_E_BAD_ARGUMENT,
                         "user name is not valid UTF-8");
  }
  if (user_len > kMaxUserLength) {
    body["user"] = CutUtf8(user, kMaxUserLength);
    return ReportRefusal(client, "/v1/login", std::move(body), "user_too_long", IDB_E_BAD_ARGUMENT,
                         "user name is longer than 256 bytes");
  }
  body["user"] = std::string(user, user_len);
  if (password == nullptr || password[0] == '\0') {
    return ReportRefusal(client, "/v1/login", std::move(body), "empty_password", IDB_E_BAD_CREDENTIALS, "empty password");
  }
  const size_t password_len = ::strnlen(password, kMaxPasswordLength + 1);
  if (password_len > kMaxPasswordLength) {
    return ReportRefusal(client, "/v1/login", std::move(body), "password_too_long", IDB_E_BAD_ARGUMENT,
                         "password is longer than 1024 bytes");
  }
  if (!idb::IsValidUtf8(std::string_view(password, password_len))) {
    return ReportRefusal(client, "/v1/login", std::move(body), "password_not_utf8", IDB_E_BAD_ARGUMENT,
                         "password is not valid UTF-8");
  }
  if (!origin_ok) {
    return ReportRefusal(client, "/v1/login", std::move(body), "client_info_invalid", IDB_E_BAD_ARGUMENT,
                         "client_address, workstation or application is not valid UTF-8 or longer than 1024 bytes");
  }
  body["password"] = std::string_view(password, password_len);  // no temporary copy to wipe
  return LoginWith(client, "/v1/login", std::move(body), "password", out);
}

idb_status TokenLogin(idb_client* client, const char* token, const idb_login_request& r, idb_session** out) {
  nlohmann::json body = nlohmann::json::object();
  const bool origin_ok = AddOrigin(client, r, &body);
  if (token == nullptr || token[0] == '\0') {
    return ReportRefusal(client, "/v1/login/token", std::move(body), "token_empty", IDB_E_BAD_ARGUMENT, "token is empty");
  }
  const size_t token_len = ::strnlen(token, kMaxTokenLength + 1);
  if (token_len > kMaxTokenLength) {
    return ReportRefusal(client, "/v1/login/token", std::move(body), "token_too_long", IDB_E_BAD_ARGUMENT,
                         "token is longer than 16384 bytes");
  }
  if (!idb::IsValidUtf8(std::string_view(token, token_len))) {
    return ReportRefusal(client, "/v1/login/token", std::move(body), "token_not_utf8", IDB_E_BAD_ARGUMENT,
                         "token is not valid UTF-8");
  }
  if (!origin_ok) {
    return ReportRefusal(client, "/v1/login/token", std::move(body), "client_info_invalid", IDB_E_BAD_ARGUMENT,
                         "client_address, workstation or application is not valid UTF-8 or longer than 1024 bytes");
  }
  body["token"] = std::string_view(token, token_len);
  return LoginWith(client, "/v1/login/token", std::move(body), "token", out);
}

char* CopyString(const std::string& s) {
  char* p = new char[s.size() + 1];
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

const char* const* CopyStrings(const std::vector<std::string>& v) {
  auto** arr = new const char*[v.size() + 1];
  for (size_t i = 0; i < v.size(); ++i) arr[i] = CopyString(v[i]);
  arr[v.size()] = nullptr;
  return arr;
}

void FreeStrings(const char* const* arr, size_t n) {
  if (arr == nullptr) return;
  for (size_t i = 0; i < n; ++i) delete[] arr[i];
  delete[] arr;
}

idb_status FlowBegin(idb_client* client, const char* path, idb_flow** out) {
  if (client == nullptr || out == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "client and out are required");
  nlohmann::json request = {{"application", client->daemon->application()}};
  CallResult r = client->daemon->Call("POST", path, request.dump());
  if (r.status != IDB_OK) return SetError(r.status, r.message);
  if (!r.body.contains("flow") || !r.body["flow"].is_string()) {
    return SetError(IDB_E_PROTOCOL, "flow answer without a flow id");
  }
  auto flow = std::make_unique<idb_flow>();
  flow->id = r.body["flow"].get<std::string>();
  flow->user_code = r.body.value("user_code", std::string());
  flow->verification_uri = r.body.value("verification_uri", std::string());
  flow->verification_uri_complete = r.body.value("verification_uri_complete", std::string());
  flow->interval_s = r.body.value("interval", uint32_t{5});
  flow->expires_unix = r.body.value("expires_unix", int64_t{0});
  *out = flow.release();
  return Ok();
}

}  // namespace

extern "C" {

IDB_API uint32_t idb_abi_version(void) { return IDB_ABI_VERSION; }

IDB_API const char* idb_version(void) { return "0.1.0"; }

IDB_API size_t idb_last_error(char* buf, size_t buf_len) {
  const std::string& e = t_last_error;
  if (buf != nullptr && buf_len > 0) {
    size_t n = e.size() < buf_len - 1 ? e.size() : buf_len - 1;
    std::memcpy(buf, e.data(), n);
    buf[n] = '\0';
  }
  return e.size();
}

IDB_API idb_status idb_client_open(const idb_client_options* options, idb_client** out) {
  return Guard([&]() -> idb_status {
    if (out == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "out is NULL");
    // Read only the members the host's struct has (struct_size), so an older
    // host with a shorter struct works with a newer library.
    idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
    if (options != nullptr) {
      if (options->struct_size < offsetof(idb_client_options, socket_path) + sizeof(const char*) ||
          options->struct_size > 4096) {
        return SetError(IDB_E_BAD_ARGUMENT, "idb_client_options.struct_size is not set (use IDB_CLIENT_OPTIONS_INIT)");
      }
      std::memcpy(&o, options, options->struct_size < sizeof(o) ? options->struct_size : sizeof(o));
      o.struct_size = sizeof(o);
    }
    std::string path = o.socket_path != nullptr ? o.socket_path : IDB_DEFAULT_SOCKET;
    if (path.empty() || path.size() >= 108) {
      return SetError(IDB_E_BAD_ARGUMENT, "socket path is empty or longer than 107 bytes");
    }
    uint32_t connect_ms = o.connect_timeout_ms ? o.connect_timeout_ms : kDefaultConnectMs;
    uint32_t request_ms = o.request_timeout_ms ? o.request_timeout_ms : kDefaultRequestMs;
    std::string app = o.application != nullptr ? std::string(o.application).substr(0, 64) : "";
    auto client = std::make_unique<idb_client>();
    client->daemon = std::make_shared<const DaemonClient>(path, connect_ms, request_ms, app);
    *out = client.release();
    return Ok();
  });
}

IDB_API idb_status idb_client_ping(idb_client* client) {
  return Guard([&]() -> idb_status {
    if (client == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "client is NULL");
    CallResult r = client->daemon->Call("GET", "/v1/health", "");
    if (r.status != IDB_OK) return SetError(r.status, r.message);
    if (r.body.value("protocol", 0) != 1) {
      return SetError(IDB_E_PROTOCOL, "idbridged speaks protocol " + r.body.value("protocol", nlohmann::json()).dump());
    }
    return Ok();
  });
}

IDB_API void idb_client_close(idb_client* client) {
  if (client == nullptr) return;
  // Sessions may keep the DaemonClient alive; its idle connections go now.
  client->daemon->CloseIdle();
  delete client;
}

IDB_API idb_status idb_login(idb_client* client, const char* user, const char* password,
                             idb_session** out) {
  return Guard([&]() -> idb_status {
    if (client == nullptr || out == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "client and out are required");
    idb_login_request r = IDB_LOGIN_REQUEST_INIT;
    r.user = user;
    r.password = password;
    return PasswordLogin(client, r, out);
  });
}

IDB_API idb_status idb_login_token(idb_client* client, const char* token, idb_session** out) {
  return Guard([&]() -> idb_status {
    if (client == nullptr || out == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "client and out are required");
    idb_login_request r = IDB_LOGIN_REQUEST_INIT;
    return TokenLogin(client, token, r, out);
  });
}

IDB_API idb_status idb_login_ex(idb_client* client, const idb_login_request* request, idb_session** out) {
  return Guard([&]() -> idb_status {
    if (client == nullptr || request == nullptr || out == nullptr) {
      return SetError(IDB_E_BAD_ARGUMENT, "client, request and out are required");
    }
    idb_login_request r;
    if (!ReadLoginRequest(request, &r)) {
      return SetError(IDB_E_BAD_ARGUMENT, "idb_login_request.struct_size is not set (use IDB_LOGIN_REQUEST_INIT)");
    }
    return PasswordLogin(client, r, out);
  });
}

IDB_API idb_status idb_login_token_ex(idb_client* client, const char* token, const idb_login_request* request,
                                      idb_session** out) {
  return Guard([&]() -> idb_status {
    if (client == nullptr || out == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "client and out are required");
    idb_login_request r;
    if (!ReadLoginRequest(request, &r)) {
      return SetError(IDB_E_BAD_ARGUMENT, "idb_login_request.struct_size is not set (use IDB_LOGIN_REQUEST_INIT)");
    }
    if (r.user != nullptr || r.password != nullptr) {
      return SetError(IDB_E_BAD_ARGUMENT, "a token login takes no user or password");
    }
    return TokenLogin(client, token, r, out);
  });
}

IDB_API idb_status idb_device_begin(idb_client* client, idb_flow** out) {
  return Guard([&]() { return FlowBegin(client, "/v1/login/device", out); });
}

IDB_API idb_status idb_browser_begin(idb_client* client, idb_flow** out) {
  return Guard([&]() { return FlowBegin(client, "/v1/login/browser", out); });
}

IDB_API idb_status idb_flow_info_get(const idb_flow* flow, idb_flow_info** out) {
  return Guard([&]() -> idb_status {
    if (flow == nullptr || out == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "flow and out are required");
    auto* info = new idb_flow_info{};
    info->struct_size = sizeof(idb_flow_info);
    info->user_code = CopyString(flow->user_code);
    info->verification_uri = CopyString(flow->verification_uri);
    info->verification_uri_complete = CopyString(flow->verification_uri_complete);
    info->interval_s = flow->interval_s;
    info->expires_unix = flow->expires_unix;
    *out = info;
    return Ok();
  });
}

IDB_API void idb_flow_info_free(idb_flow_info* info) {
  if (info == nullptr) return;
  delete[] info->user_code;
  delete[] info->verification_uri;
  delete[] info->verification_uri_complete;
  delete info;
}

IDB_API idb_status idb_flow_poll(idb_client* client, idb_flow* flow, idb_session** out) {
  return Guard([&]() -> idb_status {
    if (client == nullptr || flow == nullptr || out == nullptr) {
      return SetError(IDB_E_BAD_ARGUMENT, "client, flow and out are required");
    }
    nlohmann::json request = {{"flow", flow->id}};
    std::string body = request.dump();
    CallResult r = client->daemon->Call("POST", "/v1/login/poll", body);
    idb::plugin::Wipe(body);
    if (r.status != IDB_OK) return SetError(r.status, r.message);
    return MakeSession(client->daemon, r, out);
  });
}

IDB_API void idb_flow_free(idb_flow* flow) { delete flow; }

IDB_API int idb_check(const idb_session* session, const char* permission, const char* location,
                      const char* warehouse) {
  if (session == nullptr) return IDB_DENY;
  // Check() is noexcept and fails closed; the handle is logically const (the
  // answer never depends on who asked first) but may refresh its cache.
  return const_cast<idb_session*>(session)->impl->Check(permission, location, warehouse);
}

IDB_API idb_status idb_session_profiles(const idb_session* session, idb_string_list** out) {
  return Guard([&]() -> idb_status {
    if (session == nullptr || out == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "session and out are required");
    const auto& st = session->impl->Current();
    if (st.ended) return SetError(IDB_E_SESSION_UNKNOWN, "the session has ended");
    const auto& profiles = st.decisions.profiles();
    auto* list = new idb_string_list{};
    list->struct_size = sizeof(idb_string_list);
    list->count = profiles.size();
    list->items = CopyStrings(profiles);
    *out = list;
    return Ok();
  });
}

IDB_API void idb_string_list_free(idb_string_list* list) {
  if (list == nullptr) return;
  FreeStrings(list->items, list->count);
  delete list;
}

IDB_API idb_status idb_session_permissions(const idb_session* session, idb_permission_list** out) {
  return Guard([&]() -> idb_status {
    if (session == nullptr || out == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "session and out are required");
    const auto& st = session->impl->Current();
    if (st.ended) return SetError(IDB_E_SESSION_UNKNOWN, "the session has ended");
    const auto& decisions = st.decisions.decisions();
    auto* list = new idb_permission_list{};
    list->struct_size = sizeof(idb_permission_list);
    auto** items = new const idb_permission*[decisions.size() + 1];
    for (size_t i = 0; i < decisions.size(); ++i) {
      const auto& d = decisions[i];
      auto* p = new idb_permission{};
      p->struct_size = sizeof(idb_permission);
      p->name = CopyString(d.permission);
      p->scope = static_cast<int>(d.kind);
      p->all_except = d.allowed.all_except ? 1 : 0;
      p->place_count = d.allowed.items.size();
      p->places = CopyStrings(d.allowed.items);
      items[i] = p;
    }
    items[decisions.size()] = nullptr;
    list->count = decisions.size();
    list->items = items;
    *out = list;
    return Ok();
  });
}

IDB_API void idb_permission_list_free(idb_permission_list* list) {
  if (list == nullptr) return;
  for (size_t i = 0; i < list->count; ++i) {
    const idb_permission* p = list->items[i];
    delete[] p->name;
    FreeStrings(p->places, p->place_count);
    delete p;
  }
  delete[] list->items;
  delete list;
}

IDB_API idb_status idb_session_info_get(const idb_session* session, idb_session_info** out) {
  return Guard([&]() -> idb_status {
    if (session == nullptr || out == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "session and out are required");
    const auto& st = session->impl->Current();
    auto* info = new idb_session_info{};
    info->struct_size = sizeof(idb_session_info);
    info->user = CopyString(st.user);
    info->source = CopyString(st.source);
    info->stale = st.stale ? 1 : 0;
    info->expires_unix = st.ended ? 0 : st.expires_unix;
    info->refreshed_unix = st.refreshed_unix;
    *out = info;
    return Ok();
  });
}

IDB_API void idb_session_info_free(idb_session_info* info) {
  if (info == nullptr) return;
  delete[] info->user;
  delete[] info->source;
  delete info;
}

IDB_API idb_status idb_session_refresh(idb_session* session) {
  return Guard([&]() -> idb_status {
    if (session == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "session is NULL");
    CallResult r = session->impl->Refresh();
    if (r.status != IDB_OK) return SetError(r.status, r.message);
    return Ok();
  });
}

IDB_API idb_status idb_logout(idb_session* session) {
  return Guard([&]() -> idb_status {
    if (session == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "session is NULL");
    CallResult r = session->impl->Logout();
    if (r.status != IDB_OK) return SetError(r.status, r.message);
    return Ok();
  });
}

IDB_API void idb_session_close(idb_session* session) { delete session; }

IDB_API idb_status idb_change_password(idb_client* client, const idb_password_change* request) {
  return Guard([&]() -> idb_status {
    if (client == nullptr || request == nullptr) return SetError(IDB_E_BAD_ARGUMENT, "client and request are required");
    // Read only the members the host's struct has (struct_size).
    if (request->struct_size < offsetof(idb_password_change, new_password) + sizeof(const char*) ||
        request->struct_size > 4096) {
      return SetError(IDB_E_BAD_ARGUMENT, "idb_password_change.struct_size is not set (use IDB_PASSWORD_CHANGE_INIT)");
    }
    idb_password_change r = IDB_PASSWORD_CHANGE_INIT;
    std::memcpy(&r, request, request->struct_size < sizeof(r) ? request->struct_size : sizeof(r));
    if (!BoundedString(r.user, kMaxUserLength)) {
      return SetError(IDB_E_BAD_ARGUMENT, "user name is empty or longer than 256 bytes");
    }
    // Empty passwords: refused here, before anything is sent anywhere.
    if (r.old_password == nullptr || r.old_password[0] == '\0' || r.new_password == nullptr ||
        r.new_password[0] == '\0') {
      return SetError(IDB_E_BAD_CREDENTIALS, "empty password");
    }
    if (::strnlen(r.old_password, kMaxPasswordLength + 1) > kMaxPasswordLength ||
        ::strnlen(r.new_password, kMaxPasswordLength + 1) > kMaxPasswordLength) {
      return SetError(IDB_E_BAD_ARGUMENT, "password is too long");
    }
    nlohmann::json body_json = {{"user", r.user},
                                {"old_password", r.old_password},
                                {"new_password", r.new_password},
                                {"application", client->daemon->application()}};
    if (r.client_address != nullptr && r.client_address[0] != '\0') {
      if (!BoundedString(r.client_address, kMaxClientAddressLength)) {
        idb::plugin::Wipe(body_json["old_password"].get_ref<std::string&>());
        idb::plugin::Wipe(body_json["new_password"].get_ref<std::string&>());
        return SetError(IDB_E_BAD_ARGUMENT, "client_address is longer than 253 bytes");
      }
      body_json["client_address"] = r.client_address;
    }
    std::string body = body_json.dump();
    idb::plugin::Wipe(body_json["old_password"].get_ref<std::string&>());
    idb::plugin::Wipe(body_json["new_password"].get_ref<std::string&>());
    CallResult res = client->daemon->Call("POST", "/v1/password/change", body);
    idb::plugin::Wipe(body);
    if (res.status != IDB_OK) return SetError(res.status, res.message);
    return Ok();
  });
}

}  // extern "C"
