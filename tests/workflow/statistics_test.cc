#include "workflow/statistics.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "workflow/engine.h"
#include "workflow/statistics_counters.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::FakeClock;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::HasSubstr;

const absl::TimeZone kShanghai = absl::FixedTimeZone(8 * 60 * 60);

// Local time in the district (+08:00). March 2026 starts on a Sunday:
// Mondays are 2, 9, 16, 23, 30 March and 6, 13, 20, 27 April.
absl::Time At(int y, int m, int d, int hour = 9) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hour, 0, 0), kShanghai);
}

// Qingming holiday (a Monday) so that working-day counts across it differ
// from a plain weekday count.
const absl::CivilDay kHoliday(2026, 4, 6);

absl::CivilDay Day(int y, int m, int d) { return absl::CivilDay(y, m, d); }

StatisticsQuery MarchAndApril() {
  StatisticsQuery q;
  q.from = At(2026, 3, 1, 0);
  q.until = At(2026, 5, 1, 0);
  q.time_zone = kShanghai;
  q.calendar = WorkingCalendar({kHoliday});
  return q;
}

// Builds an audit log in order; `seq` counts up as the store's would.
class Log {
 public:
  void Add(absl::Time time, const std::string& task,
           const std::string& department, const std::string& action,
           const std::string& before, const std::string& after) {
    domain::AuditEvent e;
    e.district_id = "default";
    e.seq = static_cast<int64_t>(events_.size()) + 1;
    e.time = time;
    e.actor_id = "someone";
    e.action = "task." + action;
    e.entity_type = "task";
    e.entity_id = task;
    e.state_before = before;
    e.state_after = after;
    e.department_id = department;
    events_.push_back(e);
  }
  const std::vector<domain::AuditEvent>& events() const { return events_; }

 private:
  std::vector<domain::AuditEvent> events_;
};

domain::Task MakeTask(const std::string& id, const std::string& department,
                      double hours, std::vector<std::string> communities,
                      absl::CivilDay start, absl::CivilDay end) {
  domain::Task t;
  t.district_id = "default";
  t.id = id;
  t.department_id = department;
  t.spec.hours_per_community_month = hours;
  t.spec.start_date = start;
  t.spec.end_date = end;
  t.spec.target_communities = communities;
  t.resolved_communities = std::move(communities);
  return t;
}

domain::Community MakeCommunity(const std::string& id, double capacity,
                                double baseline) {
  domain::Community c;
  c.district_id = "default";
  c.id = id;
  c.monthly_capacity_hours = capacity;
  c.baseline_hours = baseline;
  return c;
}

const DepartmentStatistics* FindDepartment(const Statistics& s,
                                           const std::string& id) {
  for (const DepartmentStatistics& d : s.departments) {
    if (d.department_id == id) return &d;
  }
  return nullptr;
}

const CommunityMonthLoad* FindLoad(const Statistics& s, const std::string& id,
                                   absl::CivilMonth month) {
  for (const CommunityMonthLoad& l : s.community_loads) {
    if (l.community_id == id && l.month == month) return &l;
  }
  return nullptr;
}

std::vector<std::string> DepartmentIds(const Statistics& s) {
  std::vector<std::string> out;
  for (const DepartmentStatistics& d : s.departments) {
    out.push_back(d.department_id);
  }
  return out;
}

// The fixed scenario, March and April 2026, calendar with 6 April off.
//
//   task dept    h  communities  dates          story
//   T1   civil  10  c1 c2        15 Mar-30 Jun  two approvals, active 13 Mar
//   T2   civil   8  c1           1 Apr-30 Jun   returned, resubmitted,
//                                               rejected 9 Apr
//   T3   civil   5  c2           1 Mar-30 Jun   active 16 Mar, revoked 27 Mar
//   T4   civil   6  c1 c2 c3     1 Apr-30 Jun   negative list 18 Mar
//   T5   health  4  c1           10-20 Apr      duty list 2 Apr, expired 21 Apr
//   T6   safety  9  c2           1 May-30 Jun   in review at period end
//   T7   health 12  c3           23 Mar-30 Apr  emergency 23 Mar, approved
//   T8   health  7  c3           1 Mar-30 Apr   approved 1 Apr 01:00 local
//   T9   civil   3  c1           1 Feb-31 Mar   active since 27 Feb
//   T10  edu     1  c1           Feb            returned in January
//   T11  edu     2  c3           Mar            submitted Feb, rejected 3 Mar
class StatisticsScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    tasks_ = {
        MakeTask("T1", "civil", 10, {"c1", "c2"}, Day(2026, 3, 15),
                 Day(2026, 6, 30)),
        MakeTask("T2", "civil", 8, {"c1"}, Day(2026, 4, 1), Day(2026, 6, 30)),
        MakeTask("T3", "civil", 5, {"c2"}, Day(2026, 3, 1), Day(2026, 6, 30)),
        MakeTask("T4", "civil", 6, {"c1", "c2", "c3"}, Day(2026, 4, 1),
                 Day(2026, 6, 30)),
        MakeTask("T5", "health", 4, {"c1"}, Day(2026, 4, 10), Day(2026, 4, 20)),
        MakeTask("T6", "safety", 9, {"c2"}, Day(2026, 5, 1), Day(2026, 6, 30)),
        MakeTask("T7", "health", 12, {"c3"}, Day(2026, 3, 23),
                 Day(2026, 4, 30)),
        MakeTask("T8", "health", 7, {"c3"}, Day(2026, 3, 1), Day(2026, 4, 30)),
        MakeTask("T9", "civil", 3, {"c1"}, Day(2026, 2, 1), Day(2026, 3, 31)),
        MakeTask("T10", "edu", 1, {"c1"}, Day(2026, 2, 1), Day(2026, 2, 28)),
        MakeTask("T11", "edu", 2, {"c3"}, Day(2026, 3, 1), Day(2026, 3, 31)),
    };
    communities_ = {
        // Given out of order: rows must come back sorted by id.
        MakeCommunity("c3", 80, 0),
        MakeCommunity("c1", 100, 60),
        MakeCommunity("c4", 0, 0),
        MakeCommunity("c2", 50, 30),
    };

    // Before the period: history only.
    log_.Add(At(2026, 1, 5), "T10", "edu", "submit", "DRAFT", "SUBMITTED");
    log_.Add(At(2026, 1, 6), "T10", "edu", "claim", "SUBMITTED", "IN_REVIEW");
    log_.Add(At(2026, 1, 9), "T10", "edu", "return", "IN_REVIEW", "RETURNED");
    log_.Add(At(2026, 2, 25), "T11", "edu", "submit", "DRAFT", "SUBMITTED");
    log_.Add(At(2026, 2, 26), "T9", "civil", "submit", "DRAFT", "SUBMITTED");
    log_.Add(At(2026, 2, 27), "T9", "civil", "claim", "SUBMITTED", "IN_REVIEW");
    log_.Add(At(2026, 2, 27), "T9", "civil", "approve", "IN_REVIEW", "ACTIVE");
    // March.
    log_.Add(At(2026, 3, 2), "T1", "civil", "submit", "DRAFT", "SUBMITTED");
    log_.Add(At(2026, 3, 3), "T2", "civil", "submit", "DRAFT", "SUBMITTED");
    log_.Add(At(2026, 3, 3), "T11", "edu", "claim", "SUBMITTED", "IN_REVIEW");
    log_.Add(At(2026, 3, 3), "T11", "edu", "reject", "IN_REVIEW", "REJECTED");
    log_.Add(At(2026, 3, 9), "T3", "civil", "submit", "DRAFT", "SUBMITTED");
    log_.Add(At(2026, 3, 10), "T1", "civil", "claim", "SUBMITTED", "IN_REVIEW");
    // First of two approvals: back to the queue, nothing admitted.
    log_.Add(At(2026, 3, 10), "T1", "civil", "approve", "IN_REVIEW",
             "SUBMITTED");
    log_.Add(At(2026, 3, 10), "T2", "civil", "claim", "SUBMITTED", "IN_REVIEW");
    log_.Add(At(2026, 3, 10), "T2", "civil", "return", "IN_REVIEW", "RETURNED");
    log_.Add(At(2026, 3, 13), "T1", "civil", "claim", "SUBMITTED", "IN_REVIEW");
    log_.Add(At(2026, 3, 13), "T1", "civil", "approve", "IN_REVIEW", "ACTIVE");
    log_.Add(At(2026, 3, 16), "T8", "health", "submit", "DRAFT", "SUBMITTED");
    log_.Add(At(2026, 3, 16), "T3", "civil", "claim", "SUBMITTED", "IN_REVIEW");
    log_.Add(At(2026, 3, 16), "T3", "civil", "approve", "IN_REVIEW", "ACTIVE");
    log_.Add(At(2026, 3, 18), "T4", "civil", "submit", "DRAFT", "SUBMITTED");
    log_.Add(At(2026, 3, 18), "T4", "civil", "reject_negative_list",
             "SUBMITTED", "REJECTED");
    log_.Add(At(2026, 3, 23), "T7", "health", "submit", "DRAFT", "SUBMITTED");
    log_.Add(At(2026, 3, 23), "T7", "health", "admit_provisional", "SUBMITTED",
             "PROVISIONAL");
    log_.Add(At(2026, 3, 26), "T7", "health", "claim", "PROVISIONAL",
             "PROVISIONAL");
    log_.Add(At(2026, 3, 26), "T7", "health", "approve", "PROVISIONAL",
             "ACTIVE");
    log_.Add(At(2026, 3, 26), "T2", "civil", "submit", "RETURNED", "SUBMITTED");
    log_.Add(At(2026, 3, 27), "T3", "civil", "revoke", "ACTIVE", "REVOKED");
    log_.Add(At(2026, 3, 30), "T6", "safety", "submit", "DRAFT", "SUBMITTED");
    log_.Add(At(2026, 3, 31, 10), "T8", "health", "claim", "SUBMITTED",
             "IN_REVIEW");
    // 01:00 on 1 April in the district is still 31 March in UTC.
    log_.Add(At(2026, 4, 1, 1), "T8", "health", "approve", "IN_REVIEW",
             "ACTIVE");
    // April.
    log_.Add(At(2026, 4, 1), "T6", "safety", "claim", "SUBMITTED", "IN_REVIEW");
    log_.Add(At(2026, 4, 2), "T5", "health", "submit", "DRAFT", "SUBMITTED");
    log_.Add(At(2026, 4, 2), "T5", "health", "admit_duty_list", "SUBMITTED",
             "ACTIVE");
    log_.Add(At(2026, 4, 9), "T2", "civil", "claim", "SUBMITTED", "IN_REVIEW");
    log_.Add(At(2026, 4, 9), "T2", "civil", "reject", "IN_REVIEW", "REJECTED");
    log_.Add(At(2026, 4, 21, 0), "T5", "health", "expire", "ACTIVE",
             "COMPLETED");
    // After the period: ignored.
    log_.Add(At(2026, 5, 1, 0), "T1", "civil", "close", "ACTIVE", "COMPLETED");
    log_.Add(At(2026, 5, 6), "T6", "safety", "reject", "IN_REVIEW", "REJECTED");
  }

  Statistics Compute(const std::vector<domain::AuditEvent>& events) {
    absl::StatusOr<Statistics> s =
        ComputeStatistics(MarchAndApril(), events, tasks_, communities_);
    EXPECT_THAT(s, IsOk());
    return s.ok() ? *s : Statistics{};
  }

  std::vector<domain::Task> tasks_;
  std::vector<domain::Community> communities_;
  Log log_;
};

const absl::CivilMonth kMarch(2026, 3);
const absl::CivilMonth kApril(2026, 4);
const absl::CivilMonth kMay(2026, 5);

TEST_F(StatisticsScenario, ListsDepartmentsWithEventsInThePeriodById) {
  Statistics s = Compute(log_.events());
  // edu only decided T11 in the period; its January events do not add a
  // return.
  EXPECT_THAT(DepartmentIds(s),
              ::testing::ElementsAre("civil", "edu", "health", "safety"));
  EXPECT_EQ(s.from, At(2026, 3, 1, 0));
  EXPECT_EQ(s.until, At(2026, 5, 1, 0));
}

TEST_F(StatisticsScenario, CountsCivilAffairsDecisionsAndReviewDays) {
  Statistics s = Compute(log_.events());
  const DepartmentStatistics* d = FindDepartment(s, "civil");
  ASSERT_NE(d, nullptr);
  // T1, T2, T3, T4 and T2's resubmission on 26 Mar; T9 (Feb) is outside.
  EXPECT_EQ(d->submitted, 5);
  EXPECT_EQ(d->resubmitted, 1);  // T2
  // T1 on its second approval (the first, 10 Mar, admits nothing) and T3.
  EXPECT_EQ(d->admitted, 2);
  EXPECT_EQ(d->admitted_by_duty_list, 0);
  EXPECT_EQ(d->provisionally_admitted, 0);
  EXPECT_EQ(d->rejected, 2);                   // T2 by a reviewer, T4
  EXPECT_EQ(d->rejected_by_negative_list, 1);  // T4
  EXPECT_EQ(d->returned, 1);                   // T2 on 10 Mar
  EXPECT_EQ(d->revoked, 1);                    // T3 on 27 Mar
  // T2 returned: submitted Tue 3 Mar -> Tue 10 Mar: 4,5,6,9,10 = 5.
  // T1 admitted: submitted Mon 2 Mar -> Fri 13 Mar: 3-6, 9-13 = 9.
  // T3 admitted: submitted Mon 9 Mar -> Mon 16 Mar: 10-13, 16 = 5.
  // T2 rejected: resubmitted Thu 26 Mar -> Thu 9 Apr: 27, 30, 31, 1, 2, 3,
  //   (6 Apr holiday) 7, 8, 9 = 9 (10 without the holiday).
  // T4's system rejection is not a review. Sorted: 5 5 9 9.
  EXPECT_EQ(d->reviews_measured, 4);
  ASSERT_TRUE(d->median_review_days.has_value());
  EXPECT_DOUBLE_EQ(*d->median_review_days, 7.0);  // even count: (5 + 9) / 2
  EXPECT_EQ(d->p90_review_days, 9);               // rank ceil(3.6) = 4 -> 9
}

TEST_F(StatisticsScenario, CountsHealthAdmissionsAcrossTheMonthBoundary) {
  Statistics s = Compute(log_.events());
  const DepartmentStatistics* d = FindDepartment(s, "health");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->submitted, 3);  // T8 16 Mar, T7 23 Mar, T5 2 Apr
  EXPECT_EQ(d->resubmitted, 0);
  EXPECT_EQ(d->admitted, 3);                // T8, T7 approved; T5 duty list
  EXPECT_EQ(d->admitted_by_duty_list, 1);   // T5
  EXPECT_EQ(d->provisionally_admitted, 1);  // T7
  EXPECT_EQ(d->rejected, 0);
  EXPECT_EQ(d->returned, 0);
  EXPECT_EQ(d->revoked, 0);
  // T7: Mon 23 Mar -> Thu 26 Mar: 24, 25, 26 = 3.
  // T8: Mon 16 Mar -> Wed 1 Apr (local; 31 Mar in UTC): 17-20, 23-27, 30,
  //   31, 1 = 12. The duty-list admission of T5 is not a review.
  EXPECT_EQ(d->reviews_measured, 2);
  ASSERT_TRUE(d->median_review_days.has_value());
  EXPECT_DOUBLE_EQ(*d->median_review_days, 7.5);  // (3 + 12) / 2
  EXPECT_EQ(d->p90_review_days, 12);              // rank ceil(1.8) = 2
}

TEST_F(StatisticsScenario, MeasuresDecisionsWhoseSubmissionWasBeforeThePeriod) {
  Statistics s = Compute(log_.events());
  const DepartmentStatistics* d = FindDepartment(s, "edu");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->submitted, 0);  // T11 was submitted on 25 Feb
  EXPECT_EQ(d->returned, 0);   // T10's return was in January
  EXPECT_EQ(d->rejected, 1);   // T11 on 3 Mar
  EXPECT_EQ(d->rejected_by_negative_list, 0);
  // Wed 25 Feb -> Tue 3 Mar: 26, 27 Feb, 2, 3 Mar = 4.
  EXPECT_EQ(d->reviews_measured, 1);
  EXPECT_EQ(d->median_review_days, 4.0);
  EXPECT_EQ(d->p90_review_days, 4);
}

TEST_F(StatisticsScenario, LeavesReviewDaysAbsentForADepartmentWithNoDecision) {
  Statistics s = Compute(log_.events());
  const DepartmentStatistics* d = FindDepartment(s, "safety");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->submitted, 1);  // T6 on 30 Mar; claimed 1 Apr
  EXPECT_EQ(d->admitted, 0);
  EXPECT_EQ(d->rejected, 0);  // its rejection on 6 May is after the period
  EXPECT_EQ(d->returned, 0);
  EXPECT_EQ(d->reviews_measured, 0);
  EXPECT_EQ(d->median_review_days, std::nullopt);
  EXPECT_EQ(d->p90_review_days, std::nullopt);
}

TEST_F(StatisticsScenario, ComputesEachCommunityLoadByMonth) {
  Statistics s = Compute(log_.events());
  ASSERT_EQ(s.community_loads.size(), 8u);  // 4 communities x 2 months
  const std::vector<std::pair<std::string, absl::CivilMonth>> order = {
      {"c1", kMarch}, {"c1", kApril}, {"c2", kMarch}, {"c2", kApril},
      {"c3", kMarch}, {"c3", kApril}, {"c4", kMarch}, {"c4", kApril}};
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(s.community_loads[i].community_id, order[i].first) << i;
    EXPECT_EQ(s.community_loads[i].month, order[i].second) << i;
  }

  // c1 March: 60 + T1 10 (active 13 Mar) + T9 3 (active since Feb) = 73.
  const CommunityMonthLoad* l = FindLoad(s, "c1", kMarch);
  ASSERT_NE(l, nullptr);
  EXPECT_DOUBLE_EQ(l->baseline_hours, 60);
  EXPECT_DOUBLE_EQ(l->task_hours, 13);
  EXPECT_DOUBLE_EQ(l->load_hours, 73);
  EXPECT_DOUBLE_EQ(l->capacity_hours, 100);
  ASSERT_TRUE(l->load_ratio.has_value());
  EXPECT_DOUBLE_EQ(*l->load_ratio, 0.73);
  EXPECT_EQ(l->tasks_in_force, 2);

  // c1 April: 60 + T1 10 + T5 4 (2-21 Apr, dates 10-20 Apr) = 74; T9's dates
  // end 31 Mar; T2 and T4 were never admitted.
  l = FindLoad(s, "c1", kApril);
  ASSERT_NE(l, nullptr);
  EXPECT_DOUBLE_EQ(l->load_hours, 74);
  EXPECT_DOUBLE_EQ(*l->load_ratio, 0.74);
  EXPECT_EQ(l->tasks_in_force, 2);

  // c2 March: 30 + T1 10 + T3 5 (16-27 Mar) = 45 of 50.
  l = FindLoad(s, "c2", kMarch);
  ASSERT_NE(l, nullptr);
  EXPECT_DOUBLE_EQ(l->load_hours, 45);
  EXPECT_DOUBLE_EQ(*l->load_ratio, 0.9);
  EXPECT_EQ(l->tasks_in_force, 2);

  // c2 April: T3 was revoked on 27 Mar and leaves: 30 + T1 10 = 40.
  l = FindLoad(s, "c2", kApril);
  ASSERT_NE(l, nullptr);
  EXPECT_DOUBLE_EQ(l->load_hours, 40);
  EXPECT_DOUBLE_EQ(*l->load_ratio, 0.8);
  EXPECT_EQ(l->tasks_in_force, 1);

  // c3 March: T7 12, provisional from 23 Mar; T8 came in on 1 Apr local.
  l = FindLoad(s, "c3", kMarch);
  ASSERT_NE(l, nullptr);
  EXPECT_DOUBLE_EQ(l->load_hours, 12);
  EXPECT_DOUBLE_EQ(*l->load_ratio, 0.15);  // 12 / 80
  EXPECT_EQ(l->tasks_in_force, 1);

  // c3 April: T7 12 + T8 7 = 19.
  l = FindLoad(s, "c3", kApril);
  ASSERT_NE(l, nullptr);
  EXPECT_DOUBLE_EQ(l->load_hours, 19);
  EXPECT_DOUBLE_EQ(*l->load_ratio, 0.2375);  // 19 / 80
  EXPECT_EQ(l->tasks_in_force, 2);

  // c4 has no capacity: no ratio.
  l = FindLoad(s, "c4", kApril);
  ASSERT_NE(l, nullptr);
  EXPECT_DOUBLE_EQ(l->load_hours, 0);
  EXPECT_EQ(l->load_ratio, std::nullopt);
  EXPECT_EQ(l->tasks_in_force, 0);
}

TEST_F(StatisticsScenario, SumsTheBurdenKeptOutByMonthOfRejection) {
  Statistics s = Compute(log_.events());
  ASSERT_EQ(s.burden.size(), 2u);
  // March: T11 2 h x 1 community (3 Mar) + T4 6 h x 3 (negative list,
  // 18 Mar) = 20.
  EXPECT_EQ(s.burden[0].month, kMarch);
  EXPECT_EQ(s.burden[0].rejected_tasks, 2);
  EXPECT_DOUBLE_EQ(s.burden[0].hours_kept_out, 20);
  // April: T2 8 h x 1 (9 Apr); T6's rejection on 6 May is outside.
  EXPECT_EQ(s.burden[1].month, kApril);
  EXPECT_EQ(s.burden[1].rejected_tasks, 1);
  EXPECT_DOUBLE_EQ(s.burden[1].hours_kept_out, 8);
  EXPECT_DOUBLE_EQ(s.burden_total_hours, 28);
}

TEST_F(StatisticsScenario, ReadsEventsInLogOrderWhateverTheInputOrder) {
  Statistics in_order = Compute(log_.events());
  std::vector<domain::AuditEvent> reversed(log_.events().rbegin(),
                                           log_.events().rend());
  Statistics shuffled = Compute(reversed);
  EXPECT_EQ(shuffled.departments, in_order.departments);
  EXPECT_EQ(shuffled.community_loads, in_order.community_loads);
  EXPECT_EQ(shuffled.burden, in_order.burden);
}

TEST_F(StatisticsScenario, CountsOnlyThePartOfAMonthInsideThePeriod) {
  StatisticsQuery q = MarchAndApril();
  q.from = At(2026, 3, 15, 0);  // from Sun 15 Mar
  q.until = At(2026, 4, 1, 0);
  ASSERT_OK_AND_ASSIGN(
      Statistics s, ComputeStatistics(q, log_.events(), tasks_, communities_));
  const DepartmentStatistics* d = FindDepartment(s, "civil");
  ASSERT_NE(d, nullptr);
  // T4 (18 Mar) and T2's resubmission (26 Mar).
  EXPECT_EQ(d->submitted, 2);
  EXPECT_EQ(d->returned, 0);  // 10 Mar is before the period
  // Only T3's approval on 16 Mar ends a review: 5 days.
  EXPECT_EQ(d->median_review_days, 5.0);
  // Burden: only T4's 18 h; T11's 3 Mar rejection is before 15 Mar.
  ASSERT_EQ(s.burden.size(), 1u);
  EXPECT_DOUBLE_EQ(s.burden[0].hours_kept_out, 18);
  EXPECT_DOUBLE_EQ(s.burden_total_hours, 18);
  // Load is a property of the whole month: c2 still carries T3 in March.
  const CommunityMonthLoad* l = FindLoad(s, "c2", kMarch);
  ASSERT_NE(l, nullptr);
  EXPECT_DOUBLE_EQ(l->load_hours, 45);
  EXPECT_EQ(s.community_loads.size(), 4u);  // one month per community
}

// The kept counters (statistics_counters.h), replayed from the scenario's
// log as a rebuild does, give `ComputeStatistics`'s figures for any period
// of whole days: the same departments, review days, loads and burden.
TEST_F(StatisticsScenario, KeptCountersGiveTheSameFiguresForWholeDays) {
  EngineOptions options;
  options.time_zone = kShanghai;
  const WorkingCalendar calendar({kHoliday});
  std::map<std::string, const domain::Task*> task_by_id;
  for (const domain::Task& t : tasks_) task_by_id[t.id] = &t;
  std::map<std::tuple<std::string, std::string, std::string>, double> sums;
  std::map<std::string, absl::CivilDay> last_submit;
  for (const domain::AuditEvent& e : log_.events()) {
    std::optional<absl::CivilDay> review_start;
    if (e.action == "task.submit") {
      last_submit[e.entity_id] = absl::ToCivilDay(e.time, kShanghai);
    } else if (last_submit.count(e.entity_id) > 0) {
      review_start = last_submit[e.entity_id];
    }
    for (const store::CounterAdd& add : CountersOfTaskEvent(
             e, task_by_id[e.entity_id], review_start, options, calendar)) {
      sums[{add.bucket, add.name, add.subject}] += add.amount;
    }
  }
  std::vector<store::Counter> counters;
  for (const auto& [key, value] : sums) {
    counters.push_back(
        {std::get<0>(key), std::get<1>(key), std::get<2>(key), value});
  }

  const std::vector<std::pair<absl::Time, absl::Time>> periods = {
      {At(2026, 3, 1, 0), At(2026, 5, 1, 0)},    // the scenario's period
      {At(2026, 1, 1, 0), At(2026, 7, 1, 0)},    // all of it
      {At(2026, 3, 26, 0), At(2026, 3, 27, 0)},  // one day
      {At(2026, 4, 21, 0), At(2026, 5, 2, 0)},   // the exits at midnight
      {At(2026, 3, 31, 0), At(2026, 4, 2, 0)},   // across a month's end
  };
  for (const auto& [from, until] : periods) {
    StatisticsQuery q = MarchAndApril();
    q.from = from;
    q.until = until;
    ASSERT_OK_AND_ASSIGN(
        Statistics reference,
        ComputeStatistics(q, log_.events(), tasks_, communities_));
    ASSERT_OK_AND_ASSIGN(Statistics kept,
                         StatisticsFromCounters(q, counters, communities_));
    EXPECT_EQ(kept, reference) << absl::FormatTime(from, kShanghai) << " .. "
                               << absl::FormatTime(until, kShanghai);
  }
  // Not vacuous: March and April have review days, loads and burden.
  ASSERT_OK_AND_ASSIGN(
      Statistics s,
      StatisticsFromCounters(MarchAndApril(), counters, communities_));
  EXPECT_THAT(DepartmentIds(s),
              ::testing::ElementsAre("civil", "edu", "health", "safety"));
  EXPECT_GT(s.burden_total_hours, 0);
  const CommunityMonthLoad* c3_april = FindLoad(s, "c3", kApril);
  ASSERT_NE(c3_april, nullptr);
  EXPECT_GT(c3_april->tasks_in_force, 0);
}

TEST(StatisticsFromCounters, TakesTheMedianAndNinetiethPercentileOfReviewDays) {
  StatisticsQuery q = MarchAndApril();
  // 3, 3, 8, 12 working days.
  const std::vector<store::Counter> counters = {
      {"d:2026-03-02", "review_days:3", "civil", 2},
      {"d:2026-03-09", "review_days:12", "civil", 1},
      {"d:2026-04-01", "review_days:8", "civil", 1},
      // Outside the period: ignored.
      {"d:2026-05-01", "review_days:40", "civil", 1},
  };
  ASSERT_OK_AND_ASSIGN(Statistics s, StatisticsFromCounters(q, counters, {}));
  ASSERT_EQ(s.departments.size(), 1u);
  EXPECT_EQ(s.departments[0].reviews_measured, 4);
  EXPECT_EQ(s.departments[0].median_review_days, 5.5);
  EXPECT_EQ(s.departments[0].p90_review_days, 12);  // rank ceil(3.6) = 4
}

TEST(StatisticsFromCounters, RefusesAPeriodThatIsNotWholeDays) {
  StatisticsQuery q = MarchAndApril();
  q.from = At(2026, 3, 1, 9);
  EXPECT_THAT(StatisticsFromCounters(q, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("midnight")));
}

TEST(ComputeStatistics, TakesTheNinetiethPercentileByNearestRank) {
  // Eleven tasks submitted Mon 2 Mar and rejected after k = 1..11 working
  // days (no holidays in March): 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17 Mar.
  const int reject_day[] = {3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17};
  Log log;
  std::vector<domain::Task> tasks;
  for (int k = 0; k < 11; ++k) {
    const std::string id = "B" + std::to_string(k + 1);
    tasks.push_back(
        MakeTask(id, "bulk", 1, {"c1"}, Day(2026, 3, 1), Day(2026, 3, 31)));
    log.Add(At(2026, 3, 2), id, "bulk", "submit", "DRAFT", "SUBMITTED");
    log.Add(At(2026, 3, reject_day[k]), id, "bulk", "reject", "IN_REVIEW",
            "REJECTED");
  }
  StatisticsQuery q = MarchAndApril();
  ASSERT_OK_AND_ASSIGN(Statistics s,
                       ComputeStatistics(q, log.events(), tasks, {}));
  ASSERT_EQ(s.departments.size(), 1u);
  const DepartmentStatistics& d = s.departments[0];
  EXPECT_EQ(d.reviews_measured, 11);
  EXPECT_EQ(d.median_review_days, 6.0);  // the 6th of 11
  EXPECT_EQ(d.p90_review_days, 10);      // rank ceil(9.9) = 10, not the max 11
  EXPECT_EQ(d.rejected, 11);
  EXPECT_DOUBLE_EQ(s.burden_total_hours, 11);  // 11 x 1 h x 1 community
  EXPECT_TRUE(s.community_loads.empty());      // no community given
}

TEST(ComputeStatistics, RejectsAPeriodThatEndsBeforeItStarts) {
  StatisticsQuery q = MarchAndApril();
  q.until = q.from;
  EXPECT_THAT(ComputeStatistics(q, {}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("must be after from")));
}

TEST(ComputeStatistics, RejectsAnInfinitePeriod) {
  StatisticsQuery q = MarchAndApril();
  q.until = absl::InfiniteFuture();
  EXPECT_THAT(ComputeStatistics(q, {}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("until must be a finite time")));
}

TEST(ComputeStatistics, RejectsAPeriodOfMoreThanTenYears) {
  StatisticsQuery q = MarchAndApril();
  q.until = At(2036, 3, 1, 0);  // Mar 2026..Feb 2036 = 120 months: allowed
  EXPECT_THAT(ComputeStatistics(q, {}, {}, {}), IsOk());
  q.until = At(2036, 3, 1, 1);  // touches March 2036: 121
  EXPECT_THAT(
      ComputeStatistics(q, {}, {}, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("121 months")));
}

// The same kind of scenario driven through the real engine: the statistics
// read what the engine writes.
class StatisticsFromEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::OpenSqliteStore(":memory:");
    ASSERT_THAT(opened, IsOk());
    store_ = *std::move(opened);
    EngineOptions options;
    options.time_zone = kShanghai;
    options.initial_holidays = {kHoliday};
    engine_ = std::make_unique<Engine>(*store_, clock_, options);
    ASSERT_THAT(engine_->directory().EnsureDistrict("Test district"), IsOk());
    ASSERT_THAT(engine_->calendars().SeedIfEmpty(), IsOk());
    std::vector<domain::CatalogItem> items = {
        {"A-001",
         domain::ListKind::kAssist,
         "Elderly care subsidy checks",
         "老年人权益保障法",
         {}},
        {"N-001",
         domain::ListKind::kNegative,
         "Investment attraction quotas",
         "",
         {"招商引资"}},
    };
    ASSERT_THAT(
        engine_->directory().PublishCatalog(Admin(), "", items, "lists"),
        IsOk());
    ASSERT_THAT(
        engine_->directory().PutStreet(
            Admin(), "", {.district_id = "", .id = "east", .name = "east"}, 0),
        IsOk());
    for (const domain::Community& c :
         {MakeCommunity("c1", 100, 60), MakeCommunity("c2", 50, 30),
          MakeCommunity("c3", 80, 0)}) {
      domain::Community put = c;
      put.name = "Community " + c.id;
      put.street = "east";
      put.staff_count = 5;
      ASSERT_THAT(engine_->directory().PutCommunity(Admin(), "", put, 0),
                  IsOk());
    }
  }

  static domain::Principal Admin() {
    domain::Principal p;
    p.id = "admin-1";
    p.role = domain::Role::kAdmin;
    return p;
  }
  static domain::Principal Clerk() {
    domain::Principal p;
    p.id = "clerk-civil";
    p.role = domain::Role::kDepartment;
    p.department_id = "civil";
    return p;
  }
  static domain::Principal Reviewer() {
    domain::Principal p;
    p.id = "r1";
    p.role = domain::Role::kReviewer;
    return p;
  }

  static domain::TaskSpec Spec(double hours,
                               std::vector<std::string> communities,
                               absl::CivilDay start, absl::CivilDay end) {
    domain::TaskSpec s;
    s.title = "Quarterly elderly subsidy check";
    s.description = "Visit subsidy recipients and confirm eligibility.";
    s.item_code = "A-001";
    s.legal_basis = "老年人权益保障法 第三十条";
    s.start_date = start;
    s.end_date = end;
    s.target_communities = std::move(communities);
    s.hours_per_community_month = hours;
    s.funding_per_community_yuan = 3000;
    s.funding_source = "district civil affairs budget";
    s.department_duties = "provides the list and the forms";
    s.community_duties = "visits the households";
    s.assessment_method = "merged into the district's annual assessment";
    return s;
  }

  void CreateAt(absl::Time t, const std::string& id, domain::TaskSpec spec) {
    clock_.Set(t);
    absl::StatusOr<DraftSpec> draft = DraftSpec::Check(std::move(spec));
    ASSERT_THAT(draft, IsOk());
    EXPECT_THAT(engine_->tasks().CreateTask(Clerk(), "", id, *std::move(draft)),
                IsOk());
  }

  void DoAt(absl::Time t, const domain::Principal& p, TaskAction action,
            const std::string& id, const std::string& reason = "",
            std::vector<domain::Acknowledgement> acks = {}) {
    clock_.Set(t);
    ActionRequest r;
    r.action = action;
    r.task_id = id;
    r.reason = reason;
    r.acknowledgements = std::move(acks);
    EXPECT_THAT(engine_->tasks().Act(p, r), IsOk())
        << id << " " << TaskActionName(action);
  }

  FakeClock clock_{At(2026, 3, 2)};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(StatisticsFromEngineTest, MatchesHandNumbersOnTheRealEventStream) {
  const domain::Principal clerk = Clerk();
  const domain::Principal r1 = Reviewer();
  // e1: c1, 10 h, May-Jul. e2: c1 c2, 8 h, May-Jul. e4: c3, 5 h, from 3 Apr
  // (30 days after its 4 Mar submission: no lead-time warning).
  CreateAt(At(2026, 3, 2), "e1",
           Spec(10, {"c1"}, Day(2026, 5, 1), Day(2026, 7, 31)));
  DoAt(At(2026, 3, 2), clerk, TaskAction::kSubmit, "e1");
  CreateAt(At(2026, 3, 3), "e2",
           Spec(8, {"c1", "c2"}, Day(2026, 5, 1), Day(2026, 7, 31)));
  DoAt(At(2026, 3, 3), clerk, TaskAction::kSubmit, "e2");
  CreateAt(At(2026, 3, 4), "e4",
           Spec(5, {"c3"}, Day(2026, 4, 3), Day(2026, 7, 31)));
  DoAt(At(2026, 3, 4), clerk, TaskAction::kSubmit, "e4");
  DoAt(At(2026, 3, 5), r1, TaskAction::kClaim, "e4");
  DoAt(At(2026, 3, 5), r1, TaskAction::kApprove, "e4", "ok");
  DoAt(At(2026, 3, 10), r1, TaskAction::kClaim, "e2");
  DoAt(At(2026, 3, 10), r1, TaskAction::kReturn, "e2", "state the funding");
  DoAt(At(2026, 3, 13), r1, TaskAction::kClaim, "e1");
  // e2, RETURNED, overlaps e1: the approval's re-check (SPEC §4.1) finds
  // R-DUPLICATE, which e1's submit (before e2 existed) did not.
  DoAt(At(2026, 3, 13), r1, TaskAction::kApprove, "e1", "ok",
       {{"R-DUPLICATE", "e2 is back with the department"}});
  domain::TaskSpec negative =
      Spec(6, {"c1", "c2", "c3"}, Day(2026, 5, 1), Day(2026, 7, 31));
  negative.title = "完成招商引资任务";
  CreateAt(At(2026, 3, 18), "e3", negative);
  DoAt(At(2026, 3, 18), clerk, TaskAction::kSubmit, "e3");
  DoAt(At(2026, 3, 26), clerk, TaskAction::kSubmit, "e2");  // resubmitted
  DoAt(At(2026, 4, 9), r1, TaskAction::kClaim, "e2");
  DoAt(At(2026, 4, 9), r1, TaskAction::kReject, "e2", "duplicates e1");
  DoAt(At(2026, 4, 20), r1, TaskAction::kRevoke, "e4", "funding never came");

  store::EventQuery eq;
  eq.district_id = "default";
  ASSERT_OK_AND_ASSIGN(std::vector<store::StoredEvent> stored,
                       store_->ListEvents(eq));
  std::vector<domain::AuditEvent> events;
  for (const store::StoredEvent& e : stored) events.push_back(e.event);
  store::TaskQuery tq;
  tq.district_id = "default";
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Task> tasks, store_->ListTasks(tq));
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Community> communities,
                       store_->ListCommunities("default", ""));
  ASSERT_EQ(tasks.size(), 4u);
  ASSERT_EQ(communities.size(), 3u);

  StatisticsQuery q = MarchAndApril();
  q.until = At(2026, 6, 1, 0);  // March, April, May
  ASSERT_OK_AND_ASSIGN(Statistics s,
                       ComputeStatistics(q, events, tasks, communities));

  ASSERT_EQ(s.departments.size(), 1u);
  const DepartmentStatistics& d = s.departments[0];
  EXPECT_EQ(d.department_id, "civil");
  EXPECT_EQ(d.submitted, 5);  // e1, e2, e4, e3, e2 again
  EXPECT_EQ(d.resubmitted, 1);
  EXPECT_EQ(d.admitted, 2);  // e4, e1
  EXPECT_EQ(d.admitted_by_duty_list, 0);
  EXPECT_EQ(d.provisionally_admitted, 0);
  EXPECT_EQ(d.rejected, 2);                   // e3 by the system, e2
  EXPECT_EQ(d.rejected_by_negative_list, 1);  // e3
  EXPECT_EQ(d.returned, 1);                   // e2
  EXPECT_EQ(d.revoked, 1);                    // e4
  // e4: Wed 4 -> Thu 5 Mar = 1. e2 returned: Tue 3 -> Tue 10 Mar = 5.
  // e1: Mon 2 -> Fri 13 Mar = 9. e2 rejected: Thu 26 Mar -> Thu 9 Apr with
  // 6 Apr off = 9. Sorted 1 5 9 9.
  EXPECT_EQ(d.reviews_measured, 4);
  EXPECT_EQ(d.median_review_days, 7.0);  // (5 + 9) / 2
  EXPECT_EQ(d.p90_review_days, 9);

  // Loads: c1 carries e1 (10 h) from May only; e4 (c3) counts in April, its
  // dates starting 3 Apr, and not in May, having been revoked on 20 Apr.
  const std::vector<std::tuple<std::string, absl::CivilMonth, double>>
      expected = {
          {"c1", kMarch, 60}, {"c1", kApril, 60}, {"c1", kMay, 70},
          {"c2", kMarch, 30}, {"c2", kApril, 30}, {"c2", kMay, 30},
          {"c3", kMarch, 0},  {"c3", kApril, 5},  {"c3", kMay, 0},
      };
  ASSERT_EQ(s.community_loads.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& [id, month, load] = expected[i];
    EXPECT_EQ(s.community_loads[i].community_id, id) << i;
    EXPECT_EQ(s.community_loads[i].month, month) << i;
    EXPECT_DOUBLE_EQ(s.community_loads[i].load_hours, load) << i;
  }
  EXPECT_DOUBLE_EQ(*s.community_loads[2].load_ratio, 0.7);     // c1 May
  EXPECT_DOUBLE_EQ(*s.community_loads[7].load_ratio, 0.0625);  // c3 Apr 5/80

  // Burden: March e3 6 h x 3 communities = 18; April e2 8 h x 2 = 16.
  ASSERT_EQ(s.burden.size(), 3u);
  EXPECT_DOUBLE_EQ(s.burden[0].hours_kept_out, 18);
  EXPECT_EQ(s.burden[0].rejected_tasks, 1);
  EXPECT_DOUBLE_EQ(s.burden[1].hours_kept_out, 16);
  EXPECT_EQ(s.burden[1].rejected_tasks, 1);
  EXPECT_DOUBLE_EQ(s.burden[2].hours_kept_out, 0);
  EXPECT_EQ(s.burden[2].rejected_tasks, 0);
  EXPECT_DOUBLE_EQ(s.burden_total_hours, 34);
}

}  // namespace
}  // namespace taskgate::workflow
