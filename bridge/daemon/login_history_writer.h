// login_history_writer.h — group commit of login history (and the "known
// users" identities) off the login path.
//
// Why: each store write is one durable SQLite transaction (an fsync, ~5 ms),
// so writing a history row synchronously per login capped idbridged at ~190
// logins/s. Producers (login threads) now only enqueue; one background thread
// commits whatever is queued in ONE transaction per kind (Store::RecordLogins,
// Store::RememberIdentities) as soon as `batch_rows` rows wait or `max_delay`
// (default 20 ms) after the oldest queued row, whichever is first.
//
// Known users: an identity equal to the one this writer last queued for the
// same user less than `identity_refresh` ago is not written again (it would
// only move known_users.last_login_ms; login_history has every login's exact
// time). A changed identity (groups, claims, source) is always written.
//
// Durability trade-off: a login's history row is durable within ~max_delay
// plus one commit AFTER the login has been answered; a crash in that window
// loses it. Security-log entries are not written here: they stay synchronous.
//
// Guarantees: nothing is dropped silently. The queue is bounded
// (`max_queue`); a full queue blocks producers until the writer catches up.
// Rows from one producer are committed in the order it enqueued them. A store
// error is reported through `on_error` (rows lost, the Status; never a
// password — LoginRecord carries none) and the writer continues. Stop() (also
// run by the destructor) drains and commits everything queued, then joins;
// after Stop() Enqueue* writes synchronously so late rows are not lost.
//
// Ownership: borrows the Store, which must outlive the writer.
// Thread-safety: every method is safe for concurrent use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace idb::daemon {

class LoginHistoryWriter {
 public:
  struct Options {
    size_t max_queue = 8192;                      // rows (history + identities) waiting, at most
    size_t batch_rows = 512;                      // commit at once when this many wait
    std::chrono::milliseconds max_delay{20};      // commit at the latest this long after the oldest row
    std::chrono::seconds identity_refresh{600};    // 0 = write every identity
    size_t max_remembered_users = 100000;          // memory bound of the identity de-duplication
  };
  // Called on the writer thread after a failed commit: the error and how many
  // rows it lost.
  using ErrorHandler = std::function<void(const Status&, size_t rows)>;

  LoginHistoryWriter(store::Store& store, Options options, ErrorHandler on_error);
  ~LoginHistoryWriter();
  LoginHistoryWriter(const LoginHistoryWriter&) = delete;
  LoginHistoryWriter& operator=(const LoginHistoryWriter&) = delete;

  // Blocks while the queue is full.
  void Enqueue(store::LoginRecord record);
  void EnqueueIdentity(store::KnownUser user);

  // Waits until every row enqueued before the call has been committed (or
  // reported failed). For tests and orderly shutdown.
  void Flush();
  // Drains, commits and joins the thread. Idempotent.
  void Stop();

  uint64_t committed_rows() const;
  uint64_t failed_rows() const;
  uint64_t skipped_identities() const;  // unchanged identities not written again

 private:
  void Run();
  void WaitForRoom(std::unique_lock<std::mutex>& lock);
  void Commit(std::vector<store::LoginRecord>& logins, std::vector<store::KnownUser>& users);

  store::Store& store_;
  const Options options_;
  ErrorHandler on_error_;

  struct Remembered {
    uint64_t fingerprint = 0;
    std::chrono::steady_clock::time_point at;
  };

  mutable std::mutex mu_;
  std::unordered_map<std::string, Remembered> remembered_;  // guarded by mu_; user -> last queued identity
  uint64_t skipped_ = 0;                                    // guarded by mu_
  std::condition_variable work_cv_;   // writer waits: rows or stop
  std::condition_variable room_cv_;   // producers wait: room in the queue
  std::condition_variable done_cv_;   // Flush() waits: a commit finished
  std::vector<store::LoginRecord> logins_;   // guarded by mu_
  std::vector<store::KnownUser> users_;      // guarded by mu_
  std::chrono::steady_clock::time_point oldest_{};  // when the oldest queued row arrived
  uint64_t enqueued_ = 0;   // rows ever enqueued (guarded by mu_)
  uint64_t finished_ = 0;   // rows committed or failed (guarded by mu_)
  uint64_t committed_ = 0, failed_ = 0;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  bool stopped_ = false;    // thread joined (guarded by mu_)
  std::mutex stop_mu_;      // one Stop() at a time
  std::thread thread_;
};

}  // namespace idb::daemon
