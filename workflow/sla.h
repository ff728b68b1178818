// Review deadlines in working days (SPEC §4.1).
//
// A working day is a Monday to Friday not on the calendar's holiday list
// (法定节假日), or a make-up working day of the calendar (调休上班日: a
// Saturday or Sunday declared a working day). Day 1 is the first working
// day after the start date (the start day never counts); a decision is due
// by the end of the last day, in the district's time zone. A return pauses
// the clock; on resubmission the unused days count again from the day after
// resubmission. The calendar is published data (workflow/calendars.h): the
// clock uses the calendar in force when it starts, and a due date once set
// stays. Pure; thread-safe once constructed.
#ifndef TASKGATE_WORKFLOW_SLA_H_
#define TASKGATE_WORKFLOW_SLA_H_

#include <set>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "domain/types.h"

namespace taskgate::workflow {

class WorkingCalendar {
 public:
  // Monday to Friday work, weekends do not: a year nobody published.
  WorkingCalendar() = default;
  // `holidays` do not work; `makeup_workdays` (weekend days declared
  // working, 调休) do. A day on both lists works.
  explicit WorkingCalendar(std::set<absl::CivilDay> holidays,
                           std::set<absl::CivilDay> makeup_workdays = {});

  // The calendar of `years` (each year at most once, e.g. the latest
  // version of each: the calendar in force); other years work Monday to
  // Friday.
  static WorkingCalendar Of(const std::vector<domain::CalendarYear>& years);

  bool IsWorkingDay(absl::CivilDay day) const;

  // The `n`-th working day after `start` (day 1 is the first working day
  // strictly after `start`); `start` itself when `n` is 0.
  absl::CivilDay AddWorkingDays(absl::CivilDay start, int n) const;

  // The number of working days d with from < d <= to; 0 if to <= from.
  int WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to) const;

 private:
  std::set<absl::CivilDay> holidays_;
  std::set<absl::CivilDay> makeup_workdays_;
};

struct SlaConfig {
  int review_working_days = 15;
  int provisional_working_days = 3;
  // When an IN_REVIEW task becomes overdue, also release it to the queue.
  bool release_on_overdue = false;
};

// The instant a task due on `due_date` becomes overdue: the start of the
// following day in `tz`.
absl::Time EndOfDay(absl::CivilDay due_date, absl::TimeZone tz);

// Starts the clock on submission (or resubmission) on `day`: keeps the days
// already used, sets `clock_start` and `due_date`, clears `overdue`.
// `total_working_days` is set from `total` when the clock starts fresh
// (used == 0).
domain::SlaState StartClock(const domain::SlaState& previous,
                            absl::CivilDay day, int total,
                            const WorkingCalendar& calendar);

// Pauses the clock on a return on `day`: adds the working days used since
// `clock_start` (the return day counts when it is a working day) and clears
// `due_date`.
domain::SlaState PauseClock(const domain::SlaState& current, absl::CivilDay day,
                            const WorkingCalendar& calendar);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_SLA_H_
