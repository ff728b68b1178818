// `SqliteStore`: the embedded default `Store`, one SQLite file per deployment.
//
// Opens the file in WAL mode with `synchronous=FULL` (configurable), foreign
// keys on, and applies the numbered schema migrations it knows. Each
// `Commit` is one `BEGIN IMMEDIATE` transaction holding the change and its
// audit events. Opening refuses, without writing anything, a file that is not
// a TaskGate database, one whose schema is newer than this binary knows, and
// one failing `PRAGMA quick_check`; it never resets data.
//
// Thread-safe: one connection guarded by a mutex serializes all calls.
#ifndef TASKGATE_STORE_SQLITE_SQLITE_STORE_H_
#define TASKGATE_STORE_SQLITE_SQLITE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "store/store.h"

namespace taskgate::store {

// `PRAGMA application_id` of every TaskGate database ("TGAT").
inline constexpr int32_t kSqliteApplicationId = 0x54474154;

class SqliteStore final : public Store {
 public:
  struct Options {
    // "FULL" (default: every commit survives power loss) or "NORMAL".
    std::string synchronous = "FULL";
    // Milliseconds a call waits for a lock held by another process before
    // failing with UNAVAILABLE.
    int busy_timeout_ms = 5000;
    // Test hook: called at named points inside `Commit`'s transaction
    // ("after_change" before the audit events are appended, "before_commit");
    // a non-OK result aborts the transaction with that status. Runs under
    // the store's lock: it must not call back into the store.
    std::function<absl::Status(std::string_view point)> fault_hook;
  };

  // Opens (creating if absent) the database at `path`; ":memory:" gives a
  // private in-memory database. Errors: INVALID_ARGUMENT for bad `options`;
  // FAILED_PRECONDITION for a file that is not a TaskGate database or has a
  // newer schema; DATA_LOSS when the integrity check fails; UNAVAILABLE when
  // it cannot be opened or locked. A refused file is left byte for byte as it
  // was, with no -wal/-shm files added.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const std::string& path, Options options);
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const std::string& path) {
    return Open(path, Options());
  }

  // The schema version this binary writes (the highest migration it knows).
  static int SchemaVersion();

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() override;

  absl::StatusOr<CommitResult> Commit(const ChangeSet& change) override;
  absl::StatusOr<std::optional<StoredRequest>> FindRequest(
      const std::string& district_id, const std::string& request_id) override;
  absl::StatusOr<domain::District> GetDistrict(
      const std::string& district_id) override;
  absl::StatusOr<domain::CatalogVersion> GetCatalog(
      const std::string& district_id, int64_t version) override;
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
  absl::StatusOr<std::vector<domain::AssignmentAck>> ListAcks(
      const std::string& district_id, const std::string& task_id,
      const std::string& community_id) override;

  // Returns the value of `PRAGMA name` on this store's connection, for
  // diagnostics and tests (`synchronous` and `foreign_keys` are settings of
  // the connection, invisible to any other). Only application_id,
  // busy_timeout, foreign_keys, journal_mode, page_size, synchronous and
  // user_version may be read; others are INVALID_ARGUMENT.
  absl::StatusOr<std::string> Pragma(const std::string& name);

 private:
  class Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace taskgate::store

#endif  // TASKGATE_STORE_SQLITE_SQLITE_STORE_H_
