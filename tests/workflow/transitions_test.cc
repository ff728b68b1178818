#include "workflow/transitions.h"

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"
#include "domain/types.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

using S = domain::TaskState;
using A = TaskAction;

constexpr S kAllStates[] = {
    S::kDraft,  S::kSubmitted, S::kInReview,  S::kReturned, S::kProvisional,
    S::kActive, S::kRejected,  S::kWithdrawn, S::kRevoked,  S::kCompleted};
constexpr A kAllActions[] = {A::kEdit,
                             A::kSubmit,
                             A::kWithdraw,
                             A::kClaim,
                             A::kRelease,
                             A::kApprove,
                             A::kReject,
                             A::kReturn,
                             A::kRevoke,
                             A::kClose,
                             A::kRejectByNegativeList,
                             A::kAdmitProvisionally,
                             A::kAdmitByDutyList,
                             A::kEscalate,
                             A::kExpire};

domain::Principal Clerk(std::string department = "civil-affairs") {
  domain::Principal p;
  p.id = "clerk-1";
  p.role = domain::Role::kDepartment;
  p.department_id = std::move(department);
  return p;
}

domain::Principal Reviewer(std::string id = "reviewer-1",
                           std::string home = "") {
  domain::Principal p;
  p.id = std::move(id);
  p.role = domain::Role::kReviewer;
  p.home_department_id = std::move(home);
  return p;
}

domain::Principal WithRole(domain::Role role) {
  domain::Principal p;
  p.id = "someone";
  p.role = role;
  p.department_id = "civil-affairs";
  p.community_id = "c1";
  return p;
}

domain::Task TaskIn(S state) {
  domain::Task t;
  t.id = "t1";
  t.district_id = "default";
  t.department_id = "civil-affairs";
  t.state = state;
  return t;
}

// A principal and a task that satisfy every guard of `row`.
std::tuple<domain::Principal, domain::Task, ActionInput> Satisfying(
    const Transition& row) {
  domain::Principal p = WithRole(domain::Role::kSystem);
  if ((row.roles & RoleBit(domain::Role::kDepartment)) != 0) p = Clerk();
  if ((row.roles & RoleBit(domain::Role::kReviewer)) != 0) p = Reviewer();
  domain::Task task = TaskIn(row.from);
  if ((row.guards & kHoldsClaim) != 0) task.claimed_by = p.id;
  ActionInput input;
  if ((row.guards & kReasonRequired) != 0) input.reason = "because";
  return {p, task, input};
}

// SPEC §5 written out independently of the table: (from, action, to), with
// the alternative outcomes of a first approval and an escalation with release.
TEST(TransitionTable, MatchesTheLifecycleOfTheSpec) {
  const std::set<std::tuple<S, A, S>> expected = {
      {S::kDraft, A::kEdit, S::kDraft},
      {S::kReturned, A::kEdit, S::kReturned},
      {S::kDraft, A::kSubmit, S::kSubmitted},
      {S::kReturned, A::kSubmit, S::kSubmitted},
      {S::kSubmitted, A::kRejectByNegativeList, S::kRejected},
      {S::kSubmitted, A::kAdmitProvisionally, S::kProvisional},
      {S::kSubmitted, A::kAdmitByDutyList, S::kActive},
      {S::kSubmitted, A::kClaim, S::kInReview},
      {S::kProvisional, A::kClaim, S::kProvisional},
      {S::kInReview, A::kRelease, S::kSubmitted},
      {S::kProvisional, A::kRelease, S::kProvisional},
      {S::kInReview, A::kApprove, S::kActive},
      {S::kInReview, A::kApprove, S::kSubmitted},  // first of two approvals
      {S::kProvisional, A::kApprove, S::kActive},
      {S::kProvisional, A::kApprove, S::kProvisional},  // first of two
      {S::kInReview, A::kReject, S::kRejected},
      {S::kProvisional, A::kReject, S::kRevoked},
      {S::kInReview, A::kReturn, S::kReturned},
      {S::kSubmitted, A::kWithdraw, S::kWithdrawn},
      {S::kInReview, A::kWithdraw, S::kWithdrawn},
      {S::kReturned, A::kWithdraw, S::kWithdrawn},
      {S::kProvisional, A::kWithdraw, S::kWithdrawn},
      {S::kActive, A::kRevoke, S::kRevoked},
      {S::kActive, A::kClose, S::kCompleted},
      {S::kSubmitted, A::kEscalate, S::kSubmitted},
      {S::kInReview, A::kEscalate, S::kInReview},
      {S::kInReview, A::kEscalate, S::kSubmitted},  // released on overdue
      {S::kProvisional, A::kEscalate, S::kProvisional},
      {S::kActive, A::kExpire, S::kCompleted},
  };
  std::set<std::tuple<S, A, S>> actual;
  for (const Transition& row : TransitionTable()) {
    actual.insert({row.from, row.action, row.to});
    if (row.alternative_to.has_value()) {
      actual.insert({row.from, row.action, *row.alternative_to});
    }
  }
  EXPECT_EQ(actual, expected);
}

TEST(TransitionTable, HasOneRowPerStateAndAction) {
  std::set<std::pair<S, A>> seen;
  for (const Transition& row : TransitionTable()) {
    EXPECT_TRUE(seen.insert({row.from, row.action}).second)
        << domain::TaskStateName(row.from) << " x "
        << TaskActionName(row.action);
  }
}

TEST(TransitionTable, TerminalStatesHaveNoWayOut) {
  for (const Transition& row : TransitionTable()) {
    EXPECT_NE(row.from, S::kRejected);
    EXPECT_NE(row.from, S::kWithdrawn);
    EXPECT_NE(row.from, S::kRevoked);
    EXPECT_NE(row.from, S::kCompleted);
  }
}

TEST(TransitionTable, ScopeGuardsAreTheSameForEveryRowOfAnAction) {
  // Authorization is decided before state from the union of an action's
  // rows; that is only sound when the rows agree on roles and scope.
  for (const Transition& a : TransitionTable()) {
    for (const Transition& b : TransitionTable()) {
      if (a.action != b.action) continue;
      EXPECT_EQ(a.roles, b.roles) << TaskActionName(a.action);
      EXPECT_EQ(a.guards & kScopeGuards, b.guards & kScopeGuards)
          << TaskActionName(a.action);
    }
  }
}

TEST(TransitionTable, ActionNamesRoundTrip) {
  for (A action : kAllActions) {
    EXPECT_EQ(ParseTaskAction(TaskActionName(action)), action);
  }
  EXPECT_EQ(ParseTaskAction("dance"), std::nullopt);
}

TEST(CheckTransition, AllowsEveryRowOfTheTableWhenItsGuardsHold) {
  for (const Transition& row : TransitionTable()) {
    auto [principal, task, input] = Satisfying(row);
    absl::StatusOr<const Transition*> checked =
        CheckTransition(principal, task, row.action, input);
    ASSERT_THAT(checked, IsOk()) << domain::TaskStateName(row.from) << " x "
                                 << TaskActionName(row.action);
    EXPECT_EQ(*checked, &row);
  }
}

TEST(CheckTransition, RefusesEveryActionTheTableLacksNamingStateAndAction) {
  int refused = 0;
  for (S state : kAllStates) {
    for (A action : kAllActions) {
      if (FindTransition(state, action) != nullptr) continue;
      // Take a principal whose role may take the action somewhere.
      const Transition* any = nullptr;
      for (const Transition& row : TransitionTable()) {
        if (row.action == action) any = &row;
      }
      ASSERT_NE(any, nullptr);
      auto [principal, task, input] = Satisfying(*any);
      task.state = state;
      EXPECT_THAT(
          CheckTransition(principal, task, action, input),
          StatusIs(absl::StatusCode::kFailedPrecondition,
                   AllOf(HasSubstr(std::string(domain::TaskStateName(state))),
                         HasSubstr(absl::StrCat(
                             "action ", std::string(TaskActionName(action)))))))
          << domain::TaskStateName(state) << " x " << TaskActionName(action);
      ++refused;
    }
  }
  EXPECT_EQ(refused, 10 * 15 - 26);
}

TEST(CheckTransition, WrongRoleIsDeniedWhateverTheState) {
  for (S state : kAllStates) {
    domain::Task task = TaskIn(state);
    EXPECT_THAT(CheckTransition(WithRole(domain::Role::kAuditor), task,
                                A::kApprove, {}),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("role auditor may not approve")));
    EXPECT_THAT(CheckTransition(WithRole(domain::Role::kCommunity), task,
                                A::kSubmit, {}),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(CheckTransition(Reviewer(), task, A::kSubmit, {}),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(CheckTransition(Clerk(), task, A::kApprove, {}),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(
        CheckTransition(WithRole(domain::Role::kAdmin), task, A::kRevoke, {}),
        StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(CheckTransition(Clerk(), task, A::kEscalate, {}),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

TEST(CheckTransition, AnotherDepartmentIsDeniedWhateverTheState) {
  for (S state : kAllStates) {
    EXPECT_THAT(
        CheckTransition(Clerk("housing"), TaskIn(state), A::kWithdraw, {}),
        StatusIs(absl::StatusCode::kPermissionDenied,
                 AllOf(HasSubstr("department housing may withdraw only its "
                                 "own tasks"),
                       Not(HasSubstr("civil-affairs")))));
  }
}

TEST(CheckTransition, ReviewerMayNotClaimOrDecideOwnHomeDepartmentsTask) {
  const domain::Principal own = Reviewer("reviewer-1", "civil-affairs");
  domain::Task submitted = TaskIn(S::kSubmitted);
  EXPECT_THAT(CheckTransition(own, submitted, A::kClaim, {}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("another reviewer must decide")));
  domain::Task in_review = TaskIn(S::kInReview);
  in_review.claimed_by = own.id;
  EXPECT_THAT(CheckTransition(own, in_review, A::kApprove, {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckTransition(own, TaskIn(S::kActive), A::kRevoke,
                              {"funding never arrived", {}}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A reviewer of another home department may.
  EXPECT_THAT(CheckTransition(Reviewer("reviewer-2", "housing"), submitted,
                              A::kClaim, {}),
              IsOk());
}

TEST(CheckTransition, FirstApproverMayNotClaimTheSecondApproval) {
  domain::Task task = TaskIn(S::kSubmitted);
  task.needs_two_approvals = true;
  task.approvals.push_back({"reviewer-1", absl::UnixEpoch()});
  EXPECT_THAT(CheckTransition(Reviewer("reviewer-1"), task, A::kClaim, {}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("first approval")));
  EXPECT_THAT(CheckTransition(Reviewer("reviewer-2"), task, A::kClaim, {}),
              IsOk());
}

TEST(CheckTransition, DecisionsNeedTheClaim) {
  domain::Task task = TaskIn(S::kInReview);
  task.claimed_by = "reviewer-2";
  EXPECT_THAT(CheckTransition(Reviewer("reviewer-1"), task, A::kReject,
                              {"no funding", {}}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("claimed by reviewer-2")));
}

TEST(CheckTransition, ProvisionalTaskCanBeClaimedOnlyOnce) {
  domain::Task task = TaskIn(S::kProvisional);
  task.claimed_by = "reviewer-2";
  EXPECT_THAT(CheckTransition(Reviewer("reviewer-1"), task, A::kClaim, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already claimed")));
}

TEST(CheckTransition, ApproveIsRefusedPastABlockFinding) {
  domain::Task task = TaskIn(S::kInReview);
  task.claimed_by = "reviewer-1";
  task.findings.push_back(
      {"R-FUNDING", domain::Severity::kBlock, {}, "", {}, "", "", "", {}});
  EXPECT_THAT(CheckTransition(Reviewer(), task, A::kApprove, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("BLOCK finding R-FUNDING")));
  // Rejecting or returning it is still possible.
  EXPECT_THAT(CheckTransition(Reviewer(), task, A::kReject, {"unfunded", {}}),
              IsOk());
  EXPECT_THAT(CheckTransition(Reviewer(), task, A::kReturn, {"fund it", {}}),
              IsOk());
}

TEST(CheckTransition, ApproveNeedsEachWarningAcknowledgedWithAReason) {
  domain::Task task = TaskIn(S::kInReview);
  task.claimed_by = "reviewer-1";
  task.findings.push_back(
      {"R-CAPACITY", domain::Severity::kWarn, {}, "", {}, "", "", "", {}});
  task.findings.push_back(
      {"R-LEAD-TIME", domain::Severity::kWarn, {}, "", {}, "", "", "", {}});

  absl::StatusOr<const Transition*> none =
      CheckTransition(Reviewer(), task, A::kApprove, {});
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(GetFieldViolations(none.status()).size(), 2u);

  ActionInput blank_reason{"", {{"R-CAPACITY", "ok"}, {"R-LEAD-TIME", "  "}}};
  absl::StatusOr<const Transition*> one =
      CheckTransition(Reviewer(), task, A::kApprove, blank_reason);
  ASSERT_THAT(one, StatusIs(absl::StatusCode::kInvalidArgument,
                            HasSubstr("R-LEAD-TIME")));
  EXPECT_EQ(GetFieldViolations(one.status()),
            (std::vector<FieldViolation>{
                {"acknowledgements",
                 "WARN finding R-LEAD-TIME must be acknowledged with a reason "
                 "to approve"}}));

  ActionInput both{
      "",
      {{"R-CAPACITY", "street pools staff"}, {"R-LEAD-TIME", "flood season"}}};
  EXPECT_THAT(CheckTransition(Reviewer(), task, A::kApprove, both), IsOk());
}

TEST(CheckTransition, RejectReturnAndRevokeNeedAReason) {
  domain::Task task = TaskIn(S::kInReview);
  task.claimed_by = "reviewer-1";
  for (A action : {A::kReject, A::kReturn}) {
    absl::StatusOr<const Transition*> s =
        CheckTransition(Reviewer(), task, action, {" ", {}});
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
    ASSERT_EQ(GetFieldViolations(s.status()).size(), 1u);
    EXPECT_EQ(GetFieldViolations(s.status())[0].field, "reason");
  }
  EXPECT_THAT(CheckTransition(Reviewer(), TaskIn(S::kActive), A::kRevoke, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace taskgate::workflow
