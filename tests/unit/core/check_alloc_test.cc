// DecisionSet::Check() must not allocate (the plugin calls it on the fleet
// application's hot path). This binary replaces the global operator new with a
// counting one.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "core/decision_set.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace idb {
namespace {

TEST(DecisionSetCheck, DoesNotAllocate) {
  std::vector<std::string> many;
  for (int i = 0; i < 20; ++i) many.push_back("Depot " + std::to_string(i));
  DecisionSet d("alice", true, {"technicians"},
                {{"work_orders.edit", ScopeKind::kLocation, ScopeSet::Only(many)},
                 {"parts.view", ScopeKind::kWarehouse, ScopeSet{true, {"Main"}}},
                 {"vendors.view", ScopeKind::kNone, ScopeSet::Everywhere()}});
  const std::string long_location(100, 'x');
  const long before = g_allocations.load();
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) {
    allowed += d.Check("work_orders.edit", "Depot 7", "");
    allowed += d.Check("work_orders.edit", long_location, "");
    allowed += d.Check("parts.view", "", "Main");
    allowed += d.Check("vendors.view", "", "");
    allowed += d.Check("a.permission.id.that.is.long.enough.to.not.fit.in.sso", "", "");
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_EQ(allowed, 2000);
}

}  // namespace
}  // namespace idb
