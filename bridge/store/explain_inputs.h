// explain_inputs.h — what `idbridgectl explain --store PATH` needs from the store.
//
// Why: explain must show exactly what the daemon would decide, so it needs the
// user's store adjustments (unexpired overrides and limits, read as
// AdjustmentsFor does) and, when no --group/--claim is given, the user's
// last-known identity. Overrides are listed with their provenance (who added
// them, when, why, until when; expired ones marked) so an admin can see where a
// permission came from.
// Usage (core_commands.cc, explain):
//   auto in = store::LoadExplainInputs(*store, user, now);
//   if (!in.ok()) → print in.status(), exit 2 (fail closed)
//   Explain(policy, in->known ? in->known->identity : id_from_flags, in->adjustments, now)
//   then print in->provenance (text) or in->ToJson() under "store" (--json).
// Thread-safety: pure over the Store (which is thread-safe).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "store/store.h"

namespace idb::store {

struct ExplainInputs {
  std::optional<KnownUser> known;       // identity from the last successful login
  UserAdjustments adjustments;          // what the engine gets now
  std::vector<StoredOverride> overrides;  // all of the user's overrides, expired included
  SystemTime now{};

  // "override #3: grant work_orders.delete at location "Depot A" until 2026-12-31T00:00:00Z
  //  — added 2026-06-01T12:00:00Z by alice (uid 1000): covering Bob" (+ " [EXPIRED]"),
  // then the limits, then the last login line.
  std::vector<std::string> ProvenanceLines() const;
  // {"last_login": T|null, "overrides":[{id,effect,permission,location,warehouse,expires,expired,reason,added_by,added}],
  //  "limits":{"locations": null|[..], "warehouses": null|[..]}}
  nlohmann::json ToJson() const;
};

Result<ExplainInputs> LoadExplainInputs(Store& store, const std::string& user, SystemTime now);

}  // namespace idb::store
