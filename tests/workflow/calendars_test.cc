// `Calendars` (workflow/calendars.h): the working-day calendar as published
// data (SPEC §2), and the review SLA (SPEC §4.1) counted with the calendar
// in force when a clock starts. Every expected date was counted by hand
// against the 2026 calendar; the count is written beside each.
#include "workflow/calendars.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"
#include "domain/codec.h"
#include "tests/testing/official_calendar.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

absl::CivilDay D(int y, int m, int d) { return absl::CivilDay(y, m, d); }

using ::taskgate::testing::Official2026;

class CalendarsTest : public TaskWorkflowTest {
 protected:
  absl::StatusOr<domain::CalendarYear> Publish(
      domain::CalendarYear c, const domain::Principal& who = Admin(),
      const std::string& request_id = "") {
    return engine_->calendars().Publish(who, request_id, std::move(c));
  }

  // Task `id`, a clean assist-list task starting 60 days later, created and
  // submitted at 09:00 of `day` (in Shanghai). `emergency` makes it
  // PROVISIONAL at submit.
  absl::StatusOr<domain::Task> SubmitOn(const std::string& id,
                                        absl::CivilDay day,
                                        bool emergency = false) {
    clock_.Set(At(static_cast<int>(day.year()), day.month(), day.day()));
    domain::TaskSpec s = CleanAssistSpec();
    s.start_date = day + 60;
    s.end_date = day + 90;
    if (emergency) {
      s.emergency = true;
      s.emergency_reason = "flood season";
    }
    Create(id, s);
    return Do(Clerk(), TaskAction::kSubmit, id);
  }

  std::vector<store::StoredEvent> CalendarEvents() {
    store::EventQuery q;
    q.district_id = "default";
    q.entity_type = "calendar";
    absl::StatusOr<std::vector<store::StoredEvent>> events =
        sqlite_->ListEvents(q);
    EXPECT_THAT(events, IsOk());
    return events.ok() ? *std::move(events) : std::vector<store::StoredEvent>();
  }
};

TEST_F(CalendarsTest, SpringFestivalDeadlineCountsTheMakeUpSaturdays) {
  ASSERT_THAT(Publish(Official2026()), IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Task t, SubmitOn("t1", D(2026, 2, 10)));
  ASSERT_EQ(t.state, domain::TaskState::kSubmitted);
  // Submitted Tue 02-10. Day 1 is Wed 02-11: 02-11 (1), 02-12 (2), 02-13
  // (3), Sat 02-14 make-up (4); 02-15..02-23 春节 off; 02-24 (5), 02-25 (6),
  // 02-26 (7), 02-27 (8), Sat 02-28 make-up (9); Sun 03-01 off; 03-02 (10),
  // 03-03 (11), 03-04 (12), 03-05 (13), 03-06 (14); 03-07/08 weekend; Mon
  // 03-09 (15).
  EXPECT_EQ(t.sla.due_date, D(2026, 3, 9));
  EXPECT_EQ(t.sla.total_working_days, 15);
  // Overdue from the start of the next day.
  EXPECT_EQ(t.timer_at, At(2026, 3, 10, 0));
}

TEST_F(CalendarsTest, NationalDayDeadlineCountsTheMakeUpSundayAndSaturday) {
  ASSERT_THAT(Publish(Official2026()), IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Task t, SubmitOn("t1", D(2026, 9, 18)));
  // Submitted Fri 09-18. Sat 09-19 off; Sun 09-20 make-up (1); 09-21 (2),
  // 09-22 (3), 09-23 (4), 09-24 (5); 09-25..09-27 中秋 off; 09-28 (6), 09-29
  // (7), 09-30 (8); 10-01..10-07 国庆 off; 10-08 (9), 10-09 (10), Sat 10-10
  // make-up (11); Sun 10-11 off; 10-12 (12), 10-13 (13), 10-14 (14), Thu
  // 10-15 (15).
  EXPECT_EQ(t.sla.due_date, D(2026, 10, 15));
}

TEST_F(CalendarsTest, ProvisionalDeadlineOfThreeDaysCountsAMakeUpSaturday) {
  ASSERT_THAT(Publish(Official2026()), IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Task t,
                       SubmitOn("t1", D(2026, 5, 7), /*emergency=*/true));
  ASSERT_EQ(t.state, domain::TaskState::kProvisional);
  // Submitted Thu 05-07 (after 劳动节 05-01..05-05). Fri 05-08 (1), Sat
  // 05-09 make-up (2), Sun 05-10 off, Mon 05-11 (3). Without the make-up
  // day it would be Tue 05-12.
  EXPECT_EQ(t.sla.total_working_days, 3);
  EXPECT_EQ(t.sla.due_date, D(2026, 5, 11));
}

TEST_F(CalendarsTest, ResubmissionCountsTheUnusedDaysWithTheCalendarInForce) {
  ASSERT_THAT(Publish(Official2026()), IsOk());
  ASSERT_THAT(SubmitOn("t1", D(2026, 2, 10)), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  clock_.Set(At(2026, 2, 24));
  ASSERT_OK_AND_ASSIGN(domain::Task returned,
                       Do(Reviewer("r1"), TaskAction::kReturn, "t1", "fix"));
  // Used from Tue 02-10 to the return on Tue 02-24: 02-11, 02-12, 02-13,
  // Sat 02-14 make-up, 02-24 = 5 (02-15..02-23 off).
  EXPECT_EQ(returned.sla.used_working_days, 5);
  clock_.Set(At(2026, 2, 25));
  ASSERT_OK_AND_ASSIGN(domain::Task again,
                       Do(Clerk(), TaskAction::kSubmit, "t1"));
  // Resubmitted Wed 02-25, 10 days left: 02-26 (1), 02-27 (2), Sat 02-28
  // make-up (3), 03-02 (4), 03-03 (5), 03-04 (6), 03-05 (7), 03-06 (8),
  // 03-09 (9), Tue 03-10 (10).
  EXPECT_EQ(again.sla.due_date, D(2026, 3, 10));
}

TEST_F(CalendarsTest, ACalendarChangeIsAuditedAndReachesOnlyTasksAfterIt) {
  // Version 1: the autumn holidays without their make-up working days.
  domain::CalendarYear first;
  first.year = 2026;
  for (int d = 25; d <= 27; ++d) first.holidays.push_back(D(2026, 9, d));
  for (int d = 1; d <= 7; ++d) first.holidays.push_back(D(2026, 10, d));
  first.note = "autumn holidays";
  clock_.Set(At(2026, 9, 1));
  ASSERT_OK_AND_ASSIGN(domain::CalendarYear v1, Publish(first));
  EXPECT_EQ(v1.version, 1);

  ASSERT_OK_AND_ASSIGN(domain::Task before, SubmitOn("before", D(2026, 9, 18)));
  // Fri 09-18 under version 1: 09-21 (1), 09-22 (2), 09-23 (3), 09-24 (4),
  // 09-28 (5), 09-29 (6), 09-30 (7), 10-08 (8), 10-09 (9), 10-12 (10),
  // 10-13 (11), 10-14 (12), 10-15 (13), 10-16 (14), Mon 10-19 (15).
  EXPECT_EQ(before.sla.due_date, D(2026, 10, 19));

  // The admin publishes the official calendar: version 2, with the whole
  // year and what changed in its event.
  clock_.Set(At(2026, 9, 18, 10));
  const int64_t events_before = EventCount();
  ASSERT_OK_AND_ASSIGN(domain::CalendarYear v2, Publish(Official2026()));
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(v2.published_by, "admin-1");
  EXPECT_EQ(v2.published_at, At(2026, 9, 18, 10));
  EXPECT_EQ(EventCount(), events_before + 1);
  const std::vector<store::StoredEvent> events = CalendarEvents();
  ASSERT_THAT(events, SizeIs(2));
  const domain::AuditEvent& e = events[1].event;
  EXPECT_EQ(e.action, "calendar.publish");
  EXPECT_EQ(e.actor_id, "admin-1");
  EXPECT_EQ(e.actor_role, domain::Role::kAdmin);
  EXPECT_EQ(e.entity_id, "2026");
  EXPECT_EQ(e.reason, "国务院办公厅关于2026年部分节假日安排的通知");
  EXPECT_THAT(
      e.details,
      AllOf(Contains(Pair("year", "2026")), Contains(Pair("version", "2")),
            Contains(Pair("previous_version", "1")),
            Contains(Pair("makeup_workdays",
                          "2026-01-04,2026-02-14,2026-02-28,"
                          "2026-05-09,2026-09-20,2026-10-10")),
            Contains(Pair("makeup_workdays_added",
                          "2026-01-04,2026-02-14,2026-02-28,"
                          "2026-05-09,2026-09-20,2026-10-10"))));
  std::vector<std::string> all_holidays;
  for (absl::CivilDay day : Official2026().holidays) {
    all_holidays.push_back(domain::FormatCivilDay(day));
  }
  EXPECT_EQ(e.details.at("holidays"), absl::StrJoin(all_holidays, ","));
  EXPECT_THAT(e.details.at("holidays_added"),
              AllOf(HasSubstr("2026-01-01,2026-01-02,2026-01-03,2026-02-15"),
                    HasSubstr("2026-06-21")));
  EXPECT_FALSE(e.details.contains("holidays_removed"));
  // The change's write: the new version, every field.
  ASSERT_THAT(e.writes, SizeIs(1));
  EXPECT_EQ(e.writes[0].kind, "calendar");
  EXPECT_EQ(e.writes[0].id, "2026/2");
  EXPECT_TRUE(e.writes[0].complete);

  // A task submitted after the change is counted with version 2 (Thu
  // 10-15, as in NationalDayDeadlineCountsTheMakeUpSundayAndSaturday); the
  // earlier one keeps its due date.
  clock_.Set(At(2026, 9, 18, 11));
  Create("after", [&] {
    domain::TaskSpec s = CleanAssistSpec();
    s.start_date = D(2026, 11, 20);
    s.end_date = D(2026, 12, 20);
    return s;
  }());
  ASSERT_OK_AND_ASSIGN(domain::Task after,
                       Do(Clerk(), TaskAction::kSubmit, "after"));
  EXPECT_EQ(after.sla.due_date, D(2026, 10, 15));
  ASSERT_OK_AND_ASSIGN(domain::Task kept, GetTask("before"));
  EXPECT_EQ(kept.sla.due_date, D(2026, 10, 19));

  // Both versions stay readable; version 0 is the one in force.
  ASSERT_OK_AND_ASSIGN(domain::CalendarYear read1,
                       engine_->calendars().Get(Clerk(), 2026, 1));
  EXPECT_EQ(read1.holidays, v1.holidays);
  EXPECT_THAT(read1.makeup_workdays, IsEmpty());
  ASSERT_OK_AND_ASSIGN(domain::CalendarYear in_force,
                       engine_->calendars().Get(Clerk(), 2026, 0));
  EXPECT_EQ(in_force.version, 2);
  EXPECT_EQ(in_force.makeup_workdays, Official2026().makeup_workdays);
}

TEST_F(CalendarsTest, ReviewDaysOfTheStatisticsCountWithTheCalendarInForce) {
  ASSERT_THAT(Publish(Official2026()), IsOk());
  ASSERT_THAT(SubmitOn("t1", D(2026, 2, 10)), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  clock_.Set(At(2026, 2, 24));
  ASSERT_OK_AND_ASSIGN(domain::Task active,
                       Do(Reviewer("r1"), TaskAction::kApprove, "t1"));
  ASSERT_EQ(active.state, domain::TaskState::kActive);
  // Tue 02-10 to Tue 02-24: 02-11, 02-12, 02-13, Sat 02-14 make-up, 02-24 =
  // 5 working days (Monday to Friday alone would say 10).
  ASSERT_OK_AND_ASSIGN(
      std::vector<store::Counter> counters,
      sqlite_->ListCounters("default", "d:2026-02-24", "d:2026-02-24", 0));
  std::vector<std::string> review_days;
  for (const store::Counter& c : counters) {
    if (c.name.starts_with("review_days:")) review_days.push_back(c.name);
  }
  EXPECT_THAT(review_days, ElementsAre("review_days:5"));
}

TEST_F(CalendarsTest, ValidationNamesEachBadFieldAndWritesNothing) {
  const int64_t events = EventCount();
  domain::CalendarYear c;
  c.year = 2026;
  c.holidays = {D(2025, 12, 31), D(2026, 10, 1), D(2026, 10, 1)};
  c.makeup_workdays = {D(2026, 10, 5),    // a Monday
                       D(2026, 10, 3),    // a Saturday, but a holiday too
                       D(2026, 10, 10)};  // fine
  c.holidays.push_back(D(2026, 10, 3));
  c.note = "bad \x1b[31m note";
  const absl::StatusOr<domain::CalendarYear> refused = Publish(c);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(refused.status()),
              ElementsAre("holidays[0]", "holidays[2]", "makeup_workdays[0]",
                          "makeup_workdays[1]", "note"));
  EXPECT_THAT(refused.status().message(),
              AllOf(HasSubstr("2025-12-31 is not in 2026"),
                    HasSubstr("2026-10-01 is listed more than once"),
                    HasSubstr("2026-10-05 is a Monday"),
                    HasSubstr("2026-10-03 is also on the holiday list")));

  domain::CalendarYear old;
  old.year = 1999;
  old.holidays = {D(1999, 10, 1)};
  EXPECT_THAT(Fields(Publish(old).status()), ElementsAre("year"));

  domain::CalendarYear crowded;
  crowded.year = 2026;
  for (int i = 0; i < 367; ++i) crowded.holidays.push_back(D(2026, 1, 1) + i);
  const absl::Status too_many = Publish(crowded).status();
  EXPECT_THAT(Fields(too_many), ElementsAre("holidays"));
  EXPECT_THAT(too_many.message(), HasSubstr("at most 366"));

  EXPECT_EQ(EventCount(), events);
  EXPECT_THAT(CalendarEvents(), IsEmpty());
  EXPECT_THAT(engine_->calendars().Get(Admin(), 2026, 0),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CalendarsTest, OnlyAnAdminPublishesAndEveryRoleReads) {
  for (const domain::Principal& who :
       {Clerk(), Reviewer("r1"), Office("c1"), Auditor()}) {
    SCOPED_TRACE(who.id);
    EXPECT_THAT(Publish(Official2026(), who),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("an admin publishes it")));
  }
  EXPECT_THAT(CalendarEvents(), IsEmpty());
  ASSERT_THAT(Publish(Official2026()), IsOk());
  for (const domain::Principal& who :
       {Clerk(), Reviewer("r1"), Office("c1"), Auditor(), Admin()}) {
    SCOPED_TRACE(who.id);
    EXPECT_THAT(engine_->calendars().Get(who, 2026, 0), IsOk());
    ASSERT_OK_AND_ASSIGN(Page<domain::CalendarYear> page,
                         engine_->calendars().List(who, {}));
    EXPECT_THAT(page.items, SizeIs(1));
  }
}

TEST_F(CalendarsTest, PublishIsIdempotentByRequestId) {
  ASSERT_OK_AND_ASSIGN(domain::CalendarYear first,
                       Publish(Official2026(), Admin(), "cal-2026"));
  ASSERT_OK_AND_ASSIGN(domain::CalendarYear retry,
                       Publish(Official2026(), Admin(), "cal-2026"));
  EXPECT_EQ(retry.version, first.version);
  EXPECT_THAT(CalendarEvents(), SizeIs(1));
  // The days may come in any order: the same calendar is the same request.
  domain::CalendarYear shuffled = Official2026();
  std::reverse(shuffled.holidays.begin(), shuffled.holidays.end());
  EXPECT_THAT(Publish(shuffled, Admin(), "cal-2026"), IsOk());
  EXPECT_THAT(CalendarEvents(), SizeIs(1));
  // Another calendar under the same request id is refused.
  domain::CalendarYear other = Official2026();
  other.makeup_workdays.pop_back();
  EXPECT_THAT(Fields(Publish(other, Admin(), "cal-2026").status()),
              ElementsAre("request_id"));
  // Without a request id, each publish is a new version.
  ASSERT_OK_AND_ASSIGN(domain::CalendarYear next, Publish(other));
  EXPECT_EQ(next.version, 2);
}

TEST_F(CalendarsTest, ListShowsTheVersionInForceOfEachYear) {
  domain::CalendarYear y2027;
  y2027.year = 2027;
  y2027.holidays = {D(2027, 1, 1)};
  ASSERT_THAT(Publish(y2027), IsOk());
  ASSERT_THAT(Publish(Official2026()), IsOk());
  domain::CalendarYear revised = Official2026();
  revised.holidays.push_back(D(2026, 12, 31));
  ASSERT_THAT(Publish(revised), IsOk());
  ASSERT_OK_AND_ASSIGN(Page<domain::CalendarYear> page,
                       engine_->calendars().List(Clerk(), {}));
  ASSERT_THAT(page.items, SizeIs(2));
  EXPECT_EQ(page.items[0].year, 2026);
  EXPECT_EQ(page.items[0].version, 2);
  EXPECT_EQ(page.items[1].year, 2027);
  EXPECT_EQ(page.items[1].version, 1);
  EXPECT_TRUE(page.next_page_token.empty());
  // Paged by year.
  ASSERT_OK_AND_ASSIGN(Page<domain::CalendarYear> first,
                       engine_->calendars().List(Clerk(), {1, ""}));
  ASSERT_THAT(first.items, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(
      Page<domain::CalendarYear> second,
      engine_->calendars().List(Clerk(), {1, first.next_page_token}));
  ASSERT_THAT(second.items, SizeIs(1));
  EXPECT_EQ(second.items[0].year, 2027);

  EXPECT_THAT(engine_->calendars().Get(Clerk(), 2028, 0),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("2028")));
  EXPECT_THAT(Fields(engine_->calendars().Get(Clerk(), 1999, -1).status()),
              ElementsAre("year", "version"));
}

// The configuration's holidays are only the initial value (SPEC §2).
class CalendarSeedTest : public TaskWorkflowTest {
 protected:
  EngineOptions Options() const override {
    EngineOptions o;
    for (int d = 1; d <= 7; ++d) o.initial_holidays.push_back(D(2026, 10, d));
    o.initial_holidays.push_back(D(2027, 1, 1));
    return o;
  }
};

TEST_F(CalendarSeedTest, TheConfiguredHolidaysAreStoredOnTheFirstStartOnly) {
  ASSERT_OK_AND_ASSIGN(std::vector<domain::CalendarYear> seeded,
                       engine_->calendars().SeedIfEmpty());
  ASSERT_THAT(seeded, SizeIs(2));
  EXPECT_EQ(seeded[0].year, 2026);
  EXPECT_EQ(seeded[0].version, 1);
  EXPECT_THAT(seeded[0].holidays, SizeIs(7));
  EXPECT_THAT(seeded[0].makeup_workdays, IsEmpty());
  EXPECT_EQ(seeded[0].published_by, "system");
  EXPECT_EQ(seeded[1].year, 2027);

  // Recorded as the system, one event per year, each with its year's write.
  store::EventQuery q;
  q.district_id = "default";
  q.action = "calendar.publish";
  ASSERT_OK_AND_ASSIGN(std::vector<store::StoredEvent> events,
                       sqlite_->ListEvents(q));
  ASSERT_THAT(events, SizeIs(2));
  for (const store::StoredEvent& e : events) {
    EXPECT_EQ(e.event.actor_id, "system");
    EXPECT_EQ(e.event.actor_role, domain::Role::kSystem);
    EXPECT_THAT(e.event.reason, HasSubstr("configuration's holidays"));
    ASSERT_THAT(e.event.writes, SizeIs(1));
    EXPECT_EQ(e.event.writes[0].id, e.event.entity_id + "/1");
  }
  EXPECT_EQ(events[0].event.details.at("holidays"),
            "2026-10-01,2026-10-02,2026-10-03,2026-10-04,2026-10-05,"
            "2026-10-06,2026-10-07");

  // The seeded calendar counts: Wed 09-30, then 10-01..07 off: 10-08 (1),
  // 10-09 (2), Mon 10-12 (3) for a provisional task (no make-up Saturday
  // 10-10 in the configuration's calendar).
  clock_.Set(At(2026, 9, 30));
  domain::TaskSpec s = CleanAssistSpec();
  s.start_date = D(2026, 12, 1);
  s.end_date = D(2026, 12, 31);
  s.emergency = true;
  s.emergency_reason = "typhoon";
  Create("t1", s);
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_EQ(t.sla.due_date, D(2026, 10, 12));

  // A second start seeds nothing, even with other holidays configured.
  const int64_t count = EventCount();
  ASSERT_OK_AND_ASSIGN(seeded, engine_->calendars().SeedIfEmpty());
  EXPECT_THAT(seeded, IsEmpty());
  engine_.reset();
  EngineOptions other;
  other.initial_holidays = {D(2026, 5, 1), D(2028, 1, 1)};
  engine_ = std::make_unique<Engine>(*faults_, clock_, other);
  ASSERT_OK_AND_ASSIGN(seeded, engine_->calendars().SeedIfEmpty());
  EXPECT_THAT(seeded, IsEmpty());
  EXPECT_EQ(EventCount(), count);
  ASSERT_OK_AND_ASSIGN(Page<domain::CalendarYear> years,
                       engine_->calendars().List(Auditor(), {}));
  ASSERT_THAT(years.items, SizeIs(2));
  EXPECT_EQ(years.items[0].year, 2026);
  EXPECT_EQ(years.items[0].version, 1);
  EXPECT_THAT(years.items[0].holidays, Contains(D(2026, 10, 1)));
  EXPECT_THAT(years.items[0].holidays, ::testing::Not(Contains(D(2026, 5, 1))));
  EXPECT_EQ(years.items[1].year, 2027);
}

TEST_F(CalendarSeedTest, NothingIsSeededOverAPublishedCalendar) {
  domain::CalendarYear c = Official2026();
  ASSERT_THAT(engine_->calendars().Publish(Admin(), "", c), IsOk());
  ASSERT_OK_AND_ASSIGN(std::vector<domain::CalendarYear> seeded,
                       engine_->calendars().SeedIfEmpty());
  EXPECT_THAT(seeded, IsEmpty());
  ASSERT_OK_AND_ASSIGN(Page<domain::CalendarYear> years,
                       engine_->calendars().List(Auditor(), {}));
  ASSERT_THAT(years.items, SizeIs(1));
  EXPECT_EQ(years.items[0].published_by, "admin-1");
}

}  // namespace
}  // namespace taskgate::workflow
