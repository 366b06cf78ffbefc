#include "store/identity_json.h"

#include <nlohmann/json.hpp>

namespace idb::store {

std::string IdentityToJson(const Identity& identity) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : identity.groups)
    groups.push_back({{"dn", g.dn}, {"cn", g.cn}, {"sid", g.sid}, {"via", g.via}});
  nlohmann::json claims = nlohmann::json::object();
  for (const auto& [k, v] : identity.claims) claims[k] = v;
  nlohmann::json j = {{"user", identity.user}, {"source", identity.source}, {"groups", groups}, {"claims", claims}};
  // Invalid UTF-8 from a directory is replaced rather than thrown on.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Identity> IdentityFromJson(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    Identity id;
    id.user = j.at("user").get<std::string>();
    id.source = j.at("source").get<std::string>();
    for (const auto& g : j.at("groups")) {
      DirectoryGroup dg;
      dg.dn = g.at("dn").get<std::string>();
      dg.cn = g.at("cn").get<std::string>();
      dg.sid = g.at("sid").get<std::string>();
      dg.via = g.at("via").get<std::vector<std::string>>();
      id.groups.push_back(std::move(dg));
    }
    for (const auto& [k, v] : j.at("claims").items()) id.claims[k] = v.get<std::vector<std::string>>();
    return id;
  } catch (const std::exception& e) {
    return DataLoss(std::string("stored identity is not valid: ") + e.what());
  }
}

}  // namespace idb::store
