// Departments and streets through the real server (SPEC §1): the admin puts
// them by id with Chinese names, every role reads them, no other role puts
// them; a clerk's task targets a street by id and reaches its communities;
// an unknown street id is refused naming the field and its index.
#include <string>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/convert.h"
#include "tests/e2e/e2e_fixture.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DepartmentsStreetsE2eTest : public E2eTest {
 protected:
  absl::StatusOr<v1::Street> PutStreet(const Actor& who, const std::string& id,
                                       const std::string& name,
                                       const std::string& etag = "") {
    v1::PutStreetRequest r;
    r.set_request_id(NextRequestId());
    r.mutable_street()->set_id(id);
    r.mutable_street()->set_name(name);
    r.mutable_street()->set_etag(etag);
    return Call(who, *admins_, &AdminStub::PutStreet, r);
  }
};

TEST_F(DepartmentsStreetsE2eTest, TheAdminPutsThemAndEveryRoleReadsThem) {
  v1::PutDepartmentRequest put;
  put.set_request_id(NextRequestId());
  put.mutable_department()->set_id("minzheng");
  put.mutable_department()->set_name("区民政局");
  ASSERT_OK_AND_ASSIGN(v1::Department d,
                       Call(admin_, *admins_, &AdminStub::PutDepartment, put));
  EXPECT_EQ(d.etag(), "1");
  ASSERT_OK_AND_ASSIGN(v1::Street s,
                       PutStreet(admin_, "changshou", "长寿路街道"));
  // Renamed with its etag.
  ASSERT_OK_AND_ASSIGN(s,
                       PutStreet(admin_, "changshou", "长寿路街道（新）", "1"));
  EXPECT_EQ(s.etag(), "2");

  v1::GetStreetRequest get;
  get.set_id("changshou");
  ASSERT_OK_AND_ASSIGN(v1::Street read,
                       Call(community_, *admins_, &AdminStub::GetStreet, get));
  EXPECT_EQ(read.name(), "长寿路街道（新）");
  ASSERT_OK_AND_ASSIGN(v1::ListDepartmentsResponse departments,
                       Call(clerk_, *admins_, &AdminStub::ListDepartments,
                            v1::ListDepartmentsRequest()));
  bool found = false;
  for (const v1::Department& x : departments.departments()) {
    found |= x.id() == "minzheng" && x.name() == "区民政局";
  }
  EXPECT_TRUE(found);

  // No other role puts them.
  EXPECT_THAT(PutStreet(clerk_, "x", "某街道"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  put.set_request_id(NextRequestId());
  EXPECT_THAT(Call(reviewer_, *admins_, &AdminStub::PutDepartment, put),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A principal names an existing department only.
  v1::CreatePrincipalRequest p;
  p.set_request_id(NextRequestId());
  p.mutable_principal()->set_id("clerk-unknown");
  p.mutable_principal()->set_role(v1::ROLE_DEPARTMENT);
  p.mutable_principal()->set_department_id("no-such-bureau");
  EXPECT_THAT(Call(admin_, *admins_, &AdminStub::CreatePrincipal, p),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("principal.department_id")));
}

TEST_F(DepartmentsStreetsE2eTest,
       ATaskTargetsAStreetByIdAndAnUnknownIdIsNamed) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.clear_target_communities();
  spec.add_target_street_ids("east");
  const std::string id = SubmittedTask(spec);
  ASSERT_OK_AND_ASSIGN(v1::Task task, GetTask(clerk_, id));
  EXPECT_THAT(task.resolved_communities(), ElementsAre("c1", "c2"));

  // The communities show their street's id and name.
  v1::ListCommunitiesRequest list;
  list.set_street_id("west");
  ASSERT_OK_AND_ASSIGN(
      v1::ListCommunitiesResponse west,
      Call(community_, *admins_, &AdminStub::ListCommunities, list));
  ASSERT_EQ(west.communities_size(), 1);
  EXPECT_EQ(west.communities(0).id(), "c3");
  EXPECT_EQ(west.communities(0).street_id(), "west");
  EXPECT_EQ(west.communities(0).street(), "west");

  spec.add_target_street_ids("nowhere");
  ASSERT_OK_AND_ASSIGN(v1::Task bad, CreateTask(clerk_, spec));
  EXPECT_THAT(Act(clerk_, Step::kSubmit, bad.id()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("task.target_street_ids[1]")));
}

// The statistics and the public list show a department's name beside its
// id, as it is now: a rename shows at once.
TEST_F(DepartmentsStreetsE2eTest, StatisticsAndThePublicListShowTheName) {
  const std::string id = ActiveTask();
  v1::GetDepartmentRequest get;
  get.set_id(kDepartment);
  ASSERT_OK_AND_ASSIGN(v1::Department d,
                       Call(admin_, *admins_, &AdminStub::GetDepartment, get));
  v1::PutDepartmentRequest put;
  put.set_request_id(NextRequestId());
  *put.mutable_department() = d;
  put.mutable_department()->set_name("区民政局");
  ASSERT_THAT(Call(admin_, *admins_, &AdminStub::PutDepartment, put), IsOk());

  v1::ListPublicTasksRequest list;
  list.set_community_id("c1");
  ASSERT_OK_AND_ASSIGN(
      v1::ListPublicTasksResponse listed,
      Call(community_, *public_, &PublicStub::ListPublicTasks, list));
  ASSERT_EQ(listed.tasks_size(), 1);
  EXPECT_EQ(listed.tasks(0).id(), id);
  EXPECT_EQ(listed.tasks(0).department_id(), kDepartment);
  EXPECT_EQ(listed.tasks(0).department_name(), "区民政局");

  v1::GetStatisticsRequest r;
  services::ToTimestamp(At(2026, 3, 1, 0), r.mutable_start_time());
  services::ToTimestamp(At(2026, 4, 1, 0), r.mutable_end_time());
  ASSERT_OK_AND_ASSIGN(v1::Statistics stats,
                       Call(auditor_, *audit_, &AuditStub::GetStatistics, r));
  ASSERT_EQ(stats.departments_size(), 1);
  EXPECT_EQ(stats.departments(0).department_id(), kDepartment);
  EXPECT_EQ(stats.departments(0).department_name(), "区民政局");
}

}  // namespace
}  // namespace taskgate::e2e
