// A Policy is shared by every daemon thread: concurrent Evaluate()/Explain()
// on one snapshot must give the single-threaded answers (run under TSan too).
#include <gtest/gtest.h>

#include <thread>

#include "core/engine.h"
#include "test_policy.h"

namespace idb {
namespace {

TEST(Concurrency, ParallelEvaluationsOfOneSnapshotAgree) {
  auto policy = idb::testing::MakePolicy(R"(version: 1
rules:
  - name: a
    match: { group_cn: A }
    grant_profiles: [editor]
    locations: [L1]
  - name: g
    match: { group_glob: "B*" }
    grant_profiles: [viewer]
  - name: d
    match: { not: { group_cn: C } }
    deny: [{ permission: work_orders.delete, locations: [L2] }]
)");
  ASSERT_TRUE(policy);
  const SystemTime now = SystemTime(std::chrono::hours(24 * 365 * 50));
  std::vector<Identity> users(8);
  for (size_t i = 0; i < users.size(); ++i) {
    users[i].user = "u" + std::to_string(i);
    if (i & 1) users[i].groups.push_back({"CN=A,DC=x", "", "", {}});
    if (i & 2) users[i].groups.push_back({"CN=B" + std::to_string(i) + ",DC=x", "", "", {}});
    if (i & 4) users[i].groups.push_back({"CN=C,DC=x", "", "", {}});
  }
  std::vector<std::string> expected;
  for (const auto& u : users) expected.push_back(Evaluate(*policy, u, {}, now).ToJson().dump());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 300; ++k) {
        const size_t i = static_cast<size_t>(k + t) % users.size();
        std::string got = (k % 10 == 0) ? Explain(*policy, users[i], {}, now).decisions.ToJson().dump()
                                        : Evaluate(*policy, users[i], {}, now).ToJson().dump();
        if (got != expected[i]) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace idb
