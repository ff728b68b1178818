#include "workflow/task_lifecycle.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "common/field_violations.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "workflow/access.h"
#include "workflow/calendars.h"
#include "workflow/internal/changes.h"
#include "workflow/internal/commit_once.h"
#include "workflow/rules.h"
#include "workflow/sla.h"
#include "workflow/statistics_counters.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

using internal::CheckVersion;
using internal::CommitOnce;
using internal::CommitOnceAsync;
using internal::FindingsSummary;
using internal::Fingerprint;
using internal::MakeDecision;
using internal::Outcome;
using internal::Str;
using internal::TaskEvent;
using internal::Touch;
using internal::Wait;
using internal::WriteOf;

constexpr std::string_view kRuleEmergency = "R-EMERGENCY";

// "R-CAPACITY new: community c9", for an approval's audit details.
std::string Noted(const domain::Finding& f, std::string_view how) {
  const std::string concern = DescribeConcern(f);
  return absl::StrCat(f.rule_id, " ", Str(how),
                      concern.empty() ? "" : absl::StrCat(": ", concern));
}

// Task ids are one namespace per district: reviewers, communities and the
// audit log name a task by its id alone. So a department cannot have an id
// another department's task holds, but it must not learn that the task
// exists, nor whose it is: it hears the PERMISSION_DENIED it gets for any
// task outside its scope, existing or not (access.h `TaskOutOfScope`;
// AIP-133: the duplicate is not the caller's to see), and its own taken id
// is ALREADY_EXISTS. Only that an id is taken remains knowable, as it must
// be while ids are chosen by callers; an id left to the server is derived
// from the caller and the request id, and never meets another's.
absl::Status CheckIdFree(store::Store& tx, const std::string& district_id,
                         const domain::Principal& principal,
                         const std::string& task_id) {
  absl::StatusOr<domain::Task> taken = tx.GetTask(district_id, task_id);
  if (absl::IsNotFound(taken.status())) return absl::OkStatus();
  TASKGATE_RETURN_IF_ERROR(taken.status());
  if (taken->department_id != principal.department_id) {
    return absl::PermissionDeniedError(absl::StrCat(
        "department ", principal.department_id, " may not use task id '",
        task_id,
        "'; choose another id, or leave task_id empty and the server "
        "chooses one"));
  }
  return absl::AlreadyExistsError(
      absl::StrCat("task ", task_id,
                   " already exists; choose another id, or leave "
                   "task_id empty and the server chooses one"));
}

}  // namespace

TaskLifecycle::TaskLifecycle(store::Store& store, Writer& writer,
                             const Clock& clock, EngineOptions options)
    : store_(store),
      writer_(writer),
      clock_(clock),
      options_(std::move(options)),
      submission_(clock, options_) {}

absl::StatusOr<domain::Task> TaskLifecycle::CreateTask(
    const domain::Principal& principal, const std::string& request_id,
    const std::string& task_id, DraftSpec spec) {
  return Wait<domain::Task>([&](Callback<domain::Task> done) {
    CreateTaskAsync(principal, request_id, task_id, std::move(spec),
                    std::move(done));
  });
}

void TaskLifecycle::CreateTaskAsync(const domain::Principal& principal,
                                    const std::string& request_id,
                                    const std::string& task_id, DraftSpec spec,
                                    Callback<domain::Task> done) {
  if (absl::Status allowed = CanCreateTask(principal); !allowed.ok()) {
    return done(allowed);
  }
  std::vector<FieldViolation> violations;
  CheckId("task_id", task_id, violations);
  if (!violations.empty()) {
    return done(InvalidArgumentWithViolations(violations));
  }

  domain::Task task;
  task.district_id = options_.district_id;
  task.id = task_id;
  task.department_id = principal.department_id;
  task.spec = std::move(spec).spec();
  task.state = domain::TaskState::kDraft;
  const std::string fingerprint =
      Fingerprint({principal.id, "create", domain::TaskToJson(task)});
  // Runs on the writer's thread after this call returns: captures by value.
  CommitOnceAsync<domain::Task>(
      writer_, store_,
      {options_.district_id, principal.id, request_id, "task.create",
       fingerprint, &domain::TaskToJson, &domain::TaskFromJson},
      [this, task, principal,
       request_id](store::Store& tx) -> absl::StatusOr<Outcome<domain::Task>> {
        TASKGATE_RETURN_IF_ERROR(
            CheckIdFree(tx, options_.district_id, principal, task.id));
        Outcome<domain::Task> out;
        out.value = task;
        out.value.created_at = clock_.Now();
        Touch(out.value, out.value.created_at, options_.time_zone);
        out.change.district_id = options_.district_id;
        out.change.tasks.push_back(WriteOf(out.value));
        out.change.events.push_back(
            TaskEvent(principal, out.value, domain::TaskState::kDraft, "create",
                      out.value.created_at, request_id, ""));
        TASKGATE_RETURN_IF_ERROR(KeepCounters(out.change, options_, tx));
        return out;
      },
      std::move(done));
}

absl::StatusOr<domain::Task> TaskLifecycle::EditTask(
    const domain::Principal& principal, const std::string& request_id,
    const std::string& task_id, int64_t expected_version, DraftSpec draft) {
  TASKGATE_RETURN_IF_ERROR(
      Authorized(principal, task_id, TaskAction::kEdit).status());
  domain::Task probe;
  probe.spec = std::move(draft).spec();
  const std::string fingerprint =
      Fingerprint({principal.id, "edit", task_id,
                   absl::StrCat(expected_version), domain::TaskToJson(probe)});
  return CommitOnce<domain::Task>(
      writer_, store_,
      {options_.district_id, principal.id, request_id, "task.edit", fingerprint,
       &domain::TaskToJson, &domain::TaskFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::Task>> {
        absl::StatusOr<domain::Task> read =
            tx.GetTask(options_.district_id, task_id);
        TASKGATE_RETURN_IF_ERROR(
            HideMissingTask(principal, task_id,
                            TaskActionName(TaskAction::kEdit), read.status()));
        domain::Task task = *std::move(read);
        TASKGATE_RETURN_IF_ERROR(
            AuthorizeAction(principal, task, TaskAction::kEdit));
        TASKGATE_RETURN_IF_ERROR(
            CheckVersion("task", task.id, task, expected_version));
        TASKGATE_RETURN_IF_ERROR(
            CheckTransition(principal, task, TaskAction::kEdit, {}).status());
        const domain::TaskState before = task.state;
        task.spec = probe.spec;
        const absl::Time now = clock_.Now();
        Touch(task, now, options_.time_zone);
        Outcome<domain::Task> out;
        out.change.district_id = options_.district_id;
        out.change.tasks.push_back(WriteOf(task));
        out.change.events.push_back(
            TaskEvent(principal, task, before, "edit", now, request_id, ""));
        TASKGATE_RETURN_IF_ERROR(KeepCounters(out.change, options_, tx));
        out.value = std::move(task);
        return out;
      });
}

absl::StatusOr<domain::Task> TaskLifecycle::Act(
    const domain::Principal& principal, const ActionRequest& request) {
  return Wait<domain::Task>([&](Callback<domain::Task> done) {
    ActAsync(principal, request, std::move(done));
  });
}

void TaskLifecycle::ActAsync(const domain::Principal& principal,
                             const ActionRequest& request,
                             Callback<domain::Task> done) {
  std::vector<FieldViolation> violations;
  CheckId("task_id", request.task_id, violations);
  CheckText("reason", request.reason, kMaxTextLength, false, violations);
  if (request.expected_version < 0) {
    violations.push_back({"expected_version", "must not be negative"});
  }
  if (request.action == TaskAction::kApprove) {
    CheckAcknowledgements(request.acknowledgements, violations);
  } else if (!request.acknowledgements.empty()) {
    violations.push_back(
        {"acknowledgements",
         absl::StrCat("acknowledge findings only to approve; leave them out "
                      "of a request to ",
                      Str(TaskActionName(request.action)))});
  }
  switch (request.action) {
    case TaskAction::kSubmit:
    case TaskAction::kWithdraw:
    case TaskAction::kClaim:
    case TaskAction::kRelease:
    case TaskAction::kApprove:
    case TaskAction::kReject:
    case TaskAction::kReturn:
    case TaskAction::kRevoke:
    case TaskAction::kClose:
      break;
    default:
      violations.push_back(
          {"action", absl::StrCat("'", Str(TaskActionName(request.action)),
                                  "' is taken by the system, not by callers")});
  }
  if (!violations.empty()) {
    return done(InvalidArgumentWithViolations(violations));
  }

  std::vector<std::string> acks;
  for (const domain::Acknowledgement& a : request.acknowledgements) {
    acks.push_back(absl::StrCat(a.rule_id, "=", a.reason));
  }
  const std::string fingerprint = Fingerprint(
      {principal.id, TaskActionName(request.action), request.task_id,
       absl::StrCat(request.expected_version), request.reason,
       absl::StrJoin(acks, "\n"), request.emergency_unjustified ? "1" : "0"});
  // The caller's permission before its request id is looked up (SPEC
  // §4.1; workflow/internal/commit_once.h).
  absl::StatusOr<domain::Task> seen =
      Authorized(principal, request.task_id, request.action);
  if (!seen.ok()) return done(seen.status());
  // Without an etag, the version the task had when the request arrived: a
  // request that another one overtook while it waited for the writer lost
  // a race (ABORTED, SPEC §9), which is not the same as asking for what the
  // task's state never allowed (FAILED_PRECONDITION).
  std::optional<int64_t> arrival_version;
  if (request.expected_version == 0) arrival_version = seen->version;
  // Runs on the writer's thread after this call returns: captures by value.
  CommitOnceAsync<domain::Task>(
      writer_, store_,
      {options_.district_id, principal.id, request.request_id,
       absl::StrCat("task.", Str(TaskActionName(request.action))), fingerprint,
       &domain::TaskToJson, &domain::TaskFromJson},
      [this, principal, request, arrival_version](
          store::Store& tx) -> absl::StatusOr<Outcome<domain::Task>> {
        absl::StatusOr<domain::Task> read =
            tx.GetTask(options_.district_id, request.task_id);
        TASKGATE_RETURN_IF_ERROR(HideMissingTask(principal, request.task_id,
                                                 TaskActionName(request.action),
                                                 read.status()));
        domain::Task task = *std::move(read);
        TASKGATE_RETURN_IF_ERROR(
            AuthorizeAction(principal, task, request.action));
        TASKGATE_RETURN_IF_ERROR(
            CheckVersion("task", task.id, task, request.expected_version));
        const int64_t version = task.version;
        const domain::TaskState state = task.state;
        Outcome<domain::Task> out;
        out.change.district_id = options_.district_id;
        absl::StatusOr<domain::Task> acted =
            ActOn(tx, principal, request, std::move(task), out.change);
        if (absl::IsFailedPrecondition(acted.status()) &&
            arrival_version.has_value() && *arrival_version != version) {
          return absl::AbortedError(absl::StrCat(
              "task ", request.task_id,
              " changed while this request waited (version ", *arrival_version,
              " when it arrived, ", version, " now, ",
              Str(domain::TaskStateName(state)),
              "): read it again and retry if the action is still wanted; "
              "against the task as it is now: ",
              acted.status().message()));
        }
        TASKGATE_ASSIGN_OR_RETURN(out.value, std::move(acted));
        TASKGATE_RETURN_IF_ERROR(KeepCounters(out.change, options_, tx));
        return out;
      },
      std::move(done));
}

absl::StatusOr<domain::Task> TaskLifecycle::Authorized(
    const domain::Principal& principal, const std::string& task_id,
    TaskAction action) const {
  TASKGATE_RETURN_IF_ERROR(AuthorizeRole(principal, action));
  absl::StatusOr<domain::Task> task =
      store_.GetTask(options_.district_id, task_id);
  TASKGATE_RETURN_IF_ERROR(HideMissingTask(
      principal, task_id, TaskActionName(action), task.status()));
  TASKGATE_RETURN_IF_ERROR(AuthorizeAction(principal, *task, action));
  return task;
}

absl::StatusOr<domain::Task> TaskLifecycle::ActOn(
    store::Store& tx, const domain::Principal& principal,
    const ActionRequest& request, domain::Task task,
    store::ChangeSet& change) const {
  if (request.action != TaskAction::kSubmit) {
    return Decide(tx, principal, std::move(task), request, change);
  }
  TASKGATE_RETURN_IF_ERROR(
      CheckTransition(principal, task, request.action,
                      {request.reason, request.acknowledgements})
          .status());
  return submission_.Submit(tx, principal, std::move(task), request.request_id,
                            request.reason, change);
}

absl::StatusOr<domain::Task> TaskLifecycle::Decide(
    store::Store& store, const domain::Principal& principal, domain::Task task,
    const ActionRequest& request, store::ChangeSet& change) const {
  std::map<std::string, std::string> details;
  ActionInput input{request.reason, request.acknowledgements};
  // The approval re-check (SPEC §4.1), before the guards so that they judge
  // the findings of this moment: a finding that disappeared needs no
  // acknowledgement, a new one does, a BLOCK one refuses. Only where an
  // approval is legal at all, so that a wrong state is reported as such.
  if (request.action == TaskAction::kApprove &&
      FindTransition(task.state, TaskAction::kApprove) != nullptr) {
    TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Finding> rechecked,
                              submission_.Recheck(store, task));
    for (const domain::Finding& f : task.findings) {
      if (f.severity == domain::Severity::kWarn) {
        input.earlier_warnings.push_back(f.rule_id);
      }
    }
    std::vector<std::string> fresh;
    for (const domain::Finding& f : rechecked) {
      const FindingChange how = CompareWithCarried(f, task.findings);
      if (how == FindingChange::kUnchanged) continue;
      fresh.push_back(Noted(f, how == FindingChange::kNew ? "new" : "changed"));
    }
    std::vector<std::string> cleared;
    for (const domain::Finding& f : task.findings) {
      if (!DependsOnOtherTasks(f.rule_id)) continue;
      const bool still = std::any_of(
          rechecked.begin(), rechecked.end(), [&](const domain::Finding& r) {
            return CompareWithCarried(r, {f}) != FindingChange::kNew;
          });
      if (!still) cleared.push_back(Noted(f, "cleared"));
    }
    task.findings =
        ReplaceRecheckedFindings(task.findings, std::move(rechecked));
    if (!fresh.empty()) details["findings_new"] = absl::StrJoin(fresh, "; ");
    if (!cleared.empty()) {
      details["findings_cleared"] = absl::StrJoin(cleared, "; ");
    }
  }
  TASKGATE_ASSIGN_OR_RETURN(
      const Transition* checked,
      CheckTransition(principal, task, request.action, input));
  const Transition& row = *checked;
  const domain::TaskState before = task.state;
  const absl::Time now = clock_.Now();
  if (request.emergency_unjustified) {
    const bool applies = before == domain::TaskState::kProvisional &&
                         (row.action == TaskAction::kApprove ||
                          row.action == TaskAction::kReject);
    if (!applies) {
      return InvalidArgumentWithViolations(
          {{"emergency_unjustified",
            "applies only to approving or rejecting a PROVISIONAL task"}});
    }
    domain::Finding unjustified;
    unjustified.rule_id = Str(kRuleEmergency);
    unjustified.severity = domain::Severity::kWarn;
    unjustified.fields = {"emergency", "emergency_reason"};
    unjustified.message =
        absl::StrCat("reviewer ", principal.id,
                     " found the emergency flag unjustified: ", request.reason);
    task.findings.push_back(std::move(unjustified));
    details["finding"] = Str(kRuleEmergency);
  }

  std::optional<domain::DecisionKind> decision;
  switch (row.action) {
    case TaskAction::kClaim:
      task.claimed_by = principal.id;
      task.state = row.to;
      break;
    case TaskAction::kApprove: {
      task.approvals.push_back({principal.id, now});
      task.claimed_by.clear();
      decision = domain::DecisionKind::kApprove;
      const bool first_of_two =
          task.needs_two_approvals && task.approvals.size() < 2;
      task.state = first_of_two ? *row.alternative_to : row.to;
      details["approval"] = absl::StrCat(task.approvals.size(), " of ",
                                         task.needs_two_approvals ? 2 : 1);
      std::vector<std::string> acks;
      for (const domain::Acknowledgement& a : request.acknowledgements) {
        acks.push_back(a.rule_id);
      }
      if (!acks.empty()) details["acknowledged"] = absl::StrJoin(acks, ",");
      details["findings"] = FindingsSummary(task.findings);
      break;
    }
    case TaskAction::kReturn: {
      task.claimed_by.clear();
      task.approvals.clear();  // a return overrides a first approval
      // The days used, counted with the calendar in force at the return.
      TASKGATE_ASSIGN_OR_RETURN(
          const WorkingCalendar calendar,
          CalendarInForce(store, options_.district_id,
                          static_cast<int32_t>(task.sla.clock_start.year())));
      task.sla = PauseClock(task.sla, absl::ToCivilDay(now, options_.time_zone),
                            calendar);
      task.state = row.to;
      decision = domain::DecisionKind::kReturn;
      break;
    }
    case TaskAction::kReject:
      decision = domain::DecisionKind::kReject;
      task.claimed_by.clear();
      task.state = row.to;
      break;
    case TaskAction::kRevoke:
      decision = domain::DecisionKind::kRevoke;
      task.state = row.to;
      break;
    case TaskAction::kRelease:
    case TaskAction::kWithdraw:
    case TaskAction::kClose:
      task.claimed_by.clear();
      task.state = row.to;
      break;
    default:
      return absl::InternalError(absl::StrCat("action ",
                                              Str(TaskActionName(row.action)),
                                              " is not a caller decision"));
  }
  Touch(task, now, options_.time_zone);
  domain::AuditEvent e =
      TaskEvent(principal, task, before, TaskActionName(row.action), now,
                request.request_id, request.reason);
  for (auto& [k, v] : details) e.details[k] = v;
  change.events.push_back(std::move(e));
  if (decision.has_value()) {
    change.decisions.push_back(MakeDecision(principal, task, *decision,
                                            request.reason,
                                            request.acknowledgements, now));
  }
  change.tasks.push_back(WriteOf(task));
  return task;
}

}  // namespace taskgate::workflow
