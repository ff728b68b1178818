// The inspector's statistics (SPEC §7): per department (submitted, admitted,
// rejected, returned, review working days), per community (load against
// capacity by month) and the burden kept out (hours of rejected tasks).
//
// A pure function of the district's audit events, its tasks and
// communities, its working calendar and time zone, and a period: no store,
// no clock. The audit log is the source of when things happened; a task
// record supplies only what events do not carry (hours per community and
// month, dates, resolved communities). Thread-safe; holds no state.
//
// What counts, decided here (tests rely on it):
//
// - Task events are read by action ("task.submit", "task.approve", ...) and
//   by their `state_before` / `state_after`, exactly as `Engine` writes
//   them. Other events are ignored.
// - Department counts take the events whose `time` is in [from, until). The
//   department is the event's `department_id` (else the task's).
//   * `submitted`: every submit, a resubmission after a return included;
//     `resubmitted` counts those among them that came from RETURNED.
//   * `admitted`: entries into ACTIVE by a final approval or by the duty
//     list (`admitted_by_duty_list` is a part of it). A first of two
//     approvals admits nothing. `provisionally_admitted` counts emergency
//     entries into PROVISIONAL; such a task is `admitted` when approved.
//   * `rejected`: reviewer rejections (of an IN_REVIEW or a PROVISIONAL task)
//     plus negative-list rejections by the system at submit;
//     `rejected_by_negative_list` is a part of it.
//   * `returned`, `revoked`: returns and revocations.
// - Review working days are measured for each reviewer decision in the
//   period that ends a review: a final approval, a rejection, a return (not
//   the system's decisions at submit, not a first of two approvals). They are
//   the working days d with submit day < d <= decision day
//   (`WorkingCalendar::WorkingDaysBetween`, civil days in the district's
//   zone), where the submission is the task's latest submit before the
//   decision; after a return the resubmission starts the new review. A
//   decision whose submit is not among `events` is counted but not measured.
//   `median_review_days` is the middle value, or the mean of the two middle
//   values for an even count; `p90_review_days` is the nearest-rank 90th
//   percentile: the value at 1-based rank ceil(0.9 × n) in ascending order.
//   Both are absent when nothing was measured.
// - Community load in a calendar month (district zone) follows SPEC §4.1:
//   the community's `baseline_hours` plus the `hours_per_community_month` of
//   every task that reaches the community (`resolved_communities`), was in
//   the workload (ACTIVE or PROVISIONAL, as the events tell) at some instant
//   of the month, and whose start..end dates (inclusive) touch the month. A
//   task admitted after a month's end, or revoked, withdrawn, rejected from
//   PROVISIONAL, closed or expired by the month's first instant, does not
//   count in it.
//   Months are whole calendar months: every month that the period touches.
// - Burden kept out: for each rejection counted above (reviewer or negative
//   list), `hours_per_community_month` × the number of the task's
//   `resolved_communities`, summed by the calendar month of the rejection.
//
// Events are taken in log order (`seq`; equal seqs keep their input order).
// Task and community figures are their current records. The result depends
// on no more than this, so it may be all that is given (`AuditReader` reads
// just that, and equals the whole log's result):
// - every task event in [from, until);
// - for each task with such an event, and each task whose dates touch the
//   period's months and that was ever in a workload, its record and all its
//   own events before `until` (the submission a decision is measured from,
//   the stays a load counts).
// Any other task's events and records change nothing. Events at or after
// `until` count only in the loads: given, a later admission counts in the
// month it falls in (the month's load as the record stands now, which is
// what the kept counters give: workflow/statistics_counters.h); left out,
// the loads are those of the log as it stood at `until`.
#ifndef TASKGATE_WORKFLOW_STATISTICS_H_
#define TASKGATE_WORKFLOW_STATISTICS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "domain/types.h"
#include "workflow/sla.h"

namespace taskgate::workflow {

// The longest period one call covers, in calendar months.
inline constexpr int kMaxStatisticsMonths = 120;

struct StatisticsQuery {
  absl::Time from;   // inclusive
  absl::Time until;  // exclusive
  absl::TimeZone time_zone = absl::FixedTimeZone(8 * 60 * 60);
  // For `ComputeStatistics`, the reference; the kept counters measured each
  // review with the calendar in force at its decision
  // (workflow/statistics_counters.h).
  WorkingCalendar calendar;
};

struct DepartmentStatistics {
  std::string department_id;
  // Its name (SPEC §1), filled by the reader from the departments; the
  // counters leave it empty.
  std::string department_name;
  int32_t submitted = 0;
  int32_t resubmitted = 0;  // part of `submitted`
  int32_t admitted = 0;
  int32_t admitted_by_duty_list = 0;  // part of `admitted`
  int32_t provisionally_admitted = 0;
  int32_t rejected = 0;
  int32_t rejected_by_negative_list = 0;  // part of `rejected`
  int32_t returned = 0;
  int32_t revoked = 0;
  int32_t reviews_measured = 0;  // decisions with a review time
  std::optional<double> median_review_days;
  std::optional<int32_t> p90_review_days;
  bool operator==(const DepartmentStatistics&) const = default;
};

struct CommunityMonthLoad {
  std::string community_id;
  absl::CivilMonth month;
  double baseline_hours = 0;
  double task_hours = 0;  // of the tasks in force
  double load_hours = 0;  // baseline + tasks
  double capacity_hours = 0;
  // load / capacity; absent when the capacity is 0.
  std::optional<double> load_ratio;
  int32_t tasks_in_force = 0;
  bool operator==(const CommunityMonthLoad&) const = default;
};

struct BurdenMonth {
  absl::CivilMonth month;
  int32_t rejected_tasks = 0;
  double hours_kept_out = 0;  // community hours per month not let in
  bool operator==(const BurdenMonth&) const = default;
};

struct Statistics {
  absl::Time from;
  absl::Time until;
  // One row per department with a task event in the period, by id.
  std::vector<DepartmentStatistics> departments;
  // Every community given, by id, then every month the period touches.
  std::vector<CommunityMonthLoad> community_loads;
  // Every month the period touches, in order; rejections outside the
  // period are left out even in its first and last month.
  std::vector<BurdenMonth> burden;
  double burden_total_hours = 0;
  bool operator==(const Statistics&) const = default;
};

// The first and last calendar month (in `query.time_zone`) that the period
// touches. Errors as `ComputeStatistics`.
struct PeriodMonths {
  absl::CivilMonth first;
  absl::CivilMonth last;
};
absl::StatusOr<PeriodMonths> MonthsOfPeriod(const StatisticsQuery& query);

// Computes the statistics of `query`'s period. INVALID_ARGUMENT when `from`
// or `until` is not finite, `until` is not after `from`, or the period
// touches more than `kMaxStatisticsMonths` months.
absl::StatusOr<Statistics> ComputeStatistics(
    const StatisticsQuery& query, const std::vector<domain::AuditEvent>& events,
    const std::vector<domain::Task>& tasks,
    const std::vector<domain::Community>& communities);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_STATISTICS_H_
