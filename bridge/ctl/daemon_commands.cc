// daemon_commands.cc — idbridgectl status, reload and revoke: talking to the
// running idbridged over its UNIX socket (docs/protocol.md).
//
//   status [--socket PATH] [--json]   is idbridged up? protocol, version, config hash, sessions;
//                                     exit 1 and the problems when it is degraded (store file gone,
//                                     login history failing)
//   reload [--socket PATH]            re-read config + mappings; the old ones stay if invalid
//   revoke USER [--socket PATH]       end every session of USER now (their checks deny)
//
// Why here and not curl: IT should not need to know the socket protocol to do
// the two things every admin does after editing mappings or disabling an
// account. The socket is `--socket`, else `daemon.socket` of --config (read
// with yaml-cpp alone, so a reload can be asked for — and its errors shown —
// even when the edited mapping files are broken), else the built-in default.
// reload and revoke need an admin uid (daemon.admin_uids); the daemon decides.
// Exit codes: 0 done, 1 the daemon refused (invalid new config, not an
// admin), 2 usage error or the daemon cannot be reached.
#include <sys/socket.h>

#include <filesystem>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "ctl/commands.h"

namespace idb::ctl {
namespace {

constexpr const char* kDefaultSocket = "/run/idbridge/idbridged.sock";

// --socket, else daemon.socket of the config file (relative to it), else the default.
std::string SocketPath(const Args& args) {
  if (auto s = args.Get("socket")) return *s;
  const std::string config = args.GetOr("config", kDefaultConfigPath);
  try {
    YAML::Node root = YAML::LoadFile(config);
    YAML::Node socket = root["daemon"] ? root["daemon"]["socket"] : YAML::Node();
    if (socket && socket.IsScalar()) {
      std::filesystem::path p = socket.as<std::string>();
      if (p.is_relative()) p = std::filesystem::path(config).parent_path() / p;
      return p.string();
    }
  } catch (const std::exception&) {
    // Unreadable or unparsable config: the daemon has its own copy; use the default socket.
  }
  return kDefaultSocket;
}

struct DaemonAnswer {
  bool reached = false;
  int http_status = 0;
  nlohmann::json body;  // object, or discarded when the answer was not JSON
  std::string failure;  // why it was not reached
};

DaemonAnswer Call(const std::string& socket, const std::string& method, const std::string& path,
                  const nlohmann::json& body) {
  httplib::ClientImpl cli(socket, 80);
  cli.set_address_family(AF_UNIX);
  cli.set_keep_alive(false);
  cli.set_connection_timeout(std::chrono::seconds(2));
  cli.set_read_timeout(std::chrono::seconds(30));  // a reload compiles every mapping file
  cli.set_write_timeout(std::chrono::seconds(5));
  httplib::Result res = method == "GET" ? cli.Get(path) : cli.Post(path, body.dump(), "application/json");
  DaemonAnswer a;
  if (!res) {
    a.failure = "cannot reach idbridged at " + socket + ": " + httplib::to_string(res.error()) +
                " (is it running? is --socket or daemon.socket right?)";
    return a;
  }
  a.reached = true;
  a.http_status = res->status;
  a.body = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  return a;
}

std::string StringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Prints the daemon's error answer; 1 when it refused, 2 when it made no sense.
int ReportRefusal(const std::string& cmd, const DaemonAnswer& a, std::ostream& err) {
  if (!a.body.is_object() || !a.body.contains("error") || !a.body["error"].is_object()) {
    err << "idbridgectl " << cmd << ": idbridged answered HTTP " << a.http_status << " without an explanation\n";
    return 2;
  }
  const nlohmann::json& e = a.body["error"];
  err << "idbridgectl " << cmd << ": refused (" << StringField(e, "code") << "): " << StringField(e, "message") << "\n";
  if (auto it = e.find("errors"); it != e.end() && it->is_array()) {
    for (const auto& d : *it) {
      if (d.is_string()) {
        err << "  " << d.get<std::string>() << "\n";
      } else if (d.is_object() && !StringField(d, "text").empty()) {
        err << "  " << StringField(d, "text") << "\n";
      } else if (d.is_object()) {
        err << "  " << StringField(d, "file") << ":" << d.value("line", 0) << ":" << d.value("column", 0) << ": "
            << StringField(d, "message") << "\n";
      }
    }
  }
  return 1;
}

int RunStatus(const Args& args, std::ostream& out, std::ostream& err) {
  if (!args.positional().empty()) {
    err << "idbridgectl status: unexpected argument '" << args.positional()[0] << "'\n";
    return 2;
  }
  const std::string socket = SocketPath(args);
  DaemonAnswer a = Call(socket, "GET", "/v1/health", nullptr);
  if (!a.reached) {
    err << "idbridgectl status: " << a.failure << "\n";
    return 2;
  }
  if (a.http_status != 200 || !a.body.is_object()) return ReportRefusal("status", a, err);
  const bool degraded = StringField(a.body, "status") != "ok";
  if (args.Flag("json")) {
    nlohmann::json j = a.body;
    j["socket"] = socket;
    out << j.dump(2) << "\n";
    return degraded ? 1 : 0;
  }
  out << "idbridged " << StringField(a.body, "version") << " at " << socket << ": " << StringField(a.body, "status")
      << ", protocol " << a.body.value("protocol", 0) << ", " << a.body.value("sessions", 0) << " session(s)"
      << ", configuration " << StringField(a.body, "files_hash").substr(0, 12) << "\n";
  if (auto it = a.body.find("problems"); it != a.body.end() && it->is_array()) {
    for (const auto& p : *it)
      if (p.is_string()) out << "  problem: " << p.get<std::string>() << "\n";
  }
  return degraded ? 1 : 0;
}

int RunReload(const Args& args, std::ostream& out, std::ostream& err) {
  if (!args.positional().empty()) {
    err << "idbridgectl reload: unexpected argument '" << args.positional()[0] << "'\n";
    return 2;
  }
  DaemonAnswer a = Call(SocketPath(args), "POST", "/v1/reload", nlohmann::json::object());
  if (!a.reached) {
    err << "idbridgectl reload: " << a.failure << "\n";
    return 2;
  }
  if (a.http_status != 200 || !a.body.is_object()) return ReportRefusal("reload", a, err);
  out << "reloaded: configuration " << StringField(a.body, "files_hash").substr(0, 12)
      << " is in force; open sessions take it at their next refresh\n";
  return 0;
}

int RunRevoke(const Args& args, std::ostream& out, std::ostream& err) {
  if (args.positional().size() != 1 || args.positional()[0].empty()) {
    err << "idbridgectl revoke: give exactly one user name: idbridgectl revoke USER\n";
    return 2;
  }
  const std::string& user = args.positional()[0];
  DaemonAnswer a = Call(SocketPath(args), "POST", "/v1/admin/revoke", {{"user", user}});
  if (!a.reached) {
    err << "idbridgectl revoke: " << a.failure << "\n";
    return 2;
  }
  if (a.http_status != 200 || !a.body.is_object()) return ReportRefusal("revoke", a, err);
  out << "revoked " << a.body.value("revoked", 0) << " session(s) of '" << user
      << "'; the fleet application denies their checks from now on\n";
  return 0;
}

}  // namespace

std::vector<Command> DaemonCommands() {
  return {
      {"status", "is idbridged running? version, protocol, sessions, configuration hash",
       {{"socket"}, {"json"}}, RunStatus},
      {"reload", "make idbridged re-read its configuration (kept unchanged if invalid)", {{"socket"}, {}}, RunReload},
      {"revoke", "end every session of a user now: revoke USER", {{"socket"}, {}}, RunRevoke},
  };
}

}  // namespace idb::ctl
