// http_api.cc — see http_api.h.
#include "daemon/http_api.h"

#include <string.h>

#include <optional>
#include <string>

#include "daemon/log.h"

namespace idb::daemon {

namespace {

constexpr size_t kMaxBody = 64 * 1024;

void Send(httplib::Response& res, const Reply& reply) {
  res.status = reply.status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(reply.body.dump(), "application/json");
}

void WipeBody(const httplib::Request& req) {
  // The request object is ours (httplib owns it non-const); its body held a
  // password or token: overwrite it before httplib frees it.
  auto& body = const_cast<std::string&>(req.body);
  if (!body.empty()) explicit_bzero(body.data(), body.size());
}

// Parses the body as a JSON object; nullopt + a 400 reply otherwise.
std::optional<nlohmann::json> ParseObject(const httplib::Request& req, httplib::Response& res) {
  if (req.body.size() > kMaxBody) {
    Send(res, ErrorReply(413, "bad_request", "request body too large"));
    return std::nullopt;
  }
  if (req.body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    Send(res, ErrorReply(400, "bad_request", "the body must be a JSON object"));
    return std::nullopt;
  }
  return j;
}

// Reads an optional string field; sets `bad` with a 400 reply when it has the wrong type.
std::string Field(const nlohmann::json& j, const char* key, bool* bad, httplib::Response& res) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string()) {
    *bad = true;
    Send(res, ErrorReply(400, "bad_request", std::string("'") + key + "' must be a string"));
    return "";
  }
  return it->get<std::string>();
}

// The origin fields of a login body (application, client_address,
// workstation, refused); false after a 400 reply for a wrong type.
bool ReadLoginContext(const nlohmann::json& j, LoginContext* c, httplib::Response& res) {
  bool bad = false;
  c->application = Field(j, "application", &bad, res);
  if (!bad) c->client_address = Field(j, "client_address", &bad, res);
  if (!bad) c->workstation = Field(j, "workstation", &bad, res);
  if (!bad) c->refusal = Field(j, "refused", &bad, res);
  return !bad;
}

void WipeField(nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it != j.end() && it->is_string()) {
    auto& s = it->get_ref<std::string&>();
    if (!s.empty()) explicit_bzero(s.data(), s.size());
  }
}

}  // namespace

void RegisterRoutes(httplib::Server& server, DaemonCore& core, CallerOf caller_of) {
  server.set_payload_max_length(kMaxBody);

  server.Post("/v1/login", [&core, caller_of](const httplib::Request& req, httplib::Response& res) {
    auto j = ParseObject(req, res);
    WipeBody(req);
    if (!j) return;
    bool bad = false;
    std::string user = Field(*j, "user", &bad, res);
    if (bad) return WipeField(*j, "password");
    LoginContext context;
    if (!ReadLoginContext(*j, &context, res)) return WipeField(*j, "password");
    auto it = j->find("password");
    if (it != j->end() && !it->is_string() && !it->is_null()) {
      return Send(res, ErrorReply(400, "bad_request", "'password' must be a string"));
    }
    Secret password(it != j->end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                                       : std::string_view());
    WipeField(*j, "password");
    Send(res, core.Login(user, std::move(password), context, caller_of(req)));
  });

  server.Post("/v1/login/token", [&core, caller_of](const httplib::Request& req, httplib::Response& res) {
    auto j = ParseObject(req, res);
    WipeBody(req);
    if (!j) return;
    LoginContext context;
    if (!ReadLoginContext(*j, &context, res)) return WipeField(*j, "token");
    if (!context.refusal.empty()) {  // the plugin reports its own refusal: no token
      WipeField(*j, "token");
      return Send(res, core.LoginToken(Secret(std::string_view()), context, caller_of(req)));
    }
    auto it = j->find("token");
    if (it == j->end() || !it->is_string()) {
      return Send(res, ErrorReply(400, "bad_request", "'token' must be a string"));
    }
    Secret token(it->get_ref<const std::string&>());
    WipeField(*j, "token");
    Send(res, core.LoginToken(std::move(token), context, caller_of(req)));
  });

  server.Post("/v1/login/device", [&core, caller_of](const httplib::Request& req, httplib::Response& res) {
    Send(res, core.FlowBegin("device", caller_of(req)));
  });
  server.Post("/v1/login/browser", [&core, caller_of](const httplib::Request& req, httplib::Response& res) {
    Send(res, core.FlowBegin("browser", caller_of(req)));
  });
  server.Post("/v1/login/poll", [&core, caller_of](const httplib::Request& req, httplib::Response& res) {
    auto j = ParseObject(req, res);
    if (!j) return;
    bool bad = false;
    std::string flow = Field(*j, "flow", &bad, res);
    if (bad) return;
    Send(res, core.FlowPoll(flow, caller_of(req)));
  });

  server.Get(R"(/v1/sessions/([^/]+))", [&core](const httplib::Request& req, httplib::Response& res) {
    Send(res, core.GetSession(req.matches[1]));
  });
  server.Post(R"(/v1/sessions/([^/]+)/refresh)", [&core](const httplib::Request& req, httplib::Response& res) {
    Send(res, core.RefreshSession(req.matches[1]));
  });

  server.Post("/v1/logout", [&core, caller_of](const httplib::Request& req, httplib::Response& res) {
    auto j = ParseObject(req, res);
    if (!j) return;
    bool bad = false;
    std::string session = Field(*j, "session", &bad, res);
    if (bad) return;
    Send(res, core.Logout(session, caller_of(req)));
  });

  server.Post("/v1/check", [&core](const httplib::Request& req, httplib::Response& res) {
    auto j = ParseObject(req, res);
    if (!j) return;
    bool bad = false;
    std::string session = Field(*j, "session", &bad, res);
    if (bad) return;
    std::string permission = Field(*j, "permission", &bad, res);
    if (bad) return;
    std::string location = Field(*j, "location", &bad, res);
    if (bad) return;
    std::string warehouse = Field(*j, "warehouse", &bad, res);
    if (bad) return;
    Send(res, core.Check(session, permission, location, warehouse));
  });

  server.Post("/v1/reload", [&core, caller_of](const httplib::Request& req, httplib::Response& res) {
    Send(res, core.Reload(caller_of(req)));
  });

  server.Post("/v1/admin/revoke", [&core, caller_of](const httplib::Request& req, httplib::Response& res) {
    auto j = ParseObject(req, res);
    if (!j) return;
    bool bad = false;
    std::string user = Field(*j, "user", &bad, res);
    if (bad) return;
    Send(res, core.Revoke(user, caller_of(req)));
  });

  server.Post("/v1/password/change", [&core, caller_of](const httplib::Request& req, httplib::Response& res) {
    auto j = ParseObject(req, res);
    WipeBody(req);
    if (!j) return;
    auto wipe = [&] {
      WipeField(*j, "old_password");
      WipeField(*j, "new_password");
    };
    bool bad = false;
    std::string user = Field(*j, "user", &bad, res);
    if (bad) return wipe();
    std::string app = Field(*j, "application", &bad, res);
    if (bad) return wipe();
    std::string address = Field(*j, "client_address", &bad, res);
    if (bad) return wipe();
    for (const char* key : {"old_password", "new_password"}) {
      auto it = j->find(key);
      if (it != j->end() && !it->is_string() && !it->is_null()) {
        wipe();
        return Send(res, ErrorReply(400, "bad_request", std::string("'") + key + "' must be a string"));
      }
    }
    auto secret = [&](const char* key) {
      auto it = j->find(key);
      return Secret(it != j->end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                                      : std::string_view());
    };
    Secret old_password = secret("old_password");
    Secret new_password = secret("new_password");
    wipe();
    Send(res, core.ChangePassword(user, std::move(old_password), std::move(new_password), address, app,
                                  caller_of(req)));
  });

  server.Get("/v1/health", [&core](const httplib::Request&, httplib::Response& res) { Send(res, core.Health()); });

  server.Get("/metrics", [&core](const httplib::Request&, httplib::Response& res) {
    res.set_content(core.MetricsText(), "text/plain; version=0.0.4");
  });

  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler already answered (e.g. 401 with JSON)
    std::string code = res.status == 404 ? "not_found" : res.status == 413 ? "bad_request" : "bad_request";
    res.set_content(ErrorReply(res.status, code, "no such endpoint or bad request: " + req.method + " " +
                                                     req.path.substr(0, 100))
                        .body.dump(),
                    "application/json");
  });

  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    LogError("request handler threw; answered 500");
    Send(res, ErrorReply(500, "internal", "internal error"));
  });
}

}  // namespace idb::daemon
