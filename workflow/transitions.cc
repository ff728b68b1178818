#include "workflow/transitions.h"

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "common/field_violations.h"
#include "common/safe_text.h"
#include "common/status_macros.h"
#include "workflow/access.h"
#include "workflow/rules.h"

namespace taskgate::workflow {
namespace {

using S = domain::TaskState;
using A = TaskAction;

constexpr RoleMask kDept = RoleBit(domain::Role::kDepartment);
constexpr RoleMask kReviewer = RoleBit(domain::Role::kReviewer);
constexpr RoleMask kSystem = RoleBit(domain::Role::kSystem);

// Guards shared by every reviewer decision on a claimed task.
constexpr uint32_t kDecide = kNotHomeDepartment | kHoldsClaim;

// clang-format off
constexpr std::array kTable = {
  //         from            action                    roles     to             alternative     guards
  Transition{S::kDraft,       A::kEdit,                 kDept,     S::kDraft,       {},             kOwnDepartment},
  Transition{S::kReturned,    A::kEdit,                 kDept,     S::kReturned,    {},             kOwnDepartment},
  Transition{S::kDraft,       A::kSubmit,               kDept,     S::kSubmitted,   {},             kOwnDepartment},
  Transition{S::kReturned,    A::kSubmit,               kDept,     S::kSubmitted,   {},             kOwnDepartment},
  // Routing right after submit, in SPEC §4.1's order.
  Transition{S::kSubmitted,   A::kRejectByNegativeList, kSystem,   S::kRejected,    {},             kGuardNone},
  Transition{S::kSubmitted,   A::kAdmitProvisionally,   kSystem,   S::kProvisional, {},             kGuardNone},
  Transition{S::kSubmitted,   A::kAdmitByDutyList,      kSystem,   S::kActive,      {},             kGuardNone},
  // Review.
  Transition{S::kSubmitted,   A::kClaim,                kReviewer, S::kInReview,    {},             kNotHomeDepartment | kNotFirstApprover},
  Transition{S::kProvisional, A::kClaim,                kReviewer, S::kProvisional, {},             kNotHomeDepartment | kNotFirstApprover | kUnclaimed},
  Transition{S::kInReview,    A::kRelease,              kReviewer, S::kSubmitted,   {},             kDecide},
  Transition{S::kProvisional, A::kRelease,              kReviewer, S::kProvisional, {},             kDecide},
  Transition{S::kInReview,    A::kApprove,              kReviewer, S::kActive,      S::kSubmitted,  kDecide | kNotFirstApprover | kNoBlockFindings | kWarningsAcknowledged},
  Transition{S::kProvisional, A::kApprove,              kReviewer, S::kActive,      S::kProvisional, kDecide | kNotFirstApprover | kNoBlockFindings | kWarningsAcknowledged},
  Transition{S::kInReview,    A::kReject,               kReviewer, S::kRejected,    {},             kDecide | kReasonRequired},
  Transition{S::kProvisional, A::kReject,               kReviewer, S::kRevoked,     {},             kDecide | kReasonRequired},
  Transition{S::kInReview,    A::kReturn,               kReviewer, S::kReturned,    {},             kDecide | kReasonRequired},
  // The department takes its task back.
  Transition{S::kSubmitted,   A::kWithdraw,             kDept,     S::kWithdrawn,   {},             kOwnDepartment},
  Transition{S::kInReview,    A::kWithdraw,             kDept,     S::kWithdrawn,   {},             kOwnDepartment},
  Transition{S::kReturned,    A::kWithdraw,             kDept,     S::kWithdrawn,   {},             kOwnDepartment},
  Transition{S::kProvisional, A::kWithdraw,             kDept,     S::kWithdrawn,   {},             kOwnDepartment},
  // After admission.
  Transition{S::kActive,      A::kRevoke,               kReviewer, S::kRevoked,     {},             kNotHomeDepartment | kReasonRequired},
  Transition{S::kActive,      A::kClose,                kDept,     S::kCompleted,   {},             kOwnDepartment},
  // Timers.
  Transition{S::kSubmitted,   A::kEscalate,             kSystem,   S::kSubmitted,   {},             kGuardNone},
  Transition{S::kInReview,    A::kEscalate,             kSystem,   S::kInReview,    S::kSubmitted,  kGuardNone},
  Transition{S::kProvisional, A::kEscalate,             kSystem,   S::kProvisional, {},             kGuardNone},
  Transition{S::kActive,      A::kExpire,               kSystem,   S::kCompleted,   {},             kGuardNone},
};
// clang-format on

constexpr std::array<std::pair<TaskAction, std::string_view>, 15> kNames = {{
    {A::kEdit, "edit"},
    {A::kSubmit, "submit"},
    {A::kWithdraw, "withdraw"},
    {A::kClaim, "claim"},
    {A::kRelease, "release"},
    {A::kApprove, "approve"},
    {A::kReject, "reject"},
    {A::kReturn, "return"},
    {A::kRevoke, "revoke"},
    {A::kClose, "close"},
    {A::kRejectByNegativeList, "reject_negative_list"},
    {A::kAdmitProvisionally, "admit_provisional"},
    {A::kAdmitByDutyList, "admit_duty_list"},
    {A::kEscalate, "escalate"},
    {A::kExpire, "expire"},
}};

std::string Str(std::string_view s) { return std::string(s); }

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isspace(static_cast<unsigned char>(c));
  });
}

// "R-CAPACITY (community c9: over monthly capacity ...)": the rule, what
// it concerns and its message, so that a reviewer refused for a finding
// found only now (an approval's re-check) learns what it is.
std::string Described(const domain::Finding& f) {
  std::vector<std::string> parts;
  if (std::string concern = DescribeConcern(f); !concern.empty()) {
    parts.push_back(std::move(concern));
  }
  if (!f.message.empty()) parts.push_back(f.message);
  if (parts.empty()) return f.rule_id;
  return absl::StrCat(f.rule_id, " (", absl::StrJoin(parts, ": "), ")");
}

bool ApprovedThisRound(const domain::Principal& principal,
                       const domain::Task& task) {
  return std::any_of(
      task.approvals.begin(), task.approvals.end(),
      [&](const domain::Approval& a) { return a.reviewer_id == principal.id; });
}

absl::Status CheckScope(const domain::Principal& principal,
                        const domain::Task& task, TaskAction action,
                        uint32_t scope_guards) {
  if ((scope_guards & kOwnDepartment) != 0 &&
      principal.department_id != task.department_id) {
    // Says no more than for a task that does not exist (access.h).
    return TaskOutOfScope(principal, task.id, TaskActionName(action));
  }
  if ((scope_guards & kNotHomeDepartment) != 0 &&
      !principal.home_department_id.empty() &&
      principal.home_department_id == task.department_id) {
    return absl::PermissionDeniedError(absl::StrCat(
        "reviewer ", principal.id, " belongs to department ",
        task.department_id, " and may not ", Str(TaskActionName(action)),
        " its task ", task.id, "; another reviewer must decide it"));
  }
  return absl::OkStatus();
}

absl::Status CheckStateGuards(const domain::Principal& principal,
                              const domain::Task& task, const Transition& row,
                              const ActionInput& input) {
  const std::string action(TaskActionName(row.action));
  if ((row.guards & kNotFirstApprover) != 0 &&
      ApprovedThisRound(principal, task)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "reviewer ", principal.id, " gave the first approval of task ", task.id,
        "; a different reviewer must ", action, " it"));
  }
  if ((row.guards & kUnclaimed) != 0 && !task.claimed_by.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("task ", task.id, " is already claimed by ",
                     task.claimed_by, "; it may be claimed once released"));
  }
  if ((row.guards & kHoldsClaim) != 0 && task.claimed_by != principal.id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "task ", task.id, " is ",
        task.claimed_by.empty() ? std::string("not claimed")
                                : absl::StrCat("claimed by ", task.claimed_by),
        "; claim it before you ", action, " it"));
  }
  if ((row.guards & kNoBlockFindings) != 0) {
    for (const domain::Finding& f : task.findings) {
      if (f.severity == domain::Severity::kBlock) {
        return absl::FailedPreconditionError(absl::StrCat(
            "task ", task.id, " has BLOCK finding ", Described(f),
            " and cannot be approved; reject it or return it for revision"));
      }
    }
  }
  std::vector<FieldViolation> violations;
  if ((row.guards & kReasonRequired) != 0 && IsBlank(input.reason)) {
    violations.push_back(
        {"reason", absl::StrCat("a reason is required to ", action,
                                " a task; say why in a sentence")});
  }
  if ((row.guards & kWarningsAcknowledged) != 0) {
    for (const domain::Finding& f : task.findings) {
      if (f.severity != domain::Severity::kWarn) continue;
      const bool acknowledged = std::any_of(
          input.acknowledgements.begin(), input.acknowledgements.end(),
          [&](const domain::Acknowledgement& a) {
            return a.rule_id == f.rule_id && !IsBlank(a.reason);
          });
      if (!acknowledged) {
        violations.push_back(
            {"acknowledgements",
             absl::StrCat("WARN finding ", Described(f),
                          " must be acknowledged with a reason to approve")});
      }
    }
    // What the decision records must be about this task: each
    // acknowledgement names one of its WARN findings.
    std::set<std::string> warned(input.earlier_warnings.begin(),
                                 input.earlier_warnings.end());
    for (const domain::Finding& f : task.findings) {
      if (f.severity == domain::Severity::kWarn) warned.insert(f.rule_id);
    }
    for (size_t i = 0; i < input.acknowledgements.size(); ++i) {
      const std::string& rule = input.acknowledgements[i].rule_id;
      if (warned.contains(rule)) continue;
      violations.push_back(
          {absl::StrCat("acknowledgements[", i, "].rule_id"),
           absl::StrCat(
               "'", EchoValue(rule), "' names no WARN finding of task ",
               task.id,
               warned.empty()
                   ? "; it has none: send no acknowledgements"
                   : absl::StrCat("; acknowledge only its WARN findings (",
                                  absl::StrJoin(warned, ", "), ")"))});
    }
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  return absl::OkStatus();
}

}  // namespace

std::string_view TaskActionName(TaskAction action) {
  for (const auto& [a, name] : kNames) {
    if (a == action) return name;
  }
  return "unknown";
}

std::optional<TaskAction> ParseTaskAction(std::string_view name) {
  for (const auto& [a, n] : kNames) {
    if (n == name) return a;
  }
  return std::nullopt;
}

std::span<const Transition> TransitionTable() { return kTable; }

const Transition* FindTransition(domain::TaskState from, TaskAction action) {
  for (const Transition& row : kTable) {
    if (row.from == from && row.action == action) return &row;
  }
  return nullptr;
}

absl::Status AuthorizeRole(const domain::Principal& principal,
                           TaskAction action) {
  RoleMask roles = 0;
  for (const Transition& row : kTable) {
    if (row.action == action) roles |= row.roles;
  }
  if ((roles & RoleBit(principal.role)) == 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", Str(domain::RoleName(principal.role)),
                     " may not ", Str(TaskActionName(action)), " tasks"));
  }
  return absl::OkStatus();
}

absl::Status AuthorizeAction(const domain::Principal& principal,
                             const domain::Task& task, TaskAction action) {
  TASKGATE_RETURN_IF_ERROR(AuthorizeRole(principal, action));
  uint32_t scope_guards = 0;
  for (const Transition& row : kTable) {
    if (row.action == action) scope_guards |= row.guards & kScopeGuards;
  }
  return CheckScope(principal, task, action, scope_guards);
}

absl::StatusOr<const Transition*> CheckTransition(
    const domain::Principal& principal, const domain::Task& task,
    TaskAction action, const ActionInput& input) {
  // 1. Could this principal ever take this action on this task?
  if (absl::Status s = AuthorizeAction(principal, task, action); !s.ok()) {
    return s;
  }
  // 2. Is the action legal in the task's state?
  const Transition* row = FindTransition(task.state, action);
  if (row == nullptr) {
    std::vector<std::string> allowed_from;
    for (const Transition& r : kTable) {
      if (r.action == action)
        allowed_from.emplace_back(domain::TaskStateName(r.from));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "task ", task.id, " is ", Str(domain::TaskStateName(task.state)),
        "; action ", Str(TaskActionName(action)), " is allowed only from ",
        absl::StrJoin(allowed_from, ", ")));
  }
  // 3. The row's own conditions.
  if (absl::Status s = CheckStateGuards(principal, task, *row, input);
      !s.ok()) {
    return s;
  }
  return row;
}

}  // namespace taskgate::workflow
