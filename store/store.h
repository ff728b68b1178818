// The persistence interface of TaskGate.
//
// A `Store` keeps districts, catalog versions, calendar years, communities,
// tasks and their attachments, decisions,
// principals and their credentials, assignment acknowledgements, funding
// reports, complaints, idempotency records and each district's append-only
// audit log. Every
// change arrives as one `ChangeSet`, which the store applies all-or-nothing
// together with its audit events: no change without its event, no event
// without its change. `CommitBatch` runs a whole batch of requests in one
// transaction (group commit, a savepoint each): the district's writer
// (workflow/writer.h) decides and writes each request inside it, so that
// decisions are serialized with their commit and a batch costs one fsync.
//
// No SQLite (or any engine) type appears here; `OpenSqliteStore`
// (store/sqlite/sqlite_store.h) returns one today and a PostgreSQL store can
// later. Every implementation checks a `ChangeSet` with `ValidateChangeSet`
// (store/change_validation.h) first, so that all refuse the same malformed
// changes alike. Implementations must be thread-safe: any method may be
// called from any thread, and reads must not wait for a batch in progress
// (they see the last committed state).
#ifndef TASKGATE_STORE_STORE_H_
#define TASKGATE_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "domain/fields.h"
#include "domain/types.h"

namespace taskgate::store {

class Store;

// The answer first given to a request, kept under its `request_id` so that a
// retry gets the same answer and changes nothing more. The key is opaque to
// the store; the workflow keeps each principal's request ids apart in it
// (`<principal>/<request id>`, workflow/internal/commit_once.h). Kept for a
// bounded time only (AIP-155): the district's writer drops records older than
// its request retention (`Store::ExpireRequests`), and a retry after that is a
// new request.
struct StoredRequest {
  std::string request_id;
  std::string operation;    // e.g. "task.submit"
  std::string fingerprint;  // identifies the request's parameters
  std::string response;     // opaque to the store
  // When the request was answered (the time of its change's events); what
  // `ExpireRequests` compares. Must be set (INVALID_ARGUMENT when it is the
  // Unix epoch, the default).
  absl::Time created_at = absl::UnixEpoch();
};

// A task to write. `expected_version` 0 creates the task (ALREADY_EXISTS if
// the id is taken); otherwise the stored version must equal it (ABORTED if
// not), and the stored task is replaced by `task`, whose `version` must be
// `expected_version + 1`.
struct TaskWrite {
  domain::Task task;
  int64_t expected_version = 0;
};

// Same optimistic scheme for departments and streets (`DepartmentWrite`,
// `StreetWrite`). A street's name is unique in its district (ALREADY_EXISTS
// for a second street of the same name).
template <typename NamedResource>
struct NamedWrite {
  NamedResource resource;
  int64_t expected_version = 0;
};
using DepartmentWrite = NamedWrite<domain::Department>;
using StreetWrite = NamedWrite<domain::Street>;

// Same optimistic scheme for communities.
struct CommunityWrite {
  domain::Community community;
  int64_t expected_version = 0;
};

// Same optimistic scheme for principals, credentials and complaints.
// A credential's `principal_id` and `token_hash` never change once stored
// (INVALID_ARGUMENT on an update that changes them); its `token_hash` is
// unique in the whole store (ALREADY_EXISTS on a create that reuses one).
struct PrincipalWrite {
  domain::Principal principal;
  int64_t expected_version = 0;
};
struct CredentialWrite {
  domain::Credential credential;
  int64_t expected_version = 0;
};
struct ComplaintWrite {
  domain::Complaint complaint;
  int64_t expected_version = 0;
};

// An attachment to create (SPEC §3) with its content. The content is kept
// once per (district, sha256): a second attachment of the same bytes, to
// this task or another, refers to the kept copy. `attachment.size_bytes`
// and `attachment.sha256` must be the content's (INVALID_ARGUMENT if not,
// checked by `ValidateChangeSet`); the task must be stored (NOT_FOUND); a
// task's (sha256) and its names are each unique (ALREADY_EXISTS).
struct AttachmentWrite {
  domain::Attachment attachment;
  std::string content;
};

// An addition to one of the district's kept counters: `amount` is added to
// the counter (`bucket`, `name`, `subject`), which starts at 0. Counters are
// figures derived from the change's events (the statistics of SPEC §7, kept
// by day and by month: workflow/statistics_counters.h) so that reading a
// period costs what the period holds, not what the log holds. The store
// gives them no meaning; `bucket` orders them for range reads.
struct CounterAdd {
  std::string bucket;   // e.g. "d:2026-03-02", "m:2026-03"
  std::string name;     // e.g. "submitted"
  std::string subject;  // e.g. a department or community id
  double amount = 0;
};

// A counter's value.
struct Counter {
  std::string bucket;
  std::string name;
  std::string subject;
  double value = 0;
  bool operator==(const Counter&) const = default;
};

// One all-or-nothing change and the audit events that record it.
struct ChangeSet {
  std::string district_id;
  // When set, stored with the change; a second ChangeSet with the same
  // (district_id, request_id) fails with ALREADY_EXISTS and writes nothing.
  std::optional<StoredRequest> request;
  std::optional<domain::District> district;       // create
  std::optional<domain::CatalogVersion> catalog;  // publish; version must
                                                  // be latest + 1
  // Calendar years published (created only): each one's version must be the
  // latest of its year + 1 (ABORTED if not), and a year appears at most
  // once.
  std::vector<domain::CalendarYear> calendars;
  // Written before `communities`, which may refer to them.
  std::vector<DepartmentWrite> departments;
  std::vector<StreetWrite> streets;
  std::vector<CommunityWrite> communities;
  std::vector<TaskWrite> tasks;
  std::vector<domain::Decision> decisions;
  std::vector<PrincipalWrite> principals;
  // Written after `principals`; the principal must exist (NOT_FOUND).
  std::vector<CredentialWrite> credentials;
  std::vector<ComplaintWrite> complaints;
  // Both are created only and refer to a stored task (NOT_FOUND if not). A
  // report id taken, or a second ack of the same (task, community), is
  // ALREADY_EXISTS.
  std::vector<domain::FundingReport> funding_reports;
  std::vector<domain::AssignmentAck> acks;
  std::vector<AttachmentWrite> attachments;
  // Added to the kept counters; several adds to one counter sum.
  std::vector<CounterAdd> counters;
  // Must not be empty. `seq` is ignored: the store assigns the next numbers
  // of the district's log, in order.
  std::vector<domain::AuditEvent> events;
};

struct CommitResult {
  std::vector<int64_t> seqs;             // assigned to `events`, in order
  std::vector<audit::Hash> leaf_hashes;  // of `events`, in order
};

// One request's part of a write batch. `run` decides and writes through the
// `Store&` it is given, on the batch's thread: reads there see the
// committed log plus the batch's earlier steps, and `Commit` applies a
// change inside the step (nothing is durable until the batch commits). A
// step that returns an error leaves nothing of what it wrote, and only it.
// `run` must not start a batch of its own or wait for another thread's
// store call.
struct BatchStep {
  std::function<absl::Status(Store& tx)> run;
};

// An event a batch appended, for the writer to hand to the Merkle ledger
// without reading it back.
struct AppendedEvent {
  std::string district_id;
  int64_t seq = 0;
  audit::Hash leaf_hash{};
};

struct BatchResult {
  std::vector<absl::Status> statuses;  // one per step, in order
  // The events of the steps that succeeded, in seq order.
  std::vector<AppendedEvent> appended;
};

// Filters for listing tasks; empty fields do not filter. Results are ordered
// by id and paged with `after_id` (exclusive) and `limit` (0: no limit).
struct TaskQuery {
  std::string district_id;
  std::string department_id;
  std::vector<domain::TaskState> states;
  std::string community_id;  // among the task's resolved communities
  std::string item_code;
  // When both are set: only tasks whose start..end dates intersect
  // [dates_from, dates_until] (inclusive).
  std::optional<absl::CivilDay> dates_from;
  std::optional<absl::CivilDay> dates_until;
  // When set: only tasks for which domain::AwaitsSecondApproval is this
  // value (every engine follows that definition).
  std::optional<bool> awaiting_second_approval;
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
  std::string state_after;  // events that moved an entity into this state
  std::optional<absl::Time> from;   // inclusive
  std::optional<absl::Time> until;  // exclusive
  int64_t after_seq = 0;
  int64_t max_seq = 0;  // inclusive; 0: no bound
  int32_t limit = 0;
};

// A stored event with what the store keeps to prove it.
struct StoredEvent {
  // The event's position in the stored log. Equal to `event.seq` unless the
  // file was tampered with; a verifier compares the two.
  int64_t seq = 0;
  domain::AuditEvent event;
  std::string canonical;  // the canonical encoding (docs/audit-encoding.md)
  audit::Hash leaf_hash{};
};

// An audit row exactly as stored, for verification: nothing decoded or
// checked, so that a damaged or edited row can be reported rather than
// refused.
struct AuditRow {
  int64_t seq = 0;
  // The query columns beside the canonical bytes (`details` stays empty;
  // `community_ids` from the side table, sorted). A verifier compares them
  // with what `canonical` says.
  domain::AuditEvent columns;
  std::string canonical;
  std::string leaf_hash;  // raw bytes; 32 unless damaged
};

// A stored entity as its row says, for proving that the tables are what
// the audit log says (SPEC §7; workflow/record_check.h).
struct StoredEntity {
  std::string_view kind;  // domain/fields.h
  std::string id;         // its key within the kind (domain/fields.h)
  domain::Fields fields;  // of the row's body
  // Where the row's other columns, or its side rows (a task's communities),
  // disagree with its body: the server reads both, so either may have been
  // edited. Each names the column and both values.
  std::vector<std::string> column_problems;
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies `change` and appends its events atomically. Errors:
  // INVALID_ARGUMENT for a malformed change set (no events, wrong district,
  // wrong version step); ALREADY_EXISTS for a reused request id, an
  // existing id on create, a token hash in use or a second acknowledgement;
  // ABORTED for a stale expected version; NOT_FOUND for an update of a
  // missing row, or a row referring to a missing task or principal;
  // UNAVAILABLE when the database is busy; INTERNAL for anything else. On
  // error nothing is written.
  virtual absl::StatusOr<CommitResult> Commit(const ChangeSet& change) = 0;

  // Runs `steps` in order inside one transaction and commits it once (one
  // fsync). Each step has its own savepoint: a step's error rolls back that
  // step only and becomes its status. Returns the statuses and what was
  // appended; an error of the batch itself (UNAVAILABLE when the database is
  // busy, INTERNAL when the commit fails) means nothing of it was written.
  // INVALID_ARGUMENT for an empty batch or a step without `run`.
  virtual absl::StatusOr<BatchResult> CommitBatch(
      std::span<const BatchStep> steps) = 0;

  // Returns the stored answer to `request_id`, or nullopt if none (never
  // stored, or expired).
  virtual absl::StatusOr<std::optional<StoredRequest>> FindRequest(
      const std::string& district_id, const std::string& request_id) = 0;

  // Drops at most `limit` of the district's idempotency records whose
  // `created_at` is before `before`, oldest first, and returns how many it
  // dropped; fewer than `limit` means none older is left. Nothing else is
  // touched: no task, no decision, no audit event. INVALID_ARGUMENT when
  // `limit` is not positive; UNAVAILABLE when the database is busy.
  //
  // A maintenance call of its own rather than a field of `ChangeSet`: a
  // ChangeSet is a change of the district's record, and the store keeps the
  // rule "no change without its event" for it. An idempotency record is not
  // part of that record (it only lets a retry get its first answer), so
  // dropping it changes nothing an inspector can see and has no audit event;
  // a ChangeSet without events would have to be allowed for it, weakening
  // the rule for every other change. Like every write it goes through the
  // district's writer: called inside a batch step it is part of that step
  // (and undone with it); called outside a batch it runs in a transaction
  // of its own. `limit` bounds how long one call holds the writer.
  virtual absl::StatusOr<int64_t> ExpireRequests(const std::string& district_id,
                                                 absl::Time before,
                                                 int32_t limit) = 0;

  // NOT_FOUND when missing.
  virtual absl::StatusOr<domain::District> GetDistrict(
      const std::string& district_id) = 0;

  // Returns catalog `version`, or the latest when `version` is 0.
  // NOT_FOUND when there is none.
  virtual absl::StatusOr<domain::CatalogVersion> GetCatalog(
      const std::string& district_id, int64_t version) = 0;

  // Version `version` of the calendar of `year`, or its latest when
  // `version` is 0. NOT_FOUND when there is none; INVALID_ARGUMENT for a
  // negative version.
  virtual absl::StatusOr<domain::CalendarYear> GetCalendarYear(
      const std::string& district_id, int32_t year, int64_t version) = 0;

  // The latest version of the calendar of each year from `first_year` on,
  // ordered by year; empty when none is published. The years are few (one
  // a year), so the list is not paged.
  virtual absl::StatusOr<std::vector<domain::CalendarYear>> ListCalendarYears(
      const std::string& district_id, int32_t first_year) = 0;

  // NOT_FOUND when missing.
  virtual absl::StatusOr<domain::Department> GetDepartment(
      const std::string& district_id, const std::string& department_id) = 0;

  // The district's departments ordered by id. Tens in a district, so the
  // list is read whole (callers page it).
  virtual absl::StatusOr<std::vector<domain::Department>> ListDepartments(
      const std::string& district_id) = 0;

  // NOT_FOUND when missing.
  virtual absl::StatusOr<domain::Street> GetStreet(
      const std::string& district_id, const std::string& street_id) = 0;

  // The district's streets ordered by id; a district has a handful.
  virtual absl::StatusOr<std::vector<domain::Street>> ListStreets(
      const std::string& district_id) = 0;

  // The distinct department ids the district's tasks name, ordered; for
  // migrating the departments named before they were resources.
  virtual absl::StatusOr<std::vector<std::string>> ListTaskDepartmentIds(
      const std::string& district_id) = 0;

  // NOT_FOUND when missing. A community's `street` (name) is as stored:
  // the workflow fills it from the `Street` (workflow/directory_names.h).
  virtual absl::StatusOr<domain::Community> GetCommunity(
      const std::string& district_id, const std::string& community_id) = 0;

  // Communities ordered by id; `street_id` empty lists all of the district,
  // otherwise those of that street.
  virtual absl::StatusOr<std::vector<domain::Community>> ListCommunities(
      const std::string& district_id, const std::string& street_id) = 0;

  // NOT_FOUND when missing.
  virtual absl::StatusOr<domain::Task> GetTask(const std::string& district_id,
                                               const std::string& task_id) = 0;

  virtual absl::StatusOr<std::vector<domain::Task>> ListTasks(
      const TaskQuery& query) = 0;

  // Tasks whose `timer_at` is at or before `now`, ordered by `timer_at`.
  virtual absl::StatusOr<std::vector<domain::Task>> ListTasksDue(
      const std::string& district_id, absl::Time now, int32_t limit) = 0;

  // The earliest `timer_at` of the district's tasks, or nullopt.
  virtual absl::StatusOr<std::optional<absl::Time>> NextTimer(
      const std::string& district_id) = 0;

  // Decisions on a task, oldest first.
  virtual absl::StatusOr<std::vector<domain::Decision>> ListDecisions(
      const std::string& district_id, const std::string& task_id) = 0;

  virtual absl::StatusOr<std::vector<StoredEvent>> ListEvents(
      const EventQuery& query) = 0;

  // Number of events in the district's log (= the latest seq).
  virtual absl::StatusOr<int64_t> EventCount(
      const std::string& district_id) = 0;

  // The stored leaf hashes of events after `after_seq`, in order, at most
  // `limit` (0: all). DATA_LOSS when the stored log has a gap or a hash of
  // the wrong size there: the database is damaged and must be verified.
  virtual absl::StatusOr<std::vector<audit::Hash>> ListLeafHashes(
      const std::string& district_id, int64_t after_seq, int32_t limit) = 0;

  // Raw audit rows after `after_seq` in seq order, at most `limit` (0: all),
  // for verifying the log; never fails on row content.
  virtual absl::StatusOr<std::vector<AuditRow>> ListAuditRows(
      const std::string& district_id, int64_t after_seq, int32_t limit) = 0;

  // ---------------------------------------------- signed checkpoints (§7)

  // Keeps a signed checkpoint of the district's log. ALREADY_EXISTS when one
  // of that tree size is kept. Checkpoints are append-only like the log; the
  // store does not check signatures (verifiers do).
  virtual absl::Status AddCheckpoint(const std::string& district_id,
                                     const audit::Checkpoint& c) = 0;

  // Kept checkpoints with tree_size > `after_size`, smallest first, at most
  // `limit` (0: all).
  virtual absl::StatusOr<std::vector<audit::Checkpoint>> ListCheckpoints(
      const std::string& district_id, int64_t after_size, int32_t limit) = 0;

  // The checkpoint of the largest tree size, or nullopt.
  virtual absl::StatusOr<std::optional<audit::Checkpoint>> LatestCheckpoint(
      const std::string& district_id) = 0;

  // ------------------------------------- principals, credentials (SPEC §8)

  // NOT_FOUND when missing.
  virtual absl::StatusOr<domain::Principal> GetPrincipal(
      const std::string& district_id, const std::string& principal_id) = 0;

  // The district's principals ordered by id.
  virtual absl::StatusOr<std::vector<domain::Principal>> ListPrincipals(
      const std::string& district_id) = 0;

  // Number of principals in the district (0 before bootstrap).
  virtual absl::StatusOr<int64_t> CountPrincipals(
      const std::string& district_id) = 0;

  // NOT_FOUND when missing.
  virtual absl::StatusOr<domain::Credential> GetCredential(
      const std::string& district_id, const std::string& credential_id) = 0;

  // The credential whose `token_hash` equals `token_hash` (revoked or not),
  // or nullopt.
  virtual absl::StatusOr<std::optional<domain::Credential>>
  FindCredentialByHash(const std::string& district_id,
                       const std::string& token_hash) = 0;

  // The active (not revoked) binding of client-certificate identity
  // `certificate_identity` (domain::Credential), or nullopt.
  virtual absl::StatusOr<std::optional<domain::Credential>>
  FindActiveCertificateBinding(const std::string& district_id,
                               const std::string& certificate_identity) = 0;

  // Credentials ordered by id; `principal_id` empty lists all of the
  // district.
  virtual absl::StatusOr<std::vector<domain::Credential>> ListCredentials(
      const std::string& district_id, const std::string& principal_id) = 0;

  // ------------------------------------ community workload, complaints (§6)

  // NOT_FOUND when missing.
  virtual absl::StatusOr<domain::Complaint> GetComplaint(
      const std::string& district_id, const std::string& complaint_id) = 0;

  // Complaints ordered by id; empty filters do not filter.
  virtual absl::StatusOr<std::vector<domain::Complaint>> ListComplaints(
      const std::string& district_id, const std::string& community_id,
      const std::vector<domain::ComplaintState>& states) = 0;

  // Funding reports, oldest first (then by id); empty filters do not filter.
  virtual absl::StatusOr<std::vector<domain::FundingReport>> ListFundingReports(
      const std::string& district_id, const std::string& task_id,
      const std::string& community_id) = 0;

  // Acknowledgements, oldest first (then by task and community); empty
  // filters do not filter.
  virtual absl::StatusOr<std::vector<domain::AssignmentAck>> ListAcks(
      const std::string& district_id, const std::string& task_id,
      const std::string& community_id) = 0;

  // ------------------------------------------------ attachments (SPEC §3)

  // The attachments of task `task_id`, oldest first (then by name); empty
  // when it has none or there is no such task. A task has a bounded number
  // (workflow/attachments.h), so the list is not paged.
  virtual absl::StatusOr<std::vector<domain::Attachment>> ListAttachments(
      const std::string& district_id, const std::string& task_id) = 0;

  // At most `limit` bytes of the kept content of hash `sha256` (hex) from
  // byte `offset` on; empty past its end. NOT_FOUND when no content of that
  // hash is kept; INVALID_ARGUMENT for a negative offset or a limit that is
  // not positive. Reading in pieces keeps a download's memory bounded.
  virtual absl::StatusOr<std::string> ReadAttachmentContent(
      const std::string& district_id, const std::string& sha256, int64_t offset,
      int64_t limit) = 0;

  // Calls `visit` with every stored entity of the district, kind by kind
  // and in key order, reading the committed state; stops at the first error
  // `visit` returns. A row whose body cannot be read is visited with no
  // fields and a column problem saying so, not an error: a verifier reports
  // it. Costs a read of every entity row.
  virtual absl::Status ScanEntities(
      const std::string& district_id,
      const std::function<absl::Status(StoredEntity)>& visit) = 0;

  // ------------------------------------------ bounded reads (statistics, §7)
  // Each costs what it returns, not what the district ever held.

  // The stored tasks among `task_ids`, ordered by id; ids that name no
  // stored task are left out.
  virtual absl::StatusOr<std::vector<domain::Task>> ListTasksById(
      const std::string& district_id,
      const std::vector<std::string>& task_ids) = 0;

  // The kept counters whose bucket is in [`first_bucket`, `last_bucket`]
  // (byte order), ordered by bucket, name and subject; at most `limit`
  // (0: all).
  virtual absl::StatusOr<std::vector<Counter>> ListCounters(
      const std::string& district_id, const std::string& first_bucket,
      const std::string& last_bucket, int32_t limit) = 0;
};

}  // namespace taskgate::store

#endif  // TASKGATE_STORE_STORE_H_
