// `ValidateChangeSet`: the engine-neutral checks every `Store` runs before
// touching its storage.
#include "store/change_validation.h"

#include <functional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/encoding.h"
#include "common/field_violations.h"
#include "domain/types.h"
#include "store/store.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::store {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::HasSubstr;

constexpr const char* kD1 = "d1";
constexpr const char* kD2 = "d2";

// A change set for `kD1` holding one of everything, each created (expected
// version 0, version 1), with one audit event.
ChangeSet FullChange() {
  ChangeSet change;
  change.district_id = kD1;
  change.request =
      StoredRequest{"r1", "op", "fp", "answer", absl::FromUnixSeconds(1)};
  change.district.emplace();
  change.district->id = kD1;
  change.catalog.emplace();
  change.catalog->district_id = kD1;
  change.catalog->version = 1;

  CommunityWrite& community = change.communities.emplace_back();
  community.community.district_id = kD1;
  community.community.id = "c1";
  community.community.version = 1;

  TaskWrite& task = change.tasks.emplace_back();
  task.task.district_id = kD1;
  task.task.id = "t1";
  task.task.version = 1;

  domain::Decision& decision = change.decisions.emplace_back();
  decision.district_id = kD1;
  decision.task_id = "t1";

  PrincipalWrite& principal = change.principals.emplace_back();
  principal.principal.district_id = kD1;
  principal.principal.id = "amy";
  principal.principal.version = 1;

  CredentialWrite& credential = change.credentials.emplace_back();
  credential.credential.district_id = kD1;
  credential.credential.id = "tok-1";
  credential.credential.principal_id = "amy";
  credential.credential.version = 1;

  ComplaintWrite& complaint = change.complaints.emplace_back();
  complaint.complaint.district_id = kD1;
  complaint.complaint.id = "k1";
  complaint.complaint.version = 1;

  domain::FundingReport& report = change.funding_reports.emplace_back();
  report.district_id = kD1;
  report.id = "f1";
  report.task_id = "t1";

  domain::AssignmentAck& ack = change.acks.emplace_back();
  ack.district_id = kD1;
  ack.task_id = "t1";
  ack.community_id = "c1";

  domain::AuditEvent& event = change.events.emplace_back();
  event.district_id = kD1;
  event.action = "task.create";
  return change;
}

TEST(ChangeValidationTest, AcceptsAWellFormedChangeOfEveryKind) {
  EXPECT_THAT(ValidateChangeSet(FullChange()), IsOk());
}

TEST(ChangeValidationTest, AcceptsUpdatesOneVersionAhead) {
  ChangeSet change = FullChange();
  change.communities[0] = {change.communities[0].community, 6};
  change.communities[0].community.version = 7;
  change.tasks[0].expected_version = 3;
  change.tasks[0].task.version = 4;
  change.principals[0].expected_version = 1;
  change.principals[0].principal.version = 2;
  change.credentials[0].expected_version = 2;
  change.credentials[0].credential.version = 3;
  change.complaints[0].expected_version = 9;
  change.complaints[0].complaint.version = 10;
  EXPECT_THAT(ValidateChangeSet(change), IsOk());
}

TEST(ChangeValidationTest, AcceptsAChangeOfEventsAlone) {
  ChangeSet change;
  change.district_id = kD1;
  change.events.emplace_back().district_id = kD1;
  EXPECT_THAT(ValidateChangeSet(change), IsOk());
}

TEST(ChangeValidationTest, ReportsMissingEventsBeforeAWrongRow) {
  ChangeSet change = FullChange();
  change.tasks[0].task.district_id = kD2;
  change.events.clear();
  EXPECT_THAT(ValidateChangeSet(change),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no audit events")));
}

// The limit counts the canonical encoding, writes included, and names the
// largest part of an event over it.
TEST(ChangeValidationTest, AnEventIsHeldToTheSizeLimitOfItsEncoding) {
  domain::AuditEvent event;
  event.district_id = kD1;
  event.action = "task.submit";
  event.entity_type = "task";
  event.entity_id = "t1";
  event.reason = "ok";
  EXPECT_THAT(CheckAuditEventSize(event), IsOk());
  // Exactly at the limit, then one byte over it, through a write's field.
  domain::EntityWrite& write = event.writes.emplace_back();
  write.kind = "task";
  write.id = "t1";
  write.state_digest = std::string(32, '\0');
  write.changes.push_back({"spec.description", "", ""});
  const size_t base = audit::EncodedAuditEventSize(event);
  write.changes[0].after = std::string(kMaxAuditEventBytes - base, 'x');
  EXPECT_THAT(CheckAuditEventSize(event), IsOk());
  write.changes[0].after += "x";
  const absl::Status over = CheckAuditEventSize(event);
  EXPECT_THAT(over, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr(absl::StrCat(
                                 "the audit event \"task.submit\" of task t1 "
                                 "would take ",
                                 kMaxAuditEventBytes + 1, " bytes"))));
  EXPECT_THAT(over.message(),
              HasSubstr("its largest part is field spec.description of task "
                        "t1 as written (after)"));
  EXPECT_THAT(over.message(), HasSubstr("Nothing was written"));
  const std::vector<FieldViolation> violations = GetFieldViolations(over);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "spec.description");
}

// One malformed change set: `FullChange()` spoiled by `spoil`.
struct Malformed {
  std::string name;  // the test's name suffix
  std::function<void(ChangeSet&)> spoil;
  std::string message;  // expected in the INVALID_ARGUMENT message
};

class ChangeValidationRejectTest : public ::testing::TestWithParam<Malformed> {
};

TEST_P(ChangeValidationRejectTest, IsInvalidArgumentNamingTheProblem) {
  ChangeSet change = FullChange();
  GetParam().spoil(change);
  EXPECT_THAT(ValidateChangeSet(change),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(GetParam().message)));
}

std::vector<Malformed> MalformedChanges() {
  return {
      {"NoDistrict",
       [](ChangeSet& c) {
         c.district_id.clear();
         c.district.reset();
       },
       "change set has no district_id"},
      {"NoEvents", [](ChangeSet& c) { c.events.clear(); },
       "change set has no audit events; every change must be recorded"},
      {"EmptyRequestId", [](ChangeSet& c) { c.request->request_id.clear(); },
       "stored request has an empty request_id"},
      {"RequestWithoutCreationTime",
       [](ChangeSet& c) { c.request->created_at = absl::UnixEpoch(); },
       "stored request r1 has no created_at"},
      {"DistrictOfAnotherId", [](ChangeSet& c) { c.district->id = kD2; },
       "district to create has id \"d2\" but the change set is for district "
       "\"d1\""},
      {"CatalogOfAnotherDistrict",
       [](ChangeSet& c) { c.catalog->district_id = kD2; },
       "catalog version 1 has district_id \"d2\" but the change set is for "
       "district \"d1\""},
      {"CommunityOfAnotherDistrict",
       [](ChangeSet& c) { c.communities[0].community.district_id = kD2; },
       "community c1 has district_id \"d2\""},
      {"CommunityVersionSkipping",
       [](ChangeSet& c) { c.communities[0].community.version = 3; },
       "community c1 has version 3 but must be 1 (expected version + 1)"},
      {"TaskOfAnotherDistrict",
       [](ChangeSet& c) { c.tasks[0].task.district_id = kD2; },
       "task t1 has district_id \"d2\""},
      {"TaskVersionStanding",
       [](ChangeSet& c) { c.tasks[0].expected_version = 1; },
       "task t1 has version 1 but must be 2 (expected version + 1)"},
      {"DecisionOfAnotherDistrict",
       [](ChangeSet& c) { c.decisions[0].district_id = kD2; },
       "decision on task t1 has district_id \"d2\""},
      {"PrincipalOfAnotherDistrict",
       [](ChangeSet& c) { c.principals[0].principal.district_id = kD2; },
       "principal amy has district_id \"d2\""},
      {"PrincipalVersionSkipping",
       [](ChangeSet& c) { c.principals[0].principal.version = 0; },
       "principal amy has version 0 but must be 1"},
      {"CredentialOfAnotherDistrict",
       [](ChangeSet& c) { c.credentials[0].credential.district_id = kD2; },
       "credential tok-1 has district_id \"d2\""},
      {"CredentialVersionSkipping",
       [](ChangeSet& c) { c.credentials[0].expected_version = 4; },
       "credential tok-1 has version 1 but must be 5"},
      {"ComplaintOfAnotherDistrict",
       [](ChangeSet& c) { c.complaints[0].complaint.district_id = kD2; },
       "complaint k1 has district_id \"d2\""},
      {"ComplaintVersionSkipping",
       [](ChangeSet& c) { c.complaints[0].complaint.version = 2; },
       "complaint k1 has version 2 but must be 1"},
      {"FundingReportOfAnotherDistrict",
       [](ChangeSet& c) { c.funding_reports[0].district_id = kD2; },
       "funding report f1 has district_id \"d2\""},
      {"AckOfAnotherDistrict",
       [](ChangeSet& c) { c.acks[0].district_id = kD2; },
       "acknowledgement of task t1 has district_id \"d2\""},
      {"EventOfAnotherDistrict",
       [](ChangeSet& c) { c.events[0].district_id = kD2; },
       "audit event \"task.create\" has district_id \"d2\""},
      {"EventOverTheSizeLimit",
       [](ChangeSet& c) {
         c.events[0].details["acknowledged"] =
             std::string(kMaxAuditEventBytes, 'R');
       },
       "over the limit of 1048576 bytes for one event"},
  };
}

INSTANTIATE_TEST_SUITE_P(EveryRule, ChangeValidationRejectTest,
                         ::testing::ValuesIn(MalformedChanges()),
                         [](const ::testing::TestParamInfo<Malformed>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace taskgate::store
