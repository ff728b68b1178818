#include "workflow/sla.h"

#include <optional>
#include <set>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gtest/gtest.h>

#include "domain/types.h"
#include "tests/testing/official_calendar.h"

namespace taskgate::workflow {
namespace {

// Every expected date below was worked out by hand against the 2026
// calendar (weekdays checked with `date -d`), not with the code under test.
// Useful anchors: Fri 2026-02-27, Sat 02-28, Sun 03-01, Mon 03-02,
// Thu 2026-10-01 (National Day).

absl::CivilDay D(int y, int m, int d) { return absl::CivilDay(y, m, d); }

// The National Day week 2026-10-01 (Thu) .. 2026-10-07 (Wed), without its
// make-up working days (those are in `Official2026`,
// tests/testing/official_calendar.h).
WorkingCalendar NationalDayCalendar() {
  std::set<absl::CivilDay> holidays;
  for (int d = 1; d <= 7; ++d) holidays.insert(D(2026, 10, d));
  return WorkingCalendar(holidays);
}

TEST(WorkingCalendar, WeekendsAndHolidaysDoNotWork) {
  const WorkingCalendar plain;
  const WorkingCalendar national_day = NationalDayCalendar();
  EXPECT_TRUE(plain.IsWorkingDay(D(2026, 3, 2)));           // Mon
  EXPECT_TRUE(plain.IsWorkingDay(D(2026, 2, 27)));          // Fri
  EXPECT_FALSE(plain.IsWorkingDay(D(2026, 2, 28)));         // Sat
  EXPECT_FALSE(plain.IsWorkingDay(D(2026, 3, 1)));          // Sun
  EXPECT_TRUE(plain.IsWorkingDay(D(2026, 10, 1)));          // Thu, no holidays
  EXPECT_FALSE(national_day.IsWorkingDay(D(2026, 10, 1)));  // Thu, holiday
  EXPECT_FALSE(national_day.IsWorkingDay(D(2026, 10, 7)));  // Wed, holiday
  EXPECT_TRUE(national_day.IsWorkingDay(D(2026, 10, 8)));   // Thu
}

TEST(WorkingCalendar, DayOneAfterFridayIsMonday) {
  const WorkingCalendar calendar;
  // Fri 02-27 -> skip Sat 02-28, Sun 03-01 -> Mon 03-02.
  EXPECT_EQ(calendar.AddWorkingDays(D(2026, 2, 27), 1), D(2026, 3, 2));
}

TEST(WorkingCalendar, ZeroDaysIsTheStartItself) {
  const WorkingCalendar calendar;
  EXPECT_EQ(calendar.AddWorkingDays(D(2026, 2, 27), 0), D(2026, 2, 27));
  EXPECT_EQ(calendar.AddWorkingDays(D(2026, 2, 28), 0), D(2026, 2, 28));
}

TEST(WorkingCalendar, FifteenDaysSpanWeekends) {
  const WorkingCalendar calendar;
  // From Mon 03-02: 03-03..03-06 (1-4), 03-09..03-13 (5-9),
  // 03-16..03-20 (10-14), Mon 03-23 (15).
  EXPECT_EQ(calendar.AddWorkingDays(D(2026, 3, 2), 15), D(2026, 3, 23));
  // From Sun 03-01: 03-02..03-06 (1-5), 03-09..03-13 (6-10),
  // 03-16..03-20 (11-15): two weekends crossed, due Fri 03-20.
  EXPECT_EQ(calendar.AddWorkingDays(D(2026, 3, 1), 15), D(2026, 3, 20));
}

TEST(WorkingCalendar, HolidaysPushTheDueDate) {
  const WorkingCalendar plain;
  const WorkingCalendar national_day = NationalDayCalendar();
  // From Fri 09-25 without holidays: 09-28..10-02 (1-5), 10-05..10-09
  // (6-10), 10-12..10-16 (11-15).
  EXPECT_EQ(plain.AddWorkingDays(D(2026, 9, 25), 15), D(2026, 10, 16));
  // With 10-01..10-07 off: 09-28, 09-29, 09-30 (1-3), Thu 10-08 (4),
  // Fri 10-09 (5), 10-12..10-16 (6-10), 10-19..10-23 (11-15).
  EXPECT_EQ(national_day.AddWorkingDays(D(2026, 9, 25), 15), D(2026, 10, 23));
}

TEST(WorkingCalendar, StartOnWeekendOrHolidayCountsFromNextWorkingDay) {
  const WorkingCalendar plain;
  const WorkingCalendar national_day = NationalDayCalendar();
  // Sat 02-28: day 1 is Mon 03-02.
  EXPECT_EQ(plain.AddWorkingDays(D(2026, 2, 28), 1), D(2026, 3, 2));
  // Thu 10-01 (holiday): Thu 10-08 (1), Fri 10-09 (2), Mon 10-12 (3).
  EXPECT_EQ(national_day.AddWorkingDays(D(2026, 10, 1), 1), D(2026, 10, 8));
  EXPECT_EQ(national_day.AddWorkingDays(D(2026, 10, 1), 3), D(2026, 10, 12));
}

TEST(WorkingCalendar, CountsWorkingDaysInHalfOpenRange) {
  const WorkingCalendar plain;
  const WorkingCalendar national_day = NationalDayCalendar();
  // (Fri 02-27, Fri 03-06]: Mon 03-02..Fri 03-06.
  EXPECT_EQ(plain.WorkingDaysBetween(D(2026, 2, 27), D(2026, 3, 6)), 5);
  // (Fri 02-27, Sun 03-01]: only the weekend.
  EXPECT_EQ(plain.WorkingDaysBetween(D(2026, 2, 27), D(2026, 3, 1)), 0);
  // (Sun 03-01, Mon 03-02]: the end day counts.
  EXPECT_EQ(plain.WorkingDaysBetween(D(2026, 3, 1), D(2026, 3, 2)), 1);
  EXPECT_EQ(plain.WorkingDaysBetween(D(2026, 3, 6), D(2026, 3, 6)), 0);
  EXPECT_EQ(plain.WorkingDaysBetween(D(2026, 3, 6), D(2026, 3, 2)), 0);
  // (Fri 09-25, Fri 10-09]: 09-28, 09-29, 09-30, 10-08, 10-09.
  EXPECT_EQ(national_day.WorkingDaysBetween(D(2026, 9, 25), D(2026, 10, 9)), 5);
}

using ::taskgate::testing::Official2026;

// The same holidays with no make-up working day.
WorkingCalendar HolidaysOnly2026() {
  const domain::CalendarYear c = Official2026();
  return WorkingCalendar({c.holidays.begin(), c.holidays.end()});
}

TEST(WorkingCalendar, MakeUpWorkingDaysWorkThoughTheyAreWeekends) {
  const WorkingCalendar official = WorkingCalendar::Of({Official2026()});
  EXPECT_TRUE(official.IsWorkingDay(D(2026, 2, 14)));   // Sat, make-up
  EXPECT_TRUE(official.IsWorkingDay(D(2026, 9, 20)));   // Sun, make-up
  EXPECT_FALSE(official.IsWorkingDay(D(2026, 2, 21)));  // Sat, 春节
  EXPECT_FALSE(official.IsWorkingDay(D(2026, 2, 16)));  // Mon, 春节
  EXPECT_FALSE(official.IsWorkingDay(D(2026, 3, 7)));   // Sat
  EXPECT_TRUE(official.IsWorkingDay(D(2026, 3, 9)));    // Mon
  EXPECT_FALSE(HolidaysOnly2026().IsWorkingDay(D(2026, 2, 14)));
  // A year not given works Monday to Friday.
  EXPECT_TRUE(official.IsWorkingDay(D(2027, 1, 1)));   // Fri
  EXPECT_FALSE(official.IsWorkingDay(D(2027, 1, 2)));  // Sat
}

TEST(WorkingCalendar, OfJoinsTheYearsItIsGiven) {
  domain::CalendarYear y2027;
  y2027.year = 2027;
  y2027.holidays = {D(2027, 1, 1)};
  y2027.makeup_workdays = {D(2027, 1, 2)};
  const WorkingCalendar both = WorkingCalendar::Of({Official2026(), y2027});
  EXPECT_FALSE(both.IsWorkingDay(D(2026, 10, 1)));
  EXPECT_FALSE(both.IsWorkingDay(D(2027, 1, 1)));
  EXPECT_TRUE(both.IsWorkingDay(D(2027, 1, 2)));
  EXPECT_TRUE(both.IsWorkingDay(D(2026, 1, 4)));
}

TEST(Sla, FifteenDaysAcrossTheSpringFestival2026) {
  // Submitted Tue 02-10.
  // Monday to Friday only: 02-11 (1), 02-12 (2), 02-13 (3), 02-16..02-20
  // (4-8), 02-23..02-27 (9-13), 03-02 (14), Tue 03-03 (15).
  EXPECT_EQ(StartClock({}, D(2026, 2, 10), 15, WorkingCalendar()).due_date,
            D(2026, 3, 3));
  // Holidays 02-15..02-23 without the make-up Saturdays: 02-11, 02-12,
  // 02-13 (1-3), 02-24..02-27 (4-7), 03-02..03-06 (8-12), 03-09 (13),
  // 03-10 (14), Wed 03-11 (15).
  EXPECT_EQ(StartClock({}, D(2026, 2, 10), 15, HolidaysOnly2026()).due_date,
            D(2026, 3, 11));
  // The official calendar: 02-11, 02-12, 02-13 (1-3), Sat 02-14 (4),
  // 02-24..02-27 (5-8), Sat 02-28 (9), 03-02..03-06 (10-14), Mon 03-09 (15).
  EXPECT_EQ(
      StartClock({}, D(2026, 2, 10), 15, WorkingCalendar::Of({Official2026()}))
          .due_date,
      D(2026, 3, 9));
}

TEST(Sla, FifteenDaysAcrossNationalDay2026) {
  // Submitted Fri 09-18. Holidays only: 09-21..09-24 (1-4), 09-28..09-30
  // (5-7), 10-08 (8), 10-09 (9), 10-12..10-16 (10-14), Mon 10-19 (15).
  EXPECT_EQ(StartClock({}, D(2026, 9, 18), 15, HolidaysOnly2026()).due_date,
            D(2026, 10, 19));
  // The official calendar: Sun 09-20 (1), 09-21..09-24 (2-5), 09-28..09-30
  // (6-8), 10-08 (9), 10-09 (10), Sat 10-10 (11), 10-12..10-15 (12-15):
  // Thu 10-15.
  EXPECT_EQ(
      StartClock({}, D(2026, 9, 18), 15, WorkingCalendar::Of({Official2026()}))
          .due_date,
      D(2026, 10, 15));
}

TEST(Sla, ThreeProvisionalDaysAcrossAMakeUpSaturday) {
  const WorkingCalendar official = WorkingCalendar::Of({Official2026()});
  // Thu 02-12: Fri 02-13 (1), Sat 02-14 make-up (2), then 02-15..02-23 off,
  // Tue 02-24 (3).
  EXPECT_EQ(StartClock({}, D(2026, 2, 12), 3, official).due_date,
            D(2026, 2, 24));
  // Without the make-up Saturday: 02-13 (1), 02-24 (2), Wed 02-25 (3).
  EXPECT_EQ(StartClock({}, D(2026, 2, 12), 3, HolidaysOnly2026()).due_date,
            D(2026, 2, 25));
}

TEST(Sla, PauseCountsTheMakeUpDaysUsed) {
  const WorkingCalendar official = WorkingCalendar::Of({Official2026()});
  const domain::SlaState sla = StartClock({}, D(2026, 2, 10), 15, official);
  // (Tue 02-10, Tue 02-24]: 02-11, 02-12, 02-13, Sat 02-14, 02-24 = 5.
  EXPECT_EQ(PauseClock(sla, D(2026, 2, 24), official).used_working_days, 5);
}

TEST(Sla, StartClockOnFreshTaskSetsTotalAndDueDate) {
  const WorkingCalendar calendar;
  const domain::SlaState sla =
      StartClock(domain::SlaState{}, D(2026, 2, 27), 15, calendar);
  EXPECT_EQ(sla.total_working_days, 15);
  EXPECT_EQ(sla.used_working_days, 0);
  EXPECT_EQ(sla.clock_start, D(2026, 2, 27));
  // Fri 02-27: 03-02..03-06 (1-5), 03-09..03-13 (6-10), 03-16..03-20 (11-15).
  EXPECT_EQ(sla.due_date, std::optional(D(2026, 3, 20)));
  EXPECT_FALSE(sla.overdue);
}

TEST(Sla, ProvisionalTotalIsThreeDays) {
  const WorkingCalendar calendar;
  const domain::SlaState sla =
      StartClock(domain::SlaState{}, D(2026, 2, 27), 3, calendar);
  EXPECT_EQ(sla.total_working_days, 3);
  // Fri 02-27: Mon 03-02 (1), Tue 03-03 (2), Wed 03-04 (3).
  EXPECT_EQ(sla.due_date, std::optional(D(2026, 3, 4)));
}

TEST(Sla, SubmissionOnHolidayStartsAfterIt) {
  const WorkingCalendar calendar = NationalDayCalendar();
  // Wed 09-30, 3 days: Thu 10-08 (1), Fri 10-09 (2), Mon 10-12 (3).
  const domain::SlaState sla =
      StartClock(domain::SlaState{}, D(2026, 9, 30), 3, calendar);
  EXPECT_EQ(sla.due_date, std::optional(D(2026, 10, 12)));
  // Sat 10-03 (holiday week): same three days.
  EXPECT_EQ(
      StartClock(domain::SlaState{}, D(2026, 10, 3), 3, calendar).due_date,
      std::optional(D(2026, 10, 12)));
}

TEST(Sla, PauseCountsDaysUsedAndClearsDueDate) {
  const WorkingCalendar calendar;
  const domain::SlaState started =
      StartClock(domain::SlaState{}, D(2026, 3, 2), 15, calendar);
  // Returned on Thu 03-05: 03-03, 03-04, 03-05 used.
  const domain::SlaState paused = PauseClock(started, D(2026, 3, 5), calendar);
  EXPECT_EQ(paused.used_working_days, 3);
  EXPECT_EQ(paused.total_working_days, 15);
  EXPECT_EQ(paused.clock_start, D(2026, 3, 2));
  EXPECT_EQ(paused.due_date, std::nullopt);
}

TEST(Sla, ResumeDueDateCountsRemainingDaysFromResubmission) {
  const WorkingCalendar calendar;
  const domain::SlaState started =
      StartClock(domain::SlaState{}, D(2026, 3, 2), 15, calendar);
  const domain::SlaState paused = PauseClock(started, D(2026, 3, 5), calendar);
  // Resubmitted Mon 03-16; a different `total` is ignored because days have
  // been used. 12 remain: 03-17..03-20 (1-4), 03-23..03-27 (5-9),
  // 03-30, 03-31, Wed 04-01 (10-12).
  const domain::SlaState resumed =
      StartClock(paused, D(2026, 3, 16), 3, calendar);
  EXPECT_EQ(resumed.total_working_days, 15);
  EXPECT_EQ(resumed.used_working_days, 3);
  EXPECT_EQ(resumed.clock_start, D(2026, 3, 16));
  EXPECT_EQ(resumed.due_date, std::optional(D(2026, 4, 1)));
}

TEST(Sla, FreshStartTakesNewTotal) {
  const WorkingCalendar calendar;
  domain::SlaState previous;
  previous.total_working_days = 15;
  previous.used_working_days = 0;  // returned on the submission day
  const domain::SlaState sla =
      StartClock(previous, D(2026, 2, 27), 3, calendar);
  EXPECT_EQ(sla.total_working_days, 3);
  EXPECT_EQ(sla.due_date, std::optional(D(2026, 3, 4)));
}

TEST(Sla, ReturnOnWeekendCountsNoExtraDay) {
  const WorkingCalendar calendar;
  const domain::SlaState started =
      StartClock(domain::SlaState{}, D(2026, 3, 2), 15, calendar);
  // Started Mon 03-02; 03-03..03-06 = 4 whether returned Fri, Sat or Sun;
  // Mon 03-09 adds a fifth.
  EXPECT_EQ(PauseClock(started, D(2026, 3, 6), calendar).used_working_days, 4);
  EXPECT_EQ(PauseClock(started, D(2026, 3, 7), calendar).used_working_days, 4);
  EXPECT_EQ(PauseClock(started, D(2026, 3, 8), calendar).used_working_days, 4);
  EXPECT_EQ(PauseClock(started, D(2026, 3, 9), calendar).used_working_days, 5);
}

TEST(Sla, ReturnOnSubmissionDayUsesNothing) {
  const WorkingCalendar calendar;
  const domain::SlaState started =
      StartClock(domain::SlaState{}, D(2026, 3, 2), 15, calendar);
  EXPECT_EQ(PauseClock(started, D(2026, 3, 2), calendar).used_working_days, 0);
}

TEST(Sla, UsedDaysAreCappedAtTotal) {
  const WorkingCalendar calendar;
  const domain::SlaState started =
      StartClock(domain::SlaState{}, D(2026, 3, 2), 15, calendar);
  // Returned Fri 04-10: 03-03..04-10 holds 4 + 5 * 5 = 29 working days.
  const domain::SlaState paused = PauseClock(started, D(2026, 4, 10), calendar);
  EXPECT_EQ(paused.used_working_days, 15);
  // Nothing remains: due on the resubmission day Mon 04-13 itself.
  const domain::SlaState resumed =
      StartClock(paused, D(2026, 4, 13), 15, calendar);
  EXPECT_EQ(resumed.used_working_days, 15);
  EXPECT_EQ(resumed.due_date, std::optional(D(2026, 4, 13)));
}

TEST(Sla, CapIncludesDaysUsedBeforeEarlierReturns) {
  const WorkingCalendar calendar;
  domain::SlaState sla;
  sla.total_working_days = 15;
  sla.used_working_days = 10;
  sla.clock_start = D(2026, 3, 2);
  // (Mon 03-02, Wed 03-11] = 03-03..03-06 (4) + 03-09..03-11 (3) = 7;
  // 10 + 7 = 17, capped at 15.
  EXPECT_EQ(PauseClock(sla, D(2026, 3, 11), calendar).used_working_days, 15);
  // (Mon 03-02, Wed 03-04] = 2; 10 + 2 = 12, below the cap.
  EXPECT_EQ(PauseClock(sla, D(2026, 3, 4), calendar).used_working_days, 12);
}

TEST(Sla, PauseKeepsOverdueAndStartClearsIt) {
  const WorkingCalendar calendar;
  domain::SlaState sla =
      StartClock(domain::SlaState{}, D(2026, 3, 2), 15, calendar);
  sla.overdue = true;
  const domain::SlaState paused = PauseClock(sla, D(2026, 3, 24), calendar);
  EXPECT_TRUE(paused.overdue);
  EXPECT_FALSE(StartClock(paused, D(2026, 3, 25), 15, calendar).overdue);
}

TEST(Sla, EndOfDayIsNextMidnightInDistrictZone) {
  const absl::TimeZone shanghai = absl::FixedTimeZone(8 * 3600);
  // Due 2026-03-02 -> overdue from 2026-03-03 00:00 +08:00, which is
  // 2026-03-02T16:00:00Z = 1772467200 s since the epoch.
  EXPECT_EQ(EndOfDay(D(2026, 3, 2), shanghai),
            absl::FromUnixSeconds(1772467200));
  // In UTC, 2026-12-31 ends at 2027-01-01T00:00:00Z = 1798761600.
  EXPECT_EQ(EndOfDay(D(2026, 12, 31), absl::UTCTimeZone()),
            absl::FromUnixSeconds(1798761600));
}

}  // namespace
}  // namespace taskgate::workflow
