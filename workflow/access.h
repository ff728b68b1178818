// Who may do what: every role and scope check of the workflow except the
// task transitions, whose roles and scope guards are rows of the transition
// table (workflow/transitions.h, `AuthorizeAction`). The workflow's
// operations and read-side objects call these; the gRPC services never
// decide. Pure functions; thread-safe.
//
// Every function returns OK or PERMISSION_DENIED with a message naming the
// role or scope and who may act instead. Callers check them before anything
// that depends on an entity's state (SPEC §4.1: authorization comes before
// state).
#ifndef TASKGATE_WORKFLOW_ACCESS_H_
#define TASKGATE_WORKFLOW_ACCESS_H_

#include <optional>
#include <string>
#include <string_view>

#include <absl/status/status.h>

#include "domain/types.h"

namespace taskgate::workflow {

// ------------------------------------------------------------------ reads

// A department reads its own tasks; a community the tasks that reach it;
// reviewers, auditors and admins every task. PERMISSION_DENIED as
// `TaskOutOfScope` says.
absl::Status CanReadTask(const domain::Principal& p, const domain::Task& task);

// True for the roles that read every task: reviewers, auditors, admins and
// the system.
bool ReadsEveryTask(const domain::Principal& p);

// PERMISSION_DENIED for a department or community `p` naming task
// `task_id` outside its scope: another department's task, one that does
// not reach the community, or one that does not exist. The answer is the
// same in each case and names neither the task's department nor whether it
// exists, so that no call tells a department or a community which tasks it
// may not see exist (AIP-211: permission is checked before existence).
// `what` is the verb refused: "read", "submit", ...
absl::Status TaskOutOfScope(const domain::Principal& p,
                            std::string_view task_id, std::string_view what);

// What `p` hears when looking up task `task_id` to `what` it failed with
// `lookup`: for NOT_FOUND, `TaskOutOfScope` to a principal who does not
// read every task (the answer it gets for another's task) and the
// NOT_FOUND to one who does; any other error as it is.
absl::Status HideMissingTask(const domain::Principal& p,
                             std::string_view task_id, std::string_view what,
                             const absl::Status& lookup);

// Scope of a task listing. Departments are limited to their own department,
// communities to their own community; others may list everything. Fills the
// forced filter values (empty when unrestricted) or returns
// PERMISSION_DENIED when the requested value contradicts the scope.
absl::Status ScopeTaskListing(const domain::Principal& p,
                              std::string& department_id,
                              std::string& community_id);

// The review queue: reviewers and auditors.
absl::Status CanReadReviewQueue(const domain::Principal& p);

// The whole audit log, tree heads: auditors, admins and reviewers.
// (A department may read its own task's history: use CanReadTask.)
absl::Status CanReadAuditLog(const domain::Principal& p);

// Funding reports and complaints of every community: reviewers, auditors.
// A community may read its own (pass its id).
absl::Status CanReadCommunityReports(const domain::Principal& p,
                                     const std::string& community_id);

// Principals and credentials: admins and auditors.
absl::Status CanReadPrincipals(const domain::Principal& p);

// Community workloads, by role: the community offices (each its own, see
// `CanReadWorkloadOf`), reviewers, auditors and admins.
absl::Status CanReadWorkloads(const domain::Principal& p);

// The workload of `community_id`: a community office only its own; the
// other roles `CanReadWorkloads` admits, every community's.
absl::Status CanReadWorkloadOf(const domain::Principal& p,
                               const std::string& community_id);

// ------------------------------------------------------ following events

// Whether `p` may follow the events of `EventService/WatchEvents` (SPEC §8:
// "a department its tasks, a community its assignments, reviewers the
// queue, auditors everything"), decided from the event alone, so that the
// same answer holds when replaying the log and when an event is new. Never
// wider than what `p` reads with `AuditService/ListEvents`, and narrower
// where a role follows less than it may look up:
//  - auditor: every event, refused calls (access.*) included;
//  - admin: every event but refused calls;
//  - reviewer: the events of tasks once submitted (not a draft's creation
//    and edits, which no queue holds yet), funding reports (entity "task")
//    and complaints;
//  - department: the events of its own department's tasks (entity "task",
//    as `CanReadTask`), acknowledgements and funding reports included;
//  - community: the events of a task that reached it once admitted
//    (PROVISIONAL or ACTIVE, then REVOKED or COMPLETED), its own
//    acknowledgements and funding reports, and its own complaints; not a
//    pending task's review, which is not its assignment yet;
//  - anyone else (system), or a department or community principal bound to
//    no department or community: nothing.
bool MayFollowEvent(const domain::Principal& p, const domain::AuditEvent& e);

// Whether `p` may follow events at all (`MayFollowEvent` is false for every
// event otherwise): PERMISSION_DENIED for a department or community
// principal bound to no department or community, and for the system.
absl::Status CanFollowEvents(const domain::Principal& p);

// ------------------------------------------- the catalog and communities

// The lists (准入清单) are published by an admin.
absl::Status CanPublishCatalog(const domain::Principal& p);

// The working-day calendar (holidays and make-up working days, SPEC §2) is
// published by an admin; every signed-in principal may read it, as the
// catalog: a department needs to know its deadlines.
absl::Status CanPublishCalendar(const domain::Principal& p);

// Communities and their capacity are set by an admin.
absl::Status CanPutCommunity(const domain::Principal& p);

// Departments and streets (SPEC §1): the admin creates and renames them;
// every role reads them (their names are shown beside the ids it sees).
absl::Status CanPutDepartment(const domain::Principal& p);
absl::Status CanPutStreet(const domain::Principal& p);

// ------------------------------------------------------------------ tasks

// Tasks are drafted by a department clerk (for their own department). The
// moves that follow are the transition table's.
absl::Status CanCreateTask(const domain::Principal& p);

// ---------------------------------------------- principals and credentials

// Each is an admin's.
absl::Status CanCreatePrincipal(const domain::Principal& p);
absl::Status CanSetPrincipalDisabled(const domain::Principal& p);
absl::Status CanIssueToken(const domain::Principal& p);
absl::Status CanRevokeToken(const domain::Principal& p);
absl::Status CanBindCertificate(const domain::Principal& p);

// ------------------------------------------------- the community's side

// Each is a community office's, bound to one community.
absl::Status CanAcknowledgeAssignment(const domain::Principal& p);
absl::Status CanReportFundingMissing(const domain::Principal& p);
absl::Status CanFileComplaint(const domain::Principal& p);

// A community office acts only on tasks that reach its community: one of
// the task's resolved communities or, before submit has resolved them, a
// community the spec names or one in a street the spec names.
// `own_street` is the name of the street of the principal's community, or
// nullopt when it is unknown (street targets then do not count), and
// `own_street_id` that street's id (empty: unknown); they are read only
// when `AssignmentScopeNeedsStreet` says so.
absl::Status CanActOnAssignment(const domain::Principal& p,
                                const domain::Task& task,
                                const std::optional<std::string>& own_street,
                                const std::string& own_street_id = "");

// Whether `CanActOnAssignment` needs the street of the principal's
// community to decide for `task`.
bool AssignmentScopeNeedsStreet(const domain::Principal& p,
                                const domain::Task& task);

// Complaints are handled by reviewers ...
absl::Status CanHandleComplaints(const domain::Principal& p);

// ... but never by a reviewer of the department the complaint accuses.
absl::Status CanHandleComplaint(const domain::Principal& p,
                                const domain::Complaint& complaint);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_ACCESS_H_
