// The task lifecycle of SPEC §5 as ONE table: (state, action) -> next state,
// the roles allowed, and the guards the engine must check.
//
// Everything that moves a task - a department's submit, a reviewer's
// decision, the system's routing at submit, SLA escalation and automatic
// completion - is a row here; the engine refuses any move the table lacks.
// The table is constant data and the functions are pure; thread-safe.
#ifndef TASKGATE_WORKFLOW_TRANSITIONS_H_
#define TASKGATE_WORKFLOW_TRANSITIONS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "domain/types.h"

namespace taskgate::workflow {

enum class TaskAction {
  kEdit,
  kSubmit,
  kWithdraw,
  kClaim,
  kRelease,
  kApprove,
  kReject,
  kReturn,
  kRevoke,
  kClose,  // the department ends an ACTIVE task early
  // Taken by the system right after a submit (SPEC §4.1 routing):
  kRejectByNegativeList,
  kAdmitProvisionally,
  kAdmitByDutyList,
  // Taken by the system from the timer:
  kEscalate,  // review SLA passed
  kExpire,    // ACTIVE past its end date
};

std::string_view TaskActionName(TaskAction action);
std::optional<TaskAction> ParseTaskAction(std::string_view name);

// Conditions a row imposes beyond state and role.
enum Guard : uint32_t {
  kGuardNone = 0,
  // Scope guards: independent of state, checked before it (a principal who
  // may never act on the task gets PERMISSION_DENIED whatever its state).
  kOwnDepartment = 1U << 0,      // department clerk of the task's department
  kNotHomeDepartment = 1U << 1,  // reviewer not of the task's department
  // State guards: checked after the state.
  kHoldsClaim = 1U << 2,            // the principal holds the task's claim
  kUnclaimed = 1U << 3,             // nobody holds the claim
  kNotFirstApprover = 1U << 4,      // did not give this round's first approval
  kNoBlockFindings = 1U << 5,       // a reviewer cannot approve past BLOCK
  kWarningsAcknowledged = 1U << 6,  // each WARN acknowledged with a reason
  kReasonRequired = 1U << 7,
};

inline constexpr uint32_t kScopeGuards = kOwnDepartment | kNotHomeDepartment;

// A bit per Role.
using RoleMask = uint32_t;
constexpr RoleMask RoleBit(domain::Role role) {
  return 1U << static_cast<uint32_t>(role);
}

struct Transition {
  domain::TaskState from;
  TaskAction action;
  RoleMask roles;
  domain::TaskState to;
  // A second outcome the engine may choose instead of `to`: the first of two
  // approvals (back to the queue), or SLA escalation with release.
  std::optional<domain::TaskState> alternative_to;
  uint32_t guards;
};

// The whole table, in lifecycle order.
std::span<const Transition> TransitionTable();

// The row for (state, action), or nullptr.
const Transition* FindTransition(domain::TaskState from, TaskAction action);

// What the principal brings to an action, for the guards.
struct ActionInput {
  std::string reason;
  std::vector<domain::Acknowledgement> acknowledgements;
  // The rule ids of the WARN findings the task carried before an approval's
  // re-check: an acknowledgement may name one that the re-check cleared
  // (the reviewer saw it), besides the WARN findings of `task.findings`.
  std::vector<std::string> earlier_warnings = {};
};

// Checks the role part of step 1 below alone: whether `principal`'s role
// takes `action` on any task. PERMISSION_DENIED if not. Needs no task, so
// that a caller can be refused before anything is read or replayed.
absl::Status AuthorizeRole(const domain::Principal& principal,
                           TaskAction action);

// Checks step 1 below alone: whether `principal` could ever take `action`
// on `task`, whatever its state. PERMISSION_DENIED if not; for a department
// and another's task, the answer `TaskOutOfScope` (workflow/access.h) gives
// for a task that does not exist, naming neither.
absl::Status AuthorizeAction(const domain::Principal& principal,
                             const domain::Task& task, TaskAction action);

// Checks that `principal` may take `action` on `task` now, in this order:
//   1. role and scope, over every row of `action`: PERMISSION_DENIED;
//   2. a row for the task's state: FAILED_PRECONDITION naming state and
//      action and the states it is allowed from;
//   3. the row's state guards: PERMISSION_DENIED for a first approver,
//      FAILED_PRECONDITION for claims and BLOCK findings, INVALID_ARGUMENT
//      (with field violations) for a missing reason or acknowledgement, or
//      an acknowledgement naming no WARN finding of the task
//      ("acknowledgements[i].rule_id").
//      The finding guards read `task.findings` and name each finding with
//      what it concerns and its message; for an approval the caller has
//      replaced those of the rules on other tasks with a re-check first
//      (SPEC §4.1, workflow/task_lifecycle.h).
// Returns the row on success.
absl::StatusOr<const Transition*> CheckTransition(
    const domain::Principal& principal, const domain::Task& task,
    TaskAction action, const ActionInput& input);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_TRANSITIONS_H_
