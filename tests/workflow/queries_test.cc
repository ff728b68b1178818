// `Queries` (workflow/queries.h): the read side and its authorization.
#include "workflow/queries.h"

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

class QueriesTest : public PeopleWorkflowTest {};

TEST_F(QueriesTest, WorkloadIsBaselinePlusAdmittedTasksPerMonth) {
  MakeTasks();
  ASSERT_OK_AND_ASSIGN(
      Workload c1, engine_->queries().GetWorkload(Office("c1"), "c1",
                                                  absl::CivilMonth(2026, 5),
                                                  absl::CivilMonth(2026, 6)));
  EXPECT_EQ(c1.community.id, "c1");
  std::vector<std::string> ids;
  for (const domain::Task& t : c1.assignments) ids.push_back(t.id);
  EXPECT_THAT(ids, ElementsAre("a", "b"));  // "c" is still in review
  // May: 60 baseline + 10 (a); June: 60 + 10 (a) + 15 (b).
  EXPECT_THAT(c1.monthly_load,
              ElementsAre(Pair(absl::CivilMonth(2026, 5), 70.0),
                          Pair(absl::CivilMonth(2026, 6), 85.0)));
  EXPECT_THAT(c1.acks, IsEmpty());

  ASSERT_OK_AND_ASSIGN(
      Workload c2,
      engine_->queries().GetWorkload(Auditor(), "c2", absl::CivilMonth(2026, 5),
                                     absl::CivilMonth(2026, 6)));
  EXPECT_THAT(c2.monthly_load,
              ElementsAre(Pair(absl::CivilMonth(2026, 5), 60.0),
                          Pair(absl::CivilMonth(2026, 6), 75.0)));
}

TEST_F(QueriesTest, WorkloadIsShownOnlyToItsCommunityAndOverseers) {
  const absl::CivilMonth may(2026, 5);
  EXPECT_THAT(engine_->queries().GetWorkload(Office("c1"), "c2", may, may),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("acts for community c1")));
  EXPECT_THAT(engine_->queries().GetWorkload(Clerk(), "c1", may, may),
              StatusIs(absl::StatusCode::kPermissionDenied));
  for (const domain::Principal& p : {Reviewer("r1"), Auditor(), Admin()}) {
    EXPECT_THAT(engine_->queries().GetWorkload(p, "c1", may, may), IsOk());
  }
  EXPECT_THAT(engine_->queries().GetWorkload(Reviewer("r1"), "c9", may, may),
              StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<Workload> backwards = engine_->queries().GetWorkload(
      Auditor(), "c1", may, absl::CivilMonth(2026, 4));
  EXPECT_THAT(backwards, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(backwards.status()), ElementsAre("to"));
  EXPECT_THAT(engine_->queries().GetWorkload(Auditor(), "c1", may,
                                             absl::CivilMonth(2036, 5)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("spans 121 months")));
}

}  // namespace
}  // namespace taskgate::workflow
