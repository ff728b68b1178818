// `TaskLifecycle` (workflow/task_lifecycle.h) and, through its submits,
// `Submission` (workflow/submission.h): drafting, routing at submit, the
// review decisions, idempotent retries and optimistic concurrency.
#include "workflow/task_lifecycle.h"

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::FakeClock;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

class TaskLifecycleTest : public TaskWorkflowTest {};

TEST_F(TaskLifecycleTest, CleanAssistTaskIsAdmittedAfterClaimAndApproval) {
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

TEST_F(TaskLifecycleTest,
       NegativeListTaskIsRejectedBySystemAtSubmitEvenInEmergency) {
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

TEST_F(TaskLifecycleTest, DutyListTaskWithNoFindingIsAdmittedAtSubmit) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.item_code = "D-001";
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_EQ(t.state, domain::TaskState::kActive);
  EXPECT_TRUE(t.admitted_by_duty_list);
  EXPECT_EQ(EventsOf("t1").back().event.action, "task.admit_duty_list");
}

TEST_F(TaskLifecycleTest, DutyListTaskWithAnyFindingGoesToReview) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.item_code = "D-001";
  spec.start_date = absl::CivilDay(2026, 3, 10);  // R-LEAD-TIME
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_EQ(t.state, domain::TaskState::kSubmitted);
  ASSERT_EQ(t.findings.size(), 1u);
  EXPECT_EQ(t.findings[0].rule_id, kRuleLeadTime);
}

TEST_F(TaskLifecycleTest,
       EmergencyTaskIsProvisionalCountsAtOnceAndHasAThreeDaySla) {
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

  // The emergency flag spares it R-LEAD-TIME: it has no WARN finding to
  // acknowledge (SPEC §9: acknowledgements name findings the task has).
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Task approved,
                       Do(Reviewer("r1"), TaskAction::kApprove, "t1"));
  EXPECT_EQ(approved.state, domain::TaskState::kActive);
}

TEST_F(TaskLifecycleTest,
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
  ASSERT_OK_AND_ASSIGN(domain::Task t,
                       engine_->tasks().Act(Reviewer("r1"), reject));
  EXPECT_EQ(t.state, domain::TaskState::kRevoked);
  EXPECT_EQ(t.findings.back().rule_id, "R-EMERGENCY");
  EXPECT_EQ(EventsOf("t1").back().event.details.at("finding"), "R-EMERGENCY");
}

TEST_F(TaskLifecycleTest, NewItemNeedsTwoDistinctReviewers) {
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

TEST_F(TaskLifecycleTest, SecondReviewersReturnOverridesTheFirstApproval) {
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

// SPEC §4.1 "Two approvals": the task shows that it awaits a second
// approval (domain::AwaitsSecondApproval) from the first approval until the
// second, whether back in the queue, claimed by the second reviewer,
// released or PROVISIONAL; a return, resubmission, rejection, withdrawal
// and the second approval end it.
TEST_F(TaskLifecycleTest, AwaitingSecondApprovalFollowsEveryMove) {
  const std::vector<domain::Acknowledgement> acks = {
      {"R-NEW-ITEM", "reviewed"}};
  // Creates and submits a new item (two approvals); with `emergency` it is
  // PROVISIONAL.
  auto submit = [&](const std::string& id, bool emergency = false) {
    domain::TaskSpec spec = CleanAssistSpec();
    spec.item_code = "";
    spec.new_item_justification = "new national programme";
    spec.emergency = emergency;
    if (emergency) spec.emergency_reason = "flood season";
    Create(id, spec);
    absl::StatusOr<domain::Task> t = Do(Clerk(), TaskAction::kSubmit, id);
    EXPECT_THAT(t, IsOk());
    EXPECT_FALSE(t.ok() && domain::AwaitsSecondApproval(*t)) << id;
  };
  // r1 claims and gives the first approval.
  auto first = [&](const std::string& id) {
    ASSERT_OK_AND_ASSIGN(domain::Task claimed,
                         Do(Reviewer("r1"), TaskAction::kClaim, id));
    EXPECT_FALSE(domain::AwaitsSecondApproval(claimed)) << id;
    ASSERT_OK_AND_ASSIGN(
        domain::Task approved,
        Do(Reviewer("r1"), TaskAction::kApprove, id, "", acks));
    EXPECT_TRUE(domain::AwaitsSecondApproval(approved)) << id;
  };
  // As stored and read back.
  auto awaits = [&](const std::string& id) {
    absl::StatusOr<domain::Task> t = GetTask(id);
    EXPECT_THAT(t, IsOk());
    return t.ok() && domain::AwaitsSecondApproval(*t);
  };

  submit("approved");
  ASSERT_NO_FATAL_FAILURE(first("approved"));
  EXPECT_TRUE(awaits("approved"));  // SUBMITTED, back in the queue
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "approved"), IsOk());
  EXPECT_TRUE(awaits("approved"));  // IN_REVIEW with the second reviewer
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kRelease, "approved"), IsOk());
  EXPECT_TRUE(awaits("approved"));
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "approved"), IsOk());
  ASSERT_OK_AND_ASSIGN(
      domain::Task active,
      Do(Reviewer("r2"), TaskAction::kApprove, "approved", "", acks));
  EXPECT_EQ(active.state, domain::TaskState::kActive);
  EXPECT_FALSE(awaits("approved"));

  submit("returned");
  ASSERT_NO_FATAL_FAILURE(first("returned"));
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "returned"), IsOk());
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kReturn, "returned", "split it"),
              IsOk());
  EXPECT_FALSE(awaits("returned"));
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "returned"), IsOk());
  EXPECT_FALSE(awaits("returned"));  // a new round: no approval yet

  submit("rejected");
  ASSERT_NO_FATAL_FAILURE(first("rejected"));
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "rejected"), IsOk());
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kReject, "rejected", "no"),
              IsOk());
  EXPECT_FALSE(awaits("rejected"));

  submit("withdrawn");
  ASSERT_NO_FATAL_FAILURE(first("withdrawn"));
  ASSERT_THAT(Do(Clerk(), TaskAction::kWithdraw, "withdrawn", "not needed"),
              IsOk());
  EXPECT_FALSE(awaits("withdrawn"));

  submit("emergency", /*emergency=*/true);
  ASSERT_NO_FATAL_FAILURE(first("emergency"));
  ASSERT_OK_AND_ASSIGN(domain::Task provisional, GetTask("emergency"));
  EXPECT_EQ(provisional.state, domain::TaskState::kProvisional);
  EXPECT_TRUE(awaits("emergency"));
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "emergency"), IsOk());
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kApprove, "emergency", "", acks),
              IsOk());
  EXPECT_FALSE(awaits("emergency"));

  // A task of one approval never awaits a second.
  Create("single", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "single"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "single"), IsOk());
  EXPECT_FALSE(awaits("single"));
}

TEST_F(TaskLifecycleTest, ReturnPausesTheSlaAndResubmissionCountsTheRest) {
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
  ASSERT_THAT(engine_->tasks().EditTask(Clerk(), "", "t1", returned.version,
                                        Draft(edited)),
              IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Task again,
                       Do(Clerk(), TaskAction::kSubmit, "t1"));
  // 4 used (03-03..06); 11 remain from Mon 03-16: 03-17..20 (4),
  // 03-23..27 (9), 03-30, 03-31 (11).
  EXPECT_EQ(again.sla.due_date, absl::CivilDay(2026, 3, 31));
  EXPECT_EQ(again.spec.legal_basis, edited.legal_basis);
}

TEST_F(TaskLifecycleTest, WithdrawWorksFromEveryStateTheSpecAllows) {
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
    ASSERT_OK_AND_ASSIGN(domain::Task t, GetTask(id));
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

TEST_F(TaskLifecycleTest,
       ActiveTaskCanBeRevokedByReviewerOrClosedByItsDepartment) {
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

TEST_F(TaskLifecycleTest, AuthorizationIsCheckedBeforeState) {
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
  EXPECT_THAT(
      engine_->tasks().CreateTask(auditor, "", "t9", Draft(CleanAssistSpec())),
      StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(engine_->directory().PublishCatalog(Clerk(), "", {}, ""),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(TaskLifecycleTest, BadSubmissionNamesEveryFieldAndStoresNothing) {
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
  ASSERT_THAT(engine_->tasks().EditTask(Clerk(), "", "t1", 0, Draft(spec)),
              IsOk());
  s = Do(Clerk(), TaskAction::kSubmit, "t1");
  fields.clear();
  for (const FieldViolation& v : GetFieldViolations(s.status())) {
    fields.push_back(v.field);
  }
  EXPECT_THAT(fields,
              ElementsAre("task.item_code", "task.target_communities[1]"));
  ASSERT_OK_AND_ASSIGN(domain::Task stored, GetTask("t1"));
  EXPECT_EQ(stored.state, domain::TaskState::kDraft);
  EXPECT_EQ(EventCount(), before + 1);  // only the edit
}

TEST_F(TaskLifecycleTest, StreetTargetsExpandToTheirCommunities) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.target_communities = {"c3"};
  spec.target_streets = {"east"};
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task t, Do(Clerk(), TaskAction::kSubmit, "t1"));
  EXPECT_THAT(t.resolved_communities, ElementsAre("c1", "c2", "c3"));
  EXPECT_THAT(EventsOf("t1").back().event.community_ids,
              ElementsAre("c1", "c2", "c3"));
}

TEST_F(TaskLifecycleTest,
       RetryWithSameRequestIdReturnsFirstAnswerAndChangesNothing) {
  Create("t1", CleanAssistSpec());
  ActionRequest submit;
  submit.action = TaskAction::kSubmit;
  submit.task_id = "t1";
  submit.request_id = "req-1";
  ASSERT_OK_AND_ASSIGN(domain::Task first,
                       engine_->tasks().Act(Clerk(), submit));
  const int64_t events = EventCount();
  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(domain::Task again,
                       engine_->tasks().Act(Clerk(), submit));
  EXPECT_EQ(again.version, first.version);
  EXPECT_EQ(again.submitted_at, first.submitted_at);
  EXPECT_EQ(EventCount(), events);

  // The same id for a different request is refused, not replayed.
  ActionRequest other = submit;
  other.action = TaskAction::kWithdraw;
  absl::StatusOr<domain::Task> reused = engine_->tasks().Act(Clerk(), other);
  EXPECT_THAT(reused, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("already used")));
  // Another principal sending it hears of its own permission first, not of
  // the request (tests/workflow/existence_test.cc).
  EXPECT_THAT(engine_->tasks().Act(Clerk("housing"), submit),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(TaskLifecycleTest, AFailureAfterTheWriteInsideTheBatchLeavesNothing) {
  Create("t1", CleanAssistSpec());
  ActionRequest submit;
  submit.action = TaskAction::kSubmit;
  submit.task_id = "t1";
  submit.request_id = "req-lost";
  const int64_t events = EventCount();
  // The write is made, then the request fails: its savepoint takes the
  // write back, so a retry runs afresh (a crash after the batch's commit is
  // in writer_test.cc).
  faults_->FailCommitAfterWrite(absl::UnavailableError("connection reset"));
  EXPECT_THAT(engine_->tasks().Act(Clerk(), submit),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(EventCount(), events);
  ASSERT_OK_AND_ASSIGN(domain::Task retried,
                       engine_->tasks().Act(Clerk(), submit));
  EXPECT_EQ(retried.state, domain::TaskState::kSubmitted);
  EXPECT_EQ(EventCount(), events + 1);
}

TEST_F(TaskLifecycleTest, FailedCommitLeavesNoTraceAndCanBeRetried) {
  Create("t1", CleanAssistSpec());
  const int64_t events = EventCount();
  faults_->FailNextCommit(absl::UnavailableError("database is locked"));
  EXPECT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK_AND_ASSIGN(domain::Task stored, GetTask("t1"));
  EXPECT_EQ(stored.state, domain::TaskState::kDraft);
  EXPECT_EQ(EventCount(), events);
  EXPECT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
}

TEST_F(TaskLifecycleTest, StaleVersionIsAborted) {
  domain::Task t = Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  ActionRequest claim;
  claim.action = TaskAction::kClaim;
  claim.task_id = "t1";
  claim.expected_version = t.version;  // the version before submit
  EXPECT_THAT(engine_->tasks().Act(Reviewer("r1"), claim),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("reload")));
  EXPECT_THAT(engine_->tasks().EditTask(Clerk(), "", "t1", t.version,
                                        Draft(CleanAssistSpec())),
              StatusIs(absl::StatusCode::kAborted));
}

TEST_F(TaskLifecycleTest, ConcurrentClaimsHaveExactlyOneWinner) {
  Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  // The writer decides one claim after the other: the second finds the
  // task claimed (ABORTED when it arrived before the first was committed,
  // FAILED_PRECONDITION when after).
  std::vector<absl::StatusOr<domain::Task>> results(
      2, absl::UnknownError("no answer"));
  std::thread r1(
      [&] { results[0] = Do(Reviewer("r1"), TaskAction::kClaim, "t1"); });
  std::thread r2(
      [&] { results[1] = Do(Reviewer("r2"), TaskAction::kClaim, "t1"); });
  r1.join();
  r2.join();
  EXPECT_NE(results[0].ok(), results[1].ok());
  const int winner = results[0].ok() ? 0 : 1;
  EXPECT_THAT(results[1 - winner],
              AnyOf(StatusIs(absl::StatusCode::kFailedPrecondition),
                    StatusIs(absl::StatusCode::kAborted)));
  ASSERT_OK_AND_ASSIGN(domain::Task t, GetTask("t1"));
  EXPECT_EQ(t.claimed_by, winner == 0 ? "r1" : "r2");
  EXPECT_EQ(Actions(EventsOf("t1")).back(), "task.claim");
  EXPECT_EQ(EventsOf("t1").size(), 3u);  // create, submit, one claim
}

TEST_F(TaskLifecycleTest, SubmitWithoutCatalogFailsWithAnActionableMessage) {
  FakeClock clock(At(2026, 3, 2));
  auto opened = store::OpenSqliteStore(":memory:");
  ASSERT_THAT(opened, IsOk());
  Engine bare(**opened, clock, EngineOptions());
  ASSERT_THAT(bare.directory().EnsureDistrict("Empty"), IsOk());
  ASSERT_THAT(
      bare.tasks().CreateTask(Clerk(), "", "t1", Draft(CleanAssistSpec())),
      IsOk());
  ActionRequest submit;
  submit.action = TaskAction::kSubmit;
  submit.task_id = "t1";
  EXPECT_THAT(bare.tasks().Act(Clerk(), submit),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("admin must publish")));
}

TEST_F(TaskLifecycleTest, CatalogVersionsCountUpAndReviewsRecordTheirVersion) {
  ASSERT_OK_AND_ASSIGN(
      domain::CatalogVersion v2,
      engine_->directory().PublishCatalog(Admin(), "",
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
  EXPECT_THAT(engine_->directory().PublishCatalog(
                  Admin(), "",
                  {{"A-001", domain::ListKind::kAssist, "x", "", {}},
                   {"A-001", domain::ListKind::kAssist, "y", "", {}}},
                  ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("more than once")));
}

// The rules read only the tasks that can matter (submission.cc), but a task
// counts in full in every month it touches: two short tasks earlier in the
// same month fill c1 (100 h, 60 h baseline) for a third that meets neither
// of them by date, while a task of another month still fits.
TEST_F(TaskLifecycleTest, TasksOfTheSameMonthCountInFullWhateverTheirDays) {
  const auto duty = [this](int first_day, int month, const std::string& dept) {
    domain::TaskSpec s = CleanAssistSpec();
    s.item_code = "D-001";
    s.hours_per_community_month = 15;
    s.start_date = absl::CivilDay(2026, month, first_day);
    s.end_date = s.start_date + 1;
    const std::string id = absl::StrCat("t-", dept);
    Create(id, s, Clerk(dept));
    return Do(Clerk(dept), TaskAction::kSubmit, id);
  };
  ASSERT_OK_AND_ASSIGN(domain::Task a, duty(1, 6, "a"));
  ASSERT_OK_AND_ASSIGN(domain::Task b, duty(3, 6, "b"));
  EXPECT_EQ(a.state, domain::TaskState::kActive);
  EXPECT_EQ(b.state, domain::TaskState::kActive);
  ASSERT_OK_AND_ASSIGN(domain::Task c, duty(20, 6, "c"));
  ASSERT_EQ(c.findings.size(), 1u);
  EXPECT_EQ(c.findings[0].rule_id, "R-CAPACITY");
  ASSERT_OK_AND_ASSIGN(domain::Task d, duty(20, 7, "d"));
  EXPECT_EQ(d.state, domain::TaskState::kActive);
}

}  // namespace
}  // namespace taskgate::workflow
