// The admission rules (准入审核规则) of SPEC §4 as pure functions.
//
// Each rule has a stable id and looks only at its inputs: the task, the
// catalog version, the target communities and the tasks already counting in
// their workloads, the department's open tasks, and the submission date. No
// I/O, no clock. Thread-safe.
//
// Besides its message, a finding carries the rule's numbers as structured
// data (domain::FindingData, SPEC §4.1):
//   R-CAPACITY    every (community, month) over capacity, in runs of
//                 consecutive months of equal load, each with the load
//                 before this task, this task's hours and the capacity;
//   R-CONTROLLED  over a limit: the bucket (`controlled_type`) and, per
//                 community over it, the baseline units, the units of the
//                 tasks in force, this task's units and the limit; without
//                 justification (BLOCK): the controlled types lacking one;
//   R-DUPLICATE   the id of the task it duplicates;
//   R-LEAD-TIME   the lead days (start - submission date) and those
//                 required.
// The other rules have no numbers and no data. A message details at most
// ten communities and counts the rest; the data names every one.
//
// The rules that depend on other tasks run again at every approval (SPEC
// §4.1); the last section replaces their findings on the task and says how
// a finding compares with those the task carried (new, changed, unchanged).
#ifndef TASKGATE_WORKFLOW_RULES_H_
#define TASKGATE_WORKFLOW_RULES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/time/civil_time.h>

#include "domain/types.h"

namespace taskgate::workflow {

inline constexpr std::string_view kRuleNegative = "R-NEGATIVE";
inline constexpr std::string_view kRuleLegalBasis = "R-LEGAL-BASIS";
inline constexpr std::string_view kRuleDutySplit = "R-DUTY-SPLIT";
inline constexpr std::string_view kRuleFunding = "R-FUNDING";
inline constexpr std::string_view kRuleEvaluation = "R-EVALUATION";
inline constexpr std::string_view kRuleCapacity = "R-CAPACITY";
inline constexpr std::string_view kRuleLeadTime = "R-LEAD-TIME";
inline constexpr std::string_view kRuleDuplicate = "R-DUPLICATE";
inline constexpr std::string_view kRuleControlled = "R-CONTROLLED";
inline constexpr std::string_view kRuleNewItem = "R-NEW-ITEM";

// Operator-set rule parameters (*(config)* in SPEC).
struct RulesConfig {
  int lead_time_days = 30;          // R-LEAD-TIME, calendar days
  bool capacity_blocks = false;     // R-CAPACITY severity BLOCK instead of WARN
  double two_approval_hours = 120;  // hours × communities above this
  // The initial per-community limits of controlled units in force
  // (baseline included). The limits are published with the catalog (SPEC
  // §2): these only go into the first catalog version published without
  // any, and apply under versions published before limits were part of the
  // catalog. A bucket absent from the map is unlimited.
  std::map<domain::ControlledBucket, int32_t> controlled_limits;
};

// Limits used when the operator sets none: one work body, 10 forms/ledgers,
// 2 creation campaigns, 4 inspections, 0 extra signboards, 5 certificates,
// 4 trainings per community.
std::map<domain::ControlledBucket, int32_t> DefaultControlledLimits();
RulesConfig DefaultRulesConfig();

// The limits R-CONTROLLED applies: the catalog version's, or `config`'s for
// a version published before limits were part of the catalog.
const std::map<domain::ControlledBucket, int32_t>& ControlledLimitsOf(
    const domain::CatalogVersion& catalog, const RulesConfig& config);

// What the tasks in force (ACTIVE or PROVISIONAL) put on one community, as
// R-CAPACITY and R-CONTROLLED read it; the community's own baseline is not
// in it.
struct CommunityWorkload {
  // Per month, the monthly hours of the tasks whose inclusive dates touch
  // it (a task shorter than a month counts in full); months with none may
  // be absent.
  std::map<absl::CivilMonth, double> task_hours;
  // Per controlled bucket, the units in force (`ControlledUnitsOf`).
  std::map<domain::ControlledBucket, int64_t> units;
};
// By community id; a community absent carries nothing.
using Workloads = std::map<std::string, CommunityWorkload>;

// Everything a rule may look at. References must outlive the call.
struct RuleInput {
  const domain::Task&
      task;  // spec, department_id and resolved_communities are used
  const domain::CatalogVersion& catalog;
  // The task's resolved target communities (streets expanded).
  const std::vector<domain::Community>& communities;
  // The workloads of those communities, `task` itself left out.
  const Workloads& workloads;
  // Other tasks of the same department (any state; rules pick the states).
  const std::vector<domain::Task>& department_tasks;
  absl::CivilDay submission_date;
  const RulesConfig& config;
};

// One function per rule; each returns its findings (empty when it passes).
std::vector<domain::Finding> CheckNegative(const RuleInput& in);
std::vector<domain::Finding> CheckLegalBasis(const RuleInput& in);
std::vector<domain::Finding> CheckDutySplit(const RuleInput& in);
std::vector<domain::Finding> CheckFunding(const RuleInput& in);
std::vector<domain::Finding> CheckEvaluation(const RuleInput& in);
std::vector<domain::Finding> CheckCapacity(const RuleInput& in);
std::vector<domain::Finding> CheckLeadTime(const RuleInput& in);
std::vector<domain::Finding> CheckDuplicate(const RuleInput& in);
std::vector<domain::Finding> CheckControlled(const RuleInput& in);
std::vector<domain::Finding> CheckNewItem(const RuleInput& in);

// Runs every rule, in the order of SPEC §4's table, and concatenates the
// findings. Every rule always runs, so a rejected task keeps all of them.
std::vector<domain::Finding> EvaluateRules(const RuleInput& in);

// ------------------------------------------ the re-check at approval (§4.1)

// True for the rules that depend on other tasks - R-CAPACITY, R-DUPLICATE
// and R-CONTROLLED - which run again at every approval.
bool DependsOnOtherTasks(std::string_view rule_id);

// Runs the rules that depend on other tasks, in table order. They read
// `task`, `communities`, `workloads`, `department_tasks`, `config` and the
// catalog's controlled limits, never its lists or `submission_date`.
std::vector<domain::Finding> EvaluateRulesOnOtherTasks(const RuleInput& in);

// `carried` (a task's findings) with those of the rules on other tasks
// replaced by `rechecked`, in the order `EvaluateRules` gives; findings of
// rules not in the table (R-EMERGENCY) stay last, in their order.
std::vector<domain::Finding> ReplaceRecheckedFindings(
    const std::vector<domain::Finding>& carried,
    std::vector<domain::Finding> rechecked);

// How a finding of the re-check compares with the findings the task
// carried before it (from its submit, or as the previous approval left
// them). A finding's *subject* is its rule id plus, for R-DUPLICATE, the
// task it duplicates (`related_task_id`) and, for R-CONTROLLED, the
// controlled type (`controlled_type`). What it *concerns* is its severity
// and the set of communities it names. Against the carried findings it is
//   kUnchanged  when one with the same subject concerns the same,
//   kChanged    when one with the same subject concerns something else (a
//               community more or fewer, another severity), and
//   kNew        when none has its subject.
// Amounts - hours, loads, units, the month a message names - are not
// compared: the stored finding is refreshed with them, but more load on the
// same communities is the same finding. This holds for the structured data
// (`Finding::data`) too, decided so on purpose: a load that moved, a month
// more or less over capacity in a community already named, other units or
// lead days leave a finding unchanged, since SPEC §4.1 asks a reviewer to
// acknowledge what a finding is about (a rule, its communities, the task
// duplicated, the controlled type), not every number of the moment; the
// decision and its event keep the numbers the approval was made under. A
// carried finding stored before findings had data compares the same way.
// A carried finding with no counterpart disappeared and needs nothing.
enum class FindingChange { kUnchanged, kChanged, kNew };
FindingChange CompareWithCarried(const domain::Finding& finding,
                                 const std::vector<domain::Finding>& carried);

// What `finding` concerns, for people: "communities c1, c2",
// "task t-7", "controlled type signboard, communities c1"; empty when it
// names nothing beyond its rule.
std::string DescribeConcern(const domain::Finding& finding);

// True when the task needs two distinct reviewers' approval: a new item
// (no item code), or hours per community × number of communities above
// `config.two_approval_hours`.
bool NeedsTwoApprovals(const domain::Task& task, const RulesConfig& config);

// The catalog item with `code`, or nullptr.
const domain::CatalogItem* FindItem(const domain::CatalogVersion& catalog,
                                    std::string_view code);

// The controlled units `spec` puts in force in each community it reaches,
// per bucket its types involve: its signboards per community, its forms and
// ledgers added, and 1 for any other bucket.
std::map<domain::ControlledBucket, int64_t> ControlledUnitsOf(
    const domain::TaskSpec& spec);

// The workloads `tasks` make: those counting in workloads (ACTIVE or
// PROVISIONAL), other than the one with id `except_task_id`, in every
// community they reach and every month their dates touch. The definition
// the kept counters follow (workflow/workload_counters.h).
Workloads WorkloadsOf(const std::vector<domain::Task>& tasks,
                      std::string_view except_task_id = "");

// Load of `community` in `month` (SPEC §4.1): baseline plus the full monthly
// hours of each of `workload_tasks` that counts in workloads (ACTIVE or
// PROVISIONAL), reaches the community and whose inclusive dates touch that
// month; a task shorter than a month counts in full.
double MonthlyLoad(const domain::Community& community, absl::CivilMonth month,
                   const std::vector<domain::Task>& workload_tasks);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_RULES_H_
