// workflow/access.h: the role and scope checks outside the transition
// table, each OK or PERMISSION_DENIED with a message saying who may.
#include "workflow/access.h"

#include <optional>
#include <string>

#include <absl/status/status.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;

TEST(Access, AdminsAloneManageTheDirectory) {
  for (const domain::Principal& p :
       {Clerk(), Reviewer("r1"), Office("c1"), Auditor()}) {
    EXPECT_THAT(CanPublishCatalog(p),
                StatusIs(kDenied, HasSubstr("an admin publishes it")));
    EXPECT_THAT(CanPutCommunity(p),
                StatusIs(kDenied, HasSubstr("may not change communities")));
    EXPECT_THAT(CanCreatePrincipal(p), StatusIs(kDenied));
    EXPECT_THAT(CanSetPrincipalDisabled(p), StatusIs(kDenied));
    EXPECT_THAT(CanIssueToken(p), StatusIs(kDenied));
    EXPECT_THAT(CanRevokeToken(p),
                StatusIs(kDenied, HasSubstr("may not revoke tokens; an admin "
                                            "does")));
  }
  EXPECT_THAT(CanPublishCatalog(Admin()), IsOk());
  EXPECT_THAT(CanRevokeToken(Admin()), IsOk());
}

TEST(Access, OnlyDepartmentClerksCreateTasks) {
  EXPECT_THAT(CanCreateTask(Clerk()), IsOk());
  EXPECT_THAT(CanCreateTask(Auditor()),
              StatusIs(kDenied, HasSubstr("role auditor may not create "
                                          "tasks; a department clerk does")));
}

TEST(Access, CommunityActsNeedAnOfficeBoundToACommunity) {
  EXPECT_THAT(CanAcknowledgeAssignment(Office("c1")), IsOk());
  EXPECT_THAT(CanFileComplaint(Reviewer("r1")),
              StatusIs(kDenied, HasSubstr("a community office does")));
  domain::Principal unbound = Office("");
  EXPECT_THAT(CanReportFundingMissing(unbound),
              StatusIs(kDenied, HasSubstr("bound to no community")));
}

TEST(Access, AnAssignmentIsActedOnOnlyByTheCommunitiesItReaches) {
  domain::Task task;
  task.id = "t1";
  task.spec.target_communities = {"c1"};
  task.spec.target_streets = {"east"};
  // Before submit: the spec's communities, and its streets.
  EXPECT_FALSE(AssignmentScopeNeedsStreet(Office("c1"), task));
  EXPECT_THAT(CanActOnAssignment(Office("c1"), task, std::nullopt), IsOk());
  EXPECT_TRUE(AssignmentScopeNeedsStreet(Office("c2"), task));
  EXPECT_THAT(CanActOnAssignment(Office("c2"), task, std::string("east")),
              IsOk());
  EXPECT_THAT(CanActOnAssignment(Office("c3"), task, std::string("west")),
              StatusIs(kDenied, HasSubstr("community c3 may act on only the "
                                          "tasks that reach it")));
  EXPECT_THAT(CanActOnAssignment(Office("c2"), task, std::nullopt),
              StatusIs(kDenied));
  // After submit: the resolved communities alone.
  task.resolved_communities = {"c1", "c2"};
  EXPECT_FALSE(AssignmentScopeNeedsStreet(Office("c3"), task));
  EXPECT_THAT(CanActOnAssignment(Office("c3"), task, std::string("east")),
              StatusIs(kDenied));
}

TEST(Access, ComplaintsAreHandledByUninvolvedReviewers) {
  domain::Complaint complaint;
  complaint.id = "k1";
  complaint.department_id = "housing";
  EXPECT_THAT(CanHandleComplaints(Auditor()),
              StatusIs(kDenied, HasSubstr("a reviewer does")));
  EXPECT_THAT(CanHandleComplaint(Reviewer("r1", "civil-affairs"), complaint),
              IsOk());
  EXPECT_THAT(CanHandleComplaint(Reviewer("r2", "housing"), complaint),
              StatusIs(kDenied, HasSubstr("which complaint k1 accuses")));
}

TEST(Access, WorkloadsAreForTheirCommunityAndOverseers) {
  EXPECT_THAT(CanReadWorkloads(Clerk()),
              StatusIs(kDenied, HasSubstr("see community workloads")));
  EXPECT_THAT(CanReadWorkloadOf(Office("c1"), "c1"), IsOk());
  EXPECT_THAT(CanReadWorkloadOf(Office("c1"), "c2"),
              StatusIs(kDenied, HasSubstr("may not see the workload of "
                                          "community c2")));
  EXPECT_THAT(CanReadWorkloadOf(Admin(), "c2"), IsOk());
}

}  // namespace
}  // namespace taskgate::workflow
