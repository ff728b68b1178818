#include "workflow/sla.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "domain/types.h"

namespace taskgate::workflow {

WorkingCalendar::WorkingCalendar(std::set<absl::CivilDay> holidays,
                                 std::set<absl::CivilDay> makeup_workdays)
    : holidays_(std::move(holidays)),
      makeup_workdays_(std::move(makeup_workdays)) {}

WorkingCalendar WorkingCalendar::Of(
    const std::vector<domain::CalendarYear>& years) {
  std::set<absl::CivilDay> holidays;
  std::set<absl::CivilDay> makeup_workdays;
  for (const domain::CalendarYear& year : years) {
    holidays.insert(year.holidays.begin(), year.holidays.end());
    makeup_workdays.insert(year.makeup_workdays.begin(),
                           year.makeup_workdays.end());
  }
  return WorkingCalendar(std::move(holidays), std::move(makeup_workdays));
}

bool WorkingCalendar::IsWorkingDay(absl::CivilDay day) const {
  // A published calendar never lists a day twice (workflow/validation.h);
  // should one, the make-up working day wins, as the notice's own words
  // ("上班") are the later exception to the rule.
  if (makeup_workdays_.contains(day)) return true;
  const absl::Weekday weekday = absl::GetWeekday(day);
  if (weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday) {
    return false;
  }
  return !holidays_.contains(day);
}

absl::CivilDay WorkingCalendar::AddWorkingDays(absl::CivilDay start,
                                               int n) const {
  // A day-by-day walk: deadlines are a few weeks long, and the holiday list is
  // finite, so this always ends (make-up days only add working days).
  absl::CivilDay day = start;
  for (int counted = 0; counted < n;) {
    ++day;
    if (IsWorkingDay(day)) ++counted;
  }
  return day;
}

int WorkingCalendar::WorkingDaysBetween(absl::CivilDay from,
                                        absl::CivilDay to) const {
  int count = 0;
  for (absl::CivilDay day = from + 1; day <= to; ++day) {
    if (IsWorkingDay(day)) ++count;
  }
  return count;
}

absl::Time EndOfDay(absl::CivilDay due_date, absl::TimeZone tz) {
  return absl::FromCivil(due_date + 1, tz);
}

domain::SlaState StartClock(const domain::SlaState& previous,
                            absl::CivilDay day, int total,
                            const WorkingCalendar& calendar) {
  domain::SlaState next = previous;
  // A resubmission keeps the budget it started with, even if the configured
  // total has changed since (or the task is now reviewed on another track).
  if (previous.used_working_days == 0) next.total_working_days = total;
  const int remaining =
      std::max(0, next.total_working_days - next.used_working_days);
  next.clock_start = day;
  next.due_date = calendar.AddWorkingDays(day, remaining);
  next.overdue = false;
  return next;
}

domain::SlaState PauseClock(const domain::SlaState& current, absl::CivilDay day,
                            const WorkingCalendar& calendar) {
  domain::SlaState next = current;
  const int used = current.used_working_days +
                   calendar.WorkingDaysBetween(current.clock_start, day);
  // Days spent past the deadline are not owed back on resubmission.
  next.used_working_days = std::min(used, current.total_working_days);
  next.due_date = std::nullopt;
  return next;
}

}  // namespace taskgate::workflow
