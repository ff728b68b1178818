#include "workflow/engine.h"

#include <memory>
#include <string>
#include <vector>

#include <absl/time/civil_time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fault_injecting_store.h"
#include "tests/testing/status_matchers.h"
#include "workflow/rules.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::FakeClock;
using ::taskgate::testing::FaultInjectingStore;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::TimeZone kShanghai = absl::FixedTimeZone(8 * 60 * 60);

// 2026-03-02 is a Monday; 09:00 in Shanghai.
absl::Time At(int y, int m, int d, int hour = 9) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hour, 0, 0), kShanghai);
}

domain::Principal Admin() {
  domain::Principal p;
  p.id = "admin-1";
  p.role = domain::Role::kAdmin;
  return p;
}
domain::Principal Clerk(const std::string& department = "civil-affairs") {
  domain::Principal p;
  p.id = "clerk-" + department;
  p.role = domain::Role::kDepartment;
  p.department_id = department;
  return p;
}
domain::Principal Reviewer(const std::string& id,
                           const std::string& home = "") {
  domain::Principal p;
  p.id = id;
  p.role = domain::Role::kReviewer;
  p.home_department_id = home;
  return p;
}

std::vector<std::string> Actions(const std::vector<store::StoredEvent>& es) {
  std::vector<std::string> out;
  for (const store::StoredEvent& e : es) out.push_back(e.event.action);
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::OpenSqliteStore(":memory:");
    ASSERT_THAT(opened, IsOk());
    sqlite_ = *std::move(opened);
    faults_ = std::make_unique<FaultInjectingStore>(*sqlite_);
    engine_ = std::make_unique<Engine>(*faults_, clock_, EngineOptions());
    ASSERT_THAT(engine_->EnsureDistrict("Test district"), IsOk());

    std::vector<domain::CatalogItem> items = {
        {"D-001",
         domain::ListKind::kDuty,
         "Residents' committee elections",
         "城市居民委员会组织法",
         {}},
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
    ASSERT_THAT(engine_->PublishCatalog(Admin(), "", items, "first lists"),
                IsOk());
    for (const auto& [id, street, staff] :
         {std::tuple{"c1", "east", 5}, {"c2", "east", 5}, {"c3", "west", 5}}) {
      domain::Community c;
      c.id = id;
      c.name = std::string("Community ") + id;
      c.street = street;
      c.staff_count = staff;  // capacity 100 h
      c.baseline_hours = 60;
      ASSERT_THAT(engine_->PutCommunity(Admin(), "", c, 0), IsOk());
    }
  }

  // An assist-list task that passes every rule but lead time is respected:
  // starts 60 days out, funded, duty split given.
  domain::TaskSpec CleanAssistSpec() {
    domain::TaskSpec s;
    s.title = "Quarterly elderly subsidy check";
    s.description = "Visit subsidy recipients and confirm eligibility.";
    s.item_code = "A-001";
    s.legal_basis = "老年人权益保障法 第三十条";
    s.start_date = absl::CivilDay(2026, 5, 1);
    s.end_date = absl::CivilDay(2026, 7, 31);
    s.target_communities = {"c1"};
    s.hours_per_community_month = 10;
    s.funding_per_community_yuan = 3000;
    s.funding_source = "district civil affairs budget";
    s.department_duties = "provides the list and the forms";
    s.community_duties = "visits the households";
    s.assessment_method = "merged into the district's annual assessment";
    return s;
  }

  domain::Task Create(const std::string& id, domain::TaskSpec spec,
                      const domain::Principal& clerk = Clerk()) {
    absl::StatusOr<domain::Task> t =
        engine_->CreateTask(clerk, "", id, std::move(spec));
    EXPECT_THAT(t, IsOk());
    return t.ok() ? *t : domain::Task{};
  }

  absl::StatusOr<domain::Task> Do(
      const domain::Principal& p, TaskAction action, const std::string& id,
      std::string reason = "", std::vector<domain::Acknowledgement> acks = {}) {
    ActionRequest r;
    r.action = action;
    r.task_id = id;
    r.reason = std::move(reason);
    r.acknowledgements = std::move(acks);
    return engine_->Act(p, r);
  }

  std::vector<store::StoredEvent> EventsOf(const std::string& task_id) {
    store::EventQuery q;
    q.district_id = "default";
    q.entity_type = "task";
    q.entity_id = task_id;
    auto events = sqlite_->ListEvents(q);
    EXPECT_THAT(events, IsOk());
    return events.ok() ? *events : std::vector<store::StoredEvent>{};
  }

  int64_t EventCount() {
    auto n = sqlite_->EventCount("default");
    EXPECT_THAT(n, IsOk());
    return n.ok() ? *n : -1;
  }

  FakeClock clock_{At(2026, 3, 2)};
  std::unique_ptr<store::Store> sqlite_;
  std::unique_ptr<FaultInjectingStore> faults_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, CleanAssistTaskIsAdmittedAfterClaimAndApproval) {
  Create("t1", CleanAssistSpec());
  ASSERT_OK_AND_ASSIGN(domain::Task submitted,
                       Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_EQ(submitted.state, domain::TaskState::kSubmitted);
  EXPECT_THAT(submitted.findings, IsEmpty());
  EXPECT_EQ(submitted.catalog_version, 1);
  EXPECT_THAT(submitted.resolved_communities, ElementsAre("c1"));
  // Submitted Monday 2026-03-02; day 1 is Tuesday 03-03: 03-03..06 (4),
  // 03-09..13 (9), 03-16..20 (14), Monday 03-23 (15).
  EXPECT_EQ(submitted.sla.due_date, absl::CivilDay(2026, 3, 23));
  EXPECT_EQ(submitted.timer_at, At(2026, 3, 24, 0));

  ASSERT_OK_AND_ASSIGN(domain::Task claimed,
                       Do(Reviewer("r1"), TaskAction::kClaim, "t1"));
  EXPECT_EQ(claimed.state, domain::TaskState::kInReview);
  EXPECT_EQ(claimed.claimed_by, "r1");
  ASSERT_OK_AND_ASSIGN(domain::Task active,
                       Do(Reviewer("r1"), TaskAction::kApprove, "t1", "ok"));
  EXPECT_EQ(active.state, domain::TaskState::kActive);
  EXPECT_EQ(active.version, 4);
  EXPECT_EQ(active.timer_at, At(2026, 8, 1, 0));  // end of its end date

  EXPECT_THAT(
      Actions(EventsOf("t1")),
      ElementsAre("task.create", "task.submit", "task.claim", "task.approve"));
  ASSERT_OK_AND_ASSIGN(auto decisions, sqlite_->ListDecisions("default", "t1"));
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].kind, domain::DecisionKind::kApprove);
  EXPECT_EQ(decisions[0].decided_by, "r1");
  EXPECT_EQ(decisions[0].catalog_version, 1);
}

TEST_F(EngineTest, NegativeListTaskIsRejectedBySystemAtSubmitEvenInEmergency) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.title = "完成招商引资任务";
  spec.emergency = true;
  spec.emergency_reason = "deadline from the city";
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_EQ(t.state, domain::TaskState::kRejected);
  ASSERT_FALSE(t.findings.empty());
  EXPECT_EQ(t.findings[0].rule_id, kRuleNegative);

  std::vector<store::StoredEvent> events = EventsOf("t1");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].event.action, "task.reject_negative_list");
  EXPECT_EQ(events[2].event.actor_id, "system");
  EXPECT_EQ(events[2].event.state_before, "SUBMITTED");
  EXPECT_EQ(events[2].event.state_after, "REJECTED");
  EXPECT_THAT(events[2].event.reason, HasSubstr("N-001"));
  ASSERT_OK_AND_ASSIGN(auto decisions, sqlite_->ListDecisions("default", "t1"));
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].kind, domain::DecisionKind::kSystemReject);
  EXPECT_EQ(decisions[0].catalog_version, 1);
}

TEST_F(EngineTest, DutyListTaskWithNoFindingIsAdmittedAtSubmit) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.item_code = "D-001";
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_EQ(t.state, domain::TaskState::kActive);
  EXPECT_TRUE(t.admitted_by_duty_list);
  EXPECT_EQ(EventsOf("t1").back().event.action, "task.admit_duty_list");
}

TEST_F(EngineTest, DutyListTaskWithAnyFindingGoesToReview) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.item_code = "D-001";
  spec.start_date = absl::CivilDay(2026, 3, 10);  // R-LEAD-TIME
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_EQ(t.state, domain::TaskState::kSubmitted);
  ASSERT_EQ(t.findings.size(), 1u);
  EXPECT_EQ(t.findings[0].rule_id, kRuleLeadTime);
}

TEST_F(EngineTest, EmergencyTaskIsProvisionalCountsAtOnceAndHasAThreeDaySla) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.emergency = true;
  spec.emergency_reason = "typhoon warning";
  spec.start_date = absl::CivilDay(2026, 3, 3);
  spec.hours_per_community_month = 30;
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_EQ(t.state, domain::TaskState::kProvisional);
  EXPECT_EQ(t.sla.due_date, absl::CivilDay(2026, 3, 5));  // Mon + 3

  // It counts in c1's load right away: a second task of 20 h now exceeds
  // c1's 100 h (60 baseline + 30 + 20 = 110).
  domain::TaskSpec second = CleanAssistSpec();
  second.item_code = "";
  second.new_item_justification = "new national programme";
  second.hours_per_community_month = 20;
  second.start_date = absl::CivilDay(2026, 5, 1);
  Create("t2", second, Clerk("housing"));
  ASSERT_OK_AND_ASSIGN(domain::Task t2,
                       Do(Clerk("housing"), TaskAction::kSubmit, "t2"));
  bool capacity = false;
  for (const domain::Finding& f : t2.findings) {
    if (f.rule_id == kRuleCapacity) {
      capacity = true;
      EXPECT_THAT(f.communities, ElementsAre("c1"));
    }
  }
  EXPECT_TRUE(capacity);

  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Task approved,
                       Do(Reviewer("r1"), TaskAction::kApprove, "t1", "",
                          {{"R-LEAD-TIME", "emergency"}}));
  EXPECT_EQ(approved.state, domain::TaskState::kActive);
}

TEST_F(EngineTest,
       RejectingAProvisionalTaskRevokesItAndRecordsUnjustifiedFlag) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.emergency = true;
  spec.emergency_reason = "the director wants it";
  Create("t1", spec);
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ActionRequest reject;
  reject.action = TaskAction::kReject;
  reject.task_id = "t1";
  reject.reason = "no emergency here";
  reject.emergency_unjustified = true;
  ASSERT_OK_AND_ASSIGN(domain::Task t, engine_->Act(Reviewer("r1"), reject));
  EXPECT_EQ(t.state, domain::TaskState::kRevoked);
  EXPECT_EQ(t.findings.back().rule_id, "R-EMERGENCY");
  EXPECT_EQ(EventsOf("t1").back().event.details.at("finding"), "R-EMERGENCY");
}

TEST_F(EngineTest, NewItemNeedsTwoDistinctReviewers) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.item_code = "";
  spec.new_item_justification = "new national programme";
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_TRUE(t.needs_two_approvals);
  const std::vector<domain::Acknowledgement> acks = {
      {"R-NEW-ITEM", "reviewed"}};

  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_OK_AND_ASSIGN(
      domain::Task first,
      Do(Reviewer("r1"), TaskAction::kApprove, "t1", "", acks));
  EXPECT_EQ(first.state,
            domain::TaskState::kSubmitted);  // awaiting second approval
  EXPECT_TRUE(first.claimed_by.empty());
  EXPECT_EQ(first.approvals.size(), 1u);

  EXPECT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_OK_AND_ASSIGN(
      domain::Task second,
      Do(Reviewer("r2"), TaskAction::kApprove, "t1", "", acks));
  EXPECT_EQ(second.state, domain::TaskState::kActive);
  EXPECT_EQ(second.approvals.size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto decisions, sqlite_->ListDecisions("default", "t1"));
  EXPECT_EQ(decisions.size(), 2u);
}

TEST_F(EngineTest, SecondReviewersReturnOverridesTheFirstApproval) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.target_communities = {"c1", "c2"};
  spec.hours_per_community_month = 61;  // 122 h in all > 120: two approvals
  spec.funding_per_community_yuan = 9000;
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  ASSERT_TRUE(t.needs_two_approvals);
  std::vector<domain::Acknowledgement> acks;
  for (const domain::Finding& f : t.findings)
    acks.push_back({f.rule_id, "seen"});
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, "t1", "", acks), IsOk());
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_OK_AND_ASSIGN(
      domain::Task returned,
      Do(Reviewer("r2"), TaskAction::kReturn, "t1", "split the hours"));
  EXPECT_EQ(returned.state, domain::TaskState::kReturned);
  EXPECT_THAT(returned.approvals, IsEmpty());
  // After resubmission r1 may review again: the earlier round is over.
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  EXPECT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
}

TEST_F(EngineTest, ReturnPausesTheSlaAndResubmissionCountsTheRest) {
  Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());  // Mon 03-02
  clock_.Set(At(2026, 3, 6));                                   // Fri: day 4
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_OK_AND_ASSIGN(
      domain::Task returned,
      Do(Reviewer("r1"), TaskAction::kReturn, "t1", "add the legal basis"));
  EXPECT_EQ(returned.sla.used_working_days, 4);
  EXPECT_FALSE(returned.sla.due_date.has_value());
  EXPECT_FALSE(returned.timer_at.has_value());  // paused: nothing to watch

  clock_.Set(At(2026, 3, 16));  // Monday, ten days later
  domain::TaskSpec edited = CleanAssistSpec();
  edited.legal_basis += "，第三十一条";
  ASSERT_THAT(engine_->EditTask(Clerk(), "", "t1", returned.version, edited),
              IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Task again,
                       Do(Clerk(), TaskAction::kSubmit, "t1"));
  // 4 used (03-03..06); 11 remain from Mon 03-16: 03-17..20 (4),
  // 03-23..27 (9), 03-30, 03-31 (11).
  EXPECT_EQ(again.sla.due_date, absl::CivilDay(2026, 3, 31));
  EXPECT_EQ(again.spec.legal_basis, edited.legal_basis);
}

TEST_F(EngineTest, WithdrawWorksFromEveryStateTheSpecAllows) {
  auto prepare = [&](const std::string& id, domain::TaskState target) {
    domain::TaskSpec spec = CleanAssistSpec();
    if (target == domain::TaskState::kProvisional) {
      spec.emergency = true;
      spec.emergency_reason = "flood";
    }
    Create(id, spec);
    ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, id), IsOk());
    if (target == domain::TaskState::kInReview ||
        target == domain::TaskState::kReturned) {
      ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, id), IsOk());
    }
    if (target == domain::TaskState::kReturned) {
      ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kReturn, id, "fix"), IsOk());
    }
    ASSERT_OK_AND_ASSIGN(domain::Task t, engine_->GetTask(id));
    ASSERT_EQ(t.state, target);
  };
  int n = 0;
  for (domain::TaskState s :
       {domain::TaskState::kSubmitted, domain::TaskState::kInReview,
        domain::TaskState::kReturned, domain::TaskState::kProvisional}) {
    const std::string id = "w" + std::to_string(n++);
    prepare(id, s);
    ASSERT_OK_AND_ASSIGN(domain::Task t,
                         Do(Clerk(), TaskAction::kWithdraw, id));
    EXPECT_EQ(t.state, domain::TaskState::kWithdrawn);
    EXPECT_TRUE(t.claimed_by.empty());
    EXPECT_FALSE(t.timer_at.has_value());
  }
  Create("draft", CleanAssistSpec());
  EXPECT_THAT(Do(Clerk(), TaskAction::kWithdraw, "draft"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("DRAFT; action withdraw")));
}

TEST_F(EngineTest, ActiveTaskCanBeRevokedByReviewerOrClosedByItsDepartment) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.item_code = "D-001";
  Create("t1", spec);
  spec.start_date = absl::CivilDay(2026, 8, 1);  // no overlap: no R-DUPLICATE
  spec.end_date = absl::CivilDay(2026, 9, 30);
  Create("t2", spec);
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t2"), IsOk());
  EXPECT_THAT(Do(Reviewer("r1", "civil-affairs"), TaskAction::kRevoke, "t1",
                 "funding never arrived"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(
      domain::Task revoked,
      Do(Reviewer("r2"), TaskAction::kRevoke, "t1", "funding never arrived"));
  EXPECT_EQ(revoked.state, domain::TaskState::kRevoked);
  ASSERT_OK_AND_ASSIGN(domain::Task closed,
                       Do(Clerk(), TaskAction::kClose, "t2"));
  EXPECT_EQ(closed.state, domain::TaskState::kCompleted);
}

TEST_F(EngineTest, AuthorizationIsCheckedBeforeState) {
  Create("t1", CleanAssistSpec());
  // Another department may not even learn that submit would be illegal.
  EXPECT_THAT(Do(Clerk("housing"), TaskAction::kSubmit, "t1"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Do(Reviewer("r1", "civil-affairs"), TaskAction::kClaim, "t1"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  domain::Principal auditor;
  auditor.id = "inspector";
  auditor.role = domain::Role::kAuditor;
  EXPECT_THAT(Do(auditor, TaskAction::kApprove, "t1"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(engine_->CreateTask(auditor, "", "t9", CleanAssistSpec()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(engine_->PublishCatalog(Clerk(), "", {}, ""),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(EngineTest, BadSubmissionNamesEveryFieldAndStoresNothing) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.item_code = "X-404";
  spec.target_communities = {"c1", "nowhere"};
  spec.end_date = absl::CivilDay(2026, 4, 1);  // before start
  Create("t1", spec);
  const int64_t before = EventCount();
  absl::StatusOr<domain::Task> s = Do(Clerk(), TaskAction::kSubmit, "t1");
  ASSERT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<std::string> fields;
  for (const FieldViolation& v : GetFieldViolations(s.status())) {
    fields.push_back(v.field);
  }
  EXPECT_THAT(fields, ElementsAre("task.end_date"));  // checked first
  spec.end_date = absl::CivilDay(2026, 7, 1);
  ASSERT_THAT(engine_->EditTask(Clerk(), "", "t1", 0, spec), IsOk());
  s = Do(Clerk(), TaskAction::kSubmit, "t1");
  fields.clear();
  for (const FieldViolation& v : GetFieldViolations(s.status())) {
    fields.push_back(v.field);
  }
  EXPECT_THAT(fields,
              ElementsAre("task.item_code", "task.target_communities[1]"));
  ASSERT_OK_AND_ASSIGN(domain::Task stored, engine_->GetTask("t1"));
  EXPECT_EQ(stored.state, domain::TaskState::kDraft);
  EXPECT_EQ(EventCount(), before + 1);  // only the edit
}

TEST_F(EngineTest, StreetTargetsExpandToTheirCommunities) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.target_communities = {"c3"};
  spec.target_streets = {"east"};
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_THAT(t.resolved_communities, ElementsAre("c1", "c2", "c3"));
  EXPECT_THAT(EventsOf("t1").back().event.community_ids,
              ElementsAre("c1", "c2", "c3"));
}

TEST_F(EngineTest, RetryWithSameRequestIdReturnsFirstAnswerAndChangesNothing) {
  Create("t1", CleanAssistSpec());
  ActionRequest submit;
  submit.action = TaskAction::kSubmit;
  submit.task_id = "t1";
  submit.request_id = "req-1";
  ASSERT_OK_AND_ASSIGN(domain::Task first, engine_->Act(Clerk(), submit));
  const int64_t events = EventCount();
  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(domain::Task again, engine_->Act(Clerk(), submit));
  EXPECT_EQ(again.version, first.version);
  EXPECT_EQ(again.submitted_at, first.submitted_at);
  EXPECT_EQ(EventCount(), events);

  // The same id for a different request is refused, not replayed.
  ActionRequest other = submit;
  other.action = TaskAction::kWithdraw;
  absl::StatusOr<domain::Task> reused = engine_->Act(Clerk(), other);
  EXPECT_THAT(reused, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("already used")));
  // ... and so is another principal replaying it.
  EXPECT_THAT(engine_->Act(Clerk("housing"), submit),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(EngineTest, LostReplyIsRecoveredByRetryingWithTheSameRequestId) {
  Create("t1", CleanAssistSpec());
  ActionRequest submit;
  submit.action = TaskAction::kSubmit;
  submit.task_id = "t1";
  submit.request_id = "req-lost";
  faults_->FailCommitAfterWrite(absl::UnavailableError("connection reset"));
  EXPECT_THAT(engine_->Act(Clerk(), submit),
              StatusIs(absl::StatusCode::kUnavailable));
  const int64_t events = EventCount();
  ASSERT_OK_AND_ASSIGN(domain::Task retried, engine_->Act(Clerk(), submit));
  EXPECT_EQ(retried.state, domain::TaskState::kSubmitted);
  EXPECT_EQ(EventCount(), events);  // applied once
}

TEST_F(EngineTest, FailedCommitLeavesNoTraceAndCanBeRetried) {
  Create("t1", CleanAssistSpec());
  const int64_t events = EventCount();
  faults_->FailNextCommit(absl::UnavailableError("database is locked"));
  EXPECT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK_AND_ASSIGN(domain::Task stored, engine_->GetTask("t1"));
  EXPECT_EQ(stored.state, domain::TaskState::kDraft);
  EXPECT_EQ(EventCount(), events);
  EXPECT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
}

TEST_F(EngineTest, StaleVersionIsAborted) {
  domain::Task t = Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  ActionRequest claim;
  claim.action = TaskAction::kClaim;
  claim.task_id = "t1";
  claim.expected_version = t.version;  // the version before submit
  EXPECT_THAT(engine_->Act(Reviewer("r1"), claim),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("reload")));
  EXPECT_THAT(
      engine_->EditTask(Clerk(), "", "t1", t.version, CleanAssistSpec()),
      StatusIs(absl::StatusCode::kAborted));
}

TEST_F(EngineTest, ConcurrentClaimsHaveExactlyOneWinner) {
  Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  // r2's claim slips in between r1's read and r1's commit, as a concurrent
  // request on another thread would.
  FaultInjectingStore racing(*sqlite_);
  Engine other(racing, clock_, EngineOptions());
  absl::StatusOr<domain::Task> winner;
  racing.RunBeforeNextCommit(
      [&] { winner = Do(Reviewer("r2"), TaskAction::kClaim, "t1"); });
  ActionRequest claim;
  claim.action = TaskAction::kClaim;
  claim.task_id = "t1";
  EXPECT_THAT(other.Act(Reviewer("r1"), claim),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_THAT(winner, IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Task t, engine_->GetTask("t1"));
  EXPECT_EQ(t.claimed_by, "r2");
  EXPECT_EQ(Actions(EventsOf("t1")).back(), "task.claim");
  EXPECT_EQ(EventsOf("t1").size(), 3u);  // create, submit, one claim
}

TEST_F(EngineTest, TimerEscalatesOverdueReviewAsSystemEvent) {
  Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> next, engine_->NextDeadline());
  EXPECT_EQ(next, At(2026, 3, 24, 0));

  // Just before the deadline nothing happens.
  ASSERT_OK_AND_ASSIGN(TickResult early,
                       engine_->OnTick(At(2026, 3, 24, 0) - absl::Seconds(1)));
  EXPECT_EQ(early.escalated, 0);

  clock_.Set(At(2026, 3, 24, 0));
  ASSERT_OK_AND_ASSIGN(TickResult tick, engine_->OnTick(clock_.Now()));
  EXPECT_EQ(tick.escalated, 1);
  ASSERT_OK_AND_ASSIGN(domain::Task t, engine_->GetTask("t1"));
  EXPECT_TRUE(t.sla.overdue);
  EXPECT_EQ(t.state,
            domain::TaskState::kInReview);  // release_on_overdue is off
  const store::StoredEvent last = EventsOf("t1").back();
  EXPECT_EQ(last.event.action, "task.escalate");
  EXPECT_EQ(last.event.actor_role, domain::Role::kSystem);
  // Escalated once only.
  ASSERT_OK_AND_ASSIGN(TickResult again, engine_->OnTick(clock_.Now()));
  EXPECT_EQ(again.escalated, 0);
}

TEST_F(EngineTest, OverdueReviewIsReleasedToTheQueueWhenConfigured) {
  EngineOptions options;
  options.sla.release_on_overdue = true;
  Engine releasing(*sqlite_, clock_, options);
  Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_OK_AND_ASSIGN(TickResult tick, releasing.OnTick(At(2026, 3, 24, 0)));
  EXPECT_EQ(tick.escalated, 1);
  ASSERT_OK_AND_ASSIGN(domain::Task t, engine_->GetTask("t1"));
  EXPECT_EQ(t.state, domain::TaskState::kSubmitted);
  EXPECT_TRUE(t.claimed_by.empty());
}

TEST_F(EngineTest, ActiveTaskCompletesAutomaticallyAfterItsEndDate) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.item_code = "D-001";
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task active,
                       Do(Clerk(), TaskAction::kSubmit, "t1"));
  ASSERT_EQ(active.state, domain::TaskState::kActive);
  ASSERT_OK_AND_ASSIGN(TickResult on_end_day,
                       engine_->OnTick(At(2026, 7, 31, 23)));
  EXPECT_EQ(on_end_day.completed, 0);
  ASSERT_OK_AND_ASSIGN(TickResult after, engine_->OnTick(At(2026, 8, 1, 0)));
  EXPECT_EQ(after.completed, 1);
  ASSERT_OK_AND_ASSIGN(domain::Task t, engine_->GetTask("t1"));
  EXPECT_EQ(t.state, domain::TaskState::kCompleted);
  EXPECT_EQ(EventsOf("t1").back().event.action, "task.expire");
  ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> next, engine_->NextDeadline());
  EXPECT_FALSE(next.has_value());
}

TEST_F(EngineTest, SubmitWithoutCatalogFailsWithAnActionableMessage) {
  FakeClock clock(At(2026, 3, 2));
  auto opened = store::OpenSqliteStore(":memory:");
  ASSERT_THAT(opened, IsOk());
  Engine bare(**opened, clock, EngineOptions());
  ASSERT_THAT(bare.EnsureDistrict("Empty"), IsOk());
  ASSERT_THAT(bare.CreateTask(Clerk(), "", "t1", CleanAssistSpec()), IsOk());
  ActionRequest submit;
  submit.action = TaskAction::kSubmit;
  submit.task_id = "t1";
  EXPECT_THAT(bare.Act(Clerk(), submit),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("admin must publish")));
}

TEST_F(EngineTest, CatalogVersionsCountUpAndReviewsRecordTheirVersion) {
  ASSERT_OK_AND_ASSIGN(domain::CatalogVersion v2,
                       engine_->PublishCatalog(Admin(), "",
                                               {{"A-001",
                                                 domain::ListKind::kAssist,
                                                 "Elderly care subsidy checks",
                                                 "法",
                                                 {}},
                                                {"N-001",
                                                 domain::ListKind::kNegative,
                                                 "Quotas",
                                                 "",
                                                 {"招商引资", "协税护税"}}},
                                               "annual revision"));
  EXPECT_EQ(v2.version, 2);
  Create("t1", CleanAssistSpec());
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_EQ(t.catalog_version, 2);
  EXPECT_THAT(engine_->PublishCatalog(
                  Admin(), "",
                  {{"A-001", domain::ListKind::kAssist, "x", "", {}},
                   {"A-001", domain::ListKind::kAssist, "y", "", {}}},
                  ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("more than once")));
}

}  // namespace
}  // namespace taskgate::workflow
