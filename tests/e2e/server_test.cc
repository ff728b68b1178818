// End-to-end tests of the in-process server: every lifecycle path of SPEC §5
// driven through the gRPC stubs by the role that takes each step, bad input,
// retries, races, the SLA timer and graceful shutdown. One piece: the
// lifecycle is one story told through one fixture, path by path.
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <absl/synchronization/barrier.h>
#include <absl/synchronization/notification.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_fixture.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

class ServerTest : public E2eTest {
 protected:
  std::vector<std::string> QueueIds(const Actor& who) {
    absl::StatusOr<v1::ListTasksResponse> queue =
        Call(who, *reviews_, &ReviewStub::ListReviewQueue,
             v1::ListReviewQueueRequest());
    EXPECT_THAT(queue, IsOk());
    std::vector<std::string> ids;
    if (queue.ok()) {
      for (const v1::Task& t : queue->tasks()) ids.push_back(t.id());
    }
    return ids;
  }

  absl::StatusOr<v1::Workload> Workload(const Actor& who,
                                        const std::string& community,
                                        const std::string& from,
                                        const std::string& to) {
    v1::GetWorkloadRequest r;
    r.set_community_id(community);
    r.set_from_month(from);
    r.set_to_month(to);
    return Call(who, *communities_, &CommunityStub::GetWorkload, r);
  }

  std::vector<v1::Decision> Decisions(const Actor& who, const std::string& id) {
    v1::ListDecisionsRequest r;
    r.set_task_id(id);
    absl::StatusOr<v1::ListDecisionsResponse> d =
        Call(who, *tasks_, &TaskStub::ListDecisions, r);
    EXPECT_THAT(d, IsOk());
    if (!d.ok()) return {};
    return {d->decisions().begin(), d->decisions().end()};
  }

  std::vector<v1::AuditEvent> EventsWithAction(const std::string& action) {
    v1::ListEventsRequest r;
    r.set_action(action);
    return Events(r);
  }

  static std::vector<std::string> RuleIds(const v1::Task& t) {
    std::vector<std::string> ids;
    for (const v1::Finding& f : t.findings()) ids.push_back(f.rule_id());
    return ids;
  }
};

// ------------------------------------------------------------- lifecycle

TEST_F(ServerTest, AssistTaskWithWarningIsAdmittedOnlyOnceItIsAcknowledged) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_start_date("2026-03-20");  // 18 days after submit: R-LEAD-TIME
  spec.set_end_date("2026-04-30");
  ASSERT_OK_AND_ASSIGN(v1::Task draft, CreateTask(clerk_, spec, "t-assist"));
  EXPECT_EQ(draft.id(), "t-assist");
  EXPECT_EQ(draft.department_id(), kDepartment);
  EXPECT_EQ(draft.state(), v1::TASK_STATE_DRAFT);

  ASSERT_OK_AND_ASSIGN(v1::Task submitted,
                       Act(clerk_, Step::kSubmit, "t-assist"));
  EXPECT_EQ(submitted.state(), v1::TASK_STATE_SUBMITTED);
  ASSERT_THAT(submitted.findings(), SizeIs(1));
  EXPECT_EQ(submitted.findings(0).rule_id(), "R-LEAD-TIME");
  EXPECT_EQ(submitted.findings(0).severity(), v1::SEVERITY_WARN);
  EXPECT_EQ(submitted.catalog_version(), 1);
  EXPECT_THAT(submitted.resolved_communities(), ElementsAre("c1"));
  // Submitted Monday 03-02: the 15th working day is Monday 03-23.
  EXPECT_EQ(submitted.due_date(), "2026-03-23");
  EXPECT_FALSE(submitted.needs_two_approvals());
  EXPECT_THAT(QueueIds(reviewer_), ElementsAre("t-assist"));

  ASSERT_OK_AND_ASSIGN(v1::Task claimed,
                       Act(reviewer_, Step::kClaim, "t-assist"));
  EXPECT_EQ(claimed.state(), v1::TASK_STATE_IN_REVIEW);
  EXPECT_EQ(claimed.claimed_by(), "rev-1");

  grpc::Status raw;
  EXPECT_THAT(
      Act(reviewer_, Step::kApprove, "t-assist", "", {}, &raw),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("R-LEAD-TIME")));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("acknowledgements"));

  ASSERT_OK_AND_ASSIGN(v1::Task active,
                       Act(reviewer_, Step::kApprove, "t-assist", "",
                           {{"R-LEAD-TIME", "the city fixed the start date"}}));
  EXPECT_EQ(active.state(), v1::TASK_STATE_ACTIVE);
  EXPECT_TRUE(active.claimed_by().empty());
  EXPECT_THAT(active.approvals(), SizeIs(1));

  std::vector<v1::Decision> decisions = Decisions(clerk_, "t-assist");
  ASSERT_THAT(decisions, SizeIs(1));
  EXPECT_EQ(decisions[0].kind(), "approve");
  EXPECT_EQ(decisions[0].decided_by(), "rev-1");
  EXPECT_EQ(decisions[0].decided_by_role(), v1::ROLE_REVIEWER);
  EXPECT_EQ(decisions[0].catalog_version(), 1);
  ASSERT_THAT(decisions[0].acknowledgements(), SizeIs(1));
  EXPECT_EQ(decisions[0].acknowledgements(0).rule_id(), "R-LEAD-TIME");
  EXPECT_THAT(
      TaskActions("t-assist"),
      ElementsAre("task.create", "task.submit", "task.claim", "task.approve"));
}

TEST_F(ServerTest, NegativeListTaskIsRejectedBySystemAtSubmit) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_title("完成招商引资任务");
  spec.set_emergency(true);  // no way around the negative list
  spec.set_emergency_reason("the city wants it this week");
  ASSERT_OK_AND_ASSIGN(v1::Task draft, CreateTask(clerk_, spec, "t-neg"));
  ASSERT_OK_AND_ASSIGN(v1::Task t, Act(clerk_, Step::kSubmit, "t-neg"));
  EXPECT_EQ(t.state(), v1::TASK_STATE_REJECTED);
  ASSERT_THAT(t.findings(), Not(IsEmpty()));
  EXPECT_EQ(t.findings(0).rule_id(), "R-NEGATIVE");
  EXPECT_EQ(t.findings(0).severity(), v1::SEVERITY_BLOCK);
  EXPECT_EQ(t.findings(0).catalog_item_code(), "N-001");

  std::vector<v1::Decision> decisions = Decisions(auditor_, "t-neg");
  ASSERT_THAT(decisions, SizeIs(1));
  EXPECT_EQ(decisions[0].kind(), "system_reject");
  EXPECT_EQ(decisions[0].decided_by(), "system");
  EXPECT_EQ(decisions[0].decided_by_role(), v1::ROLE_SYSTEM);
  EXPECT_EQ(decisions[0].catalog_version(), 1);

  v1::ListEventsRequest history;
  history.set_task_id("t-neg");
  std::vector<v1::AuditEvent> events = Events(history);
  ASSERT_THAT(events, SizeIs(3));
  EXPECT_EQ(events[2].action(), "task.reject_negative_list");
  EXPECT_EQ(events[2].actor_id(), "system");
  EXPECT_EQ(events[2].actor_role(), v1::ROLE_SYSTEM);
  EXPECT_EQ(events[2].state_before(), "SUBMITTED");
  EXPECT_EQ(events[2].state_after(), "REJECTED");
  EXPECT_THAT(events[2].reason(), HasSubstr("N-001"));

  EXPECT_THAT(QueueIds(reviewer_), IsEmpty());
  EXPECT_THAT(
      Act(reviewer_, Step::kClaim, "t-neg"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("REJECTED")));
}

TEST_F(ServerTest, DutyListTaskIsActiveAtSubmitAndReachesTheCommunity) {
  v1::TaskSpec spec = DutySpec();
  spec.set_start_date("2026-05-04");
  spec.set_end_date("2026-06-30");
  spec.set_hours_per_community_month(8);
  ASSERT_OK_AND_ASSIGN(v1::Task draft, CreateTask(clerk_, spec, "t-duty"));
  ASSERT_OK_AND_ASSIGN(v1::Task t, Act(clerk_, Step::kSubmit, "t-duty"));
  EXPECT_EQ(t.state(), v1::TASK_STATE_ACTIVE);
  EXPECT_TRUE(t.admitted_by_duty_list());
  EXPECT_THAT(t.findings(), IsEmpty());
  std::vector<v1::Decision> decisions = Decisions(clerk_, "t-duty");
  ASSERT_THAT(decisions, SizeIs(1));
  EXPECT_EQ(decisions[0].kind(), "duty_list_admit");
  EXPECT_THAT(TaskActions("t-duty"), ElementsAre("task.create", "task.submit",
                                                 "task.admit_duty_list"));

  ASSERT_OK_AND_ASSIGN(v1::Workload w,
                       Workload(community_, "", "2026-05", "2026-07"));
  EXPECT_EQ(w.community().id(), "c1");
  ASSERT_THAT(w.assignments(), SizeIs(1));
  EXPECT_EQ(w.assignments(0).task().id(), "t-duty");
  EXPECT_FALSE(w.assignments(0).provisional());
  ASSERT_THAT(w.months(), SizeIs(3));
  EXPECT_EQ(w.months(0).month(), "2026-05");
  EXPECT_DOUBLE_EQ(w.months(0).load_hours(), 28);  // baseline 20 + 8
  EXPECT_DOUBLE_EQ(w.months(1).load_hours(), 28);
  EXPECT_DOUBLE_EQ(w.months(2).load_hours(), 20);  // ended in June
  EXPECT_DOUBLE_EQ(w.months(0).capacity_hours(), 100);
  // c3 is not a target: its workload is untouched.
  ASSERT_OK_AND_ASSIGN(v1::Workload c3,
                       Workload(other_community_, "", "2026-05", "2026-05"));
  EXPECT_THAT(c3.assignments(), IsEmpty());
}

TEST_F(ServerTest, EmergencyTaskIsProvisionalAndBecomesActiveWhenApproved) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_emergency(true);
  spec.set_emergency_reason("typhoon warning");
  spec.set_start_date("2026-03-03");
  spec.set_end_date("2026-03-31");
  spec.set_hours_per_community_month(30);
  ASSERT_OK_AND_ASSIGN(v1::Task draft, CreateTask(clerk_, spec, "t-em"));
  ASSERT_OK_AND_ASSIGN(v1::Task t, Act(clerk_, Step::kSubmit, "t-em"));
  EXPECT_EQ(t.state(), v1::TASK_STATE_PROVISIONAL);
  EXPECT_THAT(t.findings(), IsEmpty());   // no lead-time warning in emergency
  EXPECT_EQ(t.due_date(), "2026-03-05");  // three working days

  // It counts in c1's workload at once, shown as provisional.
  ASSERT_OK_AND_ASSIGN(v1::Workload w,
                       Workload(community_, "", "2026-03", "2026-03"));
  ASSERT_THAT(w.assignments(), SizeIs(1));
  EXPECT_TRUE(w.assignments(0).provisional());
  ASSERT_THAT(w.months(), SizeIs(1));
  EXPECT_DOUBLE_EQ(w.months(0).load_hours(), 50);
  EXPECT_THAT(QueueIds(reviewer_), ElementsAre("t-em"));

  ASSERT_OK_AND_ASSIGN(v1::Task claimed, Act(reviewer_, Step::kClaim, "t-em"));
  EXPECT_EQ(claimed.state(), v1::TASK_STATE_PROVISIONAL);
  EXPECT_EQ(claimed.claimed_by(), "rev-1");
  EXPECT_THAT(Act(reviewer2_, Step::kClaim, "t-em"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::Task active, Act(reviewer_, Step::kApprove, "t-em"));
  EXPECT_EQ(active.state(), v1::TASK_STATE_ACTIVE);
  ASSERT_OK_AND_ASSIGN(w, Workload(community_, "", "2026-03", "2026-03"));
  ASSERT_THAT(w.assignments(), SizeIs(1));
  EXPECT_FALSE(w.assignments(0).provisional());
  EXPECT_THAT(TaskActions("t-em"), ElementsAre("task.create", "task.submit",
                                               "task.admit_provisional",
                                               "task.claim", "task.approve"));
}

TEST_F(ServerTest, RejectedEmergencyTaskIsRevokedAndLeavesTheWorkload) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_emergency(true);
  spec.set_emergency_reason("the director wants it");
  spec.set_hours_per_community_month(30);
  const std::string month = spec.start_date().substr(0, 7);
  ASSERT_OK_AND_ASSIGN(v1::Task draft, CreateTask(clerk_, spec, "t-em"));
  ASSERT_OK_AND_ASSIGN(v1::Task t, Act(clerk_, Step::kSubmit, "t-em"));
  ASSERT_EQ(t.state(), v1::TASK_STATE_PROVISIONAL);
  ASSERT_THAT(Act(reviewer_, Step::kClaim, "t-em"), IsOk());

  EXPECT_THAT(Act(reviewer_, Step::kReject, "t-em"),
              StatusIs(absl::StatusCode::kInvalidArgument));  // no reason
  v1::TaskActionRequest reject;
  reject.set_request_id(NextRequestId());
  reject.set_task_id("t-em");
  reject.set_reason("no emergency here");
  reject.set_emergency_unjustified(true);
  ASSERT_OK_AND_ASSIGN(v1::Task revoked, Act(reviewer_, Step::kReject, reject));
  EXPECT_EQ(revoked.state(), v1::TASK_STATE_REVOKED);
  ASSERT_THAT(revoked.findings(), Not(IsEmpty()));
  EXPECT_EQ(revoked.findings(revoked.findings_size() - 1).rule_id(),
            "R-EMERGENCY");
  ASSERT_OK_AND_ASSIGN(v1::Workload w, Workload(community_, "", month, month));
  EXPECT_THAT(w.assignments(), IsEmpty());
  ASSERT_THAT(w.months(), SizeIs(1));
  EXPECT_DOUBLE_EQ(w.months(0).load_hours(), 20);
  std::vector<v1::Decision> decisions = Decisions(clerk_, "t-em");
  ASSERT_THAT(decisions, SizeIs(1));
  EXPECT_EQ(decisions[0].kind(), "reject");
  EXPECT_EQ(decisions[0].reason(), "no emergency here");
}

TEST_F(ServerTest, ReturnedTaskIsEditedAndResubmittedWithTheRestOfItsSla) {
  ASSERT_OK_AND_ASSIGN(v1::Task draft,
                       CreateTask(clerk_, CleanAssistSpec(), "t-ret"));
  ASSERT_THAT(Act(clerk_, Step::kSubmit, "t-ret"), IsOk());  // Mon 03-02
  clock_.Set(At(2026, 3, 6));                                // Fri: day 4
  ASSERT_THAT(Act(reviewer_, Step::kClaim, "t-ret"), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Task returned,
                       Act(reviewer_, Step::kReturn, "t-ret",
                           "cite the article of the legal basis"));
  EXPECT_EQ(returned.state(), v1::TASK_STATE_RETURNED);
  EXPECT_EQ(returned.used_working_days(), 4);
  EXPECT_TRUE(returned.due_date().empty());
  EXPECT_TRUE(returned.claimed_by().empty());
  // An edit must start from the latest etag.
  clock_.Set(At(2026, 3, 16));  // Monday, ten days later
  v1::UpdateTaskRequest update;
  update.set_request_id(NextRequestId());
  update.set_task_id("t-ret");
  update.set_etag(draft.etag());  // stale
  *update.mutable_spec() = returned.spec();
  update.mutable_spec()->set_legal_basis(
      "老年人权益保障法 第三十条、第三十一条");
  EXPECT_THAT(Call(clerk_, *tasks_, &TaskStub::UpdateTask, update),
              StatusIs(absl::StatusCode::kAborted));
  update.set_request_id(NextRequestId());
  update.set_etag(returned.etag());
  ASSERT_OK_AND_ASSIGN(v1::Task edited,
                       Call(clerk_, *tasks_, &TaskStub::UpdateTask, update));
  EXPECT_EQ(edited.state(), v1::TASK_STATE_RETURNED);
  EXPECT_EQ(edited.spec().legal_basis(),
            "老年人权益保障法 第三十条、第三十一条");
  EXPECT_NE(edited.etag(), returned.etag());

  ASSERT_OK_AND_ASSIGN(v1::Task again, Act(clerk_, Step::kSubmit, "t-ret"));
  EXPECT_EQ(again.state(), v1::TASK_STATE_SUBMITTED);
  // 4 used; 11 remain from Mon 03-16: 03-17..20, 03-23..27, 03-30, 03-31.
  EXPECT_EQ(again.due_date(), "2026-03-31");
  EXPECT_EQ(again.spec().legal_basis(), edited.spec().legal_basis());
  EXPECT_THAT(TaskActions("t-ret"),
              ElementsAre("task.create", "task.submit", "task.claim",
                          "task.return", "task.edit", "task.submit"));
  std::vector<v1::Decision> decisions = Decisions(clerk_, "t-ret");
  ASSERT_THAT(decisions, SizeIs(1));
  EXPECT_EQ(decisions[0].kind(), "return");
  EXPECT_EQ(decisions[0].reason(), "cite the article of the legal basis");
}

TEST_F(ServerTest, ReleasedTaskGoesBackToTheQueueForAnotherReviewer) {
  const std::string id = SubmittedTask(CleanAssistSpec(), &reviewer_);
  EXPECT_THAT(Act(reviewer2_, Step::kRelease, id),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("claimed by rev-1")));
  ASSERT_OK_AND_ASSIGN(v1::Task released, Act(reviewer_, Step::kRelease, id));
  EXPECT_EQ(released.state(), v1::TASK_STATE_SUBMITTED);
  EXPECT_TRUE(released.claimed_by().empty());
  EXPECT_THAT(QueueIds(reviewer2_), ElementsAre(id));
  ASSERT_OK_AND_ASSIGN(v1::Task claimed, Act(reviewer2_, Step::kClaim, id));
  EXPECT_EQ(claimed.claimed_by(), "rev-2");
  EXPECT_THAT(TaskActions(id),
              ElementsAre("task.create", "task.submit", "task.claim",
                          "task.release", "task.claim"));
}

TEST_F(ServerTest, WithdrawnTaskLeavesTheQueueForGood) {
  const std::string in_queue = SubmittedTask(CleanAssistSpec());
  const std::string in_review = SubmittedTask(CleanAssistSpec(), &reviewer_);
  for (const std::string& id : {in_queue, in_review}) {
    ASSERT_OK_AND_ASSIGN(v1::Task t, Act(clerk_, Step::kWithdraw, id));
    EXPECT_EQ(t.state(), v1::TASK_STATE_WITHDRAWN);
    EXPECT_TRUE(t.claimed_by().empty());
    EXPECT_THAT(Act(clerk_, Step::kWithdraw, id),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("WITHDRAWN")));
  }
  EXPECT_THAT(QueueIds(reviewer_), IsEmpty());
  EXPECT_THAT(Act(reviewer_, Step::kApprove, in_review),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ServerTest, ActiveTaskIsRevokedByAReviewerOrClosedByItsDepartment) {
  const std::string to_revoke = ActiveTask();
  const std::string to_close = ActiveTask();
  EXPECT_THAT(
      Act(home_reviewer_, Step::kRevoke, to_revoke, "funding never arrived"),
      StatusIs(absl::StatusCode::kPermissionDenied));
  grpc::Status raw;
  EXPECT_THAT(Act(reviewer_, Step::kRevoke, to_revoke, "", {}, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("reason"));
  ASSERT_OK_AND_ASSIGN(
      v1::Task revoked,
      Act(reviewer_, Step::kRevoke, to_revoke, "funding never arrived"));
  EXPECT_EQ(revoked.state(), v1::TASK_STATE_REVOKED);
  EXPECT_THAT(Act(other_clerk_, Step::kClose, to_close),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::Task closed, Act(clerk_, Step::kClose, to_close));
  EXPECT_EQ(closed.state(), v1::TASK_STATE_COMPLETED);
  EXPECT_THAT(Act(clerk_, Step::kClose, to_close),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  EXPECT_EQ(TaskActions(to_revoke).back(), "task.revoke");
  EXPECT_EQ(TaskActions(to_close).back(), "task.close");
  ASSERT_OK_AND_ASSIGN(v1::Workload w,
                       Workload(community_, "", "2026-05", "2026-05"));
  EXPECT_THAT(w.assignments(), IsEmpty());
}

TEST_F(ServerTest, NewItemNeedsTheApprovalOfTwoDistinctReviewers) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.clear_item_code();
  spec.set_new_item_justification("a new national programme");
  ASSERT_OK_AND_ASSIGN(v1::Task draft, CreateTask(clerk_, spec, "t-new"));
  ASSERT_OK_AND_ASSIGN(v1::Task t, Act(clerk_, Step::kSubmit, "t-new"));
  EXPECT_EQ(t.state(), v1::TASK_STATE_SUBMITTED);
  EXPECT_TRUE(t.needs_two_approvals());
  EXPECT_THAT(RuleIds(t), ElementsAre("R-NEW-ITEM"));
  const std::vector<std::pair<std::string, std::string>> acks = {
      {"R-NEW-ITEM", "the programme is funded by the city"}};

  ASSERT_THAT(Act(reviewer_, Step::kClaim, "t-new"), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Task first,
                       Act(reviewer_, Step::kApprove, "t-new", "", acks));
  EXPECT_EQ(first.state(), v1::TASK_STATE_SUBMITTED);  // awaiting the second
  EXPECT_TRUE(first.claimed_by().empty());
  ASSERT_THAT(first.approvals(), SizeIs(1));
  EXPECT_EQ(first.approvals(0).reviewer_id(), "rev-1");

  EXPECT_THAT(Act(reviewer_, Step::kClaim, "t-new"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::Task claimed,
                       Act(reviewer2_, Step::kClaim, "t-new"));
  EXPECT_EQ(claimed.state(), v1::TASK_STATE_IN_REVIEW);
  ASSERT_OK_AND_ASSIGN(v1::Task second,
                       Act(reviewer2_, Step::kApprove, "t-new", "", acks));
  EXPECT_EQ(second.state(), v1::TASK_STATE_ACTIVE);
  ASSERT_THAT(second.approvals(), SizeIs(2));
  EXPECT_EQ(second.approvals(1).reviewer_id(), "rev-2");
  std::vector<v1::Decision> decisions = Decisions(auditor_, "t-new");
  ASSERT_THAT(decisions, SizeIs(2));
  EXPECT_EQ(decisions[0].decided_by(), "rev-1");
  EXPECT_EQ(decisions[1].decided_by(), "rev-2");
}

// SPEC §4.1: two tasks that each fit c1 at submit (20 h baseline + 45 h of
// 100 h) but not together; the second approval re-checks R-CAPACITY.
TEST_F(ServerTest, ApprovalRechecksCapacityAndTheDecisionKeepsItsFindings) {
  v1::TaskSpec first = CleanAssistSpec();
  first.set_hours_per_community_month(45);
  v1::TaskSpec second = CleanAssistSpec();
  second.set_hours_per_community_month(45);
  const std::string a = SubmittedTask(first, &reviewer_);
  const std::string b = SubmittedTask(second);
  ASSERT_OK_AND_ASSIGN(v1::Task before, GetTask(auditor_, b));
  EXPECT_THAT(RuleIds(before), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::Task active, Act(reviewer_, Step::kApprove, a));
  ASSERT_EQ(active.state(), v1::TASK_STATE_ACTIVE);

  ASSERT_THAT(Act(reviewer2_, Step::kClaim, b), IsOk());
  EXPECT_THAT(Act(reviewer2_, Step::kApprove, b),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("R-CAPACITY"), HasSubstr("c1"))));
  ASSERT_OK_AND_ASSIGN(v1::Task approved,
                       Act(reviewer2_, Step::kApprove, b, "",
                           {{"R-CAPACITY", "the street lends staff in May"}}));
  EXPECT_EQ(approved.state(), v1::TASK_STATE_ACTIVE);
  EXPECT_THAT(RuleIds(approved), ElementsAre("R-CAPACITY"));

  std::vector<v1::Decision> decisions = Decisions(auditor_, b);
  ASSERT_THAT(decisions, SizeIs(1));
  ASSERT_THAT(decisions[0].findings(), SizeIs(1));
  EXPECT_EQ(decisions[0].findings(0).rule_id(), "R-CAPACITY");
  EXPECT_EQ(decisions[0].findings(0).severity(), v1::SEVERITY_WARN);
  EXPECT_THAT(decisions[0].findings(0).communities(), ElementsAre("c1"));
  ASSERT_THAT(decisions[0].acknowledgements(), SizeIs(1));
  EXPECT_EQ(decisions[0].acknowledgements(0).rule_id(), "R-CAPACITY");
}

TEST_F(ServerTest, CommunitySeesAcknowledgesAndReportsMissingFunding) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_hours_per_community_month(12);
  spec.set_funding_per_community_yuan(5000);
  const std::string id = SubmittedTask(spec, &reviewer_);
  ASSERT_OK_AND_ASSIGN(v1::Task active, Act(reviewer_, Step::kApprove, id));
  ASSERT_EQ(active.state(), v1::TASK_STATE_ACTIVE);
  const std::string month = spec.start_date().substr(0, 7);

  ASSERT_OK_AND_ASSIGN(v1::Workload w, Workload(community_, "", month, month));
  EXPECT_EQ(w.community().id(), "c1");
  ASSERT_THAT(w.assignments(), SizeIs(1));
  EXPECT_EQ(w.assignments(0).task().id(), id);
  EXPECT_EQ(w.assignments(0).task().spec().funding_per_community_yuan(), 5000);
  EXPECT_FALSE(w.assignments(0).acknowledged());
  ASSERT_THAT(w.months(), SizeIs(1));
  EXPECT_DOUBLE_EQ(w.months(0).load_hours(), 32);
  EXPECT_DOUBLE_EQ(w.months(0).capacity_hours(), 100);

  v1::AcknowledgeAssignmentRequest ack;
  ack.set_request_id(NextRequestId());
  ack.set_task_id(id);
  ASSERT_OK_AND_ASSIGN(v1::AssignmentAcknowledgement acknowledged,
                       Call(community_, *communities_,
                            &CommunityStub::AcknowledgeAssignment, ack));
  EXPECT_EQ(acknowledged.task_id(), id);
  EXPECT_EQ(acknowledged.community_id(), "c1");
  EXPECT_EQ(acknowledged.acknowledged_by(), "office-c1");
  ack.set_request_id(NextRequestId());
  EXPECT_THAT(Call(community_, *communities_,
                   &CommunityStub::AcknowledgeAssignment, ack),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(w, Workload(community_, "", month, month));
  ASSERT_THAT(w.assignments(), SizeIs(1));
  EXPECT_TRUE(w.assignments(0).acknowledged());

  v1::ReportMissingFundingRequest report;
  report.set_request_id(NextRequestId());
  report.set_task_id(id);
  report.set_note("5000 yuan promised for May, nothing arrived");
  ASSERT_OK_AND_ASSIGN(v1::FundingReport filed,
                       Call(community_, *communities_,
                            &CommunityStub::ReportMissingFunding, report));
  EXPECT_EQ(filed.task_id(), id);
  EXPECT_EQ(filed.community_id(), "c1");
  EXPECT_EQ(filed.reported_by(), "office-c1");

  v1::ListFundingReportsRequest list;
  list.set_task_id(id);
  ASSERT_OK_AND_ASSIGN(
      v1::ListFundingReportsResponse reports,
      Call(reviewer_, *reviews_, &ReviewStub::ListFundingReports, list));
  ASSERT_THAT(reports.reports(), SizeIs(1));
  EXPECT_EQ(reports.reports(0).note(),
            "5000 yuan promised for May, nothing arrived");
  EXPECT_THAT(EventsWithAction("assignment.acknowledge"), SizeIs(1));
  EXPECT_THAT(EventsWithAction("funding.report_missing"), SizeIs(1));
  // A reviewer may then revoke it (SPEC §5).
  ASSERT_OK_AND_ASSIGN(v1::Task revoked, Act(reviewer_, Step::kRevoke, id,
                                             "funding never arrived"));
  EXPECT_EQ(revoked.state(), v1::TASK_STATE_REVOKED);
}

TEST_F(ServerTest, ComplaintIsVerifiedThenResolvedByAReviewer) {
  v1::FileComplaintRequest file;
  file.set_request_id(NextRequestId());
  file.mutable_complaint()->set_title("Ledger demanded without admission");
  file.mutable_complaint()->set_description(
      "The housing bureau asked for a monthly rental ledger by phone.");
  file.mutable_complaint()->set_department_id(kOtherDepartment);
  ASSERT_OK_AND_ASSIGN(
      v1::Complaint filed,
      Call(community_, *communities_, &CommunityStub::FileComplaint, file));
  EXPECT_EQ(filed.state(), v1::COMPLAINT_STATE_OPEN);
  EXPECT_EQ(filed.community_id(), "c1");
  EXPECT_EQ(filed.filed_by(), "office-c1");
  ASSERT_FALSE(filed.id().empty());

  v1::UpdateComplaintRequest update;
  update.set_request_id(NextRequestId());
  update.set_complaint_id(filed.id());
  update.set_state(v1::COMPLAINT_STATE_VERIFIED);
  update.set_resolution("the bureau confirmed the call");
  ASSERT_OK_AND_ASSIGN(
      v1::Complaint verified,
      Call(reviewer_, *reviews_, &ReviewStub::UpdateComplaint, update));
  EXPECT_EQ(verified.state(), v1::COMPLAINT_STATE_VERIFIED);
  EXPECT_EQ(verified.handled_by(), "rev-1");

  update.set_request_id(NextRequestId());
  update.set_state(v1::COMPLAINT_STATE_RESOLVED);
  update.set_resolution("the bureau withdrew the request");
  ASSERT_OK_AND_ASSIGN(
      v1::Complaint resolved,
      Call(reviewer_, *reviews_, &ReviewStub::UpdateComplaint, update));
  EXPECT_EQ(resolved.state(), v1::COMPLAINT_STATE_RESOLVED);
  EXPECT_EQ(resolved.resolution(), "the bureau withdrew the request");

  update.set_request_id(NextRequestId());
  update.set_state(v1::COMPLAINT_STATE_VERIFIED);
  EXPECT_THAT(Call(reviewer_, *reviews_, &ReviewStub::UpdateComplaint, update),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_OK_AND_ASSIGN(v1::ListComplaintsResponse seen,
                       Call(auditor_, *reviews_, &ReviewStub::ListComplaints,
                            v1::ListComplaintsRequest()));
  ASSERT_THAT(seen.complaints(), SizeIs(1));
  EXPECT_EQ(seen.complaints(0).state(), v1::COMPLAINT_STATE_RESOLVED);
  v1::ListEventsRequest history;
  history.set_entity_type("complaint");
  history.set_entity_id(filed.id());
  std::vector<std::string> actions;
  for (const v1::AuditEvent& e : Events(history)) actions.push_back(e.action());
  EXPECT_THAT(actions, ElementsAre("complaint.file", "complaint.verify",
                                   "complaint.resolve"));
}

TEST_F(ServerTest, AuditorReadsATasksHistoryInOrderAndTheTreeHead) {
  const std::string id = SubmittedTask(CleanAssistSpec(), &reviewer_);
  ASSERT_THAT(Act(reviewer_, Step::kApprove, id), IsOk());
  ASSERT_THAT(Act(clerk_, Step::kClose, id), IsOk());

  v1::ListEventsRequest history;
  history.set_task_id(id);
  std::vector<v1::AuditEvent> events = Events(history);
  std::vector<std::string> actions;
  std::vector<std::string> actors;
  for (const v1::AuditEvent& e : events) {
    actions.push_back(e.action());
    actors.push_back(e.actor_id());
  }
  EXPECT_THAT(actions, ElementsAre("task.create", "task.submit", "task.claim",
                                   "task.approve", "task.close"));
  EXPECT_THAT(actors, ElementsAre("clerk-civil", "clerk-civil", "rev-1",
                                  "rev-1", "clerk-civil"));
  ASSERT_THAT(events, SizeIs(5));
  EXPECT_EQ(events[3].state_before(), "IN_REVIEW");
  EXPECT_EQ(events[3].state_after(), "ACTIVE");
  EXPECT_EQ(events[3].department_id(), kDepartment);
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_LT(events[i - 1].seq(), events[i].seq());
  }
  // The department may read its own task's history too.
  history.set_page_size(500);
  ASSERT_OK_AND_ASSIGN(v1::ListEventsResponse own,
                       Call(clerk_, *audit_, &AuditStub::ListEvents, history));
  EXPECT_THAT(own.events(), SizeIs(5));

  // The tree covers every event of the log, and a prefix has its own root.
  const std::vector<v1::AuditEvent> all = Events(v1::ListEventsRequest());
  ASSERT_OK_AND_ASSIGN(v1::TreeHead head,
                       Call(auditor_, *audit_, &AuditStub::GetTreeHead,
                            v1::GetTreeHeadRequest()));
  EXPECT_EQ(head.tree_size(), static_cast<int64_t>(all.size()));
  EXPECT_EQ(all.back().seq(), head.tree_size());
  EXPECT_THAT(head.root_hash(), ::testing::MatchesRegex("[0-9a-f]{64}"));
  v1::GetTreeHeadRequest prefix;
  prefix.set_tree_size(head.tree_size() - 1);
  ASSERT_OK_AND_ASSIGN(
      v1::TreeHead smaller,
      Call(auditor_, *audit_, &AuditStub::GetTreeHead, prefix));
  EXPECT_EQ(smaller.tree_size(), head.tree_size() - 1);
  EXPECT_NE(smaller.root_hash(), head.root_hash());
  prefix.set_tree_size(head.tree_size() + 1);
  EXPECT_THAT(Call(auditor_, *audit_, &AuditStub::GetTreeHead, prefix),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// ------------------------------------------------------------- bad input

TEST_F(ServerTest, BadCreateNamesEveryBadFieldAndStoresNothing) {
  const int64_t before = TreeSize();
  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_start_date("2026-02-30");
  (*spec.mutable_type_justifications())["parking"] = "not a task type";
  v1::CreateTaskRequest create;
  create.set_request_id(NextRequestId());
  *create.mutable_spec() = spec;
  grpc::Status raw;
  EXPECT_THAT(Call(clerk_, *tasks_, &TaskStub::CreateTask, create, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw),
              UnorderedElementsAre("spec.start_date",
                                   "spec.type_justifications.parking"));

  // Lengths are checked too (proto3 itself refuses strings that are not
  // UTF-8, so those never reach the server).
  spec = CleanAssistSpec();
  spec.set_title(std::string(201, 'x'));
  spec.set_description(std::string(20001, 'd'));
  *create.mutable_spec() = spec;
  create.set_request_id(NextRequestId());
  EXPECT_THAT(Call(clerk_, *tasks_, &TaskStub::CreateTask, create, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw),
              UnorderedElementsAre("spec.title", "spec.description"));

  // A missing request id.
  create.set_request_id("");
  *create.mutable_spec() = CleanAssistSpec();
  EXPECT_THAT(Call(clerk_, *tasks_, &TaskStub::CreateTask, create, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("request_id"));

  EXPECT_EQ(TreeSize(), before);
  ASSERT_OK_AND_ASSIGN(
      v1::ListTasksResponse listed,
      Call(clerk_, *tasks_, &TaskStub::ListTasks, v1::ListTasksRequest()));
  EXPECT_THAT(listed.tasks(), IsEmpty());
}

// Controlled limits (受控事项上限) are published with the catalog, audited,
// and readable by every role (SPEC §2).
TEST_F(ServerTest, ControlledLimitsArePublishedWithTheCatalogForEveryRole) {
  ASSERT_OK_AND_ASSIGN(
      v1::CatalogVersion first,
      Call(clerk_, *admins_, &AdminStub::GetCatalog, v1::GetCatalogRequest()));
  EXPECT_EQ(first.controlled_limits().size(), 7);
  EXPECT_EQ(first.controlled_limits().at("signboard"), 0);

  v1::PublishCatalogRequest publish;
  publish.set_request_id(NextRequestId());
  *publish.mutable_items() = first.items();
  (*publish.mutable_controlled_limits())["signboard"] = 1;
  (*publish.mutable_controlled_limits())["plaques"] = 2;
  const int64_t before = TreeSize();
  grpc::Status raw;
  EXPECT_THAT(Call(admin_, *admins_, &AdminStub::PublishCatalog, publish, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("controlled_limits.plaques"));
  EXPECT_EQ(TreeSize(), before);

  publish.mutable_controlled_limits()->erase("plaques");
  publish.set_request_id(NextRequestId());
  ASSERT_OK_AND_ASSIGN(
      v1::CatalogVersion second,
      Call(admin_, *admins_, &AdminStub::PublishCatalog, publish));
  EXPECT_EQ(second.version(), 2);
  ASSERT_OK_AND_ASSIGN(v1::CatalogVersion read,
                       Call(community_, *admins_, &AdminStub::GetCatalog,
                            v1::GetCatalogRequest()));
  EXPECT_EQ(read.version(), 2);
  EXPECT_EQ(read.controlled_limits().at("signboard"), 1);
  EXPECT_EQ(read.controlled_limits().at("certificate"),
            first.controlled_limits().at("certificate"));

  std::vector<v1::AuditEvent> events = EventsWithAction("catalog.publish");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events.back().details().at("controlled_limits_changed"),
            "signboard 0 -> 1");
}

TEST_F(ServerTest, SubmitToAnUnknownCommunityNamesTheTargetAndChangesNothing) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.add_target_communities("nowhere");
  ASSERT_OK_AND_ASSIGN(v1::Task draft, CreateTask(clerk_, spec, "t-bad"));
  const int64_t before = TreeSize();
  grpc::Status raw;
  EXPECT_THAT(Act(clerk_, Step::kSubmit, "t-bad", "", {}, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Submit judges the stored task: the engine names its fields "task.".
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("task.target_communities[1]"));
  ASSERT_OK_AND_ASSIGN(v1::Task stored, GetTask(clerk_, "t-bad"));
  EXPECT_EQ(stored.state(), v1::TASK_STATE_DRAFT);
  EXPECT_EQ(stored.etag(), draft.etag());
  EXPECT_EQ(TreeSize(), before);
}

TEST_F(ServerTest, BadEtagRequestIdAndPageTokenAreNamedAndChangeNothing) {
  ASSERT_OK_AND_ASSIGN(v1::Task draft,
                       CreateTask(clerk_, CleanAssistSpec(), "t1"));
  const int64_t before = TreeSize();
  grpc::Status raw;

  v1::TaskActionRequest submit;
  submit.set_request_id(NextRequestId());
  submit.set_task_id("t1");
  submit.set_etag("yesterday");
  EXPECT_THAT(Act(clerk_, Step::kSubmit, submit, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("etag"));

  submit.set_request_id("");
  submit.set_etag(draft.etag());
  submit.set_task_id("Not An Id!");
  EXPECT_THAT(Act(clerk_, Step::kSubmit, submit, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw),
              UnorderedElementsAre("request_id", "task_id"));

  // A well-formed but stale etag is a lost race, not bad input.
  ASSERT_OK_AND_ASSIGN(v1::Task edited,
                       Call(clerk_, *tasks_, &TaskStub::UpdateTask, [&] {
                         v1::UpdateTaskRequest u;
                         u.set_request_id(NextRequestId());
                         u.set_task_id("t1");
                         u.set_etag(draft.etag());
                         *u.mutable_spec() = draft.spec();
                         return u;
                       }()));
  submit.set_request_id(NextRequestId());
  submit.set_task_id("t1");
  submit.set_etag(draft.etag());
  EXPECT_THAT(Act(clerk_, Step::kSubmit, submit),
              StatusIs(absl::StatusCode::kAborted));

  v1::ListTasksRequest list;
  list.set_page_token("not-a-token");
  EXPECT_THAT(Call(clerk_, *tasks_, &TaskStub::ListTasks, list, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("page_token"));
  list.set_page_token("");
  list.set_filter("colour=red");
  EXPECT_THAT(Call(clerk_, *tasks_, &TaskStub::ListTasks, list, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("filter"));

  // A token from one query is refused for another.
  v1::ListEventsRequest events;
  events.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(v1::ListEventsResponse page,
                       Call(auditor_, *audit_, &AuditStub::ListEvents, events));
  ASSERT_FALSE(page.next_page_token().empty());
  events.set_page_token(page.next_page_token());
  events.set_action("task.create");
  EXPECT_THAT(Call(auditor_, *audit_, &AuditStub::ListEvents, events, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("page_token"));

  // The edit, and the auditor's first page (reads of the log are audited).
  EXPECT_EQ(TreeSize(), before + 2);
  ASSERT_OK_AND_ASSIGN(v1::Task stored, GetTask(clerk_, "t1"));
  EXPECT_EQ(stored.state(), v1::TASK_STATE_DRAFT);
  EXPECT_EQ(stored.etag(), edited.etag());
}

TEST_F(ServerTest, OversizedMessageIsRefusedAndChangesNothing) {
  const int64_t before = TreeSize();
  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_description(std::string(config_.max_message_bytes + 1024, 'a'));
  // Over TCP, from a client without a send limit of its own (the in-process
  // channel would refuse to send it): the server's gRPC layer refuses it
  // before any handler runs.
  std::unique_ptr<TaskStub> tcp = v1::TaskService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                          grpc::InsecureChannelCredentials()));
  v1::CreateTaskRequest create;
  create.set_request_id(NextRequestId());
  create.set_task_id("t-huge");
  *create.mutable_spec() = spec;
  EXPECT_THAT(Call(clerk_, *tcp, &TaskStub::CreateTask, create),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(TreeSize(), before);
  EXPECT_THAT(GetTask(auditor_, "t-huge"),
              StatusIs(absl::StatusCode::kNotFound));
}

// ------------------------------------------------------------- retries

TEST_F(ServerTest, RetryWithTheSameRequestIdReturnsTheFirstAnswer) {
  v1::CreateTaskRequest create;
  create.set_request_id("create-once");
  create.set_task_id("t-retry");
  *create.mutable_spec() = CleanAssistSpec();
  ASSERT_OK_AND_ASSIGN(v1::Task first,
                       Call(clerk_, *tasks_, &TaskStub::CreateTask, create));
  const int64_t after_create = TreeSize();
  ASSERT_OK_AND_ASSIGN(v1::Task again,
                       Call(clerk_, *tasks_, &TaskStub::CreateTask, create));
  EXPECT_EQ(again.id(), "t-retry");
  EXPECT_EQ(again.etag(), first.etag());
  EXPECT_EQ(TreeSize(), after_create);

  v1::TaskActionRequest submit;
  submit.set_request_id("submit-once");
  submit.set_task_id("t-retry");
  ASSERT_OK_AND_ASSIGN(v1::Task submitted, Act(clerk_, Step::kSubmit, submit));
  const int64_t after_submit = TreeSize();
  clock_.Advance(absl::Hours(2));
  ASSERT_OK_AND_ASSIGN(v1::Task resent, Act(clerk_, Step::kSubmit, submit));
  EXPECT_EQ(resent.etag(), submitted.etag());
  EXPECT_EQ(resent.state(), v1::TASK_STATE_SUBMITTED);
  EXPECT_EQ(resent.submit_time().seconds(), submitted.submit_time().seconds());
  EXPECT_EQ(TreeSize(), after_submit);

  // The same id for another request is refused, not replayed.
  EXPECT_THAT(
      Act(clerk_, Step::kWithdraw, submit),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("already used")));
  create.mutable_spec()->set_title("Another title");
  EXPECT_THAT(
      Call(clerk_, *tasks_, &TaskStub::CreateTask, create),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("already used")));
  // Another principal sending it is refused for its own permission, before
  // the request id is looked at (only the refusal is recorded).
  EXPECT_THAT(Act(other_clerk_, Step::kSubmit, submit),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(TreeSize(), after_submit + 1);
  EXPECT_THAT(TaskActions("t-retry"),
              ElementsAre("task.create", "task.submit"));
}

// Ids the server chooses (a task without task_id, a funding report, a
// complaint without id) must not break retries: the retry is the same
// request and gets the first answer.
TEST_F(ServerTest, RetryOfACallWhoseIdTheServerChoosesReturnsTheFirstAnswer) {
  v1::CreateTaskRequest create;
  create.set_request_id("create-no-id");
  *create.mutable_spec() = CleanAssistSpec();
  ASSERT_OK_AND_ASSIGN(v1::Task first,
                       Call(clerk_, *tasks_, &TaskStub::CreateTask, create));
  const int64_t after_create = TreeSize();
  absl::StatusOr<v1::Task> again =
      Call(clerk_, *tasks_, &TaskStub::CreateTask, create);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->id(), first.id());
  EXPECT_EQ(again->etag(), first.etag());
  EXPECT_EQ(TreeSize(), after_create);

  const std::string active = ActiveTask();
  v1::ReportMissingFundingRequest report;
  report.set_request_id("report-once");
  report.set_task_id(active);
  report.set_note("nothing arrived");
  ASSERT_OK_AND_ASSIGN(v1::FundingReport filed,
                       Call(community_, *communities_,
                            &CommunityStub::ReportMissingFunding, report));
  const int64_t after_report = TreeSize();
  absl::StatusOr<v1::FundingReport> refiled = Call(
      community_, *communities_, &CommunityStub::ReportMissingFunding, report);
  ASSERT_THAT(refiled, IsOk());
  EXPECT_EQ(refiled->id(), filed.id());
  EXPECT_EQ(TreeSize(), after_report);

  v1::FileComplaintRequest complaint;
  complaint.set_request_id("complaint-once");
  complaint.mutable_complaint()->set_title("Ledger without admission");
  complaint.mutable_complaint()->set_description("Sent by e-mail.");
  ASSERT_OK_AND_ASSIGN(v1::Complaint opened,
                       Call(community_, *communities_,
                            &CommunityStub::FileComplaint, complaint));
  const int64_t after_complaint = TreeSize();
  absl::StatusOr<v1::Complaint> reopened =
      Call(community_, *communities_, &CommunityStub::FileComplaint, complaint);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_EQ(reopened->id(), opened.id());
  EXPECT_EQ(TreeSize(), after_complaint);
}

// ------------------------------------------------------------- races

TEST_F(ServerTest, ConcurrentClaimsByDifferentReviewersHaveExactlyOneWinner) {
  constexpr int kReviewers = 6;
  std::vector<Actor> reviewers;
  for (int i = 0; i < kReviewers; ++i) {
    ASSERT_NO_FATAL_FAILURE(reviewers.push_back(
        NewPrincipal(absl::StrCat("racer-", i), v1::ROLE_REVIEWER, "")));
  }
  const std::string id = SubmittedTask(CleanAssistSpec());
  std::vector<absl::Status> results(kReviewers);
  absl::Barrier* start = new absl::Barrier(kReviewers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReviewers; ++i) {
    threads.emplace_back([&, i] {
      if (start->Block()) delete start;  // the last one out frees it
      results[i] = Act(reviewers[i], Step::kClaim, id).status();
    });
  }
  for (std::thread& t : threads) t.join();

  int winners = 0;
  std::string winner;
  for (int i = 0; i < kReviewers; ++i) {
    if (results[i].ok()) {
      ++winners;
      winner = reviewers[i].id;
    } else {
      EXPECT_THAT(results[i],
                  AnyOf(StatusIs(absl::StatusCode::kAborted),
                        StatusIs(absl::StatusCode::kFailedPrecondition)));
    }
  }
  EXPECT_EQ(winners, 1);
  ASSERT_OK_AND_ASSIGN(v1::Task t, GetTask(auditor_, id));
  EXPECT_EQ(t.state(), v1::TASK_STATE_IN_REVIEW);
  EXPECT_EQ(t.claimed_by(), winner);
  EXPECT_THAT(TaskActions(id),
              ElementsAre("task.create", "task.submit", "task.claim"));
}

TEST_F(ServerTest, ConcurrentDecisionsOnOneTaskHaveExactlyOneWinner) {
  const std::string id = SubmittedTask(CleanAssistSpec(), &reviewer_);
  const std::vector<Step> steps = {Step::kApprove, Step::kReject,
                                   Step::kReturn,  Step::kApprove,
                                   Step::kReject,  Step::kReturn};
  const int n = static_cast<int>(steps.size());
  std::vector<absl::Status> results(n);
  absl::Barrier* start = new absl::Barrier(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      if (start->Block()) delete start;
      results[i] = Act(reviewer_, steps[i], id, "decided at once").status();
    });
  }
  for (std::thread& t : threads) t.join();
  int winners = 0;
  for (const absl::Status& s : results) {
    if (s.ok()) {
      ++winners;
    } else {
      EXPECT_THAT(s, AnyOf(StatusIs(absl::StatusCode::kAborted),
                           StatusIs(absl::StatusCode::kFailedPrecondition)));
    }
  }
  EXPECT_EQ(winners, 1);
  EXPECT_THAT(Decisions(auditor_, id), SizeIs(1));
  EXPECT_THAT(TaskActions(id), SizeIs(4));  // create, submit, claim, decision
}

// ------------------------------------------------------------- timer

TEST_F(ServerTest, SlaTimerEscalatesAnOverdueReviewAsTheSystem) {
  const std::string id = SubmittedTask(CleanAssistSpec(), &reviewer_);
  ASSERT_OK_AND_ASSIGN(v1::Task claimed, GetTask(reviewer_, id));
  ASSERT_EQ(claimed.due_date(), "2026-03-23");

  // The last second of the due date: not yet overdue.
  clock_.Set(At(2026, 3, 24, 0) - absl::Seconds(1));
  ASSERT_TRUE(server_->TickNow().ok());
  ASSERT_OK_AND_ASSIGN(v1::Task on_time, GetTask(reviewer_, id));
  EXPECT_FALSE(on_time.overdue());
  EXPECT_THAT(EventsWithAction("task.escalate"), IsEmpty());

  clock_.Set(At(2026, 3, 24, 0));
  ASSERT_TRUE(server_->TickNow().ok());
  ASSERT_OK_AND_ASSIGN(v1::Task late, GetTask(reviewer_, id));
  EXPECT_TRUE(late.overdue());
  EXPECT_EQ(late.state(), v1::TASK_STATE_IN_REVIEW);  // not released
  std::vector<v1::AuditEvent> escalations = EventsWithAction("task.escalate");
  ASSERT_THAT(escalations, SizeIs(1));
  EXPECT_EQ(escalations[0].entity_id(), id);
  EXPECT_EQ(escalations[0].actor_id(), "system");
  EXPECT_EQ(escalations[0].actor_role(), v1::ROLE_SYSTEM);

  // Escalated once only.
  clock_.Advance(absl::Hours(48));
  ASSERT_TRUE(server_->TickNow().ok());
  EXPECT_THAT(EventsWithAction("task.escalate"), SizeIs(1));
}

TEST_F(ServerTest, TimerCompletesAnActiveTaskAfterItsEndDate) {
  v1::TaskSpec spec = DutySpec();
  spec.set_start_date("2026-05-04");
  spec.set_end_date("2026-05-08");
  ASSERT_OK_AND_ASSIGN(v1::Task draft, CreateTask(clerk_, spec, "t-end"));
  ASSERT_OK_AND_ASSIGN(v1::Task active, Act(clerk_, Step::kSubmit, "t-end"));
  ASSERT_EQ(active.state(), v1::TASK_STATE_ACTIVE);
  clock_.Set(At(2026, 5, 9, 0));
  ASSERT_TRUE(server_->TickNow().ok());
  ASSERT_OK_AND_ASSIGN(v1::Task done, GetTask(clerk_, "t-end"));
  EXPECT_EQ(done.state(), v1::TASK_STATE_COMPLETED);
  std::vector<v1::AuditEvent> expired = EventsWithAction("task.expire");
  ASSERT_THAT(expired, SizeIs(1));
  EXPECT_EQ(expired[0].actor_id(), "system");
}

// ------------------------------------------------------------- shutdown

TEST_F(ServerTest, GracefulShutdownFinishesInFlightCallsAndLeavesTheDbIntact) {
  ASSERT_OK_AND_ASSIGN(v1::Task draft,
                       CreateTask(clerk_, CleanAssistSpec(), "t-flight"));
  const int64_t before = TreeSize();
  EXPECT_EQ(HealthCheck(channel_).value_or(-1), 1);  // SERVING
  ASSERT_EQ(HttpGetStatus(server_->http_port(), "/healthz").value_or(-1), 200);

  // Hold the submit inside its commit until the shutdown has begun.
  absl::Notification entered;
  absl::Notification release;
  store_->RunBeforeNextCommit([&] {
    entered.Notify();
    release.WaitForNotification();
  });
  // Over TCP: the in-process transport closes with the server, while a
  // network client sees the graceful drain (GOAWAY, its call completes).
  std::shared_ptr<grpc::Channel> tcp_channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                          grpc::InsecureChannelCredentials());
  std::unique_ptr<TaskStub> tcp = v1::TaskService::NewStub(tcp_channel);
  v1::TaskActionRequest submit;
  submit.set_request_id(NextRequestId());
  submit.set_task_id("t-flight");
  absl::StatusOr<v1::Task> in_flight;
  std::thread call(
      [&] { in_flight = Call(clerk_, *tcp, &TaskStub::SubmitTask, submit); });
  entered.WaitForNotification();

  std::thread stopper([&] { server_->Shutdown(absl::Seconds(30)); });
  // Poll the server (bounded) until it reports NOT_SERVING.
  bool not_serving = false;
  for (int i = 0; i < 2000 && !not_serving; ++i) {
    absl::StatusOr<int> code = HttpGetStatus(server_->http_port(), "/healthz");
    not_serving = !server_->serving() && code.ok() && *code == 503;
  }
  EXPECT_TRUE(not_serving);
  release.Notify();
  call.join();
  stopper.join();
  server_->Wait();

  ASSERT_THAT(in_flight, IsOk());
  EXPECT_EQ(in_flight->state(), v1::TASK_STATE_SUBMITTED);
  // Later calls are refused. (Over TCP: gRPC 1.51 crashes on a call through
  // an in-process channel of a server that has shut down.)
  v1::GetTaskRequest get;
  get.set_task_id("t-flight");
  EXPECT_THAT(Call(clerk_, *tcp, &TaskStub::GetTask, get),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(HealthCheck(tcp_channel),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(HttpGetStatus(server_->http_port(), "/healthz"),
              StatusIs(absl::StatusCode::kUnavailable));

  StopServer();
  auto reopened = store::OpenSqliteStore(db_path_);
  ASSERT_THAT(reopened, IsOk());
  ASSERT_OK_AND_ASSIGN(int64_t events, (*reopened)->EventCount("default"));
  EXPECT_EQ(events, before + 1);  // the in-flight submit was kept
  ASSERT_OK_AND_ASSIGN(domain::Task stored,
                       (*reopened)->GetTask("default", "t-flight"));
  EXPECT_EQ(stored.state, domain::TaskState::kSubmitted);
  reopened->reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2(db_path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
               "ok");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace taskgate::e2e
