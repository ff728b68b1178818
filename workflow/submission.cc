#include "workflow/submission.h"

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
#include <absl/time/civil_time.h>

#include "common/field_violations.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "workflow/calendars.h"
#include "workflow/directory_names.h"
#include "workflow/internal/changes.h"
#include "workflow/rules.h"
#include "workflow/sla.h"
#include "workflow/task_spec.h"
#include "workflow/transitions.h"
#include "workflow/validation.h"
#include "workflow/workload_counters.h"

namespace taskgate::workflow {
namespace {

using internal::FindingsSummary;
using internal::MakeDecision;
using internal::Str;
using internal::TaskEvent;
using internal::Touch;
using internal::WriteOf;

bool HasBlock(const std::vector<domain::Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const domain::Finding& f) {
                       return f.severity == domain::Severity::kBlock;
                     });
}

}  // namespace

Submission::Submission(const Clock& clock, EngineOptions options)
    : clock_(clock), options_(std::move(options)) {}

absl::StatusOr<Submission::RuleInputs> Submission::LoadRuleInputs(
    store::Store& store, const domain::Task& task) const {
  const std::string& district = options_.district_id;
  RuleInputs in;
  std::vector<FieldViolation> violations;
  absl::StatusOr<domain::CatalogVersion> catalog =
      store.GetCatalog(district, 0);
  if (absl::IsNotFound(catalog.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no catalog (准入清单) has been published in district ", district,
        "; an admin must publish the lists before tasks can be submitted"));
  }
  TASKGATE_RETURN_IF_ERROR(catalog.status());
  in.catalog = *std::move(catalog);
  if (!task.spec.item_code.empty()) {
    const domain::CatalogItem* item = FindItem(in.catalog, task.spec.item_code);
    if (item == nullptr) {
      violations.push_back(
          {"task.item_code",
           absl::StrCat("'", task.spec.item_code,
                        "' is on no list of catalog version ",
                        in.catalog.version,
                        "; use a listed code, or leave it empty for a new "
                        "item (清单外事项) with a justification")});
    } else {
      in.item = *item;
    }
  }

  // The target communities, streets expanded.
  std::map<std::string, domain::Community> communities;
  for (size_t i = 0; i < task.spec.target_communities.size(); ++i) {
    const std::string& id = task.spec.target_communities[i];
    absl::StatusOr<domain::Community> c = store.GetCommunity(district, id);
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
  // Streets by id, then by exact name (clients written before streets had
  // ids): each must be a stored street with communities.
  std::vector<std::pair<std::string, std::string>> streets;  // field, id
  for (size_t i = 0; i < task.spec.target_street_ids.size(); ++i) {
    const std::string& id = task.spec.target_street_ids[i];
    const std::string field = absl::StrCat("task.target_street_ids[", i, "]");
    absl::StatusOr<domain::Street> street = store.GetStreet(district, id);
    if (absl::IsNotFound(street.status())) {
      violations.push_back(
          UnknownReference(field, "street", id, district,
                           "list the streets with taskgate admin street list"));
      continue;
    }
    TASKGATE_RETURN_IF_ERROR(street.status());
    streets.emplace_back(field, id);
  }
  for (size_t i = 0; i < task.spec.target_streets.size(); ++i) {
    const std::string& name = task.spec.target_streets[i];
    const std::string field = absl::StrCat("task.target_streets[", i, "]");
    TASKGATE_ASSIGN_OR_RETURN(std::optional<domain::Street> street,
                              FindStreetByName(store, district, name));
    if (!street.has_value()) {
      violations.push_back(
          {field, absl::StrCat("no street is named '", name, "' in district ",
                               district,
                               "; name it exactly, or give its id in "
                               "target_street_ids")});
      continue;
    }
    streets.emplace_back(field, street->id);
  }
  for (const auto& [field, id] : streets) {
    TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Community> of_street,
                              store.ListCommunities(district, id));
    if (of_street.empty()) {
      violations.push_back({field, absl::StrCat("street '", id,
                                                "' has no communities in "
                                                "district ",
                                                district)});
    }
    for (domain::Community& c : of_street)
      communities.emplace(c.id, std::move(c));
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  for (auto& [id, c] : communities) in.targets.push_back(std::move(c));
  TASKGATE_RETURN_IF_ERROR(LoadOtherTasks(store, task, in));
  return in;
}

absl::Status Submission::LoadOtherTasks(store::Store& store,
                                        const domain::Task& task,
                                        RuleInputs& in) const {
  const std::string& district = options_.district_id;
  // Reading what the task touches - its communities' months and controlled
  // units, its department's open tasks of its item in those communities -
  // keeps a submit's cost independent of how many tasks a community has had
  // over the years.
  std::vector<std::string> ids;
  for (const domain::Community& c : in.targets) ids.push_back(c.id);
  TASKGATE_ASSIGN_OR_RETURN(
      in.workloads, ReadWorkloads(store, district, ids,
                                  absl::CivilMonth(task.spec.start_date),
                                  absl::CivilMonth(task.spec.end_date)));
  if (domain::CountsInWorkload(task.state)) {
    // An emergency admitted provisionally is in the counters already; the
    // rules look at the others.
    const Workloads own = WorkloadsOf({task});
    for (const auto& [community, w] : own) {
      CommunityWorkload& total = in.workloads[community];
      for (const auto& [month, hours] : w.task_hours) {
        total.task_hours[month] -= hours;
      }
      for (const auto& [bucket, n] : w.units) total.units[bucket] -= n;
    }
  }

  std::map<std::string, domain::Task> duplicates;
  if (!task.spec.item_code.empty()) {
    for (const std::string& community : ids) {
      store::TaskQuery q;
      q.district_id = district;
      q.community_id = community;
      q.department_id = task.department_id;
      q.item_code = task.spec.item_code;
      // Only these can be duplicated (R-DUPLICATE); finished tasks, however
      // many, are not read.
      q.states = {domain::TaskState::kSubmitted, domain::TaskState::kInReview,
                  domain::TaskState::kReturned, domain::TaskState::kProvisional,
                  domain::TaskState::kActive};
      q.dates_from = task.spec.start_date;
      q.dates_until = task.spec.end_date;
      TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Task> found,
                                store.ListTasks(q));
      for (domain::Task& t : found) {
        if (t.id != task.id) duplicates.emplace(t.id, std::move(t));
      }
    }
  }
  in.department_tasks.clear();
  for (auto& [id, t] : duplicates) in.department_tasks.push_back(std::move(t));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<domain::Finding>> Submission::Recheck(
    store::Store& store, const domain::Task& task) const {
  RuleInputs in;
  // The communities resolved at submit: the ones the task will count in
  // once approved. A street's later communities are not among them.
  for (const std::string& id : task.resolved_communities) {
    TASKGATE_ASSIGN_OR_RETURN(domain::Community c,
                              store.GetCommunity(options_.district_id, id));
    in.targets.push_back(std::move(c));
  }
  TASKGATE_RETURN_IF_ERROR(LoadOtherTasks(store, task, in));
  // The limits in force now (R-CONTROLLED): those of the latest version.
  TASKGATE_ASSIGN_OR_RETURN(in.catalog,
                            store.GetCatalog(options_.district_id, 0));
  const absl::CivilDay today =
      absl::ToCivilDay(clock_.Now(), options_.time_zone);
  const RuleInput input{task,          in.catalog,          in.targets,
                        in.workloads,  in.department_tasks, today,
                        options_.rules};
  return EvaluateRulesOnOtherTasks(input);
}

absl::StatusOr<domain::Task> Submission::Submit(
    store::Store& store, const domain::Principal& principal, domain::Task task,
    const std::string& request_id, const std::string& reason,
    store::ChangeSet& change) const {
  const std::string& district = options_.district_id;
  if (std::vector<FieldViolation> violations = CheckSubmittable(task.spec);
      !violations.empty()) {
    return InvalidArgumentWithViolations(violations);
  }
  TASKGATE_ASSIGN_OR_RETURN(RuleInputs in, LoadRuleInputs(store, task));
  task.resolved_communities.clear();
  for (const domain::Community& c : in.targets) {
    task.resolved_communities.push_back(c.id);
  }

  const absl::Time now = clock_.Now();
  const absl::CivilDay today = absl::ToCivilDay(now, options_.time_zone);
  const RuleInput input{task,          in.catalog,          in.targets,
                        in.workloads,  in.department_tasks, today,
                        options_.rules};
  task.findings = EvaluateRules(input);
  task.catalog_version = in.catalog.version;
  task.needs_two_approvals = NeedsTwoApprovals(task, options_.rules);
  task.approvals.clear();
  task.claimed_by.clear();
  task.admitted_by_duty_list = false;
  task.submitted_at = now;
  const domain::TaskState before = task.state;
  task.state = domain::TaskState::kSubmitted;
  // The calendar in force now sets the due date, which then stays whatever
  // is published later (workflow/calendars.h).
  TASKGATE_ASSIGN_OR_RETURN(
      const WorkingCalendar calendar,
      CalendarInForce(store, district, static_cast<int32_t>(today.year())));
  task.sla =
      StartClock(task.sla, today, options_.sla.review_working_days, calendar);

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
        " of catalog version ", in.catalog.version, ": ", negative->message);
  } else if (task.spec.emergency && !HasBlock(task.findings)) {
    route = TaskAction::kAdmitProvisionally;
    route_reason = absl::StrCat("emergency: ", task.spec.emergency_reason);
    task.sla = StartClock(domain::SlaState{}, today,
                          options_.sla.provisional_working_days, calendar);
  } else if (in.item.has_value() && in.item->kind == domain::ListKind::kDuty &&
             task.findings.empty()) {
    route = TaskAction::kAdmitByDutyList;
    route_reason = absl::StrCat("duty-list item (社区依法履行职责事项) ",
                                in.item->code, " with no finding");
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
      TaskEvent(principal, task, before, "submit", now, request_id, reason);
  submitted.state_after =
      Str(domain::TaskStateName(domain::TaskState::kSubmitted));
  submitted.details["catalog_version"] = absl::StrCat(in.catalog.version);
  submitted.details["findings"] = FindingsSummary(task.findings);
  submitted.details["two_approvals"] =
      task.needs_two_approvals ? "true" : "false";
  if (task.sla.due_date.has_value()) {
    submitted.details["due_date"] = domain::FormatCivilDay(*task.sla.due_date);
  }
  change.events.push_back(std::move(submitted));
  if (route.has_value()) {
    const domain::Principal system = domain::SystemPrincipal(district);
    domain::AuditEvent routed =
        TaskEvent(system, task, domain::TaskState::kSubmitted,
                  TaskActionName(*route), now, request_id, route_reason);
    routed.details["catalog_version"] = absl::StrCat(in.catalog.version);
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

}  // namespace taskgate::workflow
