#include "workflow/statistics_counters.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>
#include <absl/time/time.h>

#include "common/status_macros.h"
#include "workflow/calendars.h"
#include "workflow/internal/changes.h"
#include "workflow/internal/commit_once.h"
#include "workflow/workload_counters.h"

namespace taskgate::workflow {
namespace {

constexpr char kDayPrefix[] = "d:";
constexpr char kMonthPrefix[] = "m:";
constexpr char kReviewDaysPrefix[] = "review_days:";

std::string DayBucket(absl::CivilDay day) {
  return absl::StrCat(kDayPrefix, absl::FormatCivilTime(day));
}
std::string MonthBucket(absl::CivilMonth month) {
  return absl::StrCat(kMonthPrefix, absl::FormatCivilTime(month));
}

bool InWorkload(const std::string& state_name) {
  std::optional<domain::TaskState> state = domain::ParseTaskState(state_name);
  return state.has_value() && domain::CountsInWorkload(*state);
}

bool IsMidnight(absl::Time t, absl::TimeZone tz) {
  return absl::FromCivil(absl::ToCivilDay(t, tz), tz) == t;
}

absl::Status CheckWholeDays(const StatisticsQuery& query) {
  const absl::TimeZone tz = query.time_zone;
  if (IsMidnight(query.from, tz) && IsMidnight(query.until, tz)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "statistics are kept by day: start_time and end_time must be "
      "midnights in the district's time zone (",
      tz.name(), "); got ", absl::FormatTime(query.from, tz), " .. ",
      absl::FormatTime(query.until, tz)));
}

// Sums of counters are exact for the whole and half hours tasks carry; this
// keeps a subtraction's binary residue out of what callers compare.
double RoundHours(double hours) { return std::round(hours * 1e6) / 1e6; }

// The value at 0-based rank `k` of the multiset `histogram` (value ->
// count).
int32_t AtRank(const std::map<int32_t, int64_t>& histogram, int64_t k) {
  for (const auto& [value, count] : histogram) {
    if (k < count) return value;
    k -= count;
  }
  return histogram.empty() ? 0 : histogram.rbegin()->first;
}

// Adds `amount` × `sign` to the months' counters of each community `task`
// reaches, for the months of its dates from `first` on.
void AddMonths(const domain::Task& task, absl::CivilMonth first, double sign,
               std::vector<store::CounterAdd>& out) {
  const absl::CivilMonth from =
      std::max(first, absl::CivilMonth(task.spec.start_date));
  const absl::CivilMonth to(task.spec.end_date);
  for (absl::CivilMonth m = from; m <= to; ++m) {
    for (const std::string& community : task.resolved_communities) {
      out.push_back({MonthBucket(m), "task_hours", community,
                     sign * task.spec.hours_per_community_month});
      out.push_back({MonthBucket(m), "tasks_in_force", community, sign});
    }
  }
}

}  // namespace

bool EndsReview(const domain::AuditEvent& event) {
  const std::string_view action = event.action;
  if (action == "task.approve") {
    return event.state_after ==
           domain::TaskStateName(domain::TaskState::kActive);
  }
  return action == "task.reject" || action == "task.return";
}

std::vector<store::CounterAdd> CountersOfTaskEvent(
    const domain::AuditEvent& event, const domain::Task* task,
    std::optional<absl::CivilDay> review_start, const EngineOptions& options,
    const WorkingCalendar& calendar) {
  const absl::TimeZone tz = options.time_zone;
  const absl::CivilDay day = absl::ToCivilDay(event.time, tz);
  std::string department = event.department_id;
  if (department.empty() && task != nullptr) department = task->department_id;
  const std::string bucket = DayBucket(day);
  std::vector<store::CounterAdd> out;
  auto count = [&](std::string name, double amount = 1) {
    out.push_back({bucket, std::move(name), department, amount});
  };

  // statistics.h's definitions, action by action.
  const std::string_view action = event.action;
  const std::string active(domain::TaskStateName(domain::TaskState::kActive));
  const std::string returned(
      domain::TaskStateName(domain::TaskState::kReturned));
  count("events");
  const bool ends_review = EndsReview(event);
  bool rejection = false;
  if (action == "task.submit") {
    count("submitted");
    if (event.state_before == returned) count("resubmitted");
  } else if (action == "task.admit_duty_list") {
    count("admitted");
    count("admitted_by_duty_list");
  } else if (action == "task.admit_provisional") {
    count("provisionally_admitted");
  } else if (action == "task.approve") {
    if (event.state_after == active) count("admitted");
  } else if (action == "task.reject") {
    count("rejected");
    rejection = true;
  } else if (action == "task.reject_negative_list") {
    count("rejected");
    count("rejected_by_negative_list");
    rejection = true;
  } else if (action == "task.return") {
    count("returned");
  } else if (action == "task.revoke") {
    count("revoked");
  }
  if (ends_review && review_start.has_value()) {
    count(absl::StrCat(kReviewDaysPrefix,
                       calendar.WorkingDaysBetween(*review_start, day)));
  }
  if (task == nullptr) return out;
  if (rejection) {
    count("burden_tasks");
    count("burden_hours",
          task->spec.hours_per_community_month *
              static_cast<double>(task->resolved_communities.size()));
  }

  // A task is in the workload at most once (the transition table has no way
  // back), so its entry adds it to the months from the entry's on, and its
  // exit takes it out of the months that start at or after the exit.
  const bool was_in = InWorkload(event.state_before);
  const bool is_in = InWorkload(event.state_after);
  // The rules' workloads (workload_counters.h) count it in every month of
  // its dates while it is in.
  std::vector<store::CounterAdd> workload;
  if (!was_in && is_in) {
    AddMonths(*task, absl::CivilMonth(day), 1, out);
    workload = WorkloadCounters(*task, 1);
  } else if (was_in && !is_in) {
    absl::CivilMonth first(day);
    if (absl::FromCivil(absl::CivilSecond(first), tz) != event.time) ++first;
    AddMonths(*task, first, -1, out);
    workload = WorkloadCounters(*task, -1);
  }
  out.insert(out.end(), std::make_move_iterator(workload.begin()),
             std::make_move_iterator(workload.end()));
  return out;
}

absl::Status KeepCounters(store::ChangeSet& change,
                          const EngineOptions& options, store::Store& reads) {
  // Read once per change, covering its earliest review start.
  std::optional<WorkingCalendar> calendar;
  int32_t calendar_from = 0;
  for (const domain::AuditEvent& event : change.events) {
    if (event.entity_type != "task") continue;
    const domain::Task* task = nullptr;
    for (const store::TaskWrite& write : change.tasks) {
      if (write.task.id == event.entity_id) task = &write.task;
    }
    std::optional<absl::CivilDay> review_start;
    if (task != nullptr && task->submitted_at.has_value()) {
      review_start = absl::ToCivilDay(*task->submitted_at, options.time_zone);
    }
    if (EndsReview(event) && review_start.has_value()) {
      const auto year = static_cast<int32_t>(review_start->year());
      if (!calendar.has_value() || year < calendar_from) {
        TASKGATE_ASSIGN_OR_RETURN(
            calendar, CalendarInForce(reads, options.district_id, year));
        calendar_from = year;
      }
    }
    std::vector<store::CounterAdd> adds = CountersOfTaskEvent(
        event, task, review_start, options,
        calendar.has_value() ? *calendar : WorkingCalendar());
    change.counters.insert(change.counters.end(),
                           std::make_move_iterator(adds.begin()),
                           std::make_move_iterator(adds.end()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Statistics> StatisticsFromCounters(
    const StatisticsQuery& query, const std::vector<store::Counter>& counters,
    const std::vector<domain::Community>& communities) {
  const absl::TimeZone tz = query.time_zone;
  TASKGATE_ASSIGN_OR_RETURN(const PeriodMonths period, MonthsOfPeriod(query));
  TASKGATE_RETURN_IF_ERROR(CheckWholeDays(query));
  const std::string first_day = DayBucket(absl::ToCivilDay(query.from, tz));
  const std::string last_day = DayBucket(absl::ToCivilDay(query.until, tz) - 1);
  const std::string first_month = MonthBucket(period.first);
  const std::string last_month = MonthBucket(period.last);

  std::map<std::string, DepartmentStatistics> departments;
  std::map<std::string, std::map<int32_t, int64_t>> review_days;
  std::map<absl::CivilMonth, BurdenMonth> burden;
  for (absl::CivilMonth m = period.first; m <= period.last; ++m) {
    burden[m].month = m;
  }
  // (community, month) -> (task hours, tasks in force)
  std::map<std::pair<std::string, std::string>, std::pair<double, double>>
      loads;
  for (const store::Counter& c : counters) {
    if (absl::StartsWith(c.bucket, kMonthPrefix)) {
      if (c.bucket < first_month || c.bucket > last_month) continue;
      auto& [hours, in_force] = loads[{c.subject, c.bucket}];
      if (c.name == "task_hours") hours += c.value;
      if (c.name == "tasks_in_force") in_force += c.value;
      continue;
    }
    if (!absl::StartsWith(c.bucket, kDayPrefix) || c.bucket < first_day ||
        c.bucket > last_day) {
      continue;
    }
    DepartmentStatistics& row = departments[c.subject];
    row.department_id = c.subject;
    const auto n = static_cast<int32_t>(std::llround(c.value));
    absl::string_view name = c.name;
    if (name == "submitted") row.submitted += n;
    if (name == "resubmitted") row.resubmitted += n;
    if (name == "admitted") row.admitted += n;
    if (name == "admitted_by_duty_list") row.admitted_by_duty_list += n;
    if (name == "provisionally_admitted") row.provisionally_admitted += n;
    if (name == "rejected") row.rejected += n;
    if (name == "rejected_by_negative_list") {
      row.rejected_by_negative_list += n;
    }
    if (name == "returned") row.returned += n;
    if (name == "revoked") row.revoked += n;
    int32_t days = 0;
    if (absl::ConsumePrefix(&name, kReviewDaysPrefix) &&
        absl::SimpleAtoi(name, &days)) {
      review_days[c.subject][days] += n;
    }
    if (c.name == "burden_tasks" || c.name == "burden_hours") {
      absl::CivilDay day;
      if (!absl::ParseCivilTime(c.bucket.substr(sizeof(kDayPrefix) - 1),
                                &day)) {
        continue;
      }
      BurdenMonth& b = burden[absl::CivilMonth(day)];
      if (c.name == "burden_tasks") b.rejected_tasks += n;
      if (c.name == "burden_hours") b.hours_kept_out += c.value;
    }
  }

  Statistics out;
  out.from = query.from;
  out.until = query.until;
  for (auto& [id, row] : departments) {
    const std::map<int32_t, int64_t>& days = review_days[id];
    int64_t measured = 0;
    for (const auto& [value, count] : days) measured += count;
    row.reviews_measured = static_cast<int32_t>(measured);
    if (measured > 0) {
      // As statistics.h: the middle value (mean of the two middle ones) and
      // the nearest-rank 90th percentile.
      row.median_review_days =
          measured % 2 == 1
              ? AtRank(days, measured / 2)
              : (AtRank(days, measured / 2 - 1) + AtRank(days, measured / 2)) /
                    2.0;
      row.p90_review_days = AtRank(days, (9 * measured + 9) / 10 - 1);
    }
    out.departments.push_back(std::move(row));
  }

  std::vector<const domain::Community*> sorted;
  for (const domain::Community& c : communities) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(),
            [](const domain::Community* a, const domain::Community* b) {
              return a->id < b->id;
            });
  for (const domain::Community* c : sorted) {
    for (absl::CivilMonth m = period.first; m <= period.last; ++m) {
      CommunityMonthLoad load;
      load.community_id = c->id;
      load.month = m;
      load.baseline_hours = c->baseline_hours;
      load.capacity_hours = c->monthly_capacity_hours;
      auto it = loads.find({c->id, MonthBucket(m)});
      if (it != loads.end()) {
        load.task_hours = RoundHours(it->second.first);
        load.tasks_in_force =
            static_cast<int32_t>(std::llround(it->second.second));
      }
      load.load_hours = load.baseline_hours + load.task_hours;
      if (load.capacity_hours > 0) {
        load.load_ratio = load.load_hours / load.capacity_hours;
      }
      out.community_loads.push_back(std::move(load));
    }
  }
  for (auto& [month, b] : burden) {
    b.hours_kept_out = RoundHours(b.hours_kept_out);
    out.burden_total_hours += b.hours_kept_out;
    out.burden.push_back(b);
  }
  return out;
}

absl::StatusOr<Statistics> ReadStatistics(store::Store& store,
                                          const std::string& district_id,
                                          const StatisticsQuery& query) {
  TASKGATE_ASSIGN_OR_RETURN(const PeriodMonths period, MonthsOfPeriod(query));
  TASKGATE_RETURN_IF_ERROR(CheckWholeDays(query));
  const absl::TimeZone tz = query.time_zone;
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<store::Counter> counters,
      store.ListCounters(district_id,
                         DayBucket(absl::ToCivilDay(query.from, tz)),
                         DayBucket(absl::ToCivilDay(query.until, tz) - 1), 0));
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<store::Counter> months,
      store.ListCounters(district_id, MonthBucket(period.first),
                         MonthBucket(period.last), 0));
  counters.insert(counters.end(), std::make_move_iterator(months.begin()),
                  std::make_move_iterator(months.end()));
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Community> communities,
                            store.ListCommunities(district_id, ""));
  return StatisticsFromCounters(query, counters, communities);
}

absl::Status RebuildCountersIfMissing(Writer& writer, const Clock& clock,
                                      const EngineOptions& options) {
  const std::string& district = options.district_id;
  // Inside one writer step: nothing commits between the check, the replay
  // and the commit of what it counted.
  return writer.Run([&](store::Store& tx) -> absl::Status {
    TASKGATE_ASSIGN_OR_RETURN(std::vector<store::Counter> any,
                              tx.ListCounters(district, "", "\xff", 1));
    if (!any.empty()) return absl::OkStatus();

    // A log from before the counters is measured with the calendar in
    // force now: its reviews ended before the calendar was published data.
    TASKGATE_ASSIGN_OR_RETURN(const WorkingCalendar calendar,
                              CalendarInForce(tx, district, 0));
    std::map<std::tuple<std::string, std::string, std::string>, double> sums;
    std::map<std::string, absl::CivilDay> last_submit;
    int64_t replayed = 0;
    store::EventQuery q;
    q.district_id = district;
    q.entity_type = "task";
    q.limit = 5000;
    while (true) {
      TASKGATE_ASSIGN_OR_RETURN(std::vector<store::StoredEvent> page,
                                tx.ListEvents(q));
      if (page.empty()) break;
      q.after_seq = page.back().seq;
      // The page's tasks only: a district's every task would not fit.
      std::set<std::string> ids;
      for (const store::StoredEvent& e : page) ids.insert(e.event.entity_id);
      TASKGATE_ASSIGN_OR_RETURN(
          std::vector<domain::Task> tasks,
          tx.ListTasksById(district,
                           std::vector<std::string>(ids.begin(), ids.end())));
      std::map<std::string, const domain::Task*> by_id;
      for (const domain::Task& t : tasks) by_id[t.id] = &t;
      for (const store::StoredEvent& stored : page) {
        const domain::AuditEvent& e = stored.event;
        auto task = by_id.find(e.entity_id);
        std::optional<absl::CivilDay> review_start;
        if (e.action == "task.submit") {
          last_submit[e.entity_id] =
              absl::ToCivilDay(e.time, options.time_zone);
        } else if (auto it = last_submit.find(e.entity_id);
                   it != last_submit.end()) {
          review_start = it->second;
        }
        for (const store::CounterAdd& add : CountersOfTaskEvent(
                 e, task == by_id.end() ? nullptr : task->second, review_start,
                 options, calendar)) {
          sums[{add.bucket, add.name, add.subject}] += add.amount;
        }
        ++replayed;
      }
    }
    if (replayed == 0) return absl::OkStatus();

    store::ChangeSet change;
    change.district_id = district;
    for (const auto& [key, value] : sums) {
      const auto& [bucket, name, subject] = key;
      change.counters.push_back({bucket, name, subject, value});
    }
    domain::AuditEvent e = internal::NewEvent(
        district, domain::SystemPrincipal(district), "counters.rebuild",
        "district", district, clock.Now(), "");
    e.details["task_events"] = absl::StrCat(replayed);
    e.details["counters"] = absl::StrCat(change.counters.size());
    change.events.push_back(std::move(e));
    return tx.Commit(change).status();
  });
}

}  // namespace taskgate::workflow
