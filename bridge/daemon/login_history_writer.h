// login_history_writer.h — group commit of login history (and the "known
// users" identities) off the login path, losing nothing.
//
// Why: each store write is one durable SQLite transaction (an fsync, ~5 ms),
// so writing a history row synchronously per login capped idbridged at ~190
// logins/s. Producers (login threads) only enqueue; one background thread
// commits whatever is queued in ONE transaction per kind (Store::RecordLogins,
// Store::RememberIdentities).
//
// Two commit modes (store.history_commit, docs/store.md has the figures):
//  - kAfterAnswer: a batch is committed as soon as `batch_rows` rows wait or
//    `max_delay` (20 ms) after its oldest row. A login is answered before its
//    row is durable: a crash in that window loses the row.
//  - kBeforeAnswer: the writer commits at once whatever waits (rows arriving
//    during one fsync form the next batch, as a database's group commit), and
//    a successful login is answered only after WaitDurable() saw its row
//    committed. If that commit fails, the still-queued row is rewritten as a
//    refusal ("history_unavailable") and WaitDurable() says so: the login is
//    refused, and history tells the truth once the store is back.
//
// Nothing is dropped. A failed commit keeps its rows queued, in order, and
// retries them (backoff `retry_min` doubling to `retry_max`) before any newer
// row. The queue is bounded: `max_queue` rows (history + identities, rows
// waiting for a retry included). A login takes a place with Admit() before it
// is decided; when none is left the caller refuses the login (fail closed).
// The row of such a refusal goes into a separate `refusal_reserve`; beyond
// that, refusals are counted and written as one summary row when there is
// room again. A known-user identity that finds the queue full is skipped (it
// is refreshed at the user's next login). Only Stop() with the store still
// failing gives rows up, and reports them through `on_error` as lost.
//
// Known users: an identity equal to the one this writer last queued for the
// same user less than `identity_refresh` ago is not written again (it would
// only move known_users.last_login_ms; login_history has every login's exact
// time). A changed identity (groups, claims, source) is always written.
//
// Security-log entries are not written here: they stay synchronous
// (audited_action.h).
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
#include <unordered_set>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace idb::daemon {

// The login-history reason of a login refused because its row could not be
// kept (queue full) or made durable (kBeforeAnswer).
inline constexpr const char* kHistoryUnavailableReason = "history_unavailable";

class LoginHistoryWriter {
 public:
  enum class CommitMode { kAfterAnswer, kBeforeAnswer };
  static constexpr uint64_t kNotDurable = UINT64_MAX;
  struct Options {
    CommitMode mode = CommitMode::kAfterAnswer;
    size_t max_queue = 8192;                      // rows (history + identities) waiting, at most
    size_t refusal_reserve = 1024;                // extra rows for logins refused while the queue is full
    size_t batch_rows = 512;                      // kAfterAnswer: commit at once when this many wait
    std::chrono::milliseconds max_delay{20};      // kAfterAnswer: commit at the latest this long after the oldest row
    std::chrono::milliseconds retry_min{100};     // first retry after a failed commit
    std::chrono::milliseconds retry_max{2000};    // retries back off up to this
    std::chrono::seconds identity_refresh{600};   // 0 = write every identity
    size_t max_remembered_users = 100000;         // memory bound of the identity de-duplication
  };
  // Called on the writer thread after a failed commit: the error, how many
  // rows wait for the retry, and `lost` = true only when Stop() gave them up.
  using ErrorHandler = std::function<void(const Status&, size_t rows, bool lost)>;

  // What waits and why, for health and metrics.
  struct Backlog {
    size_t queued_rows = 0;          // history + identities waiting (in a commit attempt included)
    bool failing = false;            // the last commit attempt failed
    std::string last_error;          // its error
    uint64_t unrecorded_refusals = 0;  // refusals beyond the reserve, not yet written as a summary row
  };

  LoginHistoryWriter(store::Store& store, Options options, ErrorHandler on_error);
  ~LoginHistoryWriter();
  LoginHistoryWriter(const LoginHistoryWriter&) = delete;
  LoginHistoryWriter& operator=(const LoginHistoryWriter&) = delete;

  CommitMode mode() const { return options_.mode; }

  // Reserves the place of one login's row. false: the queue is full (or, in
  // kBeforeAnswer, commits are failing); refuse the login and record it with
  // Enqueue(row, /*admitted=*/false).
  bool Admit();
  // Queues a login row; never blocks. `admitted`: it takes the place Admit()
  // reserved. Returns the row's ticket for WaitDurable (0: not queued — written
  // synchronously after Stop(), or counted as an unrecorded refusal;
  // kNotDurable: the synchronous write after Stop() failed).
  uint64_t Enqueue(store::LoginRecord record, bool admitted = false);
  // kBeforeAnswer: waits until the row `ticket` is committed (Ok), or until a
  // commit including it failed (kUnavailable with the store's error; the row,
  // still queued, now records the login as refused). kAfterAnswer: Ok at once.
  Status WaitDurable(uint64_t ticket);
  void EnqueueIdentity(store::KnownUser user);

  // Waits until every row enqueued before the call has been committed, or a
  // commit attempt started after the call has failed. For tests and shutdown.
  void Flush();
  // Drains (one more attempt if the store fails), commits and joins the
  // thread. Idempotent. Later rows are written synchronously.
  void Stop();

  Backlog backlog() const;
  uint64_t committed_rows() const;
  uint64_t failed_rows() const;         // rows given up at Stop() (the store still failing)
  uint64_t failed_commits() const;      // commit attempts that failed
  uint64_t skipped_identities() const;  // unchanged identities not written again, or skipped on a full queue

 private:
  void Run();
  size_t UsedLocked() const;
  bool HasWorkLocked() const { return !logins_.empty() || !users_.empty(); }
  uint64_t PushLocked(store::LoginRecord record);
  Status WriteSynchronously(std::vector<store::LoginRecord> logins, std::vector<store::KnownUser> users);

  store::Store& store_;
  const Options options_;
  ErrorHandler on_error_;

  struct Remembered {
    uint64_t fingerprint = 0;
    std::chrono::steady_clock::time_point at;
  };

  mutable std::mutex mu_;
  std::unordered_map<std::string, Remembered> remembered_;  // user -> last queued identity
  std::condition_variable work_cv_;   // writer waits: rows, retry time or stop
  std::condition_variable done_cv_;   // WaitDurable()/Flush() wait: a commit attempt finished
  // Guarded by mu_ from here on. Login rows carry consecutive tickets: the
  // queue holds [logins_first_, next_ticket_), a batch in flight the range
  // just before it.
  std::vector<store::LoginRecord> logins_;
  std::vector<store::KnownUser> users_;
  uint64_t logins_first_ = 1;        // ticket of logins_[0]
  uint64_t next_ticket_ = 1;         // ticket of the next queued row
  uint64_t durable_through_ = 0;     // every ticket <= this is committed
  std::unordered_set<uint64_t> refused_;  // kBeforeAnswer tickets whose commit failed, until WaitDurable sees them
  size_t in_flight_ = 0;             // rows of the commit attempt under way
  size_t reserved_ = 0;              // places taken by Admit() and not yet used
  std::chrono::steady_clock::time_point oldest_{};  // when the oldest queued row arrived
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
  bool failing_ = false;
  std::string last_error_;
  uint64_t attempts_started_ = 0, last_failed_attempt_ = 0;
  uint64_t users_enqueued_ = 0, users_done_ = 0;
  uint64_t unrecorded_ = 0;          // refusals beyond the reserve since the last summary row
  uint64_t committed_ = 0, failed_ = 0, failed_commits_ = 0, skipped_ = 0;
  bool stopping_ = false;
  bool stopped_ = false;             // thread joined
  std::mutex stop_mu_;               // one Stop() at a time
  std::thread thread_;
};

}  // namespace idb::daemon
