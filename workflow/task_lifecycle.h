// The task lifecycle (SPEC §5): drafting, editing and every move a caller
// makes, through the one transition table (workflow/transitions.h).
//
// Each operation is decided by the district's `Writer` (workflow/writer.h):
// it reads what it needs through the writer's batch, decides, and writes the
// change and its audit events as ONE `ChangeSet`, so that two requests for
// the same task or the same last capacity are decided one after the other.
// Operations carrying a `request_id` are idempotent: a retry returns the first
// answer and changes nothing more. Tasks are guarded by their version (etag): a
// stale `expected_version`, or losing a race with another writer, gives
// ABORTED. A submit is handed to `Submission` (workflow/submission.h),
// which runs the rules and routes the task.
//
// Every approval (first or second) first re-checks the rules that depend on
// other tasks - R-CAPACITY, R-CONTROLLED, R-DUPLICATE - against the
// workloads of that moment (SPEC §4.1) and decides under the findings of
// then: the task's carried findings of those three rules are replaced by
// the re-check's (`ReplaceRecheckedFindings`, workflow/rules.h), and the
// transition guards apply to the result. So every WARN finding in force,
// and with it every new or changed one, must be acknowledged by rule id
// with a reason in that request (INVALID_ARGUMENT naming the rule, what it
// concerns and its message); any BLOCK finding - R-CAPACITY when configured
// BLOCK - refuses the approval (FAILED_PRECONDITION naming it); a carried
// finding the re-check no longer finds needs nothing. On success the task
// keeps the refreshed findings, the decision stores them
// (`Decision::findings`), and the "task.approve" event carries them in
// `details`: "findings" (rule:severity, as on submit), "findings_new"
// (findings new or changed since the task's carried ones, which the
// request acknowledged; see `CompareWithCarried`) and "findings_cleared"
// (carried findings no longer found).
//
// Thread-safe; holds no mutable state of its own. `store`, `writer` and
// `clock` must outlive it. The `...Async` forms answer through a callback
// (on the writer's thread, or on the caller's when refused before
// queueing); the others wait for the answer and must not be called on the
// writer's thread.
#ifndef TASKGATE_WORKFLOW_TASK_LIFECYCLE_H_
#define TASKGATE_WORKFLOW_TASK_LIFECYCLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/submission.h"
#include "workflow/task_spec.h"
#include "workflow/transitions.h"
#include "workflow/writer.h"

namespace taskgate::workflow {

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

class TaskLifecycle final {
 public:
  TaskLifecycle(store::Store& store, Writer& writer, const Clock& clock,
                EngineOptions options);
  TaskLifecycle(const TaskLifecycle&) = delete;
  TaskLifecycle& operator=(const TaskLifecycle&) = delete;

  // Creates a DRAFT task of the principal's department. `task_id` is chosen
  // by the caller (the server generates one). Errors, in the order checked:
  // PERMISSION_DENIED for any role but department; INVALID_ARGUMENT for a
  // bad `task_id`; ALREADY_EXISTS when a task of the department has the id,
  // PERMISSION_DENIED (naming neither task nor department) when another
  // department's has it.
  absl::StatusOr<domain::Task> CreateTask(const domain::Principal& principal,
                                          const std::string& request_id,
                                          const std::string& task_id,
                                          DraftSpec spec);
  void CreateTaskAsync(const domain::Principal& principal,
                       const std::string& request_id,
                       const std::string& task_id, DraftSpec spec,
                       Callback<domain::Task> done);

  // Replaces the spec of a DRAFT or RETURNED task. Errors, in the order
  // checked: PERMISSION_DENIED (not a department, not the task's department,
  // or for a department no such task: workflow/access.h `HideMissingTask`),
  // NOT_FOUND (to the other roles), ABORTED (stale version),
  // FAILED_PRECONDITION (another state).
  absl::StatusOr<domain::Task> EditTask(const domain::Principal& principal,
                                        const std::string& request_id,
                                        const std::string& task_id,
                                        int64_t expected_version,
                                        DraftSpec spec);

  // Takes a caller-initiated action. Errors, in the order checked:
  // INVALID_ARGUMENT (bad request), PERMISSION_DENIED (the role, then the
  // scope; for a department also a task that does not exist), NOT_FOUND (to
  // reviewers), INVALID_ARGUMENT for a request id the principal used for
  // another request, ABORTED (stale version), FAILED_PRECONDITION
  // (illegal in the task's state), for an approval the store's errors of
  // its re-check, then the row's guards (for an approval, over the
  // re-checked findings) and, for a submit, `Submission::Submit`'s. A
  // request without `expected_version` that would fail FAILED_PRECONDITION
  // because another change to the task committed after it arrived lost a
  // race: ABORTED instead, saying so.
  absl::StatusOr<domain::Task> Act(const domain::Principal& principal,
                                   const ActionRequest& request);
  void ActAsync(const domain::Principal& principal,
                const ActionRequest& request, Callback<domain::Task> done);

 private:
  // Checks a caller's decision (every action but submit) on `task` as read
  // through `store` (the writer's batch) - re-checking the rules on other tasks
  // first for an approval, with what `store` holds - and fills `change` with
  // its task write, decision and event. Returns the resulting task. Errors: the
  // store's, then `CheckTransition`'s, then INVALID_ARGUMENT for a misused
  // `emergency_unjustified`.
  // The caller's permission for `action` on task `task_id`, checked before
  // anything is replayed or queued (workflow/internal/commit_once.h): its
  // role, then its scope against the task as last committed, which it
  // returns. PERMISSION_DENIED (for a department or community also when
  // there is no such task: access.h `HideMissingTask`), NOT_FOUND to the
  // roles that read every task, the store's errors.
  absl::StatusOr<domain::Task> Authorized(const domain::Principal& principal,
                                          const std::string& task_id,
                                          TaskAction action) const;
  // The action on `task` (read through the writer's batch `tx`, authorized,
  // its version checked): fills `change` and returns the resulting task.
  absl::StatusOr<domain::Task> ActOn(store::Store& tx,
                                     const domain::Principal& principal,
                                     const ActionRequest& request,
                                     domain::Task task,
                                     store::ChangeSet& change) const;
  absl::StatusOr<domain::Task> Decide(store::Store& store,
                                      const domain::Principal& principal,
                                      domain::Task task,
                                      const ActionRequest& request,
                                      store::ChangeSet& change) const;

  store::Store& store_;  // reads outside the writer
  Writer& writer_;
  const Clock& clock_;
  const EngineOptions options_;
  const Submission submission_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_TASK_LIFECYCLE_H_
