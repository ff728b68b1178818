// What a department or a community may learn of tasks it may not see
// (issue 15, defect 13; SPEC §4.1): nothing. Another department's task and
// a task that does not exist get the same PERMISSION_DENIED, word for word,
// from every call that names a task (access.h `TaskOutOfScope`); a task id
// another department holds is refused without naming it; the caller's
// permission is checked before a request id is looked up, and request ids
// are each principal's own (workflow/internal/commit_once.h).
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_replace.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class ExistenceTest : public TaskWorkflowTest {
 protected:
  // "t1": civil affairs' task for c1, ACTIVE; "t2": its DRAFT.
  void SetUp() override {
    TaskWorkflowTest::SetUp();
    Create("t1", CleanAssistSpec());
    ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, "t1"), IsOk());
    Create("t2", CleanAssistSpec());
  }

  // `call(id)` for a task of another's and for none at all: both refused
  // alike, the message differing only by the id it was given.
  template <typename Call>
  void ExpectSameAnswer(const std::string& others, Call call) {
    const absl::Status existing = call(others);
    const absl::Status missing = call("t-none");
    EXPECT_THAT(existing, StatusIs(absl::StatusCode::kPermissionDenied,
                                   Not(HasSubstr("civil-affairs"))));
    EXPECT_EQ(missing.code(), existing.code());
    EXPECT_EQ(absl::StrReplaceAll(missing.message(), {{"t-none", "<id>"}}),
              absl::StrReplaceAll(existing.message(), {{others, "<id>"}}));
  }
};

TEST_F(ExistenceTest, AnotherDepartmentsTaskIsAnsweredAsAMissingOne) {
  const domain::Principal housing = Clerk("housing");
  Queries& q = engine_->queries();
  ExpectSameAnswer("t1", [&](const std::string& id) {
    return q.GetTask(housing, id).status();
  });
  ExpectSameAnswer("t1", [&](const std::string& id) {
    return q.ListDecisions(housing, id).status();
  });
  for (TaskAction action :
       {TaskAction::kSubmit, TaskAction::kWithdraw, TaskAction::kClose}) {
    ExpectSameAnswer("t2", [&](const std::string& id) {
      return Do(housing, action, id).status();
    });
  }
  ExpectSameAnswer("t2", [&](const std::string& id) {
    return engine_->tasks()
        .EditTask(housing, "", id, 0, Draft(CleanAssistSpec()))
        .status();
  });
  EXPECT_THAT(q.GetTask(housing, "t-none"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("department housing may read only its own "
                                 "tasks; task 't-none' is not one of them")));
}

TEST_F(ExistenceTest, ATaskThatDoesNotReachACommunityIsAnsweredAsAMissingOne) {
  const domain::Principal c3 = Office("c3");
  ExpectSameAnswer("t1", [&](const std::string& id) {
    return engine_->queries().GetTask(c3, id).status();
  });
  ExpectSameAnswer("t1", [&](const std::string& id) {
    return engine_->desk().AcknowledgeAssignment(c3, "", id).status();
  });
  ExpectSameAnswer("t1", [&](const std::string& id) {
    return engine_->desk()
        .ReportFundingMissing(c3, "", id, "fr-1", "nothing arrived")
        .status();
  });
}

// Those who read every task learn nothing they could not read: a missing
// task is NOT_FOUND to them.
TEST_F(ExistenceTest, OverseersHearThatAMissingTaskIsMissing) {
  EXPECT_THAT(engine_->queries().GetTask(Auditor(), "t-none"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t-none"),
              StatusIs(absl::StatusCode::kNotFound));
}

// Task ids are one namespace per district, so a taken id cannot be given;
// another department's is refused without naming the task, its department
// or that it exists, and nothing is written.
TEST_F(ExistenceTest, AnIdAnotherDepartmentHoldsIsRefusedWithoutNamingIt) {
  const int64_t events = EventCount();
  const absl::Status taken =
      engine_->tasks()
          .CreateTask(Clerk("housing"), "", "t1", Draft(CleanAssistSpec()))
          .status();
  EXPECT_THAT(taken,
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("department housing may not use task "
                                       "id 't1'; choose another id"),
                             Not(HasSubstr("civil-affairs")),
                             Not(HasSubstr("exist")))));
  EXPECT_EQ(EventCount(), events);
  // The department's own taken id is simply taken.
  EXPECT_THAT(
      engine_->tasks().CreateTask(Clerk(), "", "t1", Draft(CleanAssistSpec())),
      StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(EventCount(), events);
}

// The probe: an auditor reusing a clerk's request id heard that it
// named a "task.create". Now the permission comes first, and a request id
// is the sender's own.
TEST_F(ExistenceTest, PermissionComesBeforeTheRequestIdWhichIsTheSenders) {
  ASSERT_THAT(engine_->tasks().CreateTask(Clerk(), "r-1", "t3",
                                          Draft(CleanAssistSpec())),
              IsOk());
  ActionRequest approve;
  approve.action = TaskAction::kApprove;
  approve.task_id = "t3";
  approve.request_id = "r-1";
  const absl::Status auditor =
      engine_->tasks().Act(Auditor(), approve).status();
  EXPECT_THAT(auditor, StatusIs(absl::StatusCode::kPermissionDenied,
                                AllOf(HasSubstr("role auditor may not approve"),
                                      Not(HasSubstr("task.create")),
                                      Not(HasSubstr("r-1")))));
  // Another department's submit of the clerk's task under the clerk's
  // request id: refused for the task, not replayed.
  ActionRequest submit;
  submit.action = TaskAction::kSubmit;
  submit.task_id = "t3";
  submit.request_id = "r-1";
  EXPECT_THAT(engine_->tasks().Act(Clerk("housing"), submit),
              StatusIs(absl::StatusCode::kPermissionDenied));

  // Another department may use the same request id for a request of its
  // own; the clerk's retry still gets its first answer.
  const int64_t events = EventCount();
  ASSERT_OK_AND_ASSIGN(domain::Task housing, engine_->tasks().CreateTask(
                                                 Clerk("housing"), "r-1", "t4",
                                                 Draft(CleanAssistSpec())));
  EXPECT_EQ(housing.department_id, "housing");
  EXPECT_EQ(EventCount(), events + 1);
  ASSERT_OK_AND_ASSIGN(domain::Task again,
                       engine_->tasks().CreateTask(Clerk(), "r-1", "t3",
                                                   Draft(CleanAssistSpec())));
  EXPECT_EQ(again.id, "t3");
  EXPECT_EQ(EventCount(), events + 1);

  // The clerk's own id reused for another request is named as its own.
  EXPECT_THAT(engine_->tasks().Act(Clerk(), submit),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("already used for another request of yours "
                                 "(task.create)")));
}

}  // namespace
}  // namespace taskgate::workflow
