// login_history_writer.cc — see login_history_writer.h.
#include "daemon/login_history_writer.h"

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
  return o;
}
}  // namespace

LoginHistoryWriter::LoginHistoryWriter(store::Store& store, Options options, ErrorHandler on_error)
    : store_(store), options_(Normalized(options)), on_error_(std::move(on_error)) {
  thread_ = std::thread([this] { Run(); });
}

LoginHistoryWriter::~LoginHistoryWriter() { Stop(); }

void LoginHistoryWriter::WaitForRoom(std::unique_lock<std::mutex>& lock) {
  room_cv_.wait(lock, [&] { return stopping_ || logins_.size() + users_.size() < options_.max_queue; });
}

void LoginHistoryWriter::Enqueue(store::LoginRecord record) {
  std::unique_lock<std::mutex> lock(mu_);
  WaitForRoom(lock);
  if (stopping_) {
    // The writer is gone or draining: write this row ourselves, in order
    // after the drain (Stop holds no lock while committing, so serialise on
    // the store's own transaction).
    lock.unlock();
    std::vector<store::LoginRecord> one{std::move(record)};
    std::vector<store::KnownUser> none;
    Commit(one, none);
    return;
  }
  const bool first = logins_.empty() && users_.empty();
  if (first) oldest_ = std::chrono::steady_clock::now();
  logins_.push_back(std::move(record));
  ++enqueued_;
  // Wake the writer only when it has something new to do: the first row
  // (it waits for work) or a full batch (it waits for the deadline). A wake-up
  // per row would cost a futile context switch per login.
  if (first || logins_.size() + users_.size() >= options_.batch_rows) work_cv_.notify_one();
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
  WaitForRoom(lock);
  if (stopping_) {
    lock.unlock();
    std::vector<store::LoginRecord> none;
    std::vector<store::KnownUser> one{std::move(user)};
    Commit(none, one);
    return;
  }
  const bool first = logins_.empty() && users_.empty();
  if (first) oldest_ = std::chrono::steady_clock::now();
  users_.push_back(std::move(user));
  ++enqueued_;
  // Wake the writer only when it has something new to do: the first row
  // (it waits for work) or a full batch (it waits for the deadline). A wake-up
  // per row would cost a futile context switch per login.
  if (first || logins_.size() + users_.size() >= options_.batch_rows) work_cv_.notify_one();
}

void LoginHistoryWriter::Commit(std::vector<store::LoginRecord>& logins, std::vector<store::KnownUser>& users) {
  size_t ok_rows = 0, bad_rows = 0;
  if (!logins.empty()) {
    Status s = store_.RecordLogins(logins);
    (s.ok() ? ok_rows : bad_rows) += logins.size();
    if (!s.ok() && on_error_) on_error_(Status(s.code(), "login history: " + s.message()), logins.size());
  }
  if (!users.empty()) {
    Status s = store_.RememberIdentities(users);
    (s.ok() ? ok_rows : bad_rows) += users.size();
    if (!s.ok() && on_error_) on_error_(Status(s.code(), "known users: " + s.message()), users.size());
  }
  std::lock_guard<std::mutex> lock(mu_);
  committed_ += ok_rows;
  failed_ += bad_rows;
}

void LoginHistoryWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !logins_.empty() || !users_.empty(); });
    if (logins_.empty() && users_.empty()) break;  // stopping and drained
    // Let a batch build up: until batch_rows wait, max_delay passed, or Stop.
    const auto deadline = oldest_ + options_.max_delay;
    work_cv_.wait_until(lock, deadline, [&] {
      return stopping_ || logins_.size() + users_.size() >= options_.batch_rows;
    });
    std::vector<store::LoginRecord> logins;
    std::vector<store::KnownUser> users;
    logins.swap(logins_);
    users.swap(users_);
    const size_t rows = logins.size() + users.size();
    room_cv_.notify_all();
    lock.unlock();
    Commit(logins, users);
    lock.lock();
    finished_ += rows;
    done_cv_.notify_all();
  }
}

void LoginHistoryWriter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = enqueued_;
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return finished_ >= target || stopped_; });
}

void LoginHistoryWriter::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopping_ = true;
  }
  work_cv_.notify_all();
  room_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  done_cv_.notify_all();
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

}  // namespace idb::daemon
