// The persistence interface of TaskGate.
//
// A `Store` keeps districts, catalog versions, communities, tasks, decisions,
// idempotency records and each district's append-only audit log. Every
// change arrives as one `ChangeSet`, which the store applies all-or-nothing
// together with its audit events: no change without its event, no event
// without its change. A `ChangeSet` is self-contained, so an implementation
// may later commit several of them in one transaction (group commit, a
// savepoint each) without changing callers.
//
// No SQLite (or any engine) type appears here; `SqliteStore` implements it
// today and a PostgreSQL store can later. Implementations must be
// thread-safe: any method may be called from any thread.
#ifndef TASKGATE_STORE_STORE_H_
#define TASKGATE_STORE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "common/merkle.h"
#include "workflow/domain.h"

namespace taskgate::store {

// The answer first given to a request, kept under its `request_id` so that a
// retry gets the same answer and changes nothing more.
struct StoredRequest {
  std::string request_id;
  std::string operation;    // e.g. "task.submit"
  std::string fingerprint;  // identifies the request's parameters
  std::string response;     // opaque to the store
};

// A task to write. `expected_version` 0 creates the task (ALREADY_EXISTS if
// the id is taken); otherwise the stored version must equal it (ABORTED if
// not), and the stored task is replaced by `task`, whose `version` must be
// `expected_version + 1`.
struct TaskWrite {
  workflow::Task task;
  int64_t expected_version = 0;
};

// Same optimistic scheme for communities.
struct CommunityWrite {
  workflow::Community community;
  int64_t expected_version = 0;
};

// One all-or-nothing change and the audit events that record it.
struct ChangeSet {
  std::string district_id;
  // When set, stored with the change; a second ChangeSet with the same
  // (district_id, request_id) fails with ALREADY_EXISTS and writes nothing.
  std::optional<StoredRequest> request;
  std::optional<workflow::District> district;       // create
  std::optional<workflow::CatalogVersion> catalog;  // publish; version must
                                                    // be latest + 1
  std::vector<CommunityWrite> communities;
  std::vector<TaskWrite> tasks;
  std::vector<workflow::Decision> decisions;
  // Must not be empty. `seq` is ignored: the store assigns the next numbers
  // of the district's log, in order.
  std::vector<workflow::AuditEvent> events;
};

struct CommitResult {
  std::vector<int64_t> seqs;  // assigned to `events`, in order
};

// Filters for listing tasks; empty fields do not filter. Results are ordered
// by id and paged with `after_id` (exclusive) and `limit` (0: no limit).
struct TaskQuery {
  std::string district_id;
  std::string department_id;
  std::vector<workflow::TaskState> states;
  std::string community_id;  // among the task's resolved communities
  std::string item_code;
  std::string after_id;
  int32_t limit = 0;
};

// Filters for listing audit events; ordered by seq, paged with `after_seq`.
struct EventQuery {
  std::string district_id;
  std::string entity_type;
  std::string entity_id;
  std::string actor_id;
  std::string action;
  std::string department_id;
  std::string community_id;
  std::optional<absl::Time> from;   // inclusive
  std::optional<absl::Time> until;  // exclusive
  int64_t after_seq = 0;
  int32_t limit = 0;
};

// A stored event with what the store keeps to prove it.
struct StoredEvent {
  workflow::AuditEvent event;
  std::string canonical;  // the canonical encoding (docs/audit-encoding.md)
  merkle::Hash leaf_hash;
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies `change` and appends its events atomically. Errors:
  // INVALID_ARGUMENT for a malformed change set (no events, wrong district,
  // wrong task version step); ALREADY_EXISTS for a reused request id or an
  // existing id on create; ABORTED for a stale expected version; NOT_FOUND
  // for an update of a missing task or community; UNAVAILABLE when the
  // database is busy; INTERNAL for anything else. On error nothing is written.
  virtual absl::StatusOr<CommitResult> Commit(const ChangeSet& change) = 0;

  // Returns the stored answer to `request_id`, or nullopt if none.
  virtual absl::StatusOr<std::optional<StoredRequest>> FindRequest(
      const std::string& district_id, const std::string& request_id) = 0;

  // NOT_FOUND when missing.
  virtual absl::StatusOr<workflow::District> GetDistrict(
      const std::string& district_id) = 0;

  // Returns catalog `version`, or the latest when `version` is 0.
  // NOT_FOUND when there is none.
  virtual absl::StatusOr<workflow::CatalogVersion> GetCatalog(
      const std::string& district_id, int64_t version) = 0;

  // NOT_FOUND when missing.
  virtual absl::StatusOr<workflow::Community> GetCommunity(
      const std::string& district_id, const std::string& community_id) = 0;

  // Communities ordered by id; `street` empty lists all of the district.
  virtual absl::StatusOr<std::vector<workflow::Community>> ListCommunities(
      const std::string& district_id, const std::string& street) = 0;

  // NOT_FOUND when missing.
  virtual absl::StatusOr<workflow::Task> GetTask(
      const std::string& district_id, const std::string& task_id) = 0;

  virtual absl::StatusOr<std::vector<workflow::Task>> ListTasks(
      const TaskQuery& query) = 0;

  // Tasks whose `timer_at` is at or before `now`, ordered by `timer_at`.
  virtual absl::StatusOr<std::vector<workflow::Task>> ListTasksDue(
      const std::string& district_id, absl::Time now, int32_t limit) = 0;

  // The earliest `timer_at` of the district's tasks, or nullopt.
  virtual absl::StatusOr<std::optional<absl::Time>> NextTimer(
      const std::string& district_id) = 0;

  // Decisions on a task, oldest first.
  virtual absl::StatusOr<std::vector<workflow::Decision>> ListDecisions(
      const std::string& district_id, const std::string& task_id) = 0;

  virtual absl::StatusOr<std::vector<StoredEvent>> ListEvents(
      const EventQuery& query) = 0;

  // Number of events in the district's log (= the latest seq).
  virtual absl::StatusOr<int64_t> EventCount(
      const std::string& district_id) = 0;

  // Merkle tree hash over the first `tree_size` events of the district's
  // log (RFC 6962 §2.1). INVALID_ARGUMENT if `tree_size` exceeds the log.
  virtual absl::StatusOr<merkle::Hash> MerkleRoot(
      const std::string& district_id, int64_t tree_size) = 0;
};

}  // namespace taskgate::store

#endif  // TASKGATE_STORE_STORE_H_
