// fuzz_mappings — the mapping loaders (catalog, profiles, rules) on arbitrary
// bytes, beside the shipped files for the other two.
//
// Invariants: loading never crashes or throws; a policy that loads is
// evaluated and explained for identities built from its own rules, and the
// explanation serialises to JSON and text (what `check` accepts, the daemon
// and `explain --json` accept).
// Input: first byte selects the file (0 catalog, 1 profiles, 2 rules); the
// rest is that file's text.
#include <cstdint>
#include <string>

#include "core/engine.h"
#include "core/policy.h"
#include "fuzz_support.h"

namespace {

using idb::Identity;

// Facts that make the policy's rules fire: every indexable matcher value.
void CollectFacts(const idb::Matcher& m, Identity* id) {
  using K = idb::Matcher::Kind;
  switch (m.kind) {
    case K::kGroupDn: id->groups.push_back({m.value, "", "", {}}); break;
    case K::kGroupCn: id->groups.push_back({"", m.value, "", {}}); break;
    case K::kGroupSid: id->groups.push_back({"", "", m.value, {}}); break;
    case K::kClaim: id->claims[m.value] = m.values; break;
    case K::kUser: id->user = m.value; break;
    default: break;
  }
  for (const auto& c : m.children) CollectFacts(c, id);
}

void Exercise(const idb::Policy& policy) {
  const idb::SystemTime now{};
  Identity everyone;
  everyone.user = "fuzz";
  everyone.source = "ldap:corp";
  for (const auto& rule : policy.rules()) CollectFacts(rule.match, &everyone);
  for (const Identity& id : {Identity{}, everyone}) {
    idb::Explanation ex = idb::Explain(policy, id, {}, now);
    (void)ex.ToJson().dump();
    (void)ex.ToText();
    (void)ex.decisions.ToJson().dump();
    for (const auto& place : policy.place_names()) (void)ex.decisions.Check("work_orders.view", place, place);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string catalog = idb::fuzz::ReadSourceFile("mappings/catalog.yaml");
  static const std::string profiles = idb::fuzz::ReadSourceFile("mappings/profiles.yaml");
  static const std::string rules = idb::fuzz::ReadSourceFile("mappings/rules.yaml");
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  idb::PolicyLoad load;
  switch (data[0] % 3) {
    case 0: load = idb::LoadPolicyFromStrings(text, profiles, rules); break;
    case 1: load = idb::LoadPolicyFromStrings(catalog, text, rules); break;
    default: load = idb::LoadPolicyFromStrings(catalog, profiles, text); break;
  }
  if (load.ok()) Exercise(*load.policy);
  return 0;
}
