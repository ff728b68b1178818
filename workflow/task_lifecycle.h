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
  // bad `task_id`; ALREADY_EXISTS when the id is taken.
  absl::StatusOr<domain::Task> CreateTask(const domain::Principal& principal,
                                          const std::string& request_id,
                                          const std::string& task_id,
                                          DraftSpec spec);
  void CreateTaskAsync(const domain::Principal& principal,
                       const std::string& request_id,
                       const std::string& task_id, DraftSpec spec,
                       Callback<domain::Task> done);

  // Replaces the spec of a DRAFT or RETURNED task. Errors, in the order
  // checked: NOT_FOUND, PERMISSION_DENIED (not the task's department),
  // ABORTED (stale version), FAILED_PRECONDITION (another state).
  absl::StatusOr<domain::Task> EditTask(const domain::Principal& principal,
                                        const std::string& request_id,
                                        const std::string& task_id,
                                        int64_t expected_version,
                                        DraftSpec spec);

  // Takes a caller-initiated action. Errors, in the order checked:
  // INVALID_ARGUMENT (bad request or reused request id), NOT_FOUND,
  // PERMISSION_DENIED, ABORTED (stale version), FAILED_PRECONDITION
  // (illegal in the task's state), then the row's guards and, for a submit,
  // `Submission::Submit`'s.
  absl::StatusOr<domain::Task> Act(const domain::Principal& principal,
                                   const ActionRequest& request);
  void ActAsync(const domain::Principal& principal,
                const ActionRequest& request, Callback<domain::Task> done);

 private:
  // Fills `change` with the task write, decision and event of a caller's
  // decision (every action but submit), and returns the resulting task.
  // Reads through `tx`, the writer's batch.
  absl::StatusOr<domain::Task> Decide(store::Store& tx,
                                      const domain::Principal& principal,
                                      domain::Task task, const Transition& row,
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
