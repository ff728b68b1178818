// The counters kept with every change: the inspector's statistics (SPEC
// §7), so that reading a period costs what the period holds — a few hundred
// counters a month — and not what the log holds; and the rules' workloads
// (workflow/workload_counters.h), added where a task enters or leaves the
// workload.
//
// Each task event adds to the statistics' counters (store.h `CounterAdd`)
// named here:
//
//   bucket "d:YYYY-MM-DD" (the event's civil day in the district's zone),
//   subject the event's department:
//     "events" (every task event), "submitted", "resubmitted", "admitted",
//     "admitted_by_duty_list", "provisionally_admitted", "rejected",
//     "rejected_by_negative_list", "returned", "revoked", "burden_tasks",
//     "burden_hours", and "review_days:N" (one per review ended and
//     measured at N working days);
//   bucket "m:YYYY-MM", subject a community:
//     "task_hours", "tasks_in_force" (the tasks in force in the month).
//
// What counts is exactly statistics.h's definition, which stays the
// reference (`ComputeStatistics` over the whole log); the tests compare the
// two. Two consequences of keeping figures by day and month:
// - a period read from counters is whole days in the district's zone;
// - a month's load is the month's as the record stands now (a task admitted
//   later in a month counts in it), which is `ComputeStatistics` given every
//   event; department figures are those of the period's days alone.
// Review days are measured with the calendar in force at the decision.
//
// Thread-safe. All are pure functions but two: `ReadStatistics` reads the
// store, and `RebuildCountersIfMissing` reads it and commits
// through the district's writer.
#ifndef TASKGATE_WORKFLOW_STATISTICS_COUNTERS_H_
#define TASKGATE_WORKFLOW_STATISTICS_COUNTERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>

#include "common/clock.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/sla.h"
#include "workflow/statistics.h"
#include "workflow/writer.h"

namespace taskgate::workflow {

// Whether task event `event` ends a review (an approval to ACTIVE, a
// rejection, a return), which counts its review days with a calendar.
bool EndsReview(const domain::AuditEvent& event);

// What task event `event` adds to the counters. `task` is the task as the
// event left it (null when the change does not write it: an
// acknowledgement, a funding report), `review_start` the civil day of the
// task's latest submit before the event; `calendar` measures the review
// days of an event that `EndsReview` (the calendar in force at it).
std::vector<store::CounterAdd> CountersOfTaskEvent(
    const domain::AuditEvent& event, const domain::Task* task,
    std::optional<absl::CivilDay> review_start, const EngineOptions& options,
    const WorkingCalendar& calendar);

// Adds to `change.counters` what its task events count, taking each task
// as `change.tasks` writes it. Every change with task events goes through
// this before it is committed. When an event ends a review, reads the
// calendar in force through `reads` (the batch's `tx` inside a writer
// step), and returns the store's errors; nothing is read otherwise.
absl::Status KeepCounters(store::ChangeSet& change,
                          const EngineOptions& options, store::Store& reads);

// The statistics of [`query.from`, `query.until`) from the counters of its
// days ("d:" buckets) and months ("m:" buckets) and the communities' current
// records. INVALID_ARGUMENT as `ComputeStatistics`, and when `from` or
// `until` is not a midnight in `query.time_zone`.
absl::StatusOr<Statistics> StatisticsFromCounters(
    const StatisticsQuery& query, const std::vector<store::Counter>& counters,
    const std::vector<domain::Community>& communities);

// Reads the counters of `query`'s days and months from `store` (and the
// communities' records) and returns `StatisticsFromCounters`. Its errors;
// the store's.
absl::StatusOr<Statistics> ReadStatistics(store::Store& store,
                                          const std::string& district_id,
                                          const StatisticsQuery& query);

// For a database whose log predates the counters (or lost them; migration 8
// drops those kept before the workloads were): when the district has task
// events and no counter at all, replays the task events into counters and
// commits them through `writer` with one "counters.rebuild" event of the
// system. Does nothing otherwise. The store's and the writer's errors.
absl::Status RebuildCountersIfMissing(Writer& writer, const Clock& clock,
                                      const EngineOptions& options);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_STATISTICS_COUNTERS_H_
