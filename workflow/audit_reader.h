// The read side of the audit log (SPEC §7): events by filter, tree heads,
// inclusion and consistency proofs, checkpoints, log identity, the plan of
// an export bundle, and the inspector's statistics. Each read takes the
// calling `Principal` and authorizes it inside (workflow/access.h): the
// whole log is for auditors, admins and reviewers; anyone may read the
// history of a task they may read. Reads of the whole log by auditors and
// admins are themselves recorded (audit.query, audit.export, audit.stats)
// through the `AuditRecorder`; reviewers read it as part of their work.
//
// Errors, unless a method says otherwise: PERMISSION_DENIED first, then
// INVALID_ARGUMENT (with field violations) for bad input; the ledger's and
// the store's errors.
//
// Thread-safe when the `Store` is (the ledger is). `store`, `ledger`,
// `recorder` and `clock` must outlive it.
#ifndef TASKGATE_WORKFLOW_AUDIT_READER_H_
#define TASKGATE_WORKFLOW_AUDIT_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "common/clock.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/audit_ledger.h"
#include "workflow/audit_recorder.h"
#include "workflow/options.h"
#include "workflow/paging.h"
#include "workflow/statistics.h"

namespace taskgate::workflow {

// Which events to list; empty fields do not filter.
struct EventFilter {
  // The history of one task; when set, `entity_type`/`entity_id` do not
  // filter (they are still recorded with the read).
  std::string task_id;
  std::string entity_type;
  std::string entity_id;
  std::string department_id;
  std::string community_id;
  std::string actor_id;
  std::string action;
  std::string state;  // events that moved an entity into this state
  std::optional<absl::Time> start_time;  // inclusive
  std::optional<absl::Time> end_time;    // exclusive
  int64_t start_seq = 0;                 // inclusive; 0: unbounded
  int64_t end_seq = 0;                   // inclusive; 0: unbounded
};

struct TreeHead {
  int64_t tree_size = 0;
  audit::Hash root{};
};

struct InclusionProof {
  int64_t seq = 0;
  int64_t tree_size = 0;
  audit::Hash leaf_hash{};
  audit::Hash root{};
  std::vector<audit::Hash> proof;
};

struct ConsistencyProof {
  int64_t old_size = 0;
  int64_t new_size = 0;
  audit::Hash old_root{};
  audit::Hash new_root{};
  std::vector<audit::Hash> proof;
};

struct LogInfo {
  std::string log_id;
  std::string district_id;
  std::string public_key_pem;
  std::string key_id;
  int64_t tree_size = 0;
  std::string signing_refused;  // empty while the log is signed
};

// What to export: events in [start_time, end_time) (unset: unbounded), and
// a consistency proof from a checkpoint the auditor kept (0: none).
struct ExportRequest {
  std::optional<absl::Time> start_time;
  std::optional<absl::Time> end_time;
  int64_t since_tree_size = 0;
};

// The header of an export bundle (docs/audit-bundle.md): the checkpoint it
// is checked against, the run of events it carries, and the proofs that tie
// them to it.
struct ExportPlan {
  audit::Checkpoint checkpoint;
  std::string district_id;
  int64_t first_seq = 0;
  int64_t last_seq = 0;  // first_seq - 1 when no event is in the range
  // A whole-log export: every earlier checkpoint, to check on the way.
  std::vector<audit::Checkpoint> checkpoints;
  // A part of the log: the range proof of first..last against the
  // checkpoint.
  std::vector<audit::Hash> range_proof;
  int64_t consistency_from = 0;  // 0: no consistency proof
  std::vector<audit::Hash> consistency_proof;
  std::string exported_by;
  absl::Time export_time;
};

class AuditReader final {
 public:
  AuditReader(store::Store& store, AuditLedger& ledger, AuditRecorder& recorder,
              const Clock& clock, EngineOptions options);
  AuditReader(const AuditReader&) = delete;
  AuditReader& operator=(const AuditReader&) = delete;

  // One page of events in log order (default 100). `query_key` identifies
  // the query for its page tokens: the same query must give the same key.
  // Errors, in the order checked: INVALID_ARGUMENT for the page size, task
  // id and seqs; PERMISSION_DENIED for a caller who may not read the whole
  // log and asks for more than a task (NOT_FOUND, then PERMISSION_DENIED,
  // for a task they may not read); INVALID_ARGUMENT for a page token. The
  // first page read by an auditor or admin is recorded as audit.query.
  absl::StatusOr<Page<store::StoredEvent>> ListEvents(
      const domain::Principal& principal, const EventFilter& filter,
      const PageRequest& page, const std::string& query_key);

  // The root of the first `tree_size` events (0: the whole log).
  absl::StatusOr<TreeHead> GetTreeHead(const domain::Principal& principal,
                                       int64_t tree_size);

  // Event `seq`'s leaf hash and audit path in the tree of `tree_size`
  // (0: the whole log).
  absl::StatusOr<InclusionProof> GetInclusionProof(
      const domain::Principal& principal, int64_t seq, int64_t tree_size);

  // That the tree of `old_size` is a prefix of the tree of `new_size`
  // (0: the whole log).
  absl::StatusOr<ConsistencyProof> GetConsistencyProof(
      const domain::Principal& principal, int64_t old_size, int64_t new_size);

  // One page of the signed checkpoints, oldest first (default 100).
  absl::StatusOr<Page<audit::Checkpoint>> ListCheckpoints(
      const domain::Principal& principal, const PageRequest& page);

  // A checkpoint covering the whole log (see
  // `AuditLedger::CurrentCheckpoint`).
  absl::StatusOr<audit::Checkpoint> GetLatestCheckpoint(
      const domain::Principal& principal);

  absl::StatusOr<LogInfo> GetLogInfo(const domain::Principal& principal);

  // Plans an export bundle against a checkpoint covering the whole log, and
  // records the export (audit.export) for any caller. INVALID_ARGUMENT for a
  // negative `since_tree_size`.
  absl::StatusOr<ExportPlan> PlanExport(const domain::Principal& principal,
                                        const ExportRequest& request);

  // The inspector's statistics for [from, until) (SPEC §7): the result of
  // `ComputeStatistics` over the whole log, read from only what the period
  // touches (its task events; the tasks they concern and those that may
  // count in its months' loads, with their earlier events; the
  // communities), so a call costs the same at any size of the log.
  // INVALID_ARGUMENT naming
  // start_time/end_time when either is missing. Recorded as audit.stats
  // for auditors and admins.
  absl::StatusOr<Statistics> GetStatistics(const domain::Principal& principal,
                                           std::optional<absl::Time> from,
                                           std::optional<absl::Time> until);

 private:
  // The first seq at or after `t` among the first `size` events, or
  // `fallback` when `t` is unset; size + 1 when none is.
  absl::StatusOr<int64_t> FirstSeqAtOrAfter(std::optional<absl::Time> t,
                                            int64_t size, int64_t fallback);

  store::Store& store_;
  AuditLedger& ledger_;
  AuditRecorder& recorder_;
  const Clock& clock_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_AUDIT_READER_H_
