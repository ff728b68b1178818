// The working-day calendar through the real server (SPEC §2, §4.1): the
// configured holidays become the initial calendar on the first start only;
// the admin publishes a year (audited, idempotent, validated field by
// field); every role reads it; and a task submitted after a publish gets
// its due date from it, counted by hand below.
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_fixture.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;

// The official 2026 arrangement (国务院办公厅关于2026年部分节假日安排的通知,
// 2025-11-04), as an admin sends it.
v1::PublishCalendarRequest Official2026(const std::string& request_id) {
  v1::PublishCalendarRequest r;
  r.set_request_id(request_id);
  r.set_year(2026);
  const auto off = [&](int m, int first, int last) {
    for (int d = first; d <= last; ++d) {
      r.add_holidays(DateText(absl::CivilDay(2026, m, d)));
    }
  };
  off(1, 1, 3);    // 元旦
  off(2, 15, 23);  // 春节
  off(4, 4, 6);    // 清明节
  off(5, 1, 5);    // 劳动节
  off(6, 19, 21);  // 端午节
  off(9, 25, 27);  // 中秋节
  off(10, 1, 7);   // 国庆节
  for (const char* day : {"2026-01-04", "2026-02-14", "2026-02-28",
                          "2026-05-09", "2026-09-20", "2026-10-10"}) {
    r.add_makeup_workdays(day);
  }
  r.set_note("国务院办公厅关于2026年部分节假日安排的通知");
  return r;
}

class CalendarE2eTest : public E2eTest {
 protected:
  // The operator's configuration lists National Day only: the initial
  // calendar of a deployment from before the calendar was published data.
  void Configure(services::ServerConfig& config) override {
    for (int d = 1; d <= 7; ++d) {
      config.holidays.push_back(DateText(absl::CivilDay(2026, 10, d)));
    }
  }

  std::vector<v1::AuditEvent> CalendarEvents() {
    v1::ListEventsRequest r;
    r.set_action("calendar.publish");
    return Events(r);
  }
};

TEST_F(CalendarE2eTest, TheConfiguredHolidaysAreTheCalendarOfTheFirstStart) {
  ASSERT_OK_AND_ASSIGN(v1::ListCalendarsResponse listed,
                       Call(clerk_, *admins_, &AdminStub::ListCalendars,
                            v1::ListCalendarsRequest()));
  ASSERT_THAT(listed.calendars(), SizeIs(1));
  const v1::CalendarYear& seeded = listed.calendars(0);
  EXPECT_EQ(seeded.year(), 2026);
  EXPECT_EQ(seeded.version(), 1);
  EXPECT_EQ(seeded.published_by(), "system");
  EXPECT_THAT(seeded.holidays(), SizeIs(7));
  EXPECT_THAT(seeded.makeup_workdays(), SizeIs(0));
  std::vector<v1::AuditEvent> events = CalendarEvents();
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].actor_id(), "system");

  // A restart with other holidays configured changes nothing: the calendar
  // is the published data now.
  StopServer();
  config_.holidays = {"2026-05-01", "2026-05-04"};
  ASSERT_THAT(OpenServer(), IsOk());
  ASSERT_OK_AND_ASSIGN(listed, Call(clerk_, *admins_, &AdminStub::ListCalendars,
                                    v1::ListCalendarsRequest()));
  ASSERT_THAT(listed.calendars(), SizeIs(1));
  EXPECT_EQ(listed.calendars(0).version(), 1);
  EXPECT_THAT(listed.calendars(0).holidays(), Contains("2026-10-01"));
  EXPECT_THAT(CalendarEvents(), SizeIs(1));
}

TEST_F(CalendarE2eTest, APublishedCalendarSetsTheDueDatesOfLaterSubmissions) {
  clock_.Set(At(2026, 2, 10));
  // Not the clerk's to publish.
  EXPECT_THAT(Call(clerk_, *admins_, &AdminStub::PublishCalendar,
                   Official2026(NextRequestId())),
              StatusIs(absl::StatusCode::kPermissionDenied));

  const v1::PublishCalendarRequest publish = Official2026("cal-2026-official");
  ASSERT_OK_AND_ASSIGN(
      v1::CalendarYear published,
      Call(admin_, *admins_, &AdminStub::PublishCalendar, publish));
  EXPECT_EQ(published.version(), 2);  // after the configuration's seed
  EXPECT_EQ(published.published_by(), "admin");
  EXPECT_THAT(published.holidays(), SizeIs(33));
  EXPECT_THAT(published.makeup_workdays(),
              ElementsAre("2026-01-04", "2026-02-14", "2026-02-28",
                          "2026-05-09", "2026-09-20", "2026-10-10"));
  // A retry is answered with the same version and records nothing more.
  const int64_t size = TreeSize();
  ASSERT_OK_AND_ASSIGN(
      v1::CalendarYear retried,
      Call(admin_, *admins_, &AdminStub::PublishCalendar, publish));
  EXPECT_EQ(retried.version(), 2);
  EXPECT_EQ(TreeSize(), size);

  // The event holds the whole year.
  std::vector<v1::AuditEvent> events = CalendarEvents();
  ASSERT_THAT(events, SizeIs(2));
  const v1::AuditEvent& e = events[1];
  EXPECT_EQ(e.actor_id(), "admin");
  EXPECT_EQ(e.entity_type(), "calendar");
  EXPECT_EQ(e.entity_id(), "2026");
  EXPECT_EQ(e.request_id(), "cal-2026-official");
  EXPECT_THAT(e.details(),
              AllOf(Contains(Pair("version", "2")),
                    Contains(Pair("makeup_workdays",
                                  "2026-01-04,2026-02-14,2026-02-28,"
                                  "2026-05-09,2026-09-20,2026-10-10")),
                    Contains(Pair("holidays",
                                  HasSubstr("2026-02-15,2026-02-16,2026-02-17,"
                                            "2026-02-18,2026-02-19,2026-02-20,"
                                            "2026-02-21,2026-02-22,"
                                            "2026-02-23")))));
  ASSERT_THAT(e.writes(), SizeIs(1));
  EXPECT_EQ(e.writes(0).kind(), "calendar");
  EXPECT_EQ(e.writes(0).id(), "2026/2");

  // Every role reads it.
  v1::GetCalendarRequest get;
  get.set_year(2026);
  for (const Actor* who : {&clerk_, &reviewer_, &community_, &auditor_}) {
    SCOPED_TRACE(who->id);
    ASSERT_OK_AND_ASSIGN(v1::CalendarYear read,
                         Call(*who, *admins_, &AdminStub::GetCalendar, get));
    EXPECT_EQ(read.version(), 2);
  }
  get.set_version(1);
  ASSERT_OK_AND_ASSIGN(v1::CalendarYear first,
                       Call(clerk_, *admins_, &AdminStub::GetCalendar, get));
  EXPECT_EQ(first.published_by(), "system");

  // Submitted Tue 2026-02-10: 02-11 (1), 02-12 (2), 02-13 (3), Sat 02-14
  // make-up (4), 02-15..02-23 春节 off, 02-24 (5), 02-25 (6), 02-26 (7),
  // 02-27 (8), Sat 02-28 make-up (9), 03-02 (10) .. 03-06 (14), Mon 03-09
  // (15).
  const std::string id = SubmittedTask(CleanAssistSpec());
  ASSERT_OK_AND_ASSIGN(v1::Task task, GetTask(clerk_, id));
  EXPECT_EQ(task.due_date(), "2026-03-09");
}

TEST_F(CalendarE2eTest, ABadCalendarIsRefusedNamingEachField) {
  v1::PublishCalendarRequest r;
  r.set_request_id(NextRequestId());
  r.set_year(1999);
  r.add_holidays("1999-10-01");
  r.add_makeup_workdays("1999-10-04");  // a Monday
  grpc::Status raw;
  EXPECT_THAT(Call(admin_, *admins_, &AdminStub::PublishCalendar, r, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("year", "makeup_workdays[0]"));

  r.set_year(2026);
  r.clear_holidays();
  r.add_holidays("2026-02-30");
  r.add_holidays("");
  EXPECT_THAT(Call(admin_, *admins_, &AdminStub::PublishCalendar, r, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("holidays[0]", "holidays[1]"));

  v1::GetCalendarRequest get;
  get.set_year(2031);
  EXPECT_THAT(Call(clerk_, *admins_, &AdminStub::GetCalendar, get),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("2031")));
  // Only the configuration's seed is stored.
  EXPECT_THAT(CalendarEvents(), SizeIs(1));
}

}  // namespace
}  // namespace taskgate::e2e
