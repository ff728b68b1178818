// Opening the SQLite store, and `Commit`'s transaction control.
#include "store/sqlite/sqlite_store.h"

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include "common/status_macros.h"
#include "store/change_validation.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/schema.h"
#include "store/sqlite/internal/sqlite_store.h"
#include "store/sqlite/internal/writes.h"
#include "store/store.h"

namespace taskgate::store {
namespace {

constexpr std::array<std::string_view, 2> kSynchronousModes = {"FULL",
                                                               "NORMAL"};

// Pragmas that `SqliteStore::Pragma` may read.
constexpr std::array<std::string_view, 7> kReadablePragmas = {
    "application_id", "busy_timeout", "foreign_keys", "journal_mode",
    "page_size",      "synchronous",  "user_version"};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(
    const std::string& path, SqliteStoreOptions options) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "database path is empty; use \":memory:\" for a private in-memory "
        "database");
  }
  const std::string synchronous = absl::AsciiStrToUpper(options.synchronous);
  bool known_mode = false;
  for (std::string_view mode : kSynchronousModes) {
    known_mode |= synchronous == mode;
  }
  if (!known_mode) {
    return absl::InvalidArgumentError(
        absl::StrCat("synchronous must be FULL or NORMAL, not \"",
                     options.synchronous, "\""));
  }
  options.synchronous = synchronous;
  if (options.busy_timeout_ms < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "busy_timeout_ms ", options.busy_timeout_ms, " is negative"));
  }

  // Looked at before opening: opening creates the file.
  const sqlite_internal::FileState file = sqlite_internal::InspectFile(path);
  TASKGATE_ASSIGN_OR_RETURN(
      std::unique_ptr<sqlite_internal::Connection> db,
      sqlite_internal::Connection::Open(path, options.busy_timeout_ms));
  // On error `db` is closed before the status is returned, so a refused file
  // is left exactly as it was found.
  TASKGATE_RETURN_IF_ERROR(
      sqlite_internal::PrepareDatabase(*db, path, file, options.synchronous));
  return std::make_unique<sqlite_internal::SqliteStore>(
      std::move(db), file.in_memory ? std::string() : path, std::move(options));
}

namespace sqlite_internal {

// Idle read connections kept for reuse; more are opened while more reads
// run at once, and closed when they come back to a full pool.
constexpr size_t kMaxIdleReaders = 8;

SqliteStore::Lease::~Lease() {
  if (pooled_ != nullptr) {
    absl::MutexLock lock(&store_->pool_mu_);
    if (store_->idle_readers_.size() < kMaxIdleReaders) {
      store_->idle_readers_.push_back(std::move(pooled_));
    }
  }
  if (locked_) store_->mu_.Unlock();
}

SqliteStore::Lease SqliteStore::Writer() {
  if (InBatch()) return Lease(this, db_.get(), false, nullptr);
  mu_.Lock();
  return Lease(this, db_.get(), true, nullptr);
}

SqliteStore::Lease SqliteStore::Reader() {
  if (InBatch() || path_.empty()) return Writer();
  std::unique_ptr<Connection> conn;
  {
    absl::MutexLock lock(&pool_mu_);
    if (!idle_readers_.empty()) {
      conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
    }
  }
  if (conn == nullptr) {
    absl::StatusOr<std::unique_ptr<Connection>> opened =
        Connection::Open(path_, options_.busy_timeout_ms);
    // A read connection is only an optimization: reads are correct on the
    // writer's too.
    if (!opened.ok() ||
        !(*opened)->Exec("PRAGMA query_only = ON", "open reader").ok()) {
      return Writer();
    }
    conn = *std::move(opened);
  }
  Connection* raw = conn.get();
  return Lease(this, raw, false, std::move(conn));
}

absl::StatusOr<CommitResult> SqliteStore::Commit(const ChangeSet& change) {
  TASKGATE_RETURN_IF_ERROR(ValidateChangeSet(change));
  if (InBatch()) return CommitInBatch(change);
  absl::MutexLock lock(&mu_);
  TASKGATE_RETURN_IF_ERROR(db_->Begin("begin commit"));
  absl::StatusOr<CommitResult> result =
      ApplyChange(*db_, change, options_.fault_hook);
  if (result.ok()) {
    absl::Status status = RunFaultHook(options_.fault_hook, "before_commit");
    if (status.ok()) status = db_->Commit("commit");
    if (status.ok()) return result;
    result = status;
  }
  db_->Rollback();
  return result;
}

// Runs on the batch's thread, which holds `mu_` for the whole batch.
absl::StatusOr<CommitResult> SqliteStore::CommitInBatch(
    const ChangeSet& change) {
  mu_.AssertHeld();
  // Its own savepoint: a step may go on after a refused change (a replay
  // after ALREADY_EXISTS), and must not keep half of it.
  TASKGATE_RETURN_IF_ERROR(db_->Exec("SAVEPOINT change", "begin change"));
  absl::StatusOr<CommitResult> result =
      ApplyChange(*db_, change, options_.fault_hook);
  if (!result.ok()) {
    TASKGATE_RETURN_IF_ERROR(
        db_->Exec("ROLLBACK TO change; RELEASE change", "undo change"));
    return result;
  }
  TASKGATE_RETURN_IF_ERROR(db_->Exec("RELEASE change", "end change"));
  for (size_t i = 0; i < result->seqs.size(); ++i) {
    batch_appended_.push_back(AppendedEvent{change.district_id, result->seqs[i],
                                            result->leaf_hashes[i]});
  }
  return result;
}

absl::StatusOr<BatchResult> SqliteStore::CommitBatch(
    std::span<const BatchStep> steps) {
  if (steps.empty()) {
    return absl::InvalidArgumentError("a write batch needs at least one step");
  }
  for (const BatchStep& step : steps) {
    if (!step.run) {
      return absl::InvalidArgumentError(
          "every batch step needs a run function");
    }
  }
  if (InBatch()) {
    return absl::FailedPreconditionError(
        "a batch step cannot start a batch of its own");
  }
  absl::MutexLock lock(&mu_);
  TASKGATE_RETURN_IF_ERROR(db_->Begin("begin batch"));
  batch_appended_.clear();
  batch_thread_.store(std::this_thread::get_id(), std::memory_order_release);
  BatchResult result;
  result.statuses.reserve(steps.size());
  absl::Status batch_status;
  for (const BatchStep& step : steps) {
    batch_status = db_->Exec("SAVEPOINT step", "begin step");
    if (!batch_status.ok()) break;
    const size_t appended_before = batch_appended_.size();
    absl::Status status = step.run(*this);
    if (status.ok()) {
      batch_status = db_->Exec("RELEASE step", "end step");
    } else {
      batch_appended_.resize(appended_before);
      batch_status = db_->Exec("ROLLBACK TO step; RELEASE step", "undo step");
    }
    if (!batch_status.ok()) break;
    result.statuses.push_back(std::move(status));
  }
  batch_thread_.store(std::thread::id(), std::memory_order_release);
  if (batch_status.ok()) {
    batch_status = RunFaultHook(options_.fault_hook, "before_commit");
  }
  if (batch_status.ok()) batch_status = db_->Commit("commit batch");
  if (!batch_status.ok()) {
    db_->Rollback();
    batch_appended_.clear();
    return batch_status;
  }
  result.appended = std::move(batch_appended_);
  batch_appended_.clear();
  return result;
}

absl::StatusOr<int64_t> SqliteStore::ExpireRequests(
    const std::string& district_id, absl::Time before, int32_t limit) {
  if (limit <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expiring requests needs a positive limit, not ", limit));
  }
  // In a batch, the step's savepoint holds the delete; outside, a
  // transaction of its own.
  const bool own_transaction = !InBatch();
  Lease db = Writer();
  if (own_transaction) {
    TASKGATE_RETURN_IF_ERROR(db->Begin("begin expiring requests"));
  }
  absl::StatusOr<int64_t> expired = [&]() -> absl::StatusOr<int64_t> {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db->Prepare("DELETE FROM requests WHERE rowid IN ("
                    "SELECT rowid FROM requests WHERE district_id = ? AND "
                    "created_at < ? ORDER BY created_at LIMIT ?)",
                    {district_id, CeilMicros(before), int64_t{limit}}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("expire requests"));
    return db->Changes();
  }();
  if (own_transaction) {
    if (expired.ok()) {
      if (absl::Status s = db->Commit("commit expired requests"); !s.ok()) {
        expired = s;
      }
    }
    if (!expired.ok()) db->Rollback();
  }
  return expired;
}

absl::StatusOr<std::string> SqliteStore::Pragma(const std::string& name) {
  bool readable = false;
  for (std::string_view allowed : kReadablePragmas) readable |= name == allowed;
  if (!readable) {
    return absl::InvalidArgumentError(
        absl::StrCat("pragma ", name, " cannot be read through the store"));
  }
  Lease db = Writer();
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            db->Prepare(absl::StrCat("PRAGMA ", name), {}));
  TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("read pragma"));
  if (!row) return std::string();
  return stmt.Text(0);
}

}  // namespace sqlite_internal
}  // namespace taskgate::store
