// The workloads R-CAPACITY and R-CONTROLLED read (workflow/workload_counters.h)
// are kept as counters with every change: through the real engine they
// equal `WorkloadsOf` over the tasks in force, after entries and exits of
// every kind, and again after being rebuilt from the log.
#include "workflow/workload_counters.h"

#include <sqlite3.h>

#include <cmath>
#include <string>
#include <vector>

#include <absl/time/civil_time.h>
#include <gtest/gtest.h>

#include "tests/testing/scoped_db_path.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"
#include "workflow/rules.h"
#include "workflow/statistics_counters.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using D = absl::CivilDay;
using S = domain::TaskState;

// `w` without the zeros a task's exit leaves behind, for comparing.
Workloads WithoutZeros(Workloads w) {
  for (auto it = w.begin(); it != w.end();) {
    std::erase_if(it->second.task_hours,
                  [](const auto& e) { return std::abs(e.second) < 1e-9; });
    std::erase_if(it->second.units,
                  [](const auto& e) { return e.second == 0; });
    if (it->second.task_hours.empty() && it->second.units.empty()) {
      it = w.erase(it);
    } else {
      ++it;
    }
  }
  return w;
}

void ExpectSameWorkloads(const Workloads& got, const Workloads& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [community, w] : want) {
    auto it = got.find(community);
    ASSERT_NE(it, got.end()) << community;
    EXPECT_EQ(it->second.task_hours, w.task_hours) << community;
    EXPECT_EQ(it->second.units, w.units) << community;
  }
}

class WorkloadCountersTest : public TaskWorkflowTest {
 protected:
  std::string DbPath() const override { return db_.path(); }

  void SetUp() override {
    clock_.Set(At(2026, 1, 5));
    TaskWorkflowTest::SetUp();
  }

  domain::TaskSpec Spec(std::vector<std::string> communities, double hours,
                        D start, D end) {
    domain::TaskSpec s = CleanAssistSpec();
    s.target_communities = std::move(communities);
    s.hours_per_community_month = hours;
    s.start_date = start;
    s.end_date = end;
    return s;
  }

  domain::TaskState Submit(const std::string& id, domain::TaskSpec spec,
                           const domain::Principal& clerk = Clerk()) {
    Create(id, std::move(spec), clerk);
    absl::StatusOr<domain::Task> t = Do(clerk, TaskAction::kSubmit, id);
    EXPECT_THAT(t, IsOk()) << id;
    return t.ok() ? t->state : S::kDraft;
  }

  void Approve(const std::string& id) {
    EXPECT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, id), IsOk()) << id;
    EXPECT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, id), IsOk()) << id;
  }

  // Tasks entering the workload by approval, by the duty list and
  // provisionally, and leaving it by revocation, rejection and closing.
  void RunScenario() {
    domain::TaskSpec a = Spec({"c1", "c2"}, 10, D(2026, 5, 1), D(2026, 7, 31));
    a.types = {domain::TaskType::kInspection};
    a.type_justifications[domain::TaskType::kInspection] = "quarterly";
    Submit("a", a);
    Approve("a");

    domain::TaskSpec b = Spec({"c3"}, 5, D(2026, 6, 1), D(2026, 6, 30));
    b.item_code = "D-001";
    ASSERT_EQ(Submit("b", b), S::kActive);

    domain::TaskSpec e = Spec({"c2"}, 9, D(2026, 1, 20), D(2026, 3, 10));
    e.emergency = true;
    e.emergency_reason = "flood season";
    ASSERT_EQ(Submit("e", e, Clerk("water")), S::kProvisional);

    domain::TaskSpec f = Spec({"c1", "c3"}, 2.5, D(2026, 4, 1), D(2027, 3, 31));
    f.types = {domain::TaskType::kForm, domain::TaskType::kSignboard};
    f.type_justifications[domain::TaskType::kForm] = "monthly form";
    f.type_justifications[domain::TaskType::kSignboard] = "one board";
    f.forms_ledgers_added = 3;
    f.signboards_per_community = 1;
    Submit("f", f, Clerk("housing"));
    EXPECT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "f"), IsOk());
    // The signboard is over the limit of 0: acknowledged.
    ASSERT_OK_AND_ASSIGN(domain::Task f_now, GetTask("f"));
    std::vector<domain::Acknowledgement> acks;
    for (const domain::Finding& finding : f_now.findings) {
      if (finding.severity == domain::Severity::kWarn) {
        acks.push_back({finding.rule_id, "the street asked for it"});
      }
    }
    EXPECT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, "f", "", acks),
                IsOk());

    Submit("g", Spec({"c1"}, 7, D(2026, 5, 1), D(2026, 5, 31)),
           Clerk("health"));  // waits in the queue: not in force

    domain::TaskSpec h = Spec({"c1"}, 4, D(2026, 3, 1), D(2026, 8, 31));
    Submit("h", h, Clerk("water"));
    Approve("h");
    EXPECT_THAT(
        Do(Reviewer("r1"), TaskAction::kRevoke, "h", "funding withdrawn"),
        IsOk());

    EXPECT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "e"), IsOk());
    EXPECT_THAT(Do(Reviewer("r2"), TaskAction::kReject, "e", "no emergency"),
                IsOk());
    EXPECT_THAT(Do(Clerk(), TaskAction::kClose, "b"), IsOk());
  }

  Workloads Kept() {
    absl::StatusOr<Workloads> w =
        ReadWorkloads(*sqlite_, "default", {"c1", "c2", "c3"},
                      absl::CivilMonth(2025, 1), absl::CivilMonth(2028, 12));
    EXPECT_THAT(w, IsOk());
    return w.ok() ? WithoutZeros(*w) : Workloads{};
  }

  Workloads OfTasksInForce() {
    store::TaskQuery q;
    q.district_id = "default";
    absl::StatusOr<std::vector<domain::Task>> tasks = sqlite_->ListTasks(q);
    EXPECT_THAT(tasks, IsOk());
    return tasks.ok() ? WorkloadsOf(*tasks) : Workloads{};
  }

  ::taskgate::testing::ScopedDbPath db_;
};

TEST_F(WorkloadCountersTest, EqualTheTasksInForceAfterEntriesAndExits) {
  RunScenario();
  const Workloads want = OfTasksInForce();
  // a and f are in force; b, e, g and h are not.
  ASSERT_EQ(want.size(), 3u);
  EXPECT_EQ(want.at("c1").task_hours.at(absl::CivilMonth(2026, 5)), 12.5);
  EXPECT_EQ(want.at("c3").units.at(domain::ControlledBucket::kSignboard), 1);
  ExpectSameWorkloads(Kept(), want);
}

TEST_F(WorkloadCountersTest, RebuiltFromTheLogWhenMissing) {
  RunScenario();
  const Workloads live = Kept();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_.path().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(raw, "DELETE FROM counters", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(raw);
  EXPECT_TRUE(Kept().empty());

  ASSERT_THAT(RebuildCountersIfMissing(engine_->writer(), clock_, Options()),
              IsOk());
  ExpectSameWorkloads(Kept(), live);
  ExpectSameWorkloads(Kept(), OfTasksInForce());
}

// An emergency admitted provisionally already counts in its communities;
// its approval re-checks capacity against the others' load, not its own
// twice.
TEST_F(WorkloadCountersTest, ApprovingAProvisionalTaskDoesNotCountItTwice) {
  // c1: baseline 60 h of a capacity of 100 h; 35 h fit once, not twice.
  domain::TaskSpec e = Spec({"c1"}, 35, D(2026, 2, 1), D(2026, 2, 28));
  e.emergency = true;
  e.emergency_reason = "flood season";
  ASSERT_EQ(Submit("e", e), S::kProvisional);
  EXPECT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "e"), IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Task approved,
                       Do(Reviewer("r1"), TaskAction::kApprove, "e"));
  EXPECT_EQ(approved.state, S::kActive);
  for (const domain::Finding& f : approved.findings) {
    EXPECT_NE(f.rule_id, kRuleCapacity) << f.message;
  }
}

// A community's older tasks, however many, are not what a submit reads:
// only the months the task touches count.
TEST_F(WorkloadCountersTest, CapacityCountsOnlyTheMonthsTheTaskTouches) {
  // 30 h in force on c1 in May - July; a June task of 15 h would carry
  // 60 + 30 + 15 = 105 h, over 100; a September one fits.
  Submit("a", Spec({"c1"}, 30, D(2026, 5, 1), D(2026, 7, 31)));
  Approve("a");
  // Another department's: a's own would also be a possible duplicate.
  Create("june", Spec({"c1"}, 15, D(2026, 6, 1), D(2026, 6, 30)),
         Clerk("health"));
  ASSERT_OK_AND_ASSIGN(domain::Task june,
                       Do(Clerk("health"), TaskAction::kSubmit, "june"));
  ASSERT_EQ(june.findings.size(), 1u);
  EXPECT_EQ(june.findings[0].rule_id, kRuleCapacity);
  EXPECT_NE(june.findings[0].message.find("2026-06"), std::string::npos)
      << june.findings[0].message;
  Create("sept", Spec({"c1"}, 15, D(2026, 9, 1), D(2026, 9, 30)),
         Clerk("health"));
  ASSERT_OK_AND_ASSIGN(domain::Task sept,
                       Do(Clerk("health"), TaskAction::kSubmit, "sept"));
  EXPECT_TRUE(sept.findings.empty());
}

}  // namespace
}  // namespace taskgate::workflow
