// The admission workflow engine: the one place that changes TaskGate's data.
//
// Each operation reads what it needs through the `Store`, decides with the
// pure parts of this module (the transition table, the rules, the SLA
// arithmetic), and writes the change and its audit events as ONE
// `ChangeSet`. Operations carrying a `request_id` are idempotent: a retry
// returns the first answer and changes nothing more. Tasks are guarded by
// their version (etag): a stale `expected_version`, or losing a race with
// another writer, gives ABORTED.
//
// The engine owns no timer: `NextDeadline()` tells its driver when to call
// `OnTick(now)`, which escalates overdue reviews and completes tasks past
// their end date, each as an audited `system` event.
//
// Thread-safe when the `Store` is; holds no mutable state of its own.
// `store` and `clock` must outlive the engine.
#ifndef TASKGATE_WORKFLOW_ENGINE_H_
#define TASKGATE_WORKFLOW_ENGINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "common/clock.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/rules.h"
#include "workflow/sla.h"
#include "workflow/transitions.h"

namespace taskgate::workflow {

struct EngineOptions {
  std::string district_id{domain::kDefaultDistrictId};
  // Dates are local dates in the district's zone (Asia/Shanghai has no DST,
  // so a fixed +08:00 is exact; the server loads the configured zone).
  absl::TimeZone time_zone = absl::FixedTimeZone(8 * 60 * 60);
  RulesConfig rules = DefaultRulesConfig();
  SlaConfig sla;
  WorkingCalendar calendar;
  // How many due tasks one `OnTick` handles at most; the rest wait for the
  // next tick, so one tick never holds the store for long.
  int32_t tick_batch = 200;
};

// A request to move a task: `Act` takes every caller-initiated action
// (submit, withdraw, claim, release, approve, reject, return, revoke, close).
struct ActionRequest {
  TaskAction action = TaskAction::kSubmit;
  std::string task_id;
  int64_t expected_version = 0;  // 0: do not check (no etag sent)
  std::string request_id;        // empty: not idempotent
  std::string reason;
  std::vector<domain::Acknowledgement> acknowledgements;  // approve
  // Approve/reject of a PROVISIONAL task: the reviewer finds the emergency
  // flag unjustified; recorded as finding R-EMERGENCY.
  bool emergency_unjustified = false;
};

struct TickResult {
  int escalated = 0;
  int completed = 0;
  int conflicts = 0;  // lost a race with a user; retried on the next tick
};

// ====================================================================
// Community workload (SPEC §6), as `Engine::GetWorkload` reports it.
// ====================================================================
struct Workload {
  domain::Community community;
  // ACTIVE or PROVISIONAL tasks reaching the community, ordered by id.
  std::vector<domain::Task> assignments;
  // Baseline + assignments for each month of the range asked for, in order
  // (see `MonthlyLoad` in rules.h).
  std::vector<std::pair<absl::CivilMonth, double>> monthly_load;
  // The community's acknowledgements, oldest first.
  std::vector<domain::AssignmentAck> acks;
};

class Engine {
 public:
  Engine(store::Store& store, const Clock& clock, EngineOptions options);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const EngineOptions& options() const { return options_; }

  // Creates the district on first start (an audited system event); returns
  // the stored district when it exists.
  absl::StatusOr<domain::District> EnsureDistrict(const std::string& name);

  // Publishes a new catalog version (准入清单) holding `items`. Admin only.
  // INVALID_ARGUMENT lists bad items.
  absl::StatusOr<domain::CatalogVersion> PublishCatalog(
      const domain::Principal& principal, const std::string& request_id,
      std::vector<domain::CatalogItem> items, const std::string& note);

  // Creates (`expected_version` 0) or updates a community. Admin only. A
  // capacity of 0 defaults to staff × 20 hours.
  absl::StatusOr<domain::Community> PutCommunity(
      const domain::Principal& principal, const std::string& request_id,
      domain::Community community, int64_t expected_version);

  // Creates a DRAFT task of the principal's department. `task_id` is chosen
  // by the caller (the server generates one). Department role only.
  absl::StatusOr<domain::Task> CreateTask(const domain::Principal& principal,
                                          const std::string& request_id,
                                          const std::string& task_id,
                                          domain::TaskSpec spec);

  // Replaces the spec of a DRAFT or RETURNED task.
  absl::StatusOr<domain::Task> EditTask(const domain::Principal& principal,
                                        const std::string& request_id,
                                        const std::string& task_id,
                                        int64_t expected_version,
                                        domain::TaskSpec spec);

  // Takes a caller-initiated action. Errors, in the order checked:
  // INVALID_ARGUMENT (bad request or reused request id), NOT_FOUND,
  // PERMISSION_DENIED, ABORTED (stale version), FAILED_PRECONDITION
  // (illegal in the task's state), then the row's guards.
  absl::StatusOr<domain::Task> Act(const domain::Principal& principal,
                                   const ActionRequest& request);

  // Reads, for callers that have already authorized the principal.
  absl::StatusOr<domain::Task> GetTask(const std::string& task_id);

  // When `OnTick` next has work, or nullopt.
  absl::StatusOr<std::optional<absl::Time>> NextDeadline();

  // Escalates reviews past their SLA and completes ACTIVE tasks past their
  // end date, as of `now`.
  absl::StatusOr<TickResult> OnTick(absl::Time now);

  // ==================================================================
  // Principals and credentials (SPEC §1, §8), community workload and
  // complaints (SPEC §6). Defined in engine_people.cc.
  //
  // Mutations are audited ChangeSets, idempotent by a non-empty
  // `request_id`. Errors, in the order checked: PERMISSION_DENIED for a
  // role that may never make the call, INVALID_ARGUMENT (with field
  // violations) for bad input, NOT_FOUND, PERMISSION_DENIED for a scope the
  // principal lacks, ABORTED for a stale `expected_version` (0: not
  // checked), FAILED_PRECONDITION for a move the current state forbids.
  // ==================================================================

  // Creates a principal. Admin only. `principal.id` is chosen by the caller;
  // its role must not be system; a department clerk needs a
  // `department_id`, a community office a `community_id` of an existing
  // community, and a reviewer may have a `home_department_id`. ALREADY_EXISTS
  // when the id is taken. Event "principal.create".
  absl::StatusOr<domain::Principal> CreatePrincipal(
      const domain::Principal& admin, const std::string& request_id,
      domain::Principal principal);

  // Disables or enables a principal; a disabled principal no longer
  // authenticates. Admin only; an admin cannot disable themself
  // (FAILED_PRECONDITION). Setting the state it already has changes nothing
  // and returns it. Events "principal.disable" / "principal.enable".
  absl::StatusOr<domain::Principal> SetPrincipalDisabled(
      const domain::Principal& admin, const std::string& request_id,
      const std::string& principal_id, bool disabled, int64_t expected_version);

  // Issues bearer token `token_id` to a principal. The caller generates the
  // secret and passes only `token_hash`, the lower-case hex SHA-256 of it;
  // neither the secret nor the hash enters the audit log. Admin only.
  // FAILED_PRECONDITION for a disabled principal; ALREADY_EXISTS for a token
  // id or hash in use. Event "credential.issue".
  absl::StatusOr<domain::Credential> IssueToken(const domain::Principal& admin,
                                                const std::string& request_id,
                                                const std::string& principal_id,
                                                std::string token_id,
                                                std::string token_hash,
                                                std::string description);

  // Revokes a token; revoking a revoked token changes nothing and returns
  // it. Admin only. Event "credential.revoke".
  absl::StatusOr<domain::Credential> RevokeToken(const domain::Principal& admin,
                                                 const std::string& request_id,
                                                 const std::string& token_id);

  // Returns the principal holding the token whose secret hashes to
  // `token_hash`. Read-only. UNAUTHENTICATED, with one message for all
  // (so as not to tell which), for an unknown or revoked token and for a
  // disabled principal.
  absl::StatusOr<domain::Principal> Authenticate(const std::string& token_hash);

  // On first start: when the district has no principal at all, creates
  // principal "admin" (role admin) and issues it token `token_id`, as the
  // system, in one change. Returns nullopt, changing nothing, when
  // principals already exist. INVALID_ARGUMENT for a bad id or hash.
  absl::StatusOr<std::optional<domain::Credential>> BootstrapAdmin(
      std::string token_id, std::string token_hash);

  // Records a refused call (SPEC §7: unauthenticated and forbidden calls are
  // audited): action "access.unauthenticated" for `code` UNAUTHENTICATED,
  // "access.denied" for PERMISSION_DENIED (INVALID_ARGUMENT for any other
  // code), entity "rpc" `method`. `who.id` may be "anonymous" (or empty,
  // recorded as "anonymous"); its role is recorded as given.
  absl::Status RecordAccessDenied(const domain::Principal& who,
                                  const std::string& method,
                                  absl::StatusCode code,
                                  const std::string& reason);

  // Records that `who` read the audit log (SPEC §7: reads by auditors are
  // audited too): `action` is "audit.query", "audit.export" or
  // "audit.stats" (INVALID_ARGUMENT otherwise), entity "audit_log" of the
  // district, `details` saying what was read (filters, range, tree size).
  absl::Status RecordAuditRead(const domain::Principal& who,
                               const std::string& action,
                               std::map<std::string, std::string> details);

  // The workload of `community_id` for the months `from`..`to` (inclusive,
  // at most `kMaxWorkloadMonths`). Allowed for that community's own office,
  // reviewers, auditors and admins.
  absl::StatusOr<Workload> GetWorkload(const domain::Principal& principal,
                                       const std::string& community_id,
                                       absl::CivilMonth from,
                                       absl::CivilMonth to);

  // The principal's community acknowledges that ACTIVE or PROVISIONAL task
  // `task_id` reached it. Community role only; PERMISSION_DENIED when the
  // task does not target the community; FAILED_PRECONDITION in any other
  // state; ALREADY_EXISTS when already acknowledged. Event
  // "assignment.acknowledge".
  absl::StatusOr<domain::AssignmentAck> AcknowledgeAssignment(
      const domain::Principal& principal, const std::string& request_id,
      const std::string& task_id);

  // The principal's community reports that the funding of task `task_id`
  // did not arrive (费随事转). Same scope as acknowledging; allowed while the
  // task is ACTIVE or PROVISIONAL and after it COMPLETED; `note` required.
  // Event "funding.report_missing".
  absl::StatusOr<domain::FundingReport> ReportFundingMissing(
      const domain::Principal& principal, const std::string& request_id,
      const std::string& task_id, const std::string& report_id,
      const std::string& note);

  // The principal's community files a complaint that a task reached it
  // without admission. `complaint.id` is chosen by the caller; its
  // community is the principal's; title and description are required; a
  // `task_id`, when given, must exist, and its department is taken as the
  // accused one when none is named. Event "complaint.file".
  absl::StatusOr<domain::Complaint> FileComplaint(
      const domain::Principal& principal, const std::string& request_id,
      domain::Complaint complaint);

  // A reviewer moves a complaint: OPEN -> VERIFIED | UNFOUNDED, and either
  // of those -> RESOLVED, with a required `resolution` text. A reviewer of
  // the accused department may not handle it (PERMISSION_DENIED); any other
  // move is FAILED_PRECONDITION naming both states. Events
  // "complaint.verify", "complaint.mark_unfounded", "complaint.resolve".
  absl::StatusOr<domain::Complaint> HandleComplaint(
      const domain::Principal& principal, const std::string& request_id,
      const std::string& complaint_id, int64_t expected_version,
      domain::ComplaintState to, std::string resolution);

  // Reads, for callers that have already authorized the principal. Empty
  // filters do not filter.
  absl::StatusOr<domain::Complaint> GetComplaint(
      const std::string& complaint_id);
  absl::StatusOr<std::vector<domain::Complaint>> ListComplaints(
      const std::string& community_id,
      const std::vector<domain::ComplaintState>& states);
  absl::StatusOr<std::vector<domain::FundingReport>> ListFundingReports(
      const std::string& task_id, const std::string& community_id);
  absl::StatusOr<std::vector<domain::AssignmentAck>> ListAcks(
      const std::string& task_id, const std::string& community_id);
  absl::StatusOr<domain::Principal> GetPrincipal(
      const std::string& principal_id);
  absl::StatusOr<std::vector<domain::Principal>> ListPrincipals();
  absl::StatusOr<std::vector<domain::Credential>> ListCredentials(
      const std::string& principal_id);

 private:
  // Both fill `change` with the task write, decisions and events, and
  // return the resulting task.
  absl::StatusOr<domain::Task> Submit(const domain::Principal& principal,
                                      domain::Task task,
                                      const ActionRequest& request,
                                      store::ChangeSet& change);
  absl::StatusOr<domain::Task> Decide(const domain::Principal& principal,
                                      domain::Task task, const Transition& row,
                                      const ActionRequest& request,
                                      store::ChangeSet& change);
  absl::Status TickTask(domain::Task task, absl::Time now, TickResult& result);

  absl::CivilDay Today() const;

  store::Store& store_;
  const Clock& clock_;
  const EngineOptions options_;
};

// When the workflow must next look at `task` on its own: the end of its SLA
// due date while under review and not yet overdue, the end of its end date
// while ACTIVE; nullopt otherwise.
std::optional<absl::Time> TimerFor(const domain::Task& task, absl::TimeZone tz);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_ENGINE_H_
