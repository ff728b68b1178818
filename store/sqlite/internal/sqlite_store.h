// `SqliteStore`: the class behind `OpenSqliteStore`, one `Store` on one
// SQLite connection.
//
// Its members are defined by job: opening and `Commit`'s transaction control
// in sqlite/sqlite_store.cc (the writes themselves in internal/writes.cc),
// the entity reads in sqlite/reads.cc, the audit log's reads and its
// checkpoints in sqlite/audit_log.cc.
//
// Internal to store/sqlite/: callers hold a `Store`. Only the store's own
// tests (tests/store/) include this header, to read the connection's
// settings through `Pragma`.
//
// Thread-safe. Writes (`Commit`, `CommitBatch`, `ExpireRequests`,
// `AddCheckpoint`) take `mu_`, which guards the writer connection. Reads
// borrow a connection of their own from a pool (WAL lets them read the last
// committed state while a batch writes), except inside a batch step, where the
// batch's thread reads the writer connection to see the batch's earlier steps,
// and on a private in-memory database, which has only the one connection.
#ifndef TASKGATE_STORE_SQLITE_INTERNAL_SQLITE_STORE_H_
#define TASKGATE_STORE_SQLITE_INTERNAL_SQLITE_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "domain/types.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace taskgate::store::sqlite_internal {

class SqliteStore final : public Store {
 public:
  // Takes `db`, already through `PrepareDatabase`, and `options`, already
  // checked by `OpenSqliteStore`.
  // `path` is where read connections are opened (never for ":memory:").
  SqliteStore(std::unique_ptr<Connection> db, std::string path,
              SqliteStoreOptions options)
      : options_(std::move(options)),
        path_(std::move(path)),
        db_(std::move(db)) {}
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() override = default;

  // `Store`, with the contracts stated there.
  absl::StatusOr<CommitResult> Commit(const ChangeSet& change) override;
  absl::StatusOr<BatchResult> CommitBatch(
      std::span<const BatchStep> steps) override;
  absl::StatusOr<std::optional<StoredRequest>> FindRequest(
      const std::string& district_id, const std::string& request_id) override;
  absl::StatusOr<int64_t> ExpireRequests(const std::string& district_id,
                                         absl::Time before,
                                         int32_t limit) override;
  absl::StatusOr<domain::District> GetDistrict(
      const std::string& district_id) override;
  absl::StatusOr<domain::CatalogVersion> GetCatalog(
      const std::string& district_id, int64_t version) override;
  absl::StatusOr<domain::CalendarYear> GetCalendarYear(
      const std::string& district_id, int32_t year, int64_t version) override;
  absl::StatusOr<std::vector<domain::CalendarYear>> ListCalendarYears(
      const std::string& district_id, int32_t first_year) override;
  absl::StatusOr<domain::Department> GetDepartment(
      const std::string& district_id,
      const std::string& department_id) override;
  absl::StatusOr<std::vector<domain::Department>> ListDepartments(
      const std::string& district_id) override;
  absl::StatusOr<domain::Street> GetStreet(
      const std::string& district_id, const std::string& street_id) override;
  absl::StatusOr<std::vector<domain::Street>> ListStreets(
      const std::string& district_id) override;
  absl::StatusOr<std::vector<std::string>> ListTaskDepartmentIds(
      const std::string& district_id) override;
  absl::StatusOr<domain::Community> GetCommunity(
      const std::string& district_id, const std::string& community_id) override;
  absl::StatusOr<std::vector<domain::Community>> ListCommunities(
      const std::string& district_id, const std::string& street) override;
  absl::StatusOr<domain::Task> GetTask(const std::string& district_id,
                                       const std::string& task_id) override;
  absl::StatusOr<std::vector<domain::Task>> ListTasks(
      const TaskQuery& query) override;
  absl::StatusOr<std::vector<domain::Task>> ListTasksDue(
      const std::string& district_id, absl::Time now, int32_t limit) override;
  absl::StatusOr<std::optional<absl::Time>> NextTimer(
      const std::string& district_id) override;
  absl::StatusOr<std::vector<domain::Decision>> ListDecisions(
      const std::string& district_id, const std::string& task_id) override;
  absl::StatusOr<std::vector<StoredEvent>> ListEvents(
      const EventQuery& query) override;
  absl::StatusOr<int64_t> EventCount(const std::string& district_id) override;
  absl::StatusOr<std::vector<audit::Hash>> ListLeafHashes(
      const std::string& district_id, int64_t after_seq,
      int32_t limit) override;
  absl::StatusOr<std::vector<AuditRow>> ListAuditRows(
      const std::string& district_id, int64_t after_seq,
      int32_t limit) override;
  absl::Status AddCheckpoint(const std::string& district_id,
                             const audit::Checkpoint& c) override;
  absl::StatusOr<std::vector<audit::Checkpoint>> ListCheckpoints(
      const std::string& district_id, int64_t after_size,
      int32_t limit) override;
  absl::StatusOr<std::optional<audit::Checkpoint>> LatestCheckpoint(
      const std::string& district_id) override;
  absl::StatusOr<domain::Principal> GetPrincipal(
      const std::string& district_id, const std::string& principal_id) override;
  absl::StatusOr<std::vector<domain::Principal>> ListPrincipals(
      const std::string& district_id) override;
  absl::StatusOr<int64_t> CountPrincipals(
      const std::string& district_id) override;
  absl::StatusOr<domain::Credential> GetCredential(
      const std::string& district_id,
      const std::string& credential_id) override;
  absl::StatusOr<std::optional<domain::Credential>> FindCredentialByHash(
      const std::string& district_id, const std::string& token_hash) override;
  absl::StatusOr<std::optional<domain::Credential>>
  FindActiveCertificateBinding(
      const std::string& district_id,
      const std::string& certificate_identity) override;
  absl::StatusOr<std::vector<domain::Credential>> ListCredentials(
      const std::string& district_id, const std::string& principal_id) override;
  absl::StatusOr<domain::Complaint> GetComplaint(
      const std::string& district_id, const std::string& complaint_id) override;
  absl::StatusOr<std::vector<domain::Complaint>> ListComplaints(
      const std::string& district_id, const std::string& community_id,
      const std::vector<domain::ComplaintState>& states) override;
  absl::StatusOr<std::vector<domain::FundingReport>> ListFundingReports(
      const std::string& district_id, const std::string& task_id,
      const std::string& community_id) override;
  absl::StatusOr<std::vector<domain::Attachment>> ListAttachments(
      const std::string& district_id, const std::string& task_id) override;
  absl::StatusOr<std::string> ReadAttachmentContent(
      const std::string& district_id, const std::string& sha256, int64_t offset,
      int64_t limit) override;
  absl::StatusOr<std::vector<domain::AssignmentAck>> ListAcks(
      const std::string& district_id, const std::string& task_id,
      const std::string& community_id) override;
  absl::StatusOr<std::vector<domain::Task>> ListTasksById(
      const std::string& district_id,
      const std::vector<std::string>& task_ids) override;
  absl::StatusOr<std::vector<Counter>> ListCounters(
      const std::string& district_id, const std::string& first_bucket,
      const std::string& last_bucket, int32_t limit) override;
  absl::Status ScanEntities(
      const std::string& district_id,
      const std::function<absl::Status(StoredEntity)>& visit) override;

  // Returns the value of `PRAGMA name` on this store's connection, for the
  // store's tests (`synchronous`, `foreign_keys` and `busy_timeout` are
  // settings of the connection, invisible to any other). Only
  // application_id, busy_timeout, foreign_keys, journal_mode, page_size,
  // synchronous and user_version may be read; others are INVALID_ARGUMENT.
  absl::StatusOr<std::string> Pragma(const std::string& name);

 private:
  // A connection lent to one call: the writer's (locked, or already held by
  // the batch on this thread) or a pooled reader's. Not thread-safe; lives
  // within the call.
  class Lease {
   public:
    Lease(SqliteStore* store, Connection* conn, bool locked,
          std::unique_ptr<Connection> pooled)
        : store_(store),
          conn_(conn),
          locked_(locked),
          pooled_(std::move(pooled)) {}
    // Releases the lock `Writer` took: invisible to the analysis.
    ~Lease() ABSL_NO_THREAD_SAFETY_ANALYSIS;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection* operator->() const { return conn_; }
    Connection& operator*() const { return *conn_; }

   private:
    SqliteStore* store_;
    Connection* conn_;
    bool locked_;
    std::unique_ptr<Connection> pooled_;  // handed back to the pool
  };

  // The connection a read uses (see the class comment).
  // Never fails: when no read connection can be opened, it lends the
  // writer's (slower, still correct).
  Lease Reader();
  // The writer connection, locked unless this thread runs a batch. The
  // lease releases the lock, which the analysis cannot follow.
  Lease Writer() ABSL_NO_THREAD_SAFETY_ANALYSIS;
  bool InBatch() const {
    return batch_thread_.load(std::memory_order_acquire) ==
           std::this_thread::get_id();
  }
  // `Commit` on the batch's thread: applies `change` inside its own
  // savepoint, within the step's.
  absl::StatusOr<CommitResult> CommitInBatch(const ChangeSet& change);

  // Kept checkpoints with tree_size > `after_size`, by size, smallest first
  // or (`newest_first`) largest first, at most `limit` (0: all).
  absl::StatusOr<std::vector<audit::Checkpoint>> ReadCheckpoints(
      const std::string& district_id, int64_t after_size, int32_t limit,
      bool newest_first);

  const SqliteStoreOptions options_;
  const std::string path_;
  absl::Mutex mu_;
  // The writer connection. The pointer never changes; the connection behind
  // it, and every statement it hands out, is used only under `mu_`.
  const std::unique_ptr<Connection> db_ ABSL_PT_GUARDED_BY(mu_);
  // The thread running `CommitBatch` (holding `mu_`), or none.
  std::atomic<std::thread::id> batch_thread_{};
  // What the current batch's steps appended so far.
  std::vector<AppendedEvent> batch_appended_ ABSL_GUARDED_BY(mu_);

  absl::Mutex pool_mu_;
  // Idle read connections, each used by one call at a time.
  std::vector<std::unique_ptr<Connection>> idle_readers_
      ABSL_GUARDED_BY(pool_mu_);
};

}  // namespace taskgate::store::sqlite_internal

#endif  // TASKGATE_STORE_SQLITE_INTERNAL_SQLITE_STORE_H_
