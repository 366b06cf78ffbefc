#include "store/explain_inputs.h"

#include "common/names.h"
#include "store/time_format.h"

namespace idb::store {
namespace {

const char* EffectName(OverrideEffect e) { return e == OverrideEffect::kGrant ? "grant" : "deny"; }

std::string ListText(const std::optional<std::vector<std::string>>& l) {
  if (!l) return "no restriction";
  if (l->empty()) return "none at all";
  std::string s;
  for (const auto& n : *l) s += (s.empty() ? "" : ", ") + n;
  return s;
}

nlohmann::json OptList(const std::optional<std::vector<std::string>>& l) {
  return l ? nlohmann::json(*l) : nlohmann::json(nullptr);
}

}  // namespace

Result<ExplainInputs> LoadExplainInputs(Store& store, const std::string& user, SystemTime now) {
  IDB_RETURN_IF_ERROR(ValidateUserName(user));
  ExplainInputs in;
  in.now = now;
  auto adj = store.AdjustmentsFor(user, now);
  if (!adj.ok()) return adj.status();
  in.adjustments = std::move(*adj);
  auto all = store.ListOverrides(user);
  if (!all.ok()) return all.status();
  in.overrides = std::move(*all);
  auto known = store.ListKnownUsers();
  if (!known.ok()) return known.status();
  for (auto& k : *known)
    if (k.identity.user == user) in.known = std::move(k);
  return in;
}

std::vector<std::string> ExplainInputs::ProvenanceLines() const {
  std::vector<std::string> lines;
  for (const auto& o : overrides) {
    const auto& e = o.entry;
    std::string line = "override #" + std::to_string(e.id) + ": " + EffectName(e.effect) + " " + e.permission;
    if (e.location) line += " at location " + Quoted(*e.location);
    if (e.warehouse) line += " at warehouse " + Quoted(*e.warehouse);
    if (e.expires) line += " until " + FormatUtcTime(*e.expires);
    line += " — added " + FormatUtcTime(o.created) + " by " + o.actor;
    if (!e.reason.empty()) line += ": " + e.reason;
    if (e.expires && *e.expires <= now) line += " [EXPIRED, ignored]";
    lines.push_back(std::move(line));
  }
  lines.push_back("store limits: locations: " + ListText(adjustments.limits.locations) +
                  "; warehouses: " + ListText(adjustments.limits.warehouses));
  lines.push_back(known ? "last login: " + FormatUtcTime(known->last_login) + " via " + known->identity.source
                        : std::string("last login: never (no identity stored)"));
  return lines;
}

nlohmann::json ExplainInputs::ToJson() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& o : overrides) {
    const auto& e = o.entry;
    arr.push_back({{"id", e.id},
                   {"effect", EffectName(e.effect)},
                   {"permission", e.permission},
                   {"location", e.location ? nlohmann::json(*e.location) : nlohmann::json(nullptr)},
                   {"warehouse", e.warehouse ? nlohmann::json(*e.warehouse) : nlohmann::json(nullptr)},
                   {"expires", e.expires ? nlohmann::json(FormatUtcTime(*e.expires)) : nlohmann::json(nullptr)},
                   {"expired", e.expires && *e.expires <= now},
                   {"reason", e.reason},
                   {"added_by", o.actor},
                   {"added", FormatUtcTime(o.created)}});
  }
  return {{"last_login", known ? nlohmann::json(FormatUtcTime(known->last_login)) : nlohmann::json(nullptr)},
          {"overrides", arr},
          {"limits",
           {{"locations", OptList(adjustments.limits.locations)}, {"warehouses", OptList(adjustments.limits.warehouses)}}}};
}

}  // namespace idb::store
