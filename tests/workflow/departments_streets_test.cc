// Departments and streets as resources (SPEC §1): the admin puts them, the
// references to them are validated, a task targets a street by id, and a
// database written before they were resources is migrated by one audited
// change that the log's replay reproduces (workflow/directory.h
// `MigrateReferences`).
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/scoped_db_path.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"
#include "workflow/audit_ledger.h"
#include "workflow/internal/changes.h"
#include "workflow/record_check.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DepartmentsStreetsTest : public TaskWorkflowTest {};

TEST_F(DepartmentsStreetsTest, AdminPutsAndRenamesOthersMayNot) {
  ASSERT_OK_AND_ASSIGN(
      domain::Department d,
      engine_->directory().PutDepartment(
          Admin(), "", {.district_id = "", .id = "civil", .name = "区民政局"},
          0));
  EXPECT_EQ(d.version, 1);
  ASSERT_OK_AND_ASSIGN(
      d,
      engine_->directory().PutDepartment(
          Admin(), "",
          {.district_id = "", .id = "civil", .name = "区民政局（更名）"}, 1));
  EXPECT_EQ(d.name, "区民政局（更名）");
  EXPECT_THAT(engine_->directory().PutDepartment(
                  Clerk(), "", {.district_id = "", .id = "x", .name = "x"}, 0),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(engine_->directory().PutDepartment(
                  Admin(), "", {.district_id = "", .id = "y", .name = ""}, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  ASSERT_THAT(engine_->directory().PutStreet(
                  Admin(), "",
                  {.district_id = "", .id = "cs", .name = "长寿路街道"}, 0),
              IsOk());
  // A name resolves to one street.
  EXPECT_THAT(engine_->directory().PutStreet(
                  Admin(), "",
                  {.district_id = "", .id = "cs2", .name = "长寿路街道"}, 0),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(Page<domain::Street> streets,
                       engine_->queries().ListStreets(Clerk(), {}));
  ASSERT_EQ(streets.items.size(), 3U);  // east, west and cs
  EXPECT_EQ(streets.items[0].name, "长寿路街道");
}

TEST_F(DepartmentsStreetsTest, ReferencesMustNameExistingResources) {
  domain::Principal p = Clerk("no-such-department");
  p.id = "clerk-x";
  EXPECT_THAT(engine_->principals().CreatePrincipal(Admin(), "", p),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("principal.department_id")));
  domain::Principal r = Reviewer("r-x", "no-such-department");
  EXPECT_THAT(engine_->principals().CreatePrincipal(Admin(), "", r),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("principal.home_department_id")));
  domain::Community c;
  c.id = "c9";
  c.name = "Community c9";
  c.street_id = "north";
  c.staff_count = 3;
  EXPECT_THAT(
      engine_->directory().PutCommunity(Admin(), "", c, 0),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("street_id")));
  // The old text form resolves an exact name to the street's id.
  c.street_id.clear();
  c.street = "west";
  ASSERT_OK_AND_ASSIGN(domain::Community put,
                       engine_->directory().PutCommunity(Admin(), "", c, 0));
  EXPECT_EQ(put.street_id, "west");
  EXPECT_EQ(put.street, "west");
}

TEST_F(DepartmentsStreetsTest, ATaskTargetsAStreetByIdAndAnUnknownIdIsNamed) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.target_communities.clear();
  spec.target_street_ids = {"east"};
  Create("t-east", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task task,
                       Do(Clerk(), TaskAction::kSubmit, "t-east"));
  EXPECT_THAT(task.resolved_communities, ElementsAre("c1", "c2"));

  spec.target_street_ids = {"east", "nowhere"};
  Create("t-bad", spec);
  EXPECT_THAT(Do(Clerk(), TaskAction::kSubmit, "t-bad"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("task.target_street_ids[1]")));
}

// A database from before departments and streets were resources: its
// principals and tasks name departments by id, its communities their street
// by text. Written through the store as the old server wrote it (migration
// 13 adds only empty tables and an empty street_id column to such a file).
class MigratedDatabaseTest : public TaskWorkflowTest {
 protected:
  std::string DbPath() const override { return db_.path(); }

  void WriteOldData() {
    store::ChangeSet change;
    change.district_id = "default";
    for (const auto& [id, street] : {std::pair{"o1", "长寿路街道"},
                                     {"o2", "长寿路街道"},
                                     {"o3", "曹家渡街道"}}) {
      domain::Community c;
      c.district_id = "default";
      c.id = id;
      c.name = id;
      c.street = street;
      c.staff_count = 4;
      c.monthly_capacity_hours = 80;
      c.version = 1;
      change.communities.push_back({c, 0});
      change.events.push_back(
          internal::NewEvent("default", Admin(), "community.create",
                             "community", id, clock_.Now(), ""));
    }
    domain::Principal p = Clerk("old-bureau");
    p.id = "clerk-old";
    p.version = 1;
    p.created_at = clock_.Now();
    change.principals.push_back({p, 0});
    change.events.push_back(internal::NewEvent("default", Admin(),
                                               "principal.create", "principal",
                                               p.id, clock_.Now(), ""));
    ASSERT_THAT(sqlite_->Commit(change), IsOk());
  }

  ::taskgate::testing::ScopedDbPath db_;
};

TEST_F(MigratedDatabaseTest, OneAuditedChangeCreatesThemAndTheLogReplaysIt) {
  ASSERT_NO_FATAL_FAILURE(WriteOldData());
  ASSERT_OK_AND_ASSIGN(const int64_t written,
                       engine_->directory().MigrateReferences());
  // 1 department, 2 streets, 3 communities.
  EXPECT_EQ(written, 6);
  ASSERT_OK_AND_ASSIGN(domain::Department d,
                       sqlite_->GetDepartment("default", "old-bureau"));
  EXPECT_EQ(d.name, "old-bureau");  // named by its id until renamed
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Street> streets,
                       sqlite_->ListStreets("default"));
  // The fixture's east and west, and the two texts in byte order: 曹 (E6 9B
  // B9) before 长 (E9 95 BF).
  ASSERT_EQ(streets.size(), 4U);
  EXPECT_EQ(streets[1].id, "street-1");
  EXPECT_EQ(streets[1].name, "曹家渡街道");
  EXPECT_EQ(streets[2].id, "street-2");
  EXPECT_EQ(streets[2].name, "长寿路街道");
  ASSERT_OK_AND_ASSIGN(domain::Community o1,
                       sqlite_->GetCommunity("default", "o1"));
  EXPECT_EQ(o1.street_id, "street-2");
  EXPECT_EQ(o1.street, "");  // the name is the street's now
  ASSERT_OK_AND_ASSIGN(
      Page<domain::Community> page,
      engine_->queries().ListCommunities(Admin(), "", {}, "street-2"));
  ASSERT_EQ(page.items.size(), 2U);
  EXPECT_EQ(page.items[0].street, "长寿路街道");

  // The replay of the log reproduces every row, the migrated ones too.
  ASSERT_OK_AND_ASSIGN(audit::SigningKey key, audit::SigningKey::FromRawPrivate(
                                                  std::string(32, '\x07')));
  ASSERT_OK_AND_ASSIGN(
      audit::VerifyReport report,
      VerifyStoredLog(*sqlite_, "default", key.verifying_key()));
  EXPECT_TRUE(report.verified())
      << (report.table_problems.empty() ? "" : report.table_problems[0]);
  EXPECT_EQ(report.table_problem_count, 0);

  // Done once: the next start changes nothing.
  ASSERT_OK_AND_ASSIGN(const int64_t again,
                       engine_->directory().MigrateReferences());
  EXPECT_EQ(again, 0);
}

}  // namespace
}  // namespace taskgate::workflow
