// refusal_pacer.cc — see refusal_pacer.h.
#include "daemon/refusal_pacer.h"

#include <algorithm>
#include <vector>

namespace idb::daemon {

void RefusalPacer::RecordAccountRefusal(Duration d) {
  std::lock_guard<std::mutex> lock(mu_);
  samples_[count_ % kWindow] = d;
  ++count_;
}

RefusalPacer::Duration RefusalPacer::Floor() const {
  std::vector<Duration> v;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (count_ < min_samples_) return Duration::zero();
    v.assign(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(std::min(count_, kWindow)));
  }
  const size_t at = (v.size() * 9) / 10;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
  return std::min(v[at], max_floor_);
}

}  // namespace idb::daemon
