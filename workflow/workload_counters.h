// The workloads the rules read (rules.h `Workloads`) kept as counters with
// every change, so that R-CAPACITY and R-CONTROLLED read what the task
// touches - its communities' months and controlled buckets - and never the
// tasks already in force, however many years of them a community has.
//
// A task adds to them when it enters the workload (becomes ACTIVE or
// PROVISIONAL) and takes back the same amounts when it leaves; its spec and
// communities cannot change in between. The counters (store.h `CounterAdd`):
//
//   bucket "w:<community>/YYYY-MM", name "hours": the monthly hours of the
//     tasks in force whose dates touch the month;
//   bucket "u:<community>", name a controlled bucket ("signboard", ...):
//     the units in force (rules.h `ControlledUnitsOf`).
//
// Community ids never contain '/', so one community's months are one range
// of buckets. `WorkloadsOf` over the tasks in force is the definition; the
// tests compare the two.
//
// Thread-safe: pure functions, but `ReadWorkloads`, which reads the store.
#ifndef TASKGATE_WORKFLOW_WORKLOAD_COUNTERS_H_
#define TASKGATE_WORKFLOW_WORKLOAD_COUNTERS_H_

#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>

#include "domain/types.h"
#include "store/store.h"
#include "workflow/rules.h"

namespace taskgate::workflow {

// What `task` adds to the counters on entering the workload (`sign` 1) or
// takes back on leaving it (`sign` -1).
std::vector<store::CounterAdd> WorkloadCounters(const domain::Task& task,
                                                double sign);

// The workloads of `community_ids` in the months [first, last] (and their
// controlled units) as the counters in `store` say. Errors: the store's.
absl::StatusOr<Workloads> ReadWorkloads(
    store::Store& store, const std::string& district_id,
    const std::vector<std::string>& community_ids, absl::CivilMonth first,
    absl::CivilMonth last);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_WORKLOAD_COUNTERS_H_
