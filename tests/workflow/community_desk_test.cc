// `CommunityDesk` (workflow/community_desk.h): acknowledgements, funding
// reports and complaints, and the reviewers' handling of complaints.
#include "workflow/community_desk.h"

#include <memory>
#include <optional>
#include <string>
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
using ::taskgate::testing::FaultInjectingStore;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

class CommunityDeskTest : public PeopleWorkflowTest {};

class ComplaintLifecycleTest : public PeopleWorkflowTest {
 protected:
  void SetUp() override {
    PeopleWorkflowTest::SetUp();
    for (const char* id : {"k1", "k2"}) {
      domain::Complaint c;
      c.id = id;
      c.department_id = "housing";
      c.title = "survey pushed down";
      c.description = "a survey form arrived without admission";
      ASSERT_THAT(engine_->desk().FileComplaint(Office("c1"), "", c), IsOk());
    }
  }

  absl::StatusOr<domain::Complaint> Handle(
      const std::string& id, domain::ComplaintState to,
      const domain::Principal& reviewer = Reviewer("r1"),
      int64_t expected_version = 0) {
    return engine_->desk().HandleComplaint(reviewer, "", id, expected_version,
                                           to, "checked with the department");
  }
};

TEST_F(CommunityDeskTest, AcknowledgementIsIdempotentByRequestIdAndOnlyOnce) {
  MakeTasks();
  const int64_t before = EventCount();
  ASSERT_OK_AND_ASSIGN(
      domain::AssignmentAck ack,
      engine_->desk().AcknowledgeAssignment(Office("c1"), "req-ack-1", "a"));
  EXPECT_EQ(ack.task_id, "a");
  EXPECT_EQ(ack.community_id, "c1");
  EXPECT_EQ(ack.acknowledged_by, "office-c1");
  EXPECT_EQ(ack.acknowledged_at, At(2026, 3, 2));

  clock_.Advance(absl::Hours(2));
  ASSERT_OK_AND_ASSIGN(
      domain::AssignmentAck retried,
      engine_->desk().AcknowledgeAssignment(Office("c1"), "req-ack-1", "a"));
  EXPECT_EQ(retried.acknowledged_at, At(2026, 3, 2));
  EXPECT_EQ(EventCount(), before + 1);
  EXPECT_THAT(
      engine_->desk().AcknowledgeAssignment(Office("c1"), "req-ack-2", "a"),
      StatusIs(absl::StatusCode::kAlreadyExists,
               HasSubstr("already acknowledged")));
  EXPECT_EQ(EventCount(), before + 1);

  // A PROVISIONAL assignment counts too.
  ASSERT_THAT(engine_->desk().AcknowledgeAssignment(Office("c2"), "", "b"),
              IsOk());

  std::vector<store::StoredEvent> events =
      Events("task", "assignment.acknowledge");
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].event.entity_id, "a");
  EXPECT_EQ(events[0].event.actor_id, "office-c1");
  EXPECT_EQ(events[0].event.department_id, "civil-affairs");
  EXPECT_THAT(events[0].event.community_ids, ElementsAre("c1"));
  EXPECT_EQ(events[1].event.department_id, "housing");

  ASSERT_OK_AND_ASSIGN(
      Workload c1, engine_->queries().GetWorkload(Office("c1"), "c1",
                                                  absl::CivilMonth(2026, 5),
                                                  absl::CivilMonth(2026, 5)));
  ASSERT_EQ(c1.acks.size(), 1U);
  EXPECT_EQ(c1.acks[0].task_id, "a");
  ASSERT_OK_AND_ASSIGN(std::vector<domain::AssignmentAck> of_b,
                       ListAcks("b", ""));
  ASSERT_EQ(of_b.size(), 1U);
  EXPECT_EQ(of_b[0].community_id, "c2");
}

TEST_F(CommunityDeskTest, AcknowledgementScopeComesBeforeTheTaskState) {
  MakeTasks();
  // c3 is no target of "a" (ACTIVE) nor of draft "d" (street east).
  EXPECT_THAT(engine_->desk().AcknowledgeAssignment(Office("c3"), "", "a"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("community c3 may act on only the tasks that "
                                 "reach it; task 'a' is not one of them")));
  EXPECT_THAT(engine_->desk().AcknowledgeAssignment(Office("c3"), "", "d"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Targets whose task is not (yet) in their workload.
  EXPECT_THAT(engine_->desk().AcknowledgeAssignment(Office("c2"), "", "d"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("task d is DRAFT")));
  EXPECT_THAT(engine_->desk().AcknowledgeAssignment(Office("c1"), "", "c"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("task c is SUBMITTED")));
  // A task that does not exist is answered as one that is not its own
  // (issue 15, defect 13: no existence oracle).
  EXPECT_THAT(engine_->desk().AcknowledgeAssignment(Office("c1"), "", "zz"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("task 'zz' is not one of them")));
  EXPECT_THAT(engine_->desk().AcknowledgeAssignment(Reviewer("r1"), "", "a"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("a community office does")));
  ASSERT_OK_AND_ASSIGN(std::vector<domain::AssignmentAck> none,
                       ListAcks("", ""));
  EXPECT_THAT(none, IsEmpty());
}

TEST_F(CommunityDeskTest, FundingReportIsFiledByATargetWithANote) {
  MakeTasks();
  ASSERT_OK_AND_ASSIGN(
      domain::FundingReport report,
      engine_->desk().ReportFundingMissing(Office("c1"), "req-f1", "a", "fr-1",
                                           "no transfer received by April"));
  EXPECT_EQ(report.task_id, "a");
  EXPECT_EQ(report.community_id, "c1");
  EXPECT_EQ(report.reported_by, "office-c1");
  EXPECT_EQ(report.reported_at, At(2026, 3, 2));

  std::vector<store::StoredEvent> events =
      Events("task", "funding.report_missing");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].event.entity_id, "a");
  EXPECT_EQ(events[0].event.department_id, "civil-affairs");
  EXPECT_THAT(events[0].event.community_ids, ElementsAre("c1"));
  EXPECT_EQ(events[0].event.reason, "no transfer received by April");
  EXPECT_EQ(events[0].event.details.at("report_id"), "fr-1");

  absl::StatusOr<domain::FundingReport> no_note =
      engine_->desk().ReportFundingMissing(Office("c1"), "", "a", "fr-2", "  ");
  EXPECT_THAT(no_note, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(no_note.status()), ElementsAre("note"));
  EXPECT_THAT(engine_->desk().ReportFundingMissing(Office("c3"), "", "a",
                                                   "fr-3", "none"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(engine_->desk().ReportFundingMissing(Office("c1"), "", "c",
                                                   "fr-4", "none"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(
      engine_->desk().ReportFundingMissing(Auditor(), "", "a", "fr-5", "none"),
      StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(engine_->desk().ReportFundingMissing(Office("c1"), "", "a",
                                                   "fr-1", "again"),
              StatusIs(absl::StatusCode::kAlreadyExists));

  ASSERT_OK_AND_ASSIGN(std::vector<domain::FundingReport> of_a,
                       ListFundingReports("a", ""));
  ASSERT_EQ(of_a.size(), 1U);
  EXPECT_EQ(of_a[0].id, "fr-1");
  ASSERT_OK_AND_ASSIGN(std::vector<domain::FundingReport> of_c2,
                       ListFundingReports("", "c2"));
  EXPECT_THAT(of_c2, IsEmpty());
}

TEST_F(CommunityDeskTest, ComplaintIsFiledForTheOfficesOwnCommunity) {
  MakeTasks();
  domain::Complaint c;
  c.id = "k1";
  c.community_id = "c2";  // ignored: the office speaks for c1
  c.task_id = "c";
  c.title = "inspection before admission";
  c.description = "task c already asks for weekly inspections";
  c.state = domain::ComplaintState::kResolved;  // ignored
  ASSERT_OK_AND_ASSIGN(domain::Complaint filed, engine_->desk().FileComplaint(
                                                    Office("c1"), "req-k1", c));
  EXPECT_EQ(filed.community_id, "c1");
  EXPECT_EQ(filed.department_id, "health");  // from task c
  EXPECT_EQ(filed.state, domain::ComplaintState::kOpen);
  EXPECT_EQ(filed.version, 1);
  EXPECT_EQ(filed.filed_by, "office-c1");
  EXPECT_EQ(filed.filed_at, At(2026, 3, 2));

  std::vector<store::StoredEvent> events = Events("complaint");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].event.action, "complaint.file");
  EXPECT_EQ(events[0].event.state_after, "OPEN");
  EXPECT_EQ(events[0].event.department_id, "health");
  EXPECT_THAT(events[0].event.community_ids, ElementsAre("c1"));

  domain::Complaint outside;
  outside.id = "k2";
  outside.department_id = "urban-management";
  outside.title = "street cleaning quota";
  outside.description = "sent by phone, never submitted to TaskGate";
  ASSERT_OK_AND_ASSIGN(
      domain::Complaint filed2,
      engine_->desk().FileComplaint(Office("c3"), "", outside));
  EXPECT_EQ(filed2.department_id, "urban-management");
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Complaint> of_c1,
                       ListComplaints("c1", {}));
  ASSERT_EQ(of_c1.size(), 1U);
  EXPECT_EQ(of_c1[0].id, "k1");
}

TEST_F(CommunityDeskTest, BadComplaintNamesEveryFieldAndStoresNothing) {
  domain::Complaint c;
  c.id = "K 1";
  c.task_id = "ghost";
  absl::StatusOr<domain::Complaint> bad =
      engine_->desk().FileComplaint(Office("c1"), "", c);
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      Fields(bad.status()),
      ElementsAre("complaint.id", "complaint.title", "complaint.description"));
  c.id = "k1";
  c.title = "t";
  c.description = "d";
  absl::StatusOr<domain::Complaint> no_task =
      engine_->desk().FileComplaint(Office("c1"), "", c);
  EXPECT_THAT(no_task, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("task 'ghost' does not exist")));
  EXPECT_THAT(Fields(no_task.status()), ElementsAre("complaint.task_id"));
  EXPECT_THAT(engine_->desk().FileComplaint(Clerk(), "", c),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Complaint> none,
                       ListComplaints("", {}));
  EXPECT_THAT(none, IsEmpty());
}

TEST_F(ComplaintLifecycleTest, VerifiedAndUnfoundedComplaintsBothResolve) {
  ASSERT_OK_AND_ASSIGN(domain::Complaint verified,
                       Handle("k1", domain::ComplaintState::kVerified));
  EXPECT_EQ(verified.state, domain::ComplaintState::kVerified);
  EXPECT_EQ(verified.handled_by, "r1");
  EXPECT_EQ(verified.resolution, "checked with the department");
  EXPECT_EQ(verified.version, 2);
  ASSERT_OK_AND_ASSIGN(
      domain::Complaint resolved,
      Handle("k1", domain::ComplaintState::kResolved, Reviewer("r2"), 2));
  EXPECT_EQ(resolved.state, domain::ComplaintState::kResolved);
  EXPECT_EQ(resolved.handled_by, "r2");
  EXPECT_EQ(resolved.version, 3);

  ASSERT_THAT(Handle("k2", domain::ComplaintState::kUnfounded), IsOk());
  ASSERT_THAT(Handle("k2", domain::ComplaintState::kResolved), IsOk());

  std::vector<std::string> moves;
  for (const store::StoredEvent& e : Events("complaint")) {
    moves.push_back(absl::StrCat(e.event.entity_id, " ", e.event.action, " ",
                                 e.event.state_before, "->",
                                 e.event.state_after));
  }
  EXPECT_THAT(
      moves, ElementsAre("k1 complaint.file ->OPEN", "k2 complaint.file ->OPEN",
                         "k1 complaint.verify OPEN->VERIFIED",
                         "k1 complaint.resolve VERIFIED->RESOLVED",
                         "k2 complaint.mark_unfounded OPEN->UNFOUNDED",
                         "k2 complaint.resolve UNFOUNDED->RESOLVED"));
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Complaint> resolved_list,
                       ListComplaints("", {domain::ComplaintState::kResolved}));
  EXPECT_EQ(resolved_list.size(), 2U);
}

TEST_F(ComplaintLifecycleTest, IllegalMovesNameBothStatesAndChangeNothing) {
  EXPECT_THAT(Handle("k1", domain::ComplaintState::kResolved),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("cannot move from OPEN to RESOLVED"),
                             HasSubstr("VERIFIED or UNFOUNDED"))));
  EXPECT_THAT(Handle("k1", domain::ComplaintState::kOpen),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("from OPEN to OPEN")));
  ASSERT_THAT(Handle("k1", domain::ComplaintState::kVerified), IsOk());
  EXPECT_THAT(Handle("k1", domain::ComplaintState::kUnfounded),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("from VERIFIED to UNFOUNDED")));
  ASSERT_THAT(Handle("k1", domain::ComplaintState::kResolved), IsOk());
  EXPECT_THAT(Handle("k1", domain::ComplaintState::kVerified),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("from RESOLVED to VERIFIED"),
                             HasSubstr("closed"))));
  ASSERT_OK_AND_ASSIGN(domain::Complaint k1, GetComplaint("k1"));
  EXPECT_EQ(k1.state, domain::ComplaintState::kResolved);
  EXPECT_EQ(k1.version, 3);
}

TEST_F(ComplaintLifecycleTest, OnlyAnUninvolvedReviewerHandlesAComplaint) {
  for (const domain::Principal& p :
       {Office("c1"), Auditor(), Admin(), Clerk()}) {
    EXPECT_THAT(Handle("k1", domain::ComplaintState::kVerified, p),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("a reviewer does")));
  }
  EXPECT_THAT(Handle("k1", domain::ComplaintState::kVerified,
                     Reviewer("r9", "housing")),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("another reviewer must handle it")));
  EXPECT_THAT(
      Handle("k1", domain::ComplaintState::kVerified, Reviewer("r1"), 7),
      StatusIs(absl::StatusCode::kAborted));
  absl::StatusOr<domain::Complaint> no_text = engine_->desk().HandleComplaint(
      Reviewer("r1"), "", "k1", 0, domain::ComplaintState::kVerified, "");
  EXPECT_THAT(no_text, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(no_text.status()), ElementsAre("resolution"));
  EXPECT_THAT(Handle("k9", domain::ComplaintState::kVerified),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(domain::Complaint k1, GetComplaint("k1"));
  EXPECT_EQ(k1.state, domain::ComplaintState::kOpen);
  EXPECT_EQ(k1.version, 1);
}

TEST_F(ComplaintLifecycleTest, HandlingRetriedWithItsRequestIdAnswersOnce) {
  ASSERT_OK_AND_ASSIGN(domain::Complaint first,
                       engine_->desk().HandleComplaint(
                           Reviewer("r1"), "req-h1", "k1", 1,
                           domain::ComplaintState::kVerified, "confirmed"));
  const int64_t events = EventCount();
  clock_.Advance(absl::Hours(3));
  ASSERT_OK_AND_ASSIGN(domain::Complaint again,
                       engine_->desk().HandleComplaint(
                           Reviewer("r1"), "req-h1", "k1", 1,
                           domain::ComplaintState::kVerified, "confirmed"));
  EXPECT_EQ(again.version, first.version);
  EXPECT_EQ(again.updated_at, first.updated_at);
  EXPECT_EQ(EventCount(), events);
}

}  // namespace
}  // namespace taskgate::workflow
