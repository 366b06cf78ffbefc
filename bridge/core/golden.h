// golden.h — golden test cases for a policy (mappings/tests/*.yaml).
//
// Why: IT writes, next to the rules, the users and the decisions they must
// get; CI and `idbridgectl test` run them before a deploy (OPA-style policy
// tests). Format:
//   version: 1
//   cases:
//     - name: depot-a mechanic
//       user: alice                     # optional, default "test-user"
//       source: ldap:corp               # optional
//       groups: ["CN=Mechanics,OU=Groups,DC=fleet,DC=test", {dn: ..., cn: ..., sid: ...}]
//       claims: { department: "Depot A" }      # value or list
//       limits: { locations: [...], warehouses: [...] }    # optional
//       overrides: [ { effect: grant, permission: work_orders.delete, location: "Depot A" } ]
//       expect:
//         login: true
//         profiles: [technicians]       # exact set
//         allow: ["work_orders.edit@Depot A", "parts.view#Main", vendors.view]
//         deny:  ["work_orders.delete@Depot A"]
// A check point is "perm", "perm@location", "perm#warehouse" or
// {permission:, location:, warehouse:}.
// Thread-safety: pure.
#pragma once

#include <string>
#include <vector>

#include "core/diagnostic.h"
#include "core/policy.h"

namespace idb {

struct GoldenFailure {
  std::string file;
  std::string case_name;
  SourceRef where;
  std::string message;  // "expected allow work_orders.edit@Depot A, got deny"
};

struct GoldenReport {
  int files = 0;
  int cases = 0;
  int checks = 0;
  std::vector<Diagnostic> errors;       // malformed test files
  std::vector<GoldenFailure> failures;  // wrong decisions
  bool ok() const { return errors.empty() && failures.empty(); }
};

// Runs one file, or every *.yaml in a directory (sorted).
GoldenReport RunGoldenTests(const Policy& policy, const std::string& file_or_dir);

}  // namespace idb
