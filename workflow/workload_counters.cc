#include "workflow/workload_counters.h"

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>

#include "common/status_macros.h"

namespace taskgate::workflow {
namespace {

constexpr char kHours[] = "hours";

std::string MonthBucket(const std::string& community, absl::CivilMonth month) {
  return absl::StrCat("w:", community, "/", absl::FormatCivilTime(month));
}
std::string UnitsBucket(const std::string& community) {
  return absl::StrCat("u:", community);
}

}  // namespace

std::vector<store::CounterAdd> WorkloadCounters(const domain::Task& task,
                                                double sign) {
  std::vector<store::CounterAdd> out;
  const absl::CivilMonth first(task.spec.start_date);
  const absl::CivilMonth last(task.spec.end_date);
  const std::map<domain::ControlledBucket, int64_t> units =
      ControlledUnitsOf(task.spec);
  for (const std::string& community : task.resolved_communities) {
    for (absl::CivilMonth m = first; m <= last; ++m) {
      out.push_back({MonthBucket(community, m), kHours, "",
                     sign * task.spec.hours_per_community_month});
    }
    for (const auto& [bucket, n] : units) {
      out.push_back({UnitsBucket(community),
                     std::string(domain::ControlledBucketName(bucket)), "",
                     sign * static_cast<double>(n)});
    }
  }
  return out;
}

absl::StatusOr<Workloads> ReadWorkloads(
    store::Store& store, const std::string& district_id,
    const std::vector<std::string>& community_ids, absl::CivilMonth first,
    absl::CivilMonth last) {
  Workloads out;
  for (const std::string& community : community_ids) {
    CommunityWorkload& w = out[community];
    TASKGATE_ASSIGN_OR_RETURN(
        std::vector<store::Counter> months,
        store.ListCounters(district_id, MonthBucket(community, first),
                           MonthBucket(community, last), 0));
    for (const store::Counter& c : months) {
      absl::CivilMonth m;
      if (c.name != kHours ||
          !absl::ParseCivilTime(c.bucket.substr(c.bucket.rfind('/') + 1), &m)) {
        continue;
      }
      // Sums of additions and subtractions: keep their binary residue out
      // of the hours the findings print.
      w.task_hours[m] = std::round(c.value * 1e6) / 1e6;
    }
    TASKGATE_ASSIGN_OR_RETURN(
        std::vector<store::Counter> units,
        store.ListCounters(district_id, UnitsBucket(community),
                           UnitsBucket(community), 0));
    for (const store::Counter& c : units) {
      if (std::optional<domain::ControlledBucket> bucket =
              domain::ParseControlledBucket(c.name);
          bucket.has_value()) {
        w.units[*bucket] = std::llround(c.value);
      }
    }
  }
  return out;
}

}  // namespace taskgate::workflow
