// login_history_writer.cc — see login_history_writer.h.
#include "daemon/login_history_writer.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace idb::daemon {

namespace {
// FNV-1a over every field of the identity, with separators, so two different
// identities collide only by chance (a collision would skip one known_users
// update, never a login or a history row).
uint64_t Fingerprint(const Identity& id) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // field separator (0xff never occurs in UTF-8)
  };
  mix(id.user);
  mix(id.source);
  for (const auto& g : id.groups) {
    mix(g.dn);
    mix(g.cn);
    mix(g.sid);
    for (const auto& v : g.via) mix(v);
    mix("\xfe");
  }
  for (const auto& [k, vs] : id.claims) {
    mix(k);
    for (const auto& v : vs) mix(v);
    mix("\xfe");
  }
  return h;
}

LoginHistoryWriter::Options Normalized(LoginHistoryWriter::Options o) {
  if (o.max_queue == 0) o.max_queue = 1;
  if (o.batch_rows == 0) o.batch_rows = 1;
  if (o.retry_min.count() <= 0) o.retry_min = std::chrono::milliseconds(1);
  if (o.retry_max < o.retry_min) o.retry_max = o.retry_min;
  return o;
}

// The summary row of refusals that found even the reserve full.
store::LoginRecord UnrecordedRefusals(uint64_t n) {
  store::LoginRecord r;
  r.time = std::chrono::system_clock::now();
  r.user = "*";
  r.method = "-";
  r.success = false;
  r.reason = kHistoryUnavailableReason;
  r.detail = std::to_string(n) + " further logins were refused while the history queue was full (not recorded one by one)";
  return r;
}

// What a kBeforeAnswer success row says once its commit failed: the login
// was refused (its answer waited for this commit).
void MarkRefused(store::LoginRecord& r, const Status& why) {
  r.success = false;
  r.reason = kHistoryUnavailableReason;
  r.detail = "refused: the row could not be made durable before the answer (" + why.message() + ")";
}
}  // namespace

LoginHistoryWriter::LoginHistoryWriter(store::Store& store, Options options, ErrorHandler on_error)
    : store_(store), options_(Normalized(options)), on_error_(std::move(on_error)) {
  backoff_ = options_.retry_min;
  thread_ = std::thread([this] { Run(); });
}

LoginHistoryWriter::~LoginHistoryWriter() { Stop(); }

size_t LoginHistoryWriter::UsedLocked() const { return logins_.size() + users_.size() + in_flight_ + reserved_; }

uint64_t LoginHistoryWriter::PushLocked(store::LoginRecord record) {
  const bool first = !HasWorkLocked();
  if (first) oldest_ = std::chrono::steady_clock::now();
  if (logins_.empty()) logins_first_ = next_ticket_;
  logins_.push_back(std::move(record));
  const uint64_t ticket = next_ticket_++;
  // Wake the writer only when it has something new to do: the first row
  // (it waits for work) or a full batch (it waits for the deadline). A wake-up
  // per row would cost a futile context switch per login.
  if (first || logins_.size() + users_.size() >= options_.batch_rows) work_cv_.notify_one();
  return ticket;
}

Status LoginHistoryWriter::WriteSynchronously(std::vector<store::LoginRecord> logins,
                                              std::vector<store::KnownUser> users) {
  Status result;
  // The writer is gone or draining: write ourselves (the store serialises
  // transactions), reporting what fails as lost.
  if (!logins.empty()) {
    Status s = store_.RecordLogins(logins);
    std::lock_guard<std::mutex> lock(mu_);
    (s.ok() ? committed_ : failed_) += logins.size();
    if (!s.ok() && on_error_) on_error_(Status(s.code(), "login history: " + s.message()), logins.size(), true);
    result = s;
  }
  if (!users.empty()) {
    Status s = store_.RememberIdentities(users);
    std::lock_guard<std::mutex> lock(mu_);
    (s.ok() ? committed_ : failed_) += users.size();
    if (!s.ok() && on_error_) on_error_(Status(s.code(), "known users: " + s.message()), users.size(), true);
  }
  return result;
}

bool LoginHistoryWriter::Admit() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return true;  // written synchronously
  if (UsedLocked() >= options_.max_queue) return false;
  // kBeforeAnswer: while commits fail no row can be made durable; refuse at
  // once rather than after a retry (the queued rows keep being retried).
  if (options_.mode == CommitMode::kBeforeAnswer && failing_) return false;
  ++reserved_;
  return true;
}

uint64_t LoginHistoryWriter::Enqueue(store::LoginRecord record, bool admitted) {
  std::unique_lock<std::mutex> lock(mu_);
  if (admitted && reserved_ > 0) --reserved_;
  if (stopping_) {
    lock.unlock();
    return WriteSynchronously({std::move(record)}, {}).ok() ? 0 : kNotDurable;
  }
  if (!admitted && UsedLocked() >= options_.max_queue + options_.refusal_reserve) {
    ++unrecorded_;
    return 0;
  }
  return PushLocked(std::move(record));
}

Status LoginHistoryWriter::WaitDurable(uint64_t ticket) {
  if (options_.mode == CommitMode::kAfterAnswer || ticket == 0) return Status::Ok();
  if (ticket == kNotDurable) return Unavailable("login history: the row could not be written");
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return durable_through_ >= ticket || refused_.count(ticket) > 0 || stopped_; });
  if (refused_.erase(ticket) > 0) return Unavailable("login history: " + last_error_);
  if (durable_through_ >= ticket) return Status::Ok();
  return Unavailable("login history: the writer stopped before the row was durable");
}

void LoginHistoryWriter::EnqueueIdentity(store::KnownUser user) {
  const uint64_t fingerprint = Fingerprint(user.identity);
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  if (options_.identity_refresh.count() > 0) {
    auto it = remembered_.find(user.identity.user);
    if (it != remembered_.end() && it->second.fingerprint == fingerprint &&
        now - it->second.at < options_.identity_refresh) {
      ++skipped_;
      return;
    }
    if (it == remembered_.end() && remembered_.size() >= options_.max_remembered_users) remembered_.clear();
    remembered_[user.identity.user] = Remembered{fingerprint, now};
  }
  if (stopping_) {
    lock.unlock();
    (void)WriteSynchronously({}, {std::move(user)});  // failures reported by on_error
    return;
  }
  if (UsedLocked() >= options_.max_queue) {
    ++skipped_;  // refreshed at the user's next login
    remembered_.erase(user.identity.user);
    return;
  }
  const bool first = !HasWorkLocked();
  if (first) oldest_ = now;
  users_.push_back(std::move(user));
  ++users_enqueued_;
  if (first || logins_.size() + users_.size() >= options_.batch_rows) work_cv_.notify_one();
}

void LoginHistoryWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || HasWorkLocked(); });
    if (!HasWorkLocked()) break;  // stopping and drained
    if (failing_) {
      work_cv_.wait_until(lock, retry_at_, [&] { return stopping_; });
    } else if (options_.mode == CommitMode::kAfterAnswer) {
      // Let a batch build up: until batch_rows wait, max_delay passed, or Stop.
      work_cv_.wait_until(lock, oldest_ + options_.max_delay, [&] {
        return stopping_ || logins_.size() + users_.size() >= options_.batch_rows;
      });
    }
    std::vector<store::LoginRecord> logins;
    std::vector<store::KnownUser> users;
    logins.swap(logins_);
    users.swap(users_);
    const uint64_t first = logins_first_;
    logins_first_ = next_ticket_;
    in_flight_ = logins.size() + users.size();
    const uint64_t attempt = ++attempts_started_;
    lock.unlock();
    Status login_status = logins.empty() ? Status::Ok() : store_.RecordLogins(logins);
    Status user_status = users.empty() ? Status::Ok() : store_.RememberIdentities(users);
    lock.lock();
    in_flight_ = 0;
    Status error;
    if (login_status.ok()) {
      committed_ += logins.size();
      if (!logins.empty()) durable_through_ = first + logins.size() - 1;
    } else {
      error = Status(login_status.code(), "login history: " + login_status.message());
      if (options_.mode == CommitMode::kBeforeAnswer) {
        for (size_t i = 0; i < logins.size(); ++i) {
          if (!logins[i].success) continue;
          MarkRefused(logins[i], login_status);
          refused_.insert(first + i);
        }
      }
      // Back in front of anything newer, in order.
      logins.insert(logins.end(), std::make_move_iterator(logins_.begin()), std::make_move_iterator(logins_.end()));
      logins_.swap(logins);
      logins_first_ = first;
    }
    if (user_status.ok()) {
      committed_ += users.size();
      users_done_ += users.size();
    } else {
      if (error.ok()) error = Status(user_status.code(), "known users: " + user_status.message());
      users.insert(users.end(), std::make_move_iterator(users_.begin()), std::make_move_iterator(users_.end()));
      users_.swap(users);
    }
    size_t waiting = logins_.size() + users_.size();
    bool lost = false;
    if (!error.ok()) {
      failing_ = true;
      last_error_ = error.message();
      last_failed_attempt_ = attempt;
      ++failed_commits_;
      retry_at_ = std::chrono::steady_clock::now() + backoff_;
      backoff_ = std::min(backoff_ * 2, options_.retry_max);
      if (stopping_) {
        // Stop() asked and the store still fails: give the rest up, reported.
        lost = true;
        failed_ += waiting;
        users_done_ += users_.size();
        logins_.clear();
        users_.clear();
        logins_first_ = next_ticket_;
      }
    } else {
      failing_ = false;
      backoff_ = options_.retry_min;
      if (unrecorded_ > 0 && UsedLocked() < options_.max_queue) {
        PushLocked(UnrecordedRefusals(unrecorded_));
        unrecorded_ = 0;
      }
    }
    done_cv_.notify_all();
    if (!error.ok() && on_error_) {
      lock.unlock();
      on_error_(error, waiting, lost);
      lock.lock();
    }
  }
}

void LoginHistoryWriter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = next_ticket_ - 1;
  const uint64_t users_target = users_enqueued_;
  const uint64_t attempt = attempts_started_;
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] {
    return (durable_through_ >= target && users_done_ >= users_target) || stopped_ || last_failed_attempt_ > attempt;
  });
}

void LoginHistoryWriter::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  done_cv_.notify_all();
}

LoginHistoryWriter::Backlog LoginHistoryWriter::backlog() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Backlog{logins_.size() + users_.size() + in_flight_, failing_, last_error_, unrecorded_};
}

uint64_t LoginHistoryWriter::committed_rows() const {
  std::lock_guard<std::mutex> lock(mu_);
  return committed_;
}

uint64_t LoginHistoryWriter::skipped_identities() const {
  std::lock_guard<std::mutex> lock(mu_);
  return skipped_;
}

uint64_t LoginHistoryWriter::failed_rows() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

uint64_t LoginHistoryWriter::failed_commits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_commits_;
}

}  // namespace idb::daemon
