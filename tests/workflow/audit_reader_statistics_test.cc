// `AuditReader::GetStatistics` (workflow/audit_reader.h), which reads only
// what a period touches: on a district's months of work through the real
// engine, its figures equal numbers counted by hand, and equal
// `ComputeStatistics` over the whole log for any period.
#include <sqlite3.h>

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

#include "audit/signing.h"
#include "common/status_macros.h"
#include "tests/testing/scoped_db_path.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"
#include "workflow/audit_ledger.h"
#include "workflow/audit_reader.h"
#include "workflow/directory_names.h"
#include "workflow/statistics.h"
#include "workflow/statistics_counters.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::HasSubstr;

class AuditReaderStatisticsTest : public TaskWorkflowTest {
 protected:
  void SetUp() override {
    // The district, its lists and communities exist before the first task.
    clock_.Set(At(2026, 1, 2));
    TaskWorkflowTest::SetUp();
    ASSERT_OK_AND_ASSIGN(audit::SigningKey key, audit::SigningKey::Generate());
    ASSERT_OK_AND_ASSIGN(ledger_,
                         AuditLedger::Create(*sqlite_, clock_, std::move(key),
                                             {.district_id = "default"}));
    reader_ = std::make_unique<AuditReader>(
        *sqlite_, *ledger_, engine_->recorder(), clock_, EngineOptions());
  }

  // A task of `item` for `communities` that passes every rule when
  // submitted at least 30 days before `start`.
  domain::TaskSpec Spec(const std::string& item,
                        std::vector<std::string> communities, double hours,
                        absl::CivilDay start, absl::CivilDay end) {
    domain::TaskSpec s = CleanAssistSpec();
    s.item_code = item;
    s.target_communities = std::move(communities);
    s.hours_per_community_month = hours;
    s.start_date = start;
    s.end_date = end;
    return s;
  }
  domain::TaskSpec Emergency(domain::TaskSpec s) {
    s.emergency = true;
    s.emergency_reason = "flood season";
    return s;
  }

  void DoAt(absl::Time t, const domain::Principal& p, TaskAction action,
            const std::string& id, const std::string& reason = "") {
    clock_.Set(t);
    EXPECT_THAT(Do(p, action, id, reason), IsOk())
        << id << " " << TaskActionName(action);
  }

  // Creates task `id` and submits it at `t`; returns the state it reached.
  domain::TaskState SubmitAt(absl::Time t, const domain::Principal& clerk,
                             const std::string& id, domain::TaskSpec spec) {
    clock_.Set(t);
    Create(id, std::move(spec), clerk);
    absl::StatusOr<domain::Task> submitted = Do(clerk, TaskAction::kSubmit, id);
    EXPECT_THAT(submitted, IsOk()) << id;
    return submitted.ok() ? submitted->state : domain::TaskState::kDraft;
  }

  // Four departments' work from January to May 2026; the comments under
  // each step say what it adds to the statistics of March and April.
  void RunScenario() {
    using D = absl::CivilDay;
    using S = domain::TaskState;
    const domain::Principal civil = Clerk("civil-affairs");
    const domain::Principal health = Clerk("health");
    const domain::Principal housing = Clerk("housing");
    const domain::Principal water = Clerk("water");
    const domain::Principal r1 = Reviewer("r1");
    const domain::Principal r2 = Reviewer("r2");

    // --- Before the period (January, February): no counts, but admissions
    // that still count in March's and April's loads, and submissions that
    // March's decisions are measured from.
    // d0 (civil, duty list, c1, 5 h, 15 Feb - 31 Mar): in force from 5 Jan.
    EXPECT_EQ(
        SubmitAt(At(2026, 1, 5), civil, "d0",
                 Spec("D-001", {"c1"}, 5, D(2026, 2, 15), D(2026, 3, 31))),
        S::kActive);
    // h1 (health, c1, 10 h, Mar - Jun): in force from 14 Jan.
    SubmitAt(At(2026, 1, 12), health, "h1",
             Spec("A-001", {"c1"}, 10, D(2026, 3, 1), D(2026, 6, 30)));
    DoAt(At(2026, 1, 14), r1, TaskAction::kClaim, "h1");
    DoAt(At(2026, 1, 14), r1, TaskAction::kApprove, "h1");
    // s1 (housing, c3): rejected on 10 Feb, outside the period.
    SubmitAt(At(2026, 1, 20), housing, "s1",
             Spec("A-001", {"c3"}, 6, D(2026, 3, 1), D(2026, 3, 31)));
    // w2 (water, c2, 2 h, Mar - Apr): in force from 28 Jan, with no event
    // in the period at all.
    SubmitAt(At(2026, 1, 26), water, "w2",
             Spec("A-001", {"c2"}, 2, D(2026, 3, 1), D(2026, 4, 30)));
    DoAt(At(2026, 1, 28), r1, TaskAction::kClaim, "w2");
    DoAt(At(2026, 1, 28), r1, TaskAction::kApprove, "w2");
    // v1 (civil, c2, 8 h, Apr - May): returned on 3 Feb, outside the period.
    SubmitAt(At(2026, 2, 2), civil, "v1",
             Spec("A-001", {"c2"}, 8, D(2026, 4, 1), D(2026, 5, 31)));
    DoAt(At(2026, 2, 3), r1, TaskAction::kClaim, "v1");
    DoAt(At(2026, 2, 3), r1, TaskAction::kReturn, "v1", "give the funding");
    // w1 (water): waits in the queue; water has no event in the period.
    SubmitAt(At(2026, 2, 4), water, "w1",
             Spec("A-001", {"c1"}, 3, D(2026, 5, 1), D(2026, 7, 31)));
    DoAt(At(2026, 2, 10), r1, TaskAction::kClaim, "s1");
    DoAt(At(2026, 2, 10), r1, TaskAction::kReject, "s1", "no funding");

    // --- The period: 1 March to 1 May (days below are 2026's).
    // v1 resubmitted Mon 2 Mar: civil submitted, resubmitted.
    DoAt(At(2026, 3, 2), civil, TaskAction::kSubmit, "v1");
    // v2 (civil, c1, 7 h, May - Jul) Wed 4 Mar: civil submitted.
    SubmitAt(At(2026, 3, 4), civil, "v2",
             Spec("A-001", {"c1"}, 7, D(2026, 5, 1), D(2026, 7, 31)));
    // v2 returned Mon 9 Mar: civil returned; review 4 -> 9 Mar = 3 days.
    DoAt(At(2026, 3, 9), r1, TaskAction::kClaim, "v2");
    DoAt(At(2026, 3, 9), r1, TaskAction::kReturn, "v2", "name who visits");
    // u1 (housing, duty list, c3, 5 h, 15 Apr - 30 Jun) Tue 10 Mar: housing
    // submitted, admitted (by the duty list).
    EXPECT_EQ(
        SubmitAt(At(2026, 3, 10), housing, "u1",
                 Spec("D-001", {"c3"}, 5, D(2026, 4, 15), D(2026, 6, 30))),
        S::kActive);
    // v1 approved Thu 12 Mar: civil admitted; review 2 -> 12 Mar = 8 days.
    DoAt(At(2026, 3, 12), r1, TaskAction::kClaim, "v1");
    DoAt(At(2026, 3, 12), r1, TaskAction::kApprove, "v1");
    // v2 resubmitted Mon 16 Mar: civil submitted, resubmitted.
    DoAt(At(2026, 3, 16), civil, TaskAction::kSubmit, "v2");
    // e1 (health, emergency, c2, 9 h, 20 Mar - 30 Apr) Wed 18 Mar: health
    // submitted, provisionally admitted; in force from 18 Mar.
    EXPECT_EQ(SubmitAt(At(2026, 3, 18), health, "e1",
                       Emergency(Spec("A-001", {"c2"}, 9, D(2026, 3, 20),
                                      D(2026, 4, 30)))),
              S::kProvisional);
    // h2 (health, c3, 6 h, 20 Apr - 30 Jun) Thu 19 Mar: health submitted.
    SubmitAt(At(2026, 3, 19), health, "h2",
             Spec("A-001", {"c3"}, 6, D(2026, 4, 20), D(2026, 6, 30)));
    // d0 closed Fri 20 Mar: no count; out of the workload from then.
    DoAt(At(2026, 3, 20), civil, TaskAction::kClose, "d0");
    // e1 approved Mon 23 Mar: health admitted; review 18 -> 23 Mar = 3.
    DoAt(At(2026, 3, 23), r2, TaskAction::kClaim, "e1");
    DoAt(At(2026, 3, 23), r2, TaskAction::kApprove, "e1");
    // h2 returned Tue 24 Mar: health returned; review 19 -> 24 Mar = 3.
    DoAt(At(2026, 3, 24), r2, TaskAction::kClaim, "h2");
    DoAt(At(2026, 3, 24), r2, TaskAction::kReturn, "h2", "attach the form");
    // h2 withdrawn Mon 30 Mar: no count.
    DoAt(At(2026, 3, 30), health, TaskAction::kWithdraw, "h2");
    // v2 rejected Wed 1 Apr: civil rejected; review 16 Mar -> 1 Apr = 12;
    // April's burden 7 h x 1 community.
    DoAt(At(2026, 4, 1), r1, TaskAction::kClaim, "v2");
    DoAt(At(2026, 4, 1), r1, TaskAction::kReject, "v2", "the street does it");
    // e2 (housing, emergency, c3, 12 h, 10 Apr - 31 May) Tue 7 Apr: housing
    // submitted, provisionally admitted; in force from 7 Apr.
    EXPECT_EQ(SubmitAt(At(2026, 4, 7), housing, "e2",
                       Emergency(Spec("A-001", {"c3"}, 12, D(2026, 4, 10),
                                      D(2026, 5, 31)))),
              S::kProvisional);
    // v3 (civil, c1 c2, 4 h) Wed 8 Apr, on the negative list (负面清单):
    // civil submitted, rejected by the list; April's burden 4 h x 2.
    domain::TaskSpec quota =
        Spec("A-001", {"c1", "c2"}, 4, D(2026, 6, 1), D(2026, 6, 30));
    quota.title = "完成招商引资任务";
    EXPECT_EQ(SubmitAt(At(2026, 4, 8), civil, "v3", quota), S::kRejected);
    // e2 rejected Tue 14 Apr (from PROVISIONAL: revoked): housing rejected;
    // review 7 -> 14 Apr = 5; April's burden 12 h x 1; out from 14 Apr.
    DoAt(At(2026, 4, 14), r2, TaskAction::kClaim, "e2");
    DoAt(At(2026, 4, 14), r2, TaskAction::kReject, "e2", "no emergency");
    // h1 revoked Wed 15 Apr: health revoked; out of the workload from then.
    DoAt(At(2026, 4, 15), r1, TaskAction::kRevoke, "h1", "funding withdrawn");

    // --- After the period: nothing of it counts, and u1 still counts in
    // April, as the log stood on 1 May.
    SubmitAt(At(2026, 5, 4), civil, "v4",
             Spec("A-001", {"c3"}, 5, D(2026, 6, 10), D(2026, 6, 30)));
    DoAt(At(2026, 5, 6), r2, TaskAction::kRevoke, "u1", "election postponed");
    clock_.Set(At(2026, 5, 7));
  }

  // `ComputeStatistics` over the whole log, every task and every community:
  // the reference the kept counters must equal.
  absl::StatusOr<Statistics> FromTheWholeLog(absl::Time from,
                                             absl::Time until) {
    store::EventQuery q;
    q.district_id = "default";
    TASKGATE_ASSIGN_OR_RETURN(std::vector<store::StoredEvent> stored,
                              sqlite_->ListEvents(q));
    std::vector<domain::AuditEvent> events;
    for (store::StoredEvent& e : stored) events.push_back(std::move(e.event));
    store::TaskQuery tq;
    tq.district_id = "default";
    TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Task> tasks,
                              sqlite_->ListTasks(tq));
    TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Community> communities,
                              sqlite_->ListCommunities("default", ""));
    StatisticsQuery query;
    query.from = from;
    query.until = until;
    query.time_zone = EngineOptions().time_zone;
    TASKGATE_ASSIGN_OR_RETURN(
        Statistics s, ComputeStatistics(query, events, tasks, communities));
    TASKGATE_ASSIGN_OR_RETURN(auto names, DepartmentNames(*sqlite_, "default"));
    for (DepartmentStatistics& d : s.departments) {
      d.department_name = names[d.department_id];
    }
    return s;
  }

  std::unique_ptr<AuditLedger> ledger_;
  std::unique_ptr<AuditReader> reader_;
};

TEST_F(AuditReaderStatisticsTest, EqualHandCountsForMarchAndApril) {
  RunScenario();
  ASSERT_OK_AND_ASSIGN(
      Statistics s,
      reader_->GetStatistics(Auditor(), At(2026, 3, 1, 0), At(2026, 5, 1, 0)));

  // Departments with a task event in the period, by id; water has none.
  ASSERT_EQ(s.departments.size(), 3u);
  DepartmentStatistics civil;
  civil.department_id = "civil-affairs";
  civil.department_name = "civil-affairs bureau";  // its current name (SPEC §1)
  civil.submitted = 4;                             // v1 again, v2, v2 again, v3
  civil.resubmitted = 2;                           // v1, v2
  civil.admitted = 1;                              // v1
  civil.rejected = 2;                              // v2, v3
  civil.rejected_by_negative_list = 1;             // v3
  civil.returned = 1;                              // v2
  civil.reviews_measured = 3;                      // 3 8 12 working days
  civil.median_review_days = 8;
  civil.p90_review_days = 12;  // rank ceil(0.9 x 3) = 3
  EXPECT_EQ(s.departments[0], civil);

  DepartmentStatistics health;
  health.department_id = "health";
  health.department_name = "health bureau";  // its current name (SPEC §1)
  health.submitted = 2;                      // e1, h2
  health.admitted = 1;                       // e1 on approval
  health.provisionally_admitted = 1;         // e1
  health.returned = 1;                       // h2
  health.revoked = 1;                        // h1
  health.reviews_measured = 2;               // 3 3
  health.median_review_days = 3;
  health.p90_review_days = 3;
  EXPECT_EQ(s.departments[1], health);

  DepartmentStatistics housing;
  housing.department_id = "housing";
  housing.department_name = "housing bureau";  // its current name (SPEC §1)
  housing.submitted = 2;                       // u1, e2
  housing.admitted = 1;                        // u1
  housing.admitted_by_duty_list = 1;           // u1
  housing.provisionally_admitted = 1;          // e2
  housing.rejected = 1;                        // e2
  housing.reviews_measured = 1;                // 5
  housing.median_review_days = 5;
  housing.p90_review_days = 5;
  EXPECT_EQ(s.departments[2], housing);

  // Loads: baseline 60 h and capacity 100 h everywhere.
  // c1 March: h1 10 + d0 5 (closed 20 Mar); April: h1 10 (revoked 15 Apr;
  //   d0's dates end in March).
  // c2 March: w2 2 + e1 9 (v1's dates start in April); April: w2 2 + v1 8
  //   + e1 9.
  // c3 March: nothing (u1's and e2's dates start in April; s1 and h2 never
  //   counted); April: u1 5 + e2 12 (in force 7-14 Apr).
  const std::vector<std::tuple<std::string, absl::CivilMonth, double, int>>
      loads = {
          {"c1", absl::CivilMonth(2026, 3), 75, 2},
          {"c1", absl::CivilMonth(2026, 4), 70, 1},
          {"c2", absl::CivilMonth(2026, 3), 71, 2},
          {"c2", absl::CivilMonth(2026, 4), 79, 3},
          {"c3", absl::CivilMonth(2026, 3), 60, 0},
          {"c3", absl::CivilMonth(2026, 4), 77, 2},
      };
  ASSERT_EQ(s.community_loads.size(), loads.size());
  for (size_t i = 0; i < loads.size(); ++i) {
    const auto& [id, month, load, in_force] = loads[i];
    const CommunityMonthLoad& got = s.community_loads[i];
    EXPECT_EQ(got.community_id, id) << i;
    EXPECT_EQ(got.month, month) << i;
    EXPECT_DOUBLE_EQ(got.baseline_hours, 60) << i;
    EXPECT_DOUBLE_EQ(got.load_hours, load) << i;
    EXPECT_DOUBLE_EQ(got.task_hours, load - 60) << i;
    EXPECT_DOUBLE_EQ(got.capacity_hours, 100) << i;
    ASSERT_TRUE(got.load_ratio.has_value()) << i;
    EXPECT_DOUBLE_EQ(*got.load_ratio, load / 100) << i;
    EXPECT_EQ(got.tasks_in_force, in_force) << i;
  }

  // Burden kept out: none in March (s1 was rejected in February); April
  // v2 7 h x 1 + v3 4 h x 2 + e2 12 h x 1 = 27 h.
  ASSERT_EQ(s.burden.size(), 2u);
  EXPECT_EQ(s.burden[0], (BurdenMonth{absl::CivilMonth(2026, 3), 0, 0}));
  EXPECT_EQ(s.burden[1], (BurdenMonth{absl::CivilMonth(2026, 4), 3, 27}));
  EXPECT_DOUBLE_EQ(s.burden_total_hours, 27);
}

TEST_F(AuditReaderStatisticsTest, EqualTheWholeLogComputationForAnyPeriod) {
  RunScenario();
  const std::vector<std::pair<absl::Time, absl::Time>> periods = {
      {At(2026, 3, 1, 0), At(2026, 5, 1, 0)},    // March and April
      {At(2026, 1, 1, 0), At(2026, 6, 1, 0)},    // everything so far
      {At(2026, 1, 1, 0), At(2026, 2, 1, 0)},    // January alone
      {At(2026, 2, 1, 0), At(2026, 3, 1, 0)},    // February
      {At(2026, 3, 15, 0), At(2026, 4, 10, 0)},  // parts of two months
      {At(2026, 4, 14, 0), At(2026, 4, 15, 0)},  // one day
      {At(2026, 5, 1, 0), At(2026, 7, 1, 0)},    // after the scenario's work
      {At(2025, 1, 1, 0), At(2026, 1, 1, 0)},    // before anything
      {At(2026, 1, 5, 0), At(2026, 5, 7, 0)},    // every day of it
  };
  for (const auto& [from, until] : periods) {
    ASSERT_OK_AND_ASSIGN(Statistics whole, FromTheWholeLog(from, until));
    ASSERT_OK_AND_ASSIGN(Statistics bounded,
                         reader_->GetStatistics(Auditor(), from, until));
    EXPECT_EQ(bounded, whole)
        << absl::FormatTime(from) << " .. " << absl::FormatTime(until);
  }
  // The comparison is not vacuous: the first period has every kind of
  // figure.
  ASSERT_OK_AND_ASSIGN(
      Statistics s,
      reader_->GetStatistics(Auditor(), periods[0].first, periods[0].second));
  EXPECT_EQ(s.departments.size(), 3u);
  EXPECT_GT(s.burden_total_hours, 0);
}

TEST_F(AuditReaderStatisticsTest, RefusesAPeriodThatIsNotWholeDays) {
  RunScenario();
  EXPECT_THAT(
      reader_->GetStatistics(Auditor(), At(2026, 4, 14, 8), At(2026, 4, 15, 0)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("midnight")));
  EXPECT_THAT(
      reader_->GetStatistics(Auditor(), At(2026, 4, 14, 0), At(2026, 4, 14, 9)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("midnight")));
}

// A database whose log predates the counters: they are rebuilt from the log
// once, and then equal what live counting gave.
class StatisticsRebuildTest : public AuditReaderStatisticsTest {
 protected:
  std::string DbPath() const override { return db_.path(); }
  ::taskgate::testing::ScopedDbPath db_;
};

TEST_F(StatisticsRebuildTest, RebuildsMissingCountersFromTheLog) {
  RunScenario();
  const absl::Time from = At(2026, 3, 1, 0);
  const absl::Time until = At(2026, 5, 1, 0);
  ASSERT_OK_AND_ASSIGN(Statistics live,
                       reader_->GetStatistics(Auditor(), from, until));

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_.path().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(raw, "DELETE FROM counters", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(raw);
  ASSERT_OK_AND_ASSIGN(Statistics lost,
                       reader_->GetStatistics(Auditor(), from, until));
  EXPECT_TRUE(lost.departments.empty());

  // The rebuild is recorded, and done once.
  const int64_t before = EventCount();
  ASSERT_THAT(RebuildCountersIfMissing(engine_->writer(), clock_, Options()),
              IsOk());
  EXPECT_EQ(EventCount(), before + 1);
  ASSERT_THAT(RebuildCountersIfMissing(engine_->writer(), clock_, Options()),
              IsOk());
  EXPECT_EQ(EventCount(), before + 1);
  ASSERT_OK_AND_ASSIGN(Statistics rebuilt,
                       reader_->GetStatistics(Auditor(), from, until));
  EXPECT_EQ(rebuilt, live);
}

}  // namespace
}  // namespace taskgate::workflow
