#include "workflow/statistics.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

namespace taskgate::workflow {
namespace {

// Task actions as `Engine` records them ("task." + `TaskActionName`). Kept
// as text so that this module needs only the domain; the engine-driven test
// proves they match what the engine writes.
constexpr std::string_view kSubmit = "task.submit";
constexpr std::string_view kApprove = "task.approve";
constexpr std::string_view kReject = "task.reject";
constexpr std::string_view kReturn = "task.return";
constexpr std::string_view kRevoke = "task.revoke";
constexpr std::string_view kRejectByNegativeList = "task.reject_negative_list";
constexpr std::string_view kAdmitByDutyList = "task.admit_duty_list";
constexpr std::string_view kAdmitProvisionally = "task.admit_provisional";

bool InWorkload(const std::string& state_name) {
  std::optional<domain::TaskState> state = domain::ParseTaskState(state_name);
  return state.has_value() && domain::CountsInWorkload(*state);
}

// A stretch of time during which a task was in the workload; `leave` unset
// while it still is.
struct Stay {
  absl::Time enter;
  std::optional<absl::Time> leave;
};

absl::Time MonthStart(absl::CivilMonth month, absl::TimeZone tz) {
  return absl::FromCivil(absl::CivilSecond(month), tz);
}

double Median(const std::vector<int32_t>& sorted) {
  const size_t n = sorted.size();
  if (n % 2 == 1) return sorted[n / 2];
  return (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
}

int32_t NearestRankP90(const std::vector<int32_t>& sorted) {
  const size_t n = sorted.size();
  const size_t rank = (9 * n + 9) / 10;  // ceil(0.9 × n) without floats
  return sorted[rank - 1];
}

}  // namespace

absl::StatusOr<PeriodMonths> MonthsOfPeriod(const StatisticsQuery& query) {
  const absl::TimeZone tz = query.time_zone;
  if (query.from == absl::InfinitePast() ||
      query.from == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(
        "from must be a finite time; give the period's first instant");
  }
  if (query.until == absl::InfinitePast() ||
      query.until == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(
        "until must be a finite time; give the instant after the period");
  }
  if (query.until <= query.from) {
    return absl::InvalidArgumentError(absl::StrCat(
        "until (", absl::FormatTime(query.until, tz), ") must be after from (",
        absl::FormatTime(query.from, tz), ")"));
  }
  const absl::CivilMonth first_month(absl::ToCivilDay(query.from, tz));
  const absl::CivilMonth last_month(
      absl::ToCivilDay(query.until - absl::Nanoseconds(1), tz));
  const int64_t month_count = last_month - first_month + 1;
  if (month_count > kMaxStatisticsMonths) {
    return absl::InvalidArgumentError(
        absl::StrCat("the period touches ", month_count,
                     " months; ask for at most ", kMaxStatisticsMonths));
  }
  return PeriodMonths{first_month, last_month};
}

absl::StatusOr<Statistics> ComputeStatistics(
    const StatisticsQuery& query, const std::vector<domain::AuditEvent>& events,
    const std::vector<domain::Task>& tasks,
    const std::vector<domain::Community>& communities) {
  const absl::TimeZone tz = query.time_zone;
  absl::StatusOr<PeriodMonths> period = MonthsOfPeriod(query);
  if (!period.ok()) return period.status();
  std::vector<absl::CivilMonth> months;
  for (absl::CivilMonth m = period->first; m <= period->last; ++m) {
    months.push_back(m);
  }

  std::map<std::string, const domain::Task*> task_by_id;
  for (const domain::Task& t : tasks) task_by_id[t.id] = &t;

  std::vector<const domain::AuditEvent*> ordered;
  for (const domain::AuditEvent& e : events) {
    if (e.entity_type == "task") ordered.push_back(&e);
  }
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const domain::AuditEvent* a,
                      const domain::AuditEvent* b) { return a->seq < b->seq; });

  auto in_period = [&](absl::Time t) {
    return t >= query.from && t < query.until;
  };

  std::map<std::string, DepartmentStatistics> departments;
  std::map<std::string, std::vector<int32_t>> review_days;
  std::map<std::string, absl::CivilDay> last_submit_day;
  std::map<std::string, std::vector<Stay>> stays;
  std::map<absl::CivilMonth, BurdenMonth> burden;
  for (absl::CivilMonth m : months) burden[m].month = m;

  for (const domain::AuditEvent* e : ordered) {
    const std::string& task_id = e->entity_id;
    auto task_it = task_by_id.find(task_id);
    const domain::Task* task =
        task_it == task_by_id.end() ? nullptr : task_it->second;
    const std::string_view action = e->action;
    const absl::CivilDay day = absl::ToCivilDay(e->time, tz);

    // The workload history is needed whatever the period.
    const bool was_in = InWorkload(e->state_before);
    const bool is_in = InWorkload(e->state_after);
    if (!was_in && is_in) {
      stays[task_id].push_back({e->time, std::nullopt});
    } else if (was_in && !is_in) {
      std::vector<Stay>& s = stays[task_id];
      if (!s.empty() && !s.back().leave.has_value()) s.back().leave = e->time;
    }

    std::optional<absl::CivilDay> review_start;
    if (action == kSubmit) {
      last_submit_day[task_id] = day;
    } else {
      auto it = last_submit_day.find(task_id);
      if (it != last_submit_day.end()) review_start = it->second;
    }

    if (!in_period(e->time)) continue;
    std::string department = e->department_id;
    if (department.empty() && task != nullptr) department = task->department_id;
    DepartmentStatistics& row = departments[department];
    row.department_id = department;

    bool ends_review = false;
    bool rejection = false;
    if (action == kSubmit) {
      ++row.submitted;
      if (e->state_before ==
          domain::TaskStateName(domain::TaskState::kReturned)) {
        ++row.resubmitted;
      }
    } else if (action == kAdmitByDutyList) {
      ++row.admitted;
      ++row.admitted_by_duty_list;
    } else if (action == kAdmitProvisionally) {
      ++row.provisionally_admitted;
    } else if (action == kApprove) {
      // A first of two approvals leaves the task where it was.
      if (e->state_after == domain::TaskStateName(domain::TaskState::kActive)) {
        ++row.admitted;
        ends_review = true;
      }
    } else if (action == kReject) {
      ++row.rejected;
      ends_review = true;
      rejection = true;
    } else if (action == kRejectByNegativeList) {
      ++row.rejected;
      ++row.rejected_by_negative_list;
      rejection = true;
    } else if (action == kReturn) {
      ++row.returned;
      ends_review = true;
    } else if (action == kRevoke) {
      ++row.revoked;
    }

    if (ends_review && review_start.has_value()) {
      review_days[department].push_back(
          query.calendar.WorkingDaysBetween(*review_start, day));
    }
    if (rejection && task != nullptr) {
      BurdenMonth& b = burden[absl::CivilMonth(day)];
      ++b.rejected_tasks;
      b.hours_kept_out +=
          task->spec.hours_per_community_month *
          static_cast<double>(task->resolved_communities.size());
    }
  }

  Statistics out;
  out.from = query.from;
  out.until = query.until;
  for (auto& [id, row] : departments) {
    std::vector<int32_t>& days = review_days[id];
    std::sort(days.begin(), days.end());
    row.reviews_measured = static_cast<int32_t>(days.size());
    if (!days.empty()) {
      row.median_review_days = Median(days);
      row.p90_review_days = NearestRankP90(days);
    }
    out.departments.push_back(std::move(row));
  }

  std::vector<const domain::Community*> sorted_communities;
  for (const domain::Community& c : communities)
    sorted_communities.push_back(&c);
  std::sort(sorted_communities.begin(), sorted_communities.end(),
            [](const domain::Community* a, const domain::Community* b) {
              return a->id < b->id;
            });
  for (const domain::Community* c : sorted_communities) {
    for (absl::CivilMonth m : months) {
      const absl::Time month_start = MonthStart(m, tz);
      const absl::Time month_end = MonthStart(m + 1, tz);
      const absl::CivilDay first_day(m);
      const absl::CivilDay last_day = absl::CivilDay(m + 1) - 1;
      CommunityMonthLoad load;
      load.community_id = c->id;
      load.month = m;
      load.baseline_hours = c->baseline_hours;
      load.capacity_hours = c->monthly_capacity_hours;
      for (const auto& [task_id, task_stays] : stays) {
        auto task_it = task_by_id.find(task_id);
        if (task_it == task_by_id.end()) continue;
        const domain::Task& t = *task_it->second;
        if (std::find(t.resolved_communities.begin(),
                      t.resolved_communities.end(),
                      c->id) == t.resolved_communities.end()) {
          continue;
        }
        if (t.spec.start_date > last_day || t.spec.end_date < first_day) {
          continue;
        }
        const bool in_month = std::any_of(
            task_stays.begin(), task_stays.end(), [&](const Stay& s) {
              return s.enter < month_end &&
                     (!s.leave.has_value() || *s.leave > month_start);
            });
        if (!in_month) continue;
        ++load.tasks_in_force;
        load.task_hours += t.spec.hours_per_community_month;
      }
      load.load_hours = load.baseline_hours + load.task_hours;
      if (load.capacity_hours > 0) {
        load.load_ratio = load.load_hours / load.capacity_hours;
      }
      out.community_loads.push_back(std::move(load));
    }
  }

  for (auto& [month, b] : burden) {
    out.burden_total_hours += b.hours_kept_out;
    out.burden.push_back(b);
  }
  return out;
}

}  // namespace taskgate::workflow
