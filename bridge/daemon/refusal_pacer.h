// refusal_pacer.h — pads fast password-login refusals to the time a refusal
// of a real account takes, so that the time does not tell which names exist.
//
// Why: idbridge makes every refusal do the same work (the same binds,
// searches and password hashes), but a directory does more for a wrong
// password on a real account than for a name it has no entry for: slapd's
// ppolicy records the failure, AD writes badPwdCount — a durable write that
// makes a wrong password 3x (slapd) to 30x (Samba AD) slower than a bind to no
// entry. That work is the directory's, so idbridge pads instead: it remembers
// how long the last refusals of resolved accounts took and answers every
// refusal no sooner than their 90th percentile (capped at `max_floor`).
// Until `min_samples` such refusals were seen there is no floor.
// Thread-safety: safe for concurrent use.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>

namespace idb::daemon {

class RefusalPacer {
 public:
  using Duration = std::chrono::steady_clock::duration;
  static constexpr size_t kWindow = 64;
  explicit RefusalPacer(Duration max_floor = std::chrono::seconds(2), size_t min_samples = 5)
      : max_floor_(max_floor), min_samples_(min_samples) {}

  // A refusal of a resolved account (the directory checked its password) took `d`.
  void RecordAccountRefusal(Duration d);
  // How long every refusal should take at least: the 90th percentile of the
  // last kWindow account refusals, at most max_floor; zero before min_samples.
  Duration Floor() const;

 private:
  const Duration max_floor_;
  const size_t min_samples_;
  mutable std::mutex mu_;
  std::array<Duration, kWindow> samples_{};  // ring, guarded by mu_
  size_t count_ = 0;                         // samples recorded, guarded by mu_
};

}  // namespace idb::daemon
