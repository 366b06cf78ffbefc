// test_policy.h — a small catalog and profiles shared by the core tests.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "core/policy.h"

namespace idb::testing {

inline const char* kCatalog = R"(version: 1
modules:
  work_orders:
    title: Work Orders
    scope: location
    actions:
      view: { title: View }
      edit: { title: Edit, requires: [view] }
      delete: { title: Delete }
  parts:
    title: Parts
    scope: warehouse
    actions:
      view: { title: View }
      edit: { title: Edit, requires: [view] }
  vendors:
    title: Vendors
    scope: none
    actions:
      view: { title: View }
      edit: { title: Edit, requires: [view] }
)";

inline const char* kProfiles = R"(version: 1
profiles:
  full:
    modules: { "*": full }
  viewer:
    modules: { "*": [view] }
  editor:
    modules: { work_orders: [view, edit], parts: [view, edit], vendors: [view, edit] }
  vendor_only:
    modules: { vendors: [view] }
)";

// Loads kCatalog + profiles + the given rules; fails the test on errors.
inline std::shared_ptr<const Policy> MakePolicy(const std::string& rules, const std::string& profiles = kProfiles) {
  PolicyLoad load = LoadPolicyFromStrings(kCatalog, profiles, rules);
  std::string all;
  for (const auto& d : load.errors) all += d.ToString() + "\n";
  EXPECT_TRUE(load.ok()) << all;
  return load.policy;
}

// Errors as one string ("" when valid).
inline std::string Errors(const std::string& rules, const std::string& profiles = kProfiles,
                          const std::string& catalog = kCatalog) {
  PolicyLoad load = LoadPolicyFromStrings(catalog, profiles, rules);
  std::string all;
  for (const auto& d : load.errors) all += d.ToString() + "\n";
  if (load.ok() != all.empty()) all += "INCONSISTENT: ok() disagrees with errors\n";
  return all;
}

}  // namespace idb::testing
