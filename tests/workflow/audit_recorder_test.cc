// `AuditRecorder` (workflow/audit_recorder.h): refused calls in the log.
#include "workflow/audit_recorder.h"

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

class AuditRecorderTest : public PeopleWorkflowTest {};

TEST_F(AuditRecorderTest, RefusedCallsAreRecordedAsOneEventEach) {
  const int64_t before = EventCount();
  domain::Principal anonymous;
  anonymous.id = "anonymous";
  ASSERT_THAT(engine_->recorder().RecordAccessDenied(
                  anonymous, "/taskgate.v1.Tasks/GetTask",
                  absl::StatusCode::kUnauthenticated, "no bearer token"),
              IsOk());
  ASSERT_THAT(engine_->recorder().RecordAccessDenied(
                  Clerk(), "/taskgate.v1.Catalog/PublishCatalog",
                  absl::StatusCode::kPermissionDenied,
                  "role department may not publish the catalog"),
              IsOk());
  EXPECT_THAT(engine_->recorder().RecordAccessDenied(
                  Clerk(), "/x", absl::StatusCode::kNotFound, ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(EventCount(), before + 2);

  std::vector<store::StoredEvent> events = Events("rpc");
  ASSERT_EQ(events.size(), 2U);
  const domain::AuditEvent& unauthenticated = events[0].event;
  EXPECT_EQ(unauthenticated.action, "access.unauthenticated");
  EXPECT_EQ(unauthenticated.actor_id, "anonymous");
  EXPECT_EQ(unauthenticated.entity_id, "/taskgate.v1.Tasks/GetTask");
  EXPECT_EQ(unauthenticated.reason, "no bearer token");
  EXPECT_EQ(unauthenticated.details.at("code"), "UNAUTHENTICATED");
  const domain::AuditEvent& denied = events[1].event;
  EXPECT_EQ(denied.action, "access.denied");
  EXPECT_EQ(denied.actor_id, "clerk-civil-affairs");
  EXPECT_EQ(denied.actor_role, domain::Role::kDepartment);
  EXPECT_EQ(denied.department_id, "civil-affairs");
  EXPECT_EQ(denied.entity_type, "rpc");
  EXPECT_EQ(denied.details.at("code"), "PERMISSION_DENIED");
}

}  // namespace
}  // namespace taskgate::workflow
