#include "workflow/engine.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "audit/merkle.h"
#include "common/field_violations.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "workflow/access.h"
#include "workflow/internal/commit_once.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

using internal::CommitOnce;
using internal::Fingerprint;
using internal::Outcome;

constexpr std::string_view kRuleEmergency = "R-EMERGENCY";

std::string Str(std::string_view s) { return std::string(s); }

domain::AuditEvent TaskEvent(const domain::Principal& actor,
                             const domain::Task& after,
                             domain::TaskState before, std::string_view action,
                             absl::Time now, const std::string& request_id,
                             const std::string& reason) {
  domain::AuditEvent e;
  e.district_id = after.district_id;
  e.time = now;
  e.actor_id = actor.id;
  e.actor_role = actor.role;
  e.action = absl::StrCat("task.", Str(action));
  e.entity_type = "task";
  e.entity_id = after.id;
  e.state_before = Str(domain::TaskStateName(before));
  e.state_after = Str(domain::TaskStateName(after.state));
  e.reason = reason;
  e.request_id = request_id;
  e.department_id = after.department_id;
  e.community_ids = after.resolved_communities.empty()
                        ? after.spec.target_communities
                        : after.resolved_communities;
  e.details["version"] = absl::StrCat(after.version);
  return e;
}

std::string FindingsSummary(const std::vector<domain::Finding>& findings) {
  std::vector<std::string> parts;
  for (const domain::Finding& f : findings) {
    parts.push_back(
        absl::StrCat(f.rule_id, ":", Str(domain::SeverityName(f.severity))));
  }
  return absl::StrJoin(parts, ",");
}

bool HasBlock(const std::vector<domain::Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const domain::Finding& f) {
                       return f.severity == domain::Severity::kBlock;
                     });
}

// Puts `task` one version further and keeps its derived timer current.
void Touch(domain::Task& task, absl::Time now, absl::TimeZone tz) {
  ++task.version;
  task.updated_at = now;
  task.timer_at = TimerFor(task, tz);
}

store::TaskWrite WriteOf(const domain::Task& task) {
  return store::TaskWrite{task, task.version - 1};
}

domain::Decision MakeDecision(const domain::Principal& actor,
                              const domain::Task& task,
                              domain::DecisionKind kind, std::string reason,
                              std::vector<domain::Acknowledgement> acks,
                              absl::Time now) {
  domain::Decision d;
  d.district_id = task.district_id;
  d.task_id = task.id;
  d.kind = kind;
  d.decided_by = actor.id;
  d.decided_by_role = actor.role;
  d.reason = std::move(reason);
  d.acknowledgements = std::move(acks);
  d.catalog_version = task.catalog_version;
  d.decided_at = now;
  return d;
}

absl::Status CheckVersion(const domain::Task& task, int64_t expected_version) {
  if (expected_version != 0 && expected_version != task.version) {
    return absl::AbortedError(
        absl::StrCat("task ", task.id, " is at version ", task.version,
                     ", not ", expected_version,
                     "; it was changed by someone else: reload it and "
                     "retry"));
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<absl::Time> TimerFor(const domain::Task& task,
                                   absl::TimeZone tz) {
  switch (task.state) {
    case domain::TaskState::kSubmitted:
    case domain::TaskState::kInReview:
    case domain::TaskState::kProvisional:
      if (!task.sla.overdue && task.sla.due_date.has_value()) {
        return EndOfDay(*task.sla.due_date, tz);
      }
      return std::nullopt;
    case domain::TaskState::kActive:
      return EndOfDay(task.spec.end_date, tz);
    default:
      return std::nullopt;
  }
}

Engine::Engine(store::Store& store, const Clock& clock, EngineOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

absl::CivilDay Engine::Today() const {
  return absl::ToCivilDay(clock_.Now(), options_.time_zone);
}

absl::StatusOr<domain::District> Engine::EnsureDistrict(
    const std::string& name) {
  absl::StatusOr<domain::District> existing =
      store_.GetDistrict(options_.district_id);
  if (existing.ok() || !absl::IsNotFound(existing.status())) return existing;
  domain::District district{options_.district_id, name, "Asia/Shanghai"};
  store::ChangeSet change;
  change.district_id = district.id;
  change.district = district;
  domain::AuditEvent e;
  e.district_id = district.id;
  e.time = clock_.Now();
  e.actor_id = "system";
  e.actor_role = domain::Role::kSystem;
  e.action = "district.create";
  e.entity_type = "district";
  e.entity_id = district.id;
  e.details["name"] = name;
  change.events.push_back(std::move(e));
  absl::StatusOr<store::CommitResult> committed = store_.Commit(change);
  if (!committed.ok() && !absl::IsAlreadyExists(committed.status())) {
    return committed.status();
  }
  return store_.GetDistrict(district.id);
}

absl::StatusOr<domain::CatalogVersion> Engine::PublishCatalog(
    const domain::Principal& principal, const std::string& request_id,
    std::vector<domain::CatalogItem> items, const std::string& note) {
  TASKGATE_RETURN_IF_ERROR(CanPublishCatalog(principal));
  std::vector<FieldViolation> violations = ValidateCatalogItems(items);
  CheckText("note", note, kMaxTextLength, false, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  domain::CatalogVersion draft;
  draft.district_id = options_.district_id;
  draft.items = std::move(items);
  draft.note = note;
  const std::string fingerprint =
      Fingerprint({principal.id, domain::CatalogToJson(draft)});
  return CommitOnce<domain::CatalogVersion>(
      store_, options_.district_id, request_id, "catalog.publish", fingerprint,
      &domain::CatalogToJson, &domain::CatalogFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::CatalogVersion>> {
        int64_t latest = 0;
        absl::StatusOr<domain::CatalogVersion> current =
            store_.GetCatalog(options_.district_id, 0);
        if (current.ok()) {
          latest = current->version;
        } else if (!absl::IsNotFound(current.status())) {
          return current.status();
        }
        Outcome<domain::CatalogVersion> out;
        out.value = draft;
        out.value.version = latest + 1;
        out.value.published_at = clock_.Now();
        out.value.published_by = principal.id;
        std::map<domain::ListKind, int> counts;
        for (const domain::CatalogItem& item : out.value.items)
          ++counts[item.kind];
        domain::AuditEvent e;
        e.district_id = options_.district_id;
        e.time = out.value.published_at;
        e.actor_id = principal.id;
        e.actor_role = principal.role;
        e.action = "catalog.publish";
        e.entity_type = "catalog";
        e.entity_id = absl::StrCat(out.value.version);
        e.reason = note;
        e.request_id = request_id;
        e.details["duty_items"] = absl::StrCat(counts[domain::ListKind::kDuty]);
        e.details["assist_items"] =
            absl::StrCat(counts[domain::ListKind::kAssist]);
        e.details["negative_items"] =
            absl::StrCat(counts[domain::ListKind::kNegative]);
        e.details["previous_version"] = absl::StrCat(latest);
        out.change.district_id = options_.district_id;
        out.change.catalog = out.value;
        out.change.events.push_back(std::move(e));
        return out;
      });
}

absl::StatusOr<domain::Community> Engine::PutCommunity(
    const domain::Principal& principal, const std::string& request_id,
    domain::Community community, int64_t expected_version) {
  TASKGATE_RETURN_IF_ERROR(CanPutCommunity(principal));
  community.district_id = options_.district_id;
  if (community.monthly_capacity_hours == 0) {
    community.monthly_capacity_hours = community.staff_count * 20.0;
  }
  std::vector<FieldViolation> violations = ValidateCommunity(community);
  if (expected_version < 0) {
    violations.push_back({"expected_version", "must not be negative"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  community.version = expected_version + 1;
  const std::string fingerprint =
      Fingerprint({principal.id, domain::CommunityToJson(community)});
  return CommitOnce<domain::Community>(
      store_, options_.district_id, request_id, "community.put", fingerprint,
      &domain::CommunityToJson, &domain::CommunityFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::Community>> {
        Outcome<domain::Community> out;
        out.value = community;
        domain::AuditEvent e;
        e.district_id = options_.district_id;
        e.time = clock_.Now();
        e.actor_id = principal.id;
        e.actor_role = principal.role;
        e.action =
            expected_version == 0 ? "community.create" : "community.update";
        e.entity_type = "community";
        e.entity_id = community.id;
        e.request_id = request_id;
        e.community_ids = {community.id};
        e.details["body"] = domain::CommunityToJson(community);
        out.change.district_id = options_.district_id;
        out.change.communities.push_back({community, expected_version});
        out.change.events.push_back(std::move(e));
        return out;
      });
}

absl::StatusOr<domain::Task> Engine::CreateTask(
    const domain::Principal& principal, const std::string& request_id,
    const std::string& task_id, domain::TaskSpec spec) {
  TASKGATE_RETURN_IF_ERROR(CanCreateTask(principal));
  std::vector<FieldViolation> violations;
  CheckId("task_id", task_id, violations);
  for (FieldViolation& v : ValidateTaskSpec(spec, false, "task.")) {
    violations.push_back(std::move(v));
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  domain::Task task;
  task.district_id = options_.district_id;
  task.id = task_id;
  task.department_id = principal.department_id;
  task.spec = std::move(spec);
  task.state = domain::TaskState::kDraft;
  const std::string fingerprint =
      Fingerprint({principal.id, "create", domain::TaskToJson(task)});
  return CommitOnce<domain::Task>(
      store_, options_.district_id, request_id, "task.create", fingerprint,
      &domain::TaskToJson, &domain::TaskFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::Task>> {
        Outcome<domain::Task> out;
        out.value = task;
        out.value.created_at = clock_.Now();
        Touch(out.value, out.value.created_at, options_.time_zone);
        out.change.district_id = options_.district_id;
        out.change.tasks.push_back(WriteOf(out.value));
        out.change.events.push_back(
            TaskEvent(principal, out.value, domain::TaskState::kDraft, "create",
                      out.value.created_at, request_id, ""));
        return out;
      });
}

absl::StatusOr<domain::Task> Engine::EditTask(
    const domain::Principal& principal, const std::string& request_id,
    const std::string& task_id, int64_t expected_version,
    domain::TaskSpec spec) {
  if (std::vector<FieldViolation> violations =
          ValidateTaskSpec(spec, false, "task.");
      !violations.empty()) {
    return InvalidArgumentWithViolations(violations);
  }
  domain::Task probe;
  probe.spec = spec;
  const std::string fingerprint =
      Fingerprint({principal.id, "edit", task_id,
                   absl::StrCat(expected_version), domain::TaskToJson(probe)});
  return CommitOnce<domain::Task>(
      store_, options_.district_id, request_id, "task.edit", fingerprint,
      &domain::TaskToJson, &domain::TaskFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::Task>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Task task, store_.GetTask(options_.district_id, task_id));
        TASKGATE_RETURN_IF_ERROR(
            AuthorizeAction(principal, task, TaskAction::kEdit));
        TASKGATE_RETURN_IF_ERROR(CheckVersion(task, expected_version));
        TASKGATE_RETURN_IF_ERROR(
            CheckTransition(principal, task, TaskAction::kEdit, {}).status());
        const domain::TaskState before = task.state;
        task.spec = spec;
        const absl::Time now = clock_.Now();
        Touch(task, now, options_.time_zone);
        Outcome<domain::Task> out;
        out.change.district_id = options_.district_id;
        out.change.tasks.push_back(WriteOf(task));
        out.change.events.push_back(
            TaskEvent(principal, task, before, "edit", now, request_id, ""));
        out.value = std::move(task);
        return out;
      });
}

absl::StatusOr<domain::Task> Engine::GetTask(const std::string& task_id) {
  return store_.GetTask(options_.district_id, task_id);
}

absl::StatusOr<domain::Task> Engine::Act(const domain::Principal& principal,
                                         const ActionRequest& request) {
  std::vector<FieldViolation> violations;
  CheckId("task_id", request.task_id, violations);
  CheckText("reason", request.reason, kMaxTextLength, false, violations);
  if (request.expected_version < 0) {
    violations.push_back({"expected_version", "must not be negative"});
  }
  for (size_t i = 0; i < request.acknowledgements.size(); ++i) {
    CheckText(absl::StrCat("acknowledgements[", i, "].reason"),
              request.acknowledgements[i].reason, kMaxTextLength, false,
              violations);
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
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  std::vector<std::string> acks;
  for (const domain::Acknowledgement& a : request.acknowledgements) {
    acks.push_back(absl::StrCat(a.rule_id, "=", a.reason));
  }
  const std::string fingerprint = Fingerprint(
      {principal.id, TaskActionName(request.action), request.task_id,
       absl::StrCat(request.expected_version), request.reason,
       absl::StrJoin(acks, "\n"), request.emergency_unjustified ? "1" : "0"});
  return CommitOnce<domain::Task>(
      store_, options_.district_id, request.request_id,
      absl::StrCat("task.", Str(TaskActionName(request.action))), fingerprint,
      &domain::TaskToJson, &domain::TaskFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::Task>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Task task,
            store_.GetTask(options_.district_id, request.task_id));
        TASKGATE_RETURN_IF_ERROR(
            AuthorizeAction(principal, task, request.action));
        TASKGATE_RETURN_IF_ERROR(CheckVersion(task, request.expected_version));
        TASKGATE_ASSIGN_OR_RETURN(
            const Transition* row,
            CheckTransition(principal, task, request.action,
                            {request.reason, request.acknowledgements}));
        Outcome<domain::Task> out;
        out.change.district_id = options_.district_id;
        if (request.action == TaskAction::kSubmit) {
          TASKGATE_ASSIGN_OR_RETURN(
              out.value,
              Submit(principal, std::move(task), request, out.change));
        } else {
          TASKGATE_ASSIGN_OR_RETURN(
              out.value,
              Decide(principal, std::move(task), *row, request, out.change));
        }
        return out;
      });
}

absl::StatusOr<domain::Task> Engine::Submit(const domain::Principal& principal,
                                            domain::Task task,
                                            const ActionRequest& request,
                                            store::ChangeSet& change) {
  const std::string& district = options_.district_id;
  std::vector<FieldViolation> violations =
      ValidateTaskSpec(task.spec, true, "task.");
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  absl::StatusOr<domain::CatalogVersion> catalog =
      store_.GetCatalog(district, 0);
  if (absl::IsNotFound(catalog.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no catalog (准入清单) has been published in district ", district,
        "; an admin must publish the lists before tasks can be submitted"));
  }
  TASKGATE_RETURN_IF_ERROR(catalog.status());
  const domain::CatalogItem* item = nullptr;
  if (!task.spec.item_code.empty()) {
    item = FindItem(*catalog, task.spec.item_code);
    if (item == nullptr) {
      violations.push_back(
          {"task.item_code",
           absl::StrCat("'", task.spec.item_code,
                        "' is on no list of catalog version ", catalog->version,
                        "; use a listed code, or leave it empty for a new "
                        "item (清单外事项) with a justification")});
    }
  }

  // Resolve the target communities, streets expanded.
  std::map<std::string, domain::Community> communities;
  for (size_t i = 0; i < task.spec.target_communities.size(); ++i) {
    const std::string& id = task.spec.target_communities[i];
    absl::StatusOr<domain::Community> c = store_.GetCommunity(district, id);
    if (absl::IsNotFound(c.status())) {
      violations.push_back(
          {absl::StrCat("task.target_communities[", i, "]"),
           absl::StrCat("community '", id, "' does not exist in district ",
                        district)});
      continue;
    }
    TASKGATE_RETURN_IF_ERROR(c.status());
    communities.emplace(id, *std::move(c));
  }
  for (size_t i = 0; i < task.spec.target_streets.size(); ++i) {
    const std::string& street = task.spec.target_streets[i];
    TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Community> of_street,
                              store_.ListCommunities(district, street));
    if (of_street.empty()) {
      violations.push_back(
          {absl::StrCat("task.target_streets[", i, "]"),
           absl::StrCat("street '", street, "' has no communities in district ",
                        district)});
    }
    for (domain::Community& c : of_street)
      communities.emplace(c.id, std::move(c));
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  std::vector<domain::Community> targets;
  task.resolved_communities.clear();
  for (auto& [id, c] : communities) {
    task.resolved_communities.push_back(id);
    targets.push_back(std::move(c));
  }

  // What already counts in those communities' workloads.
  std::map<std::string, domain::Task> in_force;
  for (const std::string& id : task.resolved_communities) {
    store::TaskQuery q;
    q.district_id = district;
    q.community_id = id;
    q.states = {domain::TaskState::kActive, domain::TaskState::kProvisional};
    TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Task> found,
                              store_.ListTasks(q));
    for (domain::Task& t : found) {
      if (t.id != task.id) in_force.emplace(t.id, std::move(t));
    }
  }
  std::vector<domain::Task> workload;
  for (auto& [id, t] : in_force) workload.push_back(std::move(t));
  std::vector<domain::Task> department_tasks;
  if (!task.spec.item_code.empty()) {
    store::TaskQuery q;
    q.district_id = district;
    q.department_id = task.department_id;
    q.item_code = task.spec.item_code;
    TASKGATE_ASSIGN_OR_RETURN(department_tasks, store_.ListTasks(q));
    std::erase_if(department_tasks,
                  [&](const domain::Task& t) { return t.id == task.id; });
  }

  const absl::Time now = clock_.Now();
  const absl::CivilDay today = absl::ToCivilDay(now, options_.time_zone);
  const RuleInput input{task,          *catalog,         targets,
                        workload,      department_tasks, today,
                        options_.rules};
  task.findings = EvaluateRules(input);
  task.catalog_version = catalog->version;
  task.needs_two_approvals = NeedsTwoApprovals(task, options_.rules);
  task.approvals.clear();
  task.claimed_by.clear();
  task.admitted_by_duty_list = false;
  task.submitted_at = now;
  const domain::TaskState before = task.state;
  task.state = domain::TaskState::kSubmitted;
  task.sla = StartClock(task.sla, today, options_.sla.review_working_days,
                        options_.calendar);

  // Routing right after submit, in SPEC §4.1's order.
  std::optional<TaskAction> route;
  std::string route_reason;
  auto negative = std::find_if(
      task.findings.begin(), task.findings.end(),
      [](const domain::Finding& f) { return f.rule_id == kRuleNegative; });
  if (negative != task.findings.end()) {
    route = TaskAction::kRejectByNegativeList;
    route_reason = absl::StrCat(
        "matches negative-list (负面清单) item ", negative->catalog_item_code,
        " of catalog version ", catalog->version, ": ", negative->message);
  } else if (task.spec.emergency && !HasBlock(task.findings)) {
    route = TaskAction::kAdmitProvisionally;
    route_reason = absl::StrCat("emergency: ", task.spec.emergency_reason);
    task.sla =
        StartClock(domain::SlaState{}, today,
                   options_.sla.provisional_working_days, options_.calendar);
  } else if (item != nullptr && item->kind == domain::ListKind::kDuty &&
             task.findings.empty()) {
    route = TaskAction::kAdmitByDutyList;
    route_reason = absl::StrCat("duty-list item (社区依法履行职责事项) ",
                                item->code, " with no finding");
    task.admitted_by_duty_list = true;
  }
  if (route.has_value()) {
    const Transition* row = FindTransition(task.state, *route);
    if (row == nullptr) {
      return absl::InternalError("transition table lacks a submit route");
    }
    task.state = row->to;
  }
  Touch(task, now, options_.time_zone);

  domain::AuditEvent submitted =
      TaskEvent(principal, task, before, "submit", now, request.request_id,
                request.reason);
  submitted.state_after =
      Str(domain::TaskStateName(domain::TaskState::kSubmitted));
  submitted.details["catalog_version"] = absl::StrCat(catalog->version);
  submitted.details["findings"] = FindingsSummary(task.findings);
  submitted.details["two_approvals"] =
      task.needs_two_approvals ? "true" : "false";
  if (task.sla.due_date.has_value()) {
    submitted.details["due_date"] = domain::FormatCivilDay(*task.sla.due_date);
  }
  change.events.push_back(std::move(submitted));
  if (route.has_value()) {
    const domain::Principal system = domain::SystemPrincipal(district);
    domain::AuditEvent routed = TaskEvent(
        system, task, domain::TaskState::kSubmitted, TaskActionName(*route),
        now, request.request_id, route_reason);
    routed.details["catalog_version"] = absl::StrCat(catalog->version);
    change.events.push_back(std::move(routed));
    if (*route == TaskAction::kRejectByNegativeList) {
      change.decisions.push_back(
          MakeDecision(system, task, domain::DecisionKind::kSystemReject,
                       route_reason, {}, now));
    } else if (*route == TaskAction::kAdmitByDutyList) {
      change.decisions.push_back(
          MakeDecision(system, task, domain::DecisionKind::kDutyListAdmit,
                       route_reason, {}, now));
    }
  }
  change.tasks.push_back(WriteOf(task));
  return task;
}

absl::StatusOr<domain::Task> Engine::Decide(const domain::Principal& principal,
                                            domain::Task task,
                                            const Transition& row,
                                            const ActionRequest& request,
                                            store::ChangeSet& change) {
  const domain::TaskState before = task.state;
  const absl::Time now = clock_.Now();
  std::map<std::string, std::string> details;
  if (request.emergency_unjustified) {
    const bool applies = before == domain::TaskState::kProvisional &&
                         (row.action == TaskAction::kApprove ||
                          row.action == TaskAction::kReject);
    if (!applies) {
      return InvalidArgumentWithViolations(
          {{"emergency_unjustified",
            "applies only to approving or rejecting a PROVISIONAL task"}});
    }
    task.findings.push_back(
        {Str(kRuleEmergency),
         domain::Severity::kWarn,
         {"emergency", "emergency_reason"},
         absl::StrCat(
             "reviewer ", principal.id,
             " found the emergency flag unjustified: ", request.reason),
         {},
         "",
         ""});
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
      break;
    }
    case TaskAction::kReturn:
      task.claimed_by.clear();
      task.approvals.clear();  // a return overrides a first approval
      task.sla = PauseClock(task.sla, absl::ToCivilDay(now, options_.time_zone),
                            options_.calendar);
      task.state = row.to;
      decision = domain::DecisionKind::kReturn;
      break;
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

absl::StatusOr<std::optional<absl::Time>> Engine::NextDeadline() {
  return store_.NextTimer(options_.district_id);
}

absl::StatusOr<TickResult> Engine::OnTick(absl::Time now) {
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<domain::Task> due,
      store_.ListTasksDue(options_.district_id, now, options_.tick_batch));
  TickResult result;
  for (domain::Task& task : due) {
    absl::Status s = TickTask(std::move(task), now, result);
    if (absl::IsAborted(s)) {
      ++result.conflicts;  // a user changed it first; look again next tick
    } else if (!s.ok()) {
      return s;
    }
  }
  return result;
}

absl::Status Engine::TickTask(domain::Task task, absl::Time now,
                              TickResult& result) {
  const domain::Principal system =
      domain::SystemPrincipal(options_.district_id);
  const domain::TaskState before = task.state;
  TaskAction action = TaskAction::kEscalate;
  std::string reason;
  if (task.state == domain::TaskState::kActive) {
    action = TaskAction::kExpire;
    reason = absl::StrCat(
        "end date ", domain::FormatCivilDay(task.spec.end_date), " has passed");
  } else {
    reason = absl::StrCat("review was due by ",
                          task.sla.due_date.has_value()
                              ? domain::FormatCivilDay(*task.sla.due_date)
                              : std::string("?"),
                          " (", task.sla.total_working_days, " working days)");
  }
  const Transition* row = FindTransition(task.state, action);
  if (row == nullptr) {
    return absl::InternalError(absl::StrCat(
        "task ", task.id, " is due but ",
        Str(domain::TaskStateName(task.state)), " has no timer transition"));
  }
  if (action == TaskAction::kEscalate) {
    task.sla.overdue = true;
    if (options_.sla.release_on_overdue && row->alternative_to.has_value()) {
      task.state = *row->alternative_to;
      task.claimed_by.clear();
    } else {
      task.state = row->to;
    }
  } else {
    task.state = row->to;
  }
  Touch(task, now, options_.time_zone);
  store::ChangeSet change;
  change.district_id = options_.district_id;
  change.tasks.push_back(WriteOf(task));
  change.events.push_back(
      TaskEvent(system, task, before, TaskActionName(action), now, "", reason));
  TASKGATE_RETURN_IF_ERROR(store_.Commit(change).status());
  if (action == TaskAction::kEscalate) {
    ++result.escalated;
  } else {
    ++result.completed;
  }
  return absl::OkStatus();
}

}  // namespace taskgate::workflow
