#include "workflow/rules.h"

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/types.h"

namespace taskgate::workflow {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A district with one item per list, three communities and a clean task of
// department dept-a; each test bends one thing and looks at one rule.
class RulesTest : public ::testing::Test {
 protected:
  RulesTest() {
    catalog_.district_id = "default";
    catalog_.version = 3;
    catalog_.items = {
        {"D-001",
         domain::ListKind::kDuty,
         "居民信息采集",
         "城市居民委员会组织法",
         {}},
        {"A-001",
         domain::ListKind::kAssist,
         "老年人能力评估协助",
         "老年人权益保障法",
         {}},
        {"N-001",
         domain::ListKind::kNegative,
         "招商引资任务",
         "",
         {"招商引资", "引资指标"}},
        {"N-002", domain::ListKind::kNegative, "协税护税", "", {"协税护税"}},
    };
    communities_ = {
        MakeCommunity("c-1", "一社区", 160, 100),
        MakeCommunity("c-2", "二社区", 160, 140),
        MakeCommunity("c-3", "三社区", 200, 0),
    };
    config_ = DefaultRulesConfig();
  }

  static domain::Community MakeCommunity(const std::string& id,
                                         const std::string& name,
                                         double capacity, double baseline) {
    domain::Community c;
    c.district_id = "default";
    c.id = id;
    c.name = name;
    c.street = "和平街道";
    c.staff_count = 8;
    c.monthly_capacity_hours = capacity;
    c.baseline_hours = baseline;
    return c;
  }

  // Passes every rule: assist item, funded, 10 h in c-1, April to June,
  // submitted 31 days ahead.
  static domain::Task CleanTask() {
    domain::Task t;
    t.district_id = "default";
    t.id = "t-new";
    t.department_id = "dept-a";
    t.state = domain::TaskState::kDraft;
    domain::TaskSpec& s = t.spec;
    s.title = "老年人能力评估入户协助";
    s.description = "协助评估机构入户，核对老年人基本信息";
    s.item_code = "A-001";
    s.legal_basis = "《老年人权益保障法》第三十条";
    s.start_date = absl::CivilDay(2025, 4, 1);
    s.end_date = absl::CivilDay(2025, 6, 30);
    s.target_communities = {"c-1"};
    s.hours_per_community_month = 10;
    s.funding_per_community_yuan = 2000;
    s.funding_source = "区民政局专项经费";
    s.department_duties = "组织评估机构，承担评估费用";
    s.community_duties = "提供入户联系和场地";
    s.assessment_method = "居民满意度反馈";
    t.resolved_communities = {"c-1"};
    return t;
  }

  // An ACTIVE task of another department reaching `communities`.
  static domain::Task WorkloadTask(const std::string& id,
                                   std::vector<std::string> communities,
                                   double hours, absl::CivilDay start,
                                   absl::CivilDay end) {
    domain::Task t;
    t.district_id = "default";
    t.id = id;
    t.department_id = "dept-b";
    t.state = domain::TaskState::kActive;
    t.spec.item_code = "A-001";
    t.spec.start_date = start;
    t.spec.end_date = end;
    t.spec.hours_per_community_month = hours;
    t.spec.target_communities = communities;
    t.resolved_communities = std::move(communities);
    return t;
  }

  domain::Community& C(const std::string& id) {
    for (domain::Community& c : communities_) {
      if (c.id == id) return c;
    }
    ADD_FAILURE() << "no community " << id;
    return communities_.front();
  }

  // Runs `check` the way the engine does: with the task's resolved targets.
  template <typename Check>
  std::vector<domain::Finding> Run(Check check, const domain::Task& task) {
    std::vector<domain::Community> targets;
    for (const std::string& id : task.resolved_communities) {
      targets.push_back(C(id));
    }
    const Workloads workloads = WorkloadsOf(workload_, task.id);
    RuleInput in{task,        catalog_,    targets, workloads,
                 dept_tasks_, submission_, config_};
    return check(in);
  }

  domain::CatalogVersion catalog_;
  std::vector<domain::Community> communities_;
  std::vector<domain::Task> workload_;
  std::vector<domain::Task> dept_tasks_;
  absl::CivilDay submission_{2025, 3, 1};
  RulesConfig config_;
};

std::vector<std::string> RuleIds(const std::vector<domain::Finding>& findings) {
  std::vector<std::string> ids;
  for (const domain::Finding& f : findings) ids.push_back(f.rule_id);
  return ids;
}

// ------------------------------------------------------------------ config

TEST(RulesConfigTest, DefaultsMatchSpec) {
  RulesConfig config = DefaultRulesConfig();
  EXPECT_EQ(config.lead_time_days, 30);
  EXPECT_FALSE(config.capacity_blocks);
  EXPECT_EQ(config.two_approval_hours, 120);
  std::map<domain::ControlledBucket, int> expected = {
      {domain::ControlledBucket::kWorkBody, 1},
      {domain::ControlledBucket::kFormsAndLedgers, 10},
      {domain::ControlledBucket::kCreationCampaign, 2},
      {domain::ControlledBucket::kInspection, 4},
      {domain::ControlledBucket::kSignboard, 0},
      {domain::ControlledBucket::kCertificate, 5},
      {domain::ControlledBucket::kTraining, 4},
  };
  EXPECT_EQ(config.controlled_limits, expected);
  EXPECT_EQ(DefaultControlledLimits(), expected);
}

TEST_F(RulesTest, FindItemReturnsItemOrNull) {
  const domain::CatalogItem* item = FindItem(catalog_, "A-001");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->kind, domain::ListKind::kAssist);
  EXPECT_EQ(FindItem(catalog_, "X-999"), nullptr);
  EXPECT_EQ(FindItem(catalog_, ""), nullptr);
}

TEST_F(RulesTest, CleanTaskHasNoFindings) {
  EXPECT_THAT(Run(EvaluateRules, CleanTask()), IsEmpty());
}

// -------------------------------------------------------------- R-NEGATIVE

TEST_F(RulesTest, NegativeMatchesItemCode) {
  domain::Task t = CleanTask();
  t.spec.item_code = "N-002";
  std::vector<domain::Finding> f = Run(CheckNegative, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "R-NEGATIVE");
  EXPECT_EQ(f[0].severity, domain::Severity::kBlock);
  EXPECT_EQ(f[0].catalog_item_code, "N-002");
  EXPECT_THAT(f[0].fields, ElementsAre("item_code"));
  EXPECT_THAT(f[0].message, HasSubstr("N-002"));
  EXPECT_THAT(f[0].message, HasSubstr("负面清单"));
}

TEST_F(RulesTest, NegativeMatchesKeywordInTitle) {
  domain::Task t = CleanTask();
  t.spec.title = "完成年度招商引资任务";
  std::vector<domain::Finding> f = Run(CheckNegative, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].catalog_item_code, "N-001");
  EXPECT_THAT(f[0].fields, ElementsAre("title"));
  EXPECT_THAT(f[0].message, HasSubstr("招商引资"));
}

TEST_F(RulesTest, NegativeMatchesKeywordInDescription) {
  domain::Task t = CleanTask();
  t.spec.description = "每个社区分解引资指标两项";
  std::vector<domain::Finding> f = Run(CheckNegative, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, domain::Severity::kBlock);
  EXPECT_EQ(f[0].catalog_item_code, "N-001");
  EXPECT_THAT(f[0].fields, ElementsAre("description"));
  EXPECT_THAT(f[0].message, HasSubstr("引资指标"));
}

TEST_F(RulesTest, NegativeReportsOneFindingPerMatchedItem) {
  domain::Task t = CleanTask();
  t.spec.item_code = "N-001";
  t.spec.title = "招商引资";
  t.spec.description = "协税护税";
  std::vector<domain::Finding> f = Run(CheckNegative, t);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].catalog_item_code, "N-001");
  EXPECT_THAT(f[0].fields, ElementsAre("item_code", "title"));
  EXPECT_EQ(f[1].catalog_item_code, "N-002");
  EXPECT_THAT(f[1].fields, ElementsAre("description"));
}

TEST_F(RulesTest, NegativeIgnoresKeywordsOfOtherListsAndEmptyKeywords) {
  catalog_.items.push_back(
      {"A-002", domain::ListKind::kAssist, "协助", "", {"老年人"}});
  catalog_.items.push_back(
      {"N-003", domain::ListKind::kNegative, "空", "", {""}});
  EXPECT_THAT(Run(CheckNegative, CleanTask()), IsEmpty());
}

// ----------------------------------------------------------- R-LEGAL-BASIS

TEST_F(RulesTest, LegalBasisPassesWhenGiven) {
  EXPECT_THAT(Run(CheckLegalBasis, CleanTask()), IsEmpty());
}

TEST_F(RulesTest, LegalBasisBlocksWhenEmpty) {
  domain::Task t = CleanTask();
  t.spec.legal_basis.clear();
  std::vector<domain::Finding> f = Run(CheckLegalBasis, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "R-LEGAL-BASIS");
  EXPECT_EQ(f[0].severity, domain::Severity::kBlock);
  EXPECT_THAT(f[0].fields, ElementsAre("legal_basis"));
}

TEST_F(RulesTest, LegalBasisBlocksWhenOnlyWhitespaceOrIdeographicSpace) {
  domain::Task t = CleanTask();
  t.spec.legal_basis = " \t\u3000\n\u3000";
  EXPECT_THAT(RuleIds(Run(CheckLegalBasis, t)), ElementsAre("R-LEGAL-BASIS"));
}

// ------------------------------------------------------------ R-DUTY-SPLIT

TEST_F(RulesTest, DutySplitPassesWithEmptySupport) {
  domain::Task t = CleanTask();
  t.spec.support_given.clear();
  EXPECT_THAT(Run(CheckDutySplit, t), IsEmpty());
}

TEST_F(RulesTest, DutySplitBlocksWhenDepartmentDutiesBlank) {
  domain::Task t = CleanTask();
  t.spec.department_duties = "\u3000 ";
  std::vector<domain::Finding> f = Run(CheckDutySplit, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "R-DUTY-SPLIT");
  EXPECT_EQ(f[0].severity, domain::Severity::kBlock);
  EXPECT_THAT(f[0].fields, ElementsAre("department_duties"));
}

TEST_F(RulesTest, DutySplitNamesBothBlankFields) {
  domain::Task t = CleanTask();
  t.spec.department_duties.clear();
  t.spec.community_duties.clear();
  std::vector<domain::Finding> f = Run(CheckDutySplit, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0].fields,
              ElementsAre("department_duties", "community_duties"));
}

// --------------------------------------------------------------- R-FUNDING

TEST_F(RulesTest, FundingPassesWhenAssistItemIsFunded) {
  EXPECT_THAT(Run(CheckFunding, CleanTask()), IsEmpty());
}

TEST_F(RulesTest, FundingBlocksUnfundedAssistItem) {
  domain::Task t = CleanTask();
  t.spec.funding_per_community_yuan = 0;
  std::vector<domain::Finding> f = Run(CheckFunding, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "R-FUNDING");
  EXPECT_EQ(f[0].severity, domain::Severity::kBlock);
  EXPECT_THAT(f[0].fields, ElementsAre("funding_per_community_yuan",
                                       "hours_per_community_month"));
  EXPECT_THAT(f[0].message, HasSubstr("费随事转"));
  EXPECT_THAT(f[0].message, HasSubstr("A-001"));
}

TEST_F(RulesTest, FundingBlocksUnfundedNewItem) {
  domain::Task t = CleanTask();
  t.spec.item_code.clear();
  t.spec.funding_per_community_yuan = 0;
  EXPECT_THAT(RuleIds(Run(CheckFunding, t)), ElementsAre("R-FUNDING"));
}

TEST_F(RulesTest, FundingNeverFiresForDutyListItem) {
  domain::Task t = CleanTask();
  t.spec.item_code = "D-001";
  t.spec.funding_per_community_yuan = 0;
  EXPECT_THAT(Run(CheckFunding, t), IsEmpty());
}

TEST_F(RulesTest, FundingNeverFiresWithZeroHours) {
  domain::Task t = CleanTask();
  t.spec.hours_per_community_month = 0;
  t.spec.funding_per_community_yuan = 0;
  EXPECT_THAT(Run(CheckFunding, t), IsEmpty());
  t.spec.item_code.clear();
  EXPECT_THAT(Run(CheckFunding, t), IsEmpty());
}

TEST_F(RulesTest, FundingTreatsUnknownItemAsOnNoList) {
  domain::Task t = CleanTask();
  t.spec.item_code = "X-999";
  t.spec.funding_per_community_yuan = 0;
  EXPECT_THAT(Run(CheckFunding, t), IsEmpty());
}

// ------------------------------------------------------------ R-EVALUATION

TEST_F(RulesTest, EvaluationPassesNeutralAssessment) {
  EXPECT_THAT(Run(CheckEvaluation, CleanTask()), IsEmpty());
}

TEST_F(RulesTest, EvaluationBlocksEveryForbiddenTerm) {
  for (const char* term :
       {"考核", "评比", "排名", "打分", "评分", "一票否决"}) {
    domain::Task t = CleanTask();
    t.spec.assessment_method = std::string("按季度") + term;
    std::vector<domain::Finding> f = Run(CheckEvaluation, t);
    ASSERT_EQ(f.size(), 1u) << term;
    EXPECT_EQ(f[0].rule_id, "R-EVALUATION");
    EXPECT_EQ(f[0].severity, domain::Severity::kBlock);
    EXPECT_THAT(f[0].fields, ElementsAre("assessment_method"));
    EXPECT_THAT(f[0].message, HasSubstr(term));
  }
}

TEST_F(RulesTest, EvaluationBlocksEvaluationType) {
  domain::Task t = CleanTask();
  t.spec.types = {domain::TaskType::kEvaluation};
  std::vector<domain::Finding> f = Run(CheckEvaluation, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0].fields, ElementsAre("types"));
}

// ---------------------------------------------------------------- capacity

TEST_F(RulesTest, MonthlyLoadCountsBaselineAndTasksTouchingTheMonth) {
  workload_ = {
      // Ends on the first day of May: touches May.
      WorkloadTask("w-1", {"c-1"}, 20, absl::CivilDay(2025, 3, 1),
                   absl::CivilDay(2025, 5, 1)),
      // One day in May counts in full.
      WorkloadTask("w-2", {"c-1", "c-2"}, 7.5, absl::CivilDay(2025, 5, 31),
                   absl::CivilDay(2025, 5, 31)),
      // Starts in June, other community, not counting: all left out.
      WorkloadTask("w-3", {"c-1"}, 100, absl::CivilDay(2025, 6, 1),
                   absl::CivilDay(2025, 6, 30)),
      WorkloadTask("w-4", {"c-2"}, 100, absl::CivilDay(2025, 5, 1),
                   absl::CivilDay(2025, 5, 31)),
      WorkloadTask("w-5", {"c-1"}, 100, absl::CivilDay(2025, 5, 1),
                   absl::CivilDay(2025, 5, 31)),
  };
  workload_[4].state = domain::TaskState::kInReview;
  EXPECT_EQ(MonthlyLoad(C("c-1"), absl::CivilMonth(2025, 5), workload_), 127.5);
  EXPECT_EQ(MonthlyLoad(C("c-1"), absl::CivilMonth(2025, 6), workload_), 200);
  EXPECT_EQ(MonthlyLoad(C("c-3"), absl::CivilMonth(2025, 5), workload_), 0);
}

TEST_F(RulesTest, CapacityExactlyReachedIsAllowed) {
  workload_ = {WorkloadTask("w-1", {"c-1"}, 40, absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  domain::Task t = CleanTask();
  t.spec.hours_per_community_month = 20;  // 100 + 40 + 20 = 160
  EXPECT_THAT(Run(CheckCapacity, t), IsEmpty());
}

TEST_F(RulesTest, CapacityOneHourOverNamesCommunity) {
  workload_ = {WorkloadTask("w-1", {"c-1"}, 40, absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  domain::Task t = CleanTask();
  t.spec.hours_per_community_month = 21;
  std::vector<domain::Finding> f = Run(CheckCapacity, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "R-CAPACITY");
  EXPECT_EQ(f[0].severity, domain::Severity::kWarn);
  EXPECT_THAT(f[0].communities, ElementsAre("c-1"));
  EXPECT_THAT(f[0].fields,
              ElementsAre("hours_per_community_month", "target_communities"));
  EXPECT_THAT(f[0].message, HasSubstr("c-1"));
  EXPECT_THAT(f[0].message, HasSubstr("161 h in 2025-04"));
  EXPECT_THAT(f[0].message, HasSubstr("capacity of 160 h"));
}

TEST_F(RulesTest, CapacityNamesEveryCommunityOverOnceSorted) {
  workload_ = {WorkloadTask("w-1", {"c-1"}, 40, absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  domain::Task t = CleanTask();
  t.resolved_communities = {"c-3", "c-2", "c-1", "c-2"};
  t.spec.hours_per_community_month = 25;  // c-1 165, c-2 165, c-3 25
  std::vector<domain::Finding> f = Run(CheckCapacity, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0].communities, ElementsAre("c-1", "c-2"));
  EXPECT_THAT(f[0].message, HasSubstr("二社区"));
  EXPECT_THAT(f[0].message, Not(HasSubstr("c-3")));
}

TEST_F(RulesTest, CapacityBlocksWhenConfigured) {
  config_.capacity_blocks = true;
  domain::Task t = CleanTask();
  t.spec.hours_per_community_month = 61;
  std::vector<domain::Finding> f = Run(CheckCapacity, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, domain::Severity::kBlock);
}

TEST_F(RulesTest, CapacityCountsTaskShorterThanAMonthInFull) {
  workload_ = {WorkloadTask("w-1", {"c-1"}, 50, absl::CivilDay(2025, 5, 10),
                            absl::CivilDay(2025, 5, 12))};
  domain::Task t = CleanTask();
  t.spec.hours_per_community_month = 11;  // May: 100 + 50 + 11 = 161
  std::vector<domain::Finding> f = Run(CheckCapacity, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0].message, HasSubstr("161 h in 2025-05"));
}

TEST_F(RulesTest, CapacityIgnoresTasksOutsideSpanOtherCommunityOrInReview) {
  workload_ = {
      WorkloadTask("w-1", {"c-1"}, 100, absl::CivilDay(2025, 7, 1),
                   absl::CivilDay(2025, 8, 31)),
      WorkloadTask("w-2", {"c-2"}, 100, absl::CivilDay(2025, 4, 1),
                   absl::CivilDay(2025, 4, 30)),
      WorkloadTask("w-3", {"c-1"}, 100, absl::CivilDay(2025, 4, 1),
                   absl::CivilDay(2025, 4, 30)),
  };
  workload_[2].state = domain::TaskState::kSubmitted;
  domain::Task t = CleanTask();
  t.spec.hours_per_community_month = 60;  // 100 + 60 = 160
  EXPECT_THAT(Run(CheckCapacity, t), IsEmpty());
}

TEST_F(RulesTest, CapacityCountsProvisionalTasks) {
  workload_ = {WorkloadTask("w-1", {"c-1"}, 1, absl::CivilDay(2025, 6, 30),
                            absl::CivilDay(2025, 9, 30))};
  workload_[0].state = domain::TaskState::kProvisional;
  domain::Task t = CleanTask();
  t.spec.hours_per_community_month = 60;  // June: 100 + 1 + 60 = 161
  std::vector<domain::Finding> f = Run(CheckCapacity, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0].message, HasSubstr("161 h in 2025-06"));
}

// SPEC §4.1: R-CAPACITY carries every (community, month) concerned with
// that month's load before the task, the task's hours and the capacity;
// months of equal load in a row are one entry.
TEST_F(RulesTest, CapacityDataNamesEachCommunityAndMonthWithLoadAndCapacity) {
  workload_ = {WorkloadTask("w-1", {"c-1"}, 40, absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  domain::Task t = CleanTask();  // April to June
  t.resolved_communities = {"c-3", "c-2", "c-1"};
  t.spec.hours_per_community_month = 25;  // c-1 165, c-2 165, c-3 25
  std::vector<domain::Finding> f = Run(CheckCapacity, t);
  ASSERT_EQ(f.size(), 1u);
  const auto* data = std::get_if<domain::CapacityData>(&f[0].data);
  ASSERT_NE(data, nullptr);
  EXPECT_THAT(
      data->excesses,
      ElementsAre(
          domain::CapacityExcess{"c-1", absl::CivilMonth(2025, 4),
                                 absl::CivilMonth(2025, 6), 140, 25, 160},
          domain::CapacityExcess{"c-2", absl::CivilMonth(2025, 4),
                                 absl::CivilMonth(2025, 6), 140, 25, 160}));
}

// Months of different load, or of equal load but not in a row, are
// separate entries; months within capacity are in none. The message still
// names the worst month, the earliest of equal ones.
TEST_F(RulesTest, CapacityDataSplitsMonthsByLoadAndLeavesOutMonthsThatFit) {
  workload_ = {
      WorkloadTask("w-may", {"c-1"}, 50, absl::CivilDay(2025, 5, 1),
                   absl::CivilDay(2025, 5, 31)),
      WorkloadTask("w-jun", {"c-1"}, 30, absl::CivilDay(2025, 6, 1),
                   absl::CivilDay(2025, 6, 30)),
      WorkloadTask("w-jul", {"c-1"}, 50, absl::CivilDay(2025, 7, 1),
                   absl::CivilDay(2025, 7, 31)),
  };
  domain::Task t = CleanTask();
  t.spec.end_date = absl::CivilDay(2025, 8, 31);  // April to August
  t.spec.hours_per_community_month = 35;
  // Loads before the task: Apr 100, May 150, Jun 130, Jul 150, Aug 100;
  // with it: 135, 185, 165, 185, 135 against 160.
  std::vector<domain::Finding> f = Run(CheckCapacity, t);
  ASSERT_EQ(f.size(), 1u);
  const auto* data = std::get_if<domain::CapacityData>(&f[0].data);
  ASSERT_NE(data, nullptr);
  const absl::CivilMonth may(2025, 5), jun(2025, 6), jul(2025, 7);
  EXPECT_THAT(
      data->excesses,
      ElementsAre(domain::CapacityExcess{"c-1", may, may, 150, 35, 160},
                  domain::CapacityExcess{"c-1", jun, jun, 130, 35, 160},
                  domain::CapacityExcess{"c-1", jul, jul, 150, 35, 160}));
  EXPECT_THAT(f[0].message, HasSubstr("185 h in 2025-05"));
}

// A message is for people: it details ten communities and counts the
// rest; the data names every one.
TEST_F(RulesTest, CapacityMessageDetailsTenCommunitiesAndTheDataAll) {
  domain::Task t = CleanTask();
  t.resolved_communities.clear();
  for (int i = 10; i < 22; ++i) {
    const std::string id = absl::StrCat("m-", i);
    communities_.push_back(MakeCommunity(id, "", 20, 0));
    t.resolved_communities.push_back(id);
  }
  t.spec.hours_per_community_month = 21;
  std::vector<domain::Finding> f = Run(CheckCapacity, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].communities.size(), 12u);
  EXPECT_THAT(f[0].message, HasSubstr("in 12 communities"));
  EXPECT_THAT(f[0].message, HasSubstr("m-19 would carry"));
  EXPECT_THAT(f[0].message, Not(HasSubstr("m-20 would carry")));
  EXPECT_THAT(f[0].message,
              HasSubstr("and 2 more communities (the finding's data lists "
                        "each)"));
  const auto* data = std::get_if<domain::CapacityData>(&f[0].data);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->excesses.size(), 12u);
  EXPECT_EQ(data->excesses.back().community_id, "m-21");
}

// ------------------------------------------------------------ R-LEAD-TIME

TEST_F(RulesTest, LeadTimeExactlyThirtyDaysIsFine) {
  submission_ = absl::CivilDay(2025, 3, 2);  // 30 days before 2025-04-01
  EXPECT_THAT(Run(CheckLeadTime, CleanTask()), IsEmpty());
}

TEST_F(RulesTest, LeadTimeTwentyNineDaysWarns) {
  submission_ = absl::CivilDay(2025, 3, 3);
  std::vector<domain::Finding> f = Run(CheckLeadTime, CleanTask());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "R-LEAD-TIME");
  EXPECT_EQ(f[0].severity, domain::Severity::kWarn);
  EXPECT_THAT(f[0].fields, ElementsAre("start_date"));
  EXPECT_THAT(f[0].message, HasSubstr("29 days"));
  EXPECT_THAT(f[0].message, HasSubstr("2025-04-01"));
}

TEST_F(RulesTest, LeadTimeDataHasTheLeadDaysAndTheDaysRequired) {
  submission_ = absl::CivilDay(2025, 3, 3);  // 29 days before 2025-04-01
  std::vector<domain::Finding> f = Run(CheckLeadTime, CleanTask());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].data, domain::FindingData(domain::LeadTimeData{29, 30}));
  // Starting before the submission day is a negative lead.
  submission_ = absl::CivilDay(2025, 4, 3);
  config_.lead_time_days = 45;
  f = Run(CheckLeadTime, CleanTask());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].data, domain::FindingData(domain::LeadTimeData{-2, 45}));
}

TEST_F(RulesTest, LeadTimeExemptsEmergency) {
  submission_ = absl::CivilDay(2025, 3, 30);
  domain::Task t = CleanTask();
  t.spec.emergency = true;
  t.spec.emergency_reason = "防汛";
  EXPECT_THAT(Run(CheckLeadTime, t), IsEmpty());
}

TEST_F(RulesTest, LeadTimeFollowsConfig) {
  config_.lead_time_days = 45;
  EXPECT_THAT(RuleIds(Run(CheckLeadTime, CleanTask())),
              ElementsAre("R-LEAD-TIME"));
}

// ------------------------------------------------------------ R-DUPLICATE

class DuplicateTest : public RulesTest {
 protected:
  // A pending task of dept-a for A-001 in c-1 and c-2, March to April.
  static domain::Task Earlier() {
    domain::Task t =
        WorkloadTask("t-old", {"c-1", "c-2"}, 5, absl::CivilDay(2025, 3, 1),
                     absl::CivilDay(2025, 4, 1));
    t.department_id = "dept-a";
    t.state = domain::TaskState::kSubmitted;
    return t;
  }
};

TEST_F(DuplicateTest, WarnsAndNamesOverlappingTask) {
  dept_tasks_ = {Earlier()};
  std::vector<domain::Finding> f = Run(CheckDuplicate, CleanTask());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "R-DUPLICATE");
  EXPECT_EQ(f[0].severity, domain::Severity::kWarn);
  EXPECT_EQ(f[0].related_task_id, "t-old");
  EXPECT_THAT(f[0].message, HasSubstr("t-old"));
}

TEST_F(DuplicateTest, DataHasTheIdOfTheTaskDuplicated) {
  dept_tasks_ = {Earlier(), Earlier()};
  dept_tasks_[1].id = "t-old-2";
  std::vector<domain::Finding> f = Run(CheckDuplicate, CleanTask());
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].data, domain::FindingData(domain::DuplicateData{{"t-old"}}));
  EXPECT_EQ(f[1].data, domain::FindingData(domain::DuplicateData{{"t-old-2"}}));
}

TEST_F(DuplicateTest, FiresForEveryPendingOrActiveState) {
  for (domain::TaskState s :
       {domain::TaskState::kSubmitted, domain::TaskState::kInReview,
        domain::TaskState::kReturned, domain::TaskState::kProvisional,
        domain::TaskState::kActive}) {
    dept_tasks_ = {Earlier()};
    dept_tasks_[0].state = s;
    EXPECT_THAT(RuleIds(Run(CheckDuplicate, CleanTask())),
                ElementsAre("R-DUPLICATE"))
        << domain::TaskStateName(s);
  }
}

TEST_F(DuplicateTest, IgnoresWithdrawnAndClosedStates) {
  for (domain::TaskState s :
       {domain::TaskState::kDraft, domain::TaskState::kWithdrawn,
        domain::TaskState::kRejected, domain::TaskState::kRevoked,
        domain::TaskState::kCompleted}) {
    dept_tasks_ = {Earlier()};
    dept_tasks_[0].state = s;
    EXPECT_THAT(Run(CheckDuplicate, CleanTask()), IsEmpty())
        << domain::TaskStateName(s);
  }
}

// SPEC §4.1: the ranges intersect inclusively, so one shared day is an
// overlap, whichever task comes first.
TEST_F(DuplicateTest, OneSharedDayIsAnOverlapEitherWay) {
  // The earlier task ends on the day this one starts (2025-04-01).
  dept_tasks_ = {Earlier()};
  ASSERT_EQ(dept_tasks_[0].spec.end_date, CleanTask().spec.start_date);
  EXPECT_THAT(RuleIds(Run(CheckDuplicate, CleanTask())),
              ElementsAre("R-DUPLICATE"));
  // The earlier task starts on the day this one ends (2025-06-30).
  dept_tasks_[0].spec.start_date = absl::CivilDay(2025, 6, 30);
  dept_tasks_[0].spec.end_date = absl::CivilDay(2025, 9, 30);
  EXPECT_THAT(RuleIds(Run(CheckDuplicate, CleanTask())),
              ElementsAre("R-DUPLICATE"));
  // A day apart on either side is no overlap.
  dept_tasks_[0].spec.start_date = absl::CivilDay(2025, 7, 1);
  EXPECT_THAT(Run(CheckDuplicate, CleanTask()), IsEmpty());
  dept_tasks_[0].spec.start_date = absl::CivilDay(2025, 1, 1);
  dept_tasks_[0].spec.end_date = absl::CivilDay(2025, 3, 31);
  EXPECT_THAT(Run(CheckDuplicate, CleanTask()), IsEmpty());
}

TEST_F(DuplicateTest, IgnoresDisjointDates) {
  dept_tasks_ = {Earlier()};
  dept_tasks_[0].spec.end_date = absl::CivilDay(2025, 3, 31);  // day before
  EXPECT_THAT(Run(CheckDuplicate, CleanTask()), IsEmpty());
}

TEST_F(DuplicateTest, IgnoresDifferentItemDepartmentCommunityOrSelf) {
  dept_tasks_ = {Earlier(), Earlier(), Earlier(), Earlier()};
  dept_tasks_[0].spec.item_code = "D-001";
  dept_tasks_[1].department_id = "dept-b";
  dept_tasks_[2].resolved_communities = {"c-2", "c-3"};
  dept_tasks_[3].id = "t-new";
  EXPECT_THAT(Run(CheckDuplicate, CleanTask()), IsEmpty());
}

TEST_F(DuplicateTest, IgnoresNewItems) {
  dept_tasks_ = {Earlier()};
  dept_tasks_[0].spec.item_code.clear();
  domain::Task t = CleanTask();
  t.spec.item_code.clear();
  EXPECT_THAT(Run(CheckDuplicate, t), IsEmpty());
}

TEST_F(DuplicateTest, OneFindingPerOverlappingTask) {
  dept_tasks_ = {Earlier(), Earlier()};
  dept_tasks_[1].id = "t-old-2";
  dept_tasks_[1].state = domain::TaskState::kActive;
  std::vector<domain::Finding> f = Run(CheckDuplicate, CleanTask());
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].related_task_id, "t-old");
  EXPECT_EQ(f[1].related_task_id, "t-old-2");
}

// ----------------------------------------------------------- R-CONTROLLED

TEST_F(RulesTest, ControlledPassesWithoutControlledTypes) {
  EXPECT_THAT(Run(CheckControlled, CleanTask()), IsEmpty());
}

TEST_F(RulesTest, ControlledBlocksMissingOrBlankJustification) {
  domain::Task t = CleanTask();
  t.spec.types = {domain::TaskType::kInspection, domain::TaskType::kCertificate,
                  domain::TaskType::kTraining, domain::TaskType::kEvaluation};
  t.spec.type_justifications = {{domain::TaskType::kCertificate, "\u3000"},
                                {domain::TaskType::kTraining, "新规培训一次"}};
  std::vector<domain::Finding> f = Run(CheckControlled, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "R-CONTROLLED");
  EXPECT_EQ(f[0].severity, domain::Severity::kBlock);
  EXPECT_THAT(f[0].fields, ElementsAre("type_justifications.inspection",
                                       "type_justifications.certificate"));
}

TEST_F(RulesTest, ControlledBlockDataNamesTheTypesWithoutJustification) {
  domain::Task t = CleanTask();
  t.spec.types = {domain::TaskType::kInspection, domain::TaskType::kCertificate,
                  domain::TaskType::kTraining, domain::TaskType::kEvaluation};
  t.spec.type_justifications = {{domain::TaskType::kCertificate, "\u3000"},
                                {domain::TaskType::kTraining, "新规培训一次"}};
  std::vector<domain::Finding> f = Run(CheckControlled, t);
  ASSERT_EQ(f.size(), 1u);
  const auto* data = std::get_if<domain::ControlledData>(&f[0].data);
  ASSERT_NE(data, nullptr);
  EXPECT_THAT(data->unjustified_types,
              ElementsAre(domain::TaskType::kInspection,
                          domain::TaskType::kCertificate));
  EXPECT_THAT(data->excesses, IsEmpty());
  EXPECT_EQ(f[0].controlled_type, "");
}

// SPEC §4.1: per community, the units in force - baseline, tasks in force
// and this task - and the limit.
TEST_F(RulesTest, ControlledWarnDataHasEachCommunitysUnitsAndTheLimit) {
  C("c-1").baseline_units[domain::ControlledBucket::kFormsAndLedgers] = 3;
  workload_ = {WorkloadTask("w-1", {"c-1", "c-2"}, 1,
                            absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  workload_[0].spec.types = {domain::TaskType::kForm};
  workload_[0].spec.forms_ledgers_added = 4;
  domain::Task t = CleanTask();
  t.resolved_communities = {"c-3", "c-2", "c-1"};
  t.spec.types = {domain::TaskType::kLedger};
  t.spec.type_justifications = {{domain::TaskType::kLedger, "入户台账"}};
  t.spec.forms_ledgers_added = 5;  // c-1 3 + 4 + 5, c-2 0 + 4 + 5, c-3 5
  std::vector<domain::Finding> f = Run(CheckControlled, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].controlled_type, "forms_and_ledgers");
  const auto* data = std::get_if<domain::ControlledData>(&f[0].data);
  ASSERT_NE(data, nullptr);
  ASSERT_THAT(data->excesses,
              ElementsAre(domain::ControlledExcess{"c-1", 3, 4, 5, 10}));
  EXPECT_EQ(data->excesses[0].units_in_force(), 12);
  EXPECT_THAT(data->unjustified_types, IsEmpty());
}

TEST_F(RulesTest, ControlledLimitExactlyReachedIsAllowed) {
  C("c-1").baseline_units[domain::ControlledBucket::kInspection] = 3;
  domain::Task t = CleanTask();
  t.spec.types = {domain::TaskType::kInspection};
  t.spec.type_justifications = {
      {domain::TaskType::kInspection, "年度安全检查"}};
  EXPECT_THAT(Run(CheckControlled, t), IsEmpty());  // 3 + 1 = 4
}

TEST_F(RulesTest, ControlledWarnsWhenBaselineAndTasksExceedLimit) {
  C("c-1").baseline_units[domain::ControlledBucket::kInspection] = 3;
  workload_ = {WorkloadTask("w-1", {"c-1"}, 1, absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  workload_[0].spec.types = {domain::TaskType::kInspection};
  domain::Task t = CleanTask();
  t.spec.types = {domain::TaskType::kInspection};
  t.spec.type_justifications = {
      {domain::TaskType::kInspection, "年度安全检查"}};
  std::vector<domain::Finding> f = Run(CheckControlled, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, domain::Severity::kWarn);
  EXPECT_THAT(f[0].communities, ElementsAre("c-1"));
  EXPECT_THAT(f[0].message, HasSubstr("inspection"));
  EXPECT_THAT(f[0].message, HasSubstr("would have 5"));
}

TEST_F(RulesTest, ControlledLedgersAndFormsShareOneLimit) {
  C("c-1").baseline_units[domain::ControlledBucket::kFormsAndLedgers] = 3;
  workload_ = {WorkloadTask("w-1", {"c-1"}, 1, absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  workload_[0].spec.types = {domain::TaskType::kForm};
  workload_[0].spec.forms_ledgers_added = 3;
  domain::Task t = CleanTask();
  t.spec.types = {domain::TaskType::kLedger, domain::TaskType::kForm};
  t.spec.type_justifications = {{domain::TaskType::kLedger, "入户台账"},
                                {domain::TaskType::kForm, "月报"}};
  t.spec.forms_ledgers_added = 4;  // 3 + 3 + 4 = 10
  EXPECT_THAT(Run(CheckControlled, t), IsEmpty());

  t.spec.forms_ledgers_added = 5;  // 11: one finding for the shared bucket
  std::vector<domain::Finding> f = Run(CheckControlled, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, domain::Severity::kWarn);
  EXPECT_THAT(f[0].fields, ElementsAre("types", "forms_ledgers_added",
                                       "target_communities"));
  EXPECT_THAT(f[0].message, HasSubstr("forms_and_ledgers"));
  EXPECT_THAT(f[0].message, HasSubstr("would have 11"));
}

TEST_F(RulesTest, ControlledCountsSignboardsAndNamesEveryCommunity) {
  domain::Task t = CleanTask();
  t.resolved_communities = {"c-2", "c-1", "c-3"};
  t.spec.types = {domain::TaskType::kSignboard};
  t.spec.type_justifications = {{domain::TaskType::kSignboard, "服务站标识"}};
  t.spec.signboards_per_community = 0;
  EXPECT_THAT(Run(CheckControlled, t), IsEmpty());

  t.spec.signboards_per_community = 1;  // default limit 0
  std::vector<domain::Finding> f = Run(CheckControlled, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0].communities, ElementsAre("c-1", "c-2", "c-3"));
  EXPECT_THAT(f[0].fields, ElementsAre("types", "signboards_per_community",
                                       "target_communities"));
}

TEST_F(RulesTest, ControlledBucketAbsentFromLimitsIsUnlimited) {
  config_.controlled_limits.erase(domain::ControlledBucket::kSignboard);
  domain::Task t = CleanTask();
  t.spec.types = {domain::TaskType::kSignboard};
  t.spec.type_justifications = {{domain::TaskType::kSignboard, "服务站标识"}};
  t.spec.signboards_per_community = 9;
  EXPECT_THAT(Run(CheckControlled, t), IsEmpty());
}

TEST_F(RulesTest, ControlledReportsBlockThenOneWarnPerBucket) {
  workload_ = {WorkloadTask("w-1", {"c-1"}, 1, absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  workload_[0].spec.types = {domain::TaskType::kWorkBody};
  domain::Task t = CleanTask();
  t.spec.types = {domain::TaskType::kWorkBody, domain::TaskType::kSignboard};
  t.spec.signboards_per_community = 1;
  std::vector<domain::Finding> f = Run(CheckControlled, t);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].severity, domain::Severity::kBlock);
  EXPECT_EQ(f[1].severity, domain::Severity::kWarn);
  EXPECT_THAT(f[1].message, HasSubstr("work_body"));
  EXPECT_EQ(f[2].severity, domain::Severity::kWarn);
  EXPECT_THAT(f[2].message, HasSubstr("signboard"));
}

TEST_F(RulesTest, ControlledNamesTheBucketOfEachWarning) {
  workload_ = {WorkloadTask("w-1", {"c-1"}, 1, absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  workload_[0].spec.types = {domain::TaskType::kWorkBody};
  domain::Task t = CleanTask();
  t.spec.types = {domain::TaskType::kWorkBody, domain::TaskType::kSignboard};
  t.spec.type_justifications = {{domain::TaskType::kWorkBody, "法定"},
                                {domain::TaskType::kSignboard, "法定"}};
  t.spec.signboards_per_community = 1;
  std::vector<domain::Finding> f = Run(CheckControlled, t);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].controlled_type, "work_body");
  EXPECT_EQ(f[1].controlled_type, "signboard");
}

// ------------------------------------------------------------- R-NEW-ITEM

TEST_F(RulesTest, NewItemPassesWithItemCode) {
  EXPECT_THAT(Run(CheckNewItem, CleanTask()), IsEmpty());
}

TEST_F(RulesTest, NewItemWarnsWithoutItemCode) {
  domain::Task t = CleanTask();
  t.spec.item_code.clear();
  t.spec.new_item_justification = "新增政策";
  std::vector<domain::Finding> f = Run(CheckNewItem, t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "R-NEW-ITEM");
  EXPECT_EQ(f[0].severity, domain::Severity::kWarn);
  EXPECT_THAT(f[0].fields, ElementsAre("item_code"));
}

// ------------------------------------------------------- two approvals

TEST_F(RulesTest, NeedsTwoApprovalsForNewItem) {
  domain::Task t = CleanTask();
  EXPECT_FALSE(NeedsTwoApprovals(t, config_));
  t.spec.item_code.clear();
  EXPECT_TRUE(NeedsTwoApprovals(t, config_));
}

TEST_F(RulesTest, NeedsTwoApprovalsAboveBurdenThreshold) {
  domain::Task t = CleanTask();
  t.spec.hours_per_community_month = 40;
  t.resolved_communities = {"c-1", "c-2", "c-3"};  // 120: not above
  EXPECT_FALSE(NeedsTwoApprovals(t, config_));
  t.spec.hours_per_community_month = 40.5;  // 121.5
  EXPECT_TRUE(NeedsTwoApprovals(t, config_));
  t.spec.hours_per_community_month = 30;
  t.resolved_communities = {"c-1", "c-2", "c-3", "c-4", "c-5"};  // 150
  EXPECT_TRUE(NeedsTwoApprovals(t, config_));
}

// --------------------------------------------------------- EvaluateRules

TEST_F(RulesTest, EvaluateRulesReportsEveryRuleInTableOrder) {
  workload_ = {WorkloadTask("w-1", {"c-2"}, 10, absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  domain::Task earlier =
      WorkloadTask("t-old", {"c-2"}, 5, absl::CivilDay(2025, 4, 1),
                   absl::CivilDay(2025, 4, 30));
  earlier.department_id = "dept-a";
  dept_tasks_ = {earlier};
  submission_ = absl::CivilDay(2025, 3, 25);
  domain::Task t = CleanTask();
  t.resolved_communities = {"c-2"};
  t.spec.title = "招商引资宣传";
  t.spec.legal_basis = "";
  t.spec.community_duties = "";
  t.spec.funding_per_community_yuan = 0;
  t.spec.hours_per_community_month = 20;  // 140 + 10 + 20 > 160
  t.spec.assessment_method = "年终排名";
  t.spec.types = {domain::TaskType::kTraining};
  EXPECT_THAT(RuleIds(Run(EvaluateRules, t)),
              ElementsAre("R-NEGATIVE", "R-LEGAL-BASIS", "R-DUTY-SPLIT",
                          "R-FUNDING", "R-EVALUATION", "R-CAPACITY",
                          "R-LEAD-TIME", "R-DUPLICATE", "R-CONTROLLED"));
}

// The rules without numbers carry no data; those with numbers always do.
TEST_F(RulesTest, OnlyCapacityControlledDuplicateAndLeadTimeCarryData) {
  workload_ = {WorkloadTask("w-1", {"c-2"}, 10, absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  domain::Task earlier =
      WorkloadTask("t-old", {"c-2"}, 5, absl::CivilDay(2025, 4, 1),
                   absl::CivilDay(2025, 4, 30));
  earlier.department_id = "dept-a";
  dept_tasks_ = {earlier};
  submission_ = absl::CivilDay(2025, 3, 25);
  domain::Task t = CleanTask();
  t.resolved_communities = {"c-2"};
  t.spec.title = "招商引资宣传";
  t.spec.legal_basis = "";
  t.spec.community_duties = "";
  t.spec.funding_per_community_yuan = 0;
  t.spec.hours_per_community_month = 20;
  t.spec.assessment_method = "年终排名";
  t.spec.types = {domain::TaskType::kTraining};
  std::vector<domain::Finding> all = Run(EvaluateRules, t);
  t.spec.item_code.clear();
  for (domain::Finding& f : Run(CheckNewItem, t)) all.push_back(f);
  ASSERT_EQ(all.size(), 10u);
  for (const domain::Finding& f : all) {
    const bool has_numbers =
        f.rule_id == "R-CAPACITY" || f.rule_id == "R-CONTROLLED" ||
        f.rule_id == "R-DUPLICATE" || f.rule_id == "R-LEAD-TIME";
    EXPECT_EQ(std::holds_alternative<std::monostate>(f.data), !has_numbers)
        << f.rule_id;
  }
}

TEST_F(RulesTest, EvaluateRulesPutsNewItemLast) {
  domain::Task t = CleanTask();
  t.spec.item_code.clear();
  t.spec.legal_basis.clear();
  std::vector<domain::Finding> f = Run(EvaluateRules, t);
  EXPECT_THAT(RuleIds(f), ElementsAre("R-LEGAL-BASIS", "R-NEW-ITEM"));
}

// ------------------------------------------------ re-check at approval

TEST_F(RulesTest, OnlyCapacityDuplicateAndControlledDependOnOtherTasks) {
  for (std::string_view id : {kRuleCapacity, kRuleDuplicate, kRuleControlled}) {
    EXPECT_TRUE(DependsOnOtherTasks(id)) << id;
  }
  for (std::string_view id :
       {kRuleNegative, kRuleLegalBasis, kRuleDutySplit, kRuleFunding,
        kRuleEvaluation, kRuleLeadTime, kRuleNewItem}) {
    EXPECT_FALSE(DependsOnOtherTasks(id)) << id;
  }
  EXPECT_FALSE(DependsOnOtherTasks("R-EMERGENCY"));
}

TEST_F(RulesTest, RulesOnOtherTasksRunAloneInTableOrder) {
  // The same task as `EvaluateRulesReportsEveryRuleInTableOrder`: every rule
  // fires, but only the three on other tasks run here.
  workload_ = {WorkloadTask("w-1", {"c-2"}, 10, absl::CivilDay(2025, 1, 1),
                            absl::CivilDay(2025, 12, 31))};
  domain::Task earlier =
      WorkloadTask("t-old", {"c-2"}, 5, absl::CivilDay(2025, 4, 1),
                   absl::CivilDay(2025, 4, 30));
  earlier.department_id = "dept-a";
  dept_tasks_ = {earlier};
  submission_ = absl::CivilDay(2025, 3, 25);
  domain::Task t = CleanTask();
  t.resolved_communities = {"c-2"};
  t.spec.title = "招商引资宣传";
  t.spec.legal_basis = "";
  t.spec.hours_per_community_month = 20;
  t.spec.types = {domain::TaskType::kTraining};
  EXPECT_THAT(RuleIds(Run(EvaluateRulesOnOtherTasks, t)),
              ElementsAre("R-CAPACITY", "R-DUPLICATE", "R-CONTROLLED"));
}

domain::Finding Found(std::string_view rule_id, domain::Severity severity,
                      std::vector<std::string> communities = {},
                      std::string related_task_id = "",
                      std::string controlled_type = "") {
  domain::Finding f;
  f.rule_id = std::string(rule_id);
  f.severity = severity;
  f.message = "as found";
  f.communities = std::move(communities);
  f.related_task_id = std::move(related_task_id);
  f.controlled_type = std::move(controlled_type);
  return f;
}

TEST_F(RulesTest, RecheckedFindingReplacesItsRulesAndKeepsTheOthersInOrder) {
  const domain::Severity warn = domain::Severity::kWarn;
  const std::vector<domain::Finding> carried = {
      Found(kRuleCapacity, warn, {"c-1"}),
      Found(kRuleLeadTime, warn),
      Found(kRuleDuplicate, warn, {}, "t-gone"),
      Found(kRuleNewItem, warn),
      Found("R-EMERGENCY", warn),
  };
  std::vector<domain::Finding> merged = ReplaceRecheckedFindings(
      carried, {Found(kRuleDuplicate, warn, {}, "t-new"),
                Found(kRuleControlled, warn, {"c-1"}, "", "signboard")});
  EXPECT_THAT(RuleIds(merged),
              ElementsAre("R-LEAD-TIME", "R-DUPLICATE", "R-CONTROLLED",
                          "R-NEW-ITEM", "R-EMERGENCY"));
  EXPECT_EQ(merged[1].related_task_id, "t-new");
}

TEST_F(RulesTest, CompareWithCarriedTellsNewChangedAndUnchanged) {
  const domain::Severity warn = domain::Severity::kWarn;
  const std::vector<domain::Finding> carried = {
      Found(kRuleCapacity, warn, {"c-1", "c-2"}),
      Found(kRuleDuplicate, warn, {}, "t-1"),
      Found(kRuleControlled, warn, {"c-1"}, "", "signboard"),
  };
  // The same subject and concern; amounts (the message) do not count, nor
  // the order communities are named in.
  domain::Finding more_load = Found(kRuleCapacity, warn, {"c-2", "c-1"});
  more_load.message = "now 40 h over";
  EXPECT_EQ(CompareWithCarried(more_load, carried), FindingChange::kUnchanged);
  EXPECT_EQ(CompareWithCarried(Found(kRuleDuplicate, warn, {}, "t-1"), carried),
            FindingChange::kUnchanged);
  // The same subject, concerning other communities or another severity.
  EXPECT_EQ(CompareWithCarried(Found(kRuleCapacity, warn, {"c-1"}), carried),
            FindingChange::kChanged);
  EXPECT_EQ(CompareWithCarried(
                Found(kRuleCapacity, warn, {"c-1", "c-2", "c-3"}), carried),
            FindingChange::kChanged);
  EXPECT_EQ(CompareWithCarried(
                Found(kRuleCapacity, domain::Severity::kBlock, {"c-1", "c-2"}),
                carried),
            FindingChange::kChanged);
  EXPECT_EQ(CompareWithCarried(
                Found(kRuleControlled, warn, {"c-1", "c-3"}, "", "signboard"),
                carried),
            FindingChange::kChanged);
  // Another subject: another duplicated task, another controlled type.
  EXPECT_EQ(CompareWithCarried(Found(kRuleDuplicate, warn, {}, "t-2"), carried),
            FindingChange::kNew);
  EXPECT_EQ(
      CompareWithCarried(
          Found(kRuleControlled, warn, {"c-1"}, "", "certificate"), carried),
      FindingChange::kNew);
  EXPECT_EQ(CompareWithCarried(Found(kRuleCapacity, warn, {"c-1"}), {}),
            FindingChange::kNew);
}

// The decision written in rules.h: the structured data is refreshed, not
// compared. Another load, month or unit count on the same communities is
// the same finding, and a carried finding stored before findings had data
// compares like one with data.
TEST_F(RulesTest, CompareWithCarriedIgnoresTheNumbersOfTheData) {
  const domain::Severity warn = domain::Severity::kWarn;
  domain::Finding carried = Found(kRuleCapacity, warn, {"c-1"});
  carried.data =
      domain::CapacityData{{{"c-1", absl::CivilMonth(2026, 5),
                             absl::CivilMonth(2026, 5), 10, 15, 20}}};
  domain::Finding now = Found(kRuleCapacity, warn, {"c-1"});
  now.data = domain::CapacityData{{{"c-1", absl::CivilMonth(2026, 5),
                                    absl::CivilMonth(2026, 7), 18, 15, 20}}};
  EXPECT_EQ(CompareWithCarried(now, {carried}), FindingChange::kUnchanged);
  const domain::Finding stored_before_data =
      Found(kRuleCapacity, warn, {"c-1"});
  EXPECT_EQ(CompareWithCarried(now, {stored_before_data}),
            FindingChange::kUnchanged);

  domain::Finding units =
      Found(kRuleControlled, warn, {"c-1"}, "", "signboard");
  units.data = domain::ControlledData{{{"c-1", 0, 1, 1, 0}}, {}};
  domain::Finding more_units = units;
  more_units.data = domain::ControlledData{{{"c-1", 0, 3, 1, 0}}, {}};
  EXPECT_EQ(CompareWithCarried(more_units, {units}), FindingChange::kUnchanged);
  // What it concerns still counts: a community more is a change.
  domain::Finding wider = more_units;
  wider.communities = {"c-1", "c-2"};
  EXPECT_EQ(CompareWithCarried(wider, {units}), FindingChange::kChanged);
}

TEST_F(RulesTest, DescribeConcernNamesWhatAFindingConcerns) {
  const domain::Severity warn = domain::Severity::kWarn;
  EXPECT_EQ(DescribeConcern(Found(kRuleCapacity, warn, {"c-1"})),
            "community c-1");
  EXPECT_EQ(DescribeConcern(Found(kRuleCapacity, warn, {"c-1", "c-2"})),
            "communities c-1, c-2");
  EXPECT_EQ(DescribeConcern(Found(kRuleDuplicate, warn, {}, "t-1")),
            "task t-1");
  EXPECT_EQ(
      DescribeConcern(Found(kRuleControlled, warn, {"c-1"}, "", "signboard")),
      "controlled type signboard, community c-1");
  EXPECT_EQ(DescribeConcern(Found(kRuleLeadTime, warn)), "");
}

}  // namespace
}  // namespace taskgate::workflow
