// Controlled limits (受控事项上限) as part of the catalog version (SPEC §2):
// published, versioned and audited with the lists, read by R-CONTROLLED at
// submit and at the re-check of every approval.
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

using Limits = std::map<domain::ControlledBucket, int32_t>;
constexpr auto kSignboard = domain::ControlledBucket::kSignboard;
constexpr auto kCertificate = domain::ControlledBucket::kCertificate;

class ControlledLimitsTest : public TaskWorkflowTest {
 protected:
  absl::StatusOr<domain::CatalogVersion> Publish(const Limits& limits) {
    absl::StatusOr<domain::CatalogVersion> latest =
        sqlite_->GetCatalog("default", 0);
    if (!latest.ok()) return latest.status();
    return engine_->directory().PublishCatalog(Admin(), "", latest->items,
                                               "limits", limits);
  }

  // One signboard (挂牌) for c1, justified: within a limit of 1, over 0.
  domain::TaskSpec SignboardSpec() {
    domain::TaskSpec s = CleanAssistSpec();
    s.types = {domain::TaskType::kSignboard};
    s.type_justifications = {
        {domain::TaskType::kSignboard, "the new service station's plaque"}};
    s.signboards_per_community = 1;
    return s;
  }

  domain::Task Submitted(const std::string& id, domain::TaskSpec spec,
                         const domain::Principal& clerk) {
    Create(id, std::move(spec), clerk);
    absl::StatusOr<domain::Task> t = Do(clerk, TaskAction::kSubmit, id);
    EXPECT_THAT(t, IsOk());
    return t.ok() ? *t : domain::Task{};
  }
};

TEST_F(ControlledLimitsTest,
       FirstVersionPublishedWithoutLimitsTakesTheInitialOnes) {
  ASSERT_OK_AND_ASSIGN(domain::CatalogVersion first,
                       sqlite_->GetCatalog("default", 1));
  EXPECT_EQ(first.controlled_limits, DefaultControlledLimits());
}

TEST_F(ControlledLimitsTest, ANewVersionSetsTheBucketsGivenAndKeepsTheOthers) {
  ASSERT_OK_AND_ASSIGN(domain::CatalogVersion second,
                       Publish({{kSignboard, 2}}));
  Limits expected = DefaultControlledLimits();
  expected[kSignboard] = 2;
  EXPECT_EQ(second.version, 2);
  EXPECT_EQ(second.controlled_limits, expected);

  ASSERT_OK_AND_ASSIGN(domain::CatalogVersion third, Publish({}));
  EXPECT_EQ(third.controlled_limits, expected);
  ASSERT_OK_AND_ASSIGN(domain::CatalogVersion stored,
                       sqlite_->GetCatalog("default", 3));
  EXPECT_EQ(stored.controlled_limits, expected);
}

TEST_F(ControlledLimitsTest, ALimitOutOfRangeIsRefusedNamingItsBucket) {
  const int64_t events = EventCount();
  absl::StatusOr<domain::CatalogVersion> published =
      Publish({{kSignboard, -1}, {kCertificate, 1001}});
  EXPECT_THAT(published, StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("from 0 to 1000")));
  EXPECT_THAT(Fields(published.status()),
              ElementsAre("controlled_limits.signboard",
                          "controlled_limits.certificate"));
  ASSERT_OK_AND_ASSIGN(domain::CatalogVersion latest,
                       sqlite_->GetCatalog("default", 0));
  EXPECT_EQ(latest.version, 1);
  EXPECT_EQ(EventCount(), events);
}

TEST_F(ControlledLimitsTest, PublishingRecordsTheLimitsAndWhatChanged) {
  ASSERT_THAT(Publish({{kSignboard, 2}}), IsOk());
  store::EventQuery q;
  q.district_id = "default";
  q.action = "catalog.publish";
  ASSERT_OK_AND_ASSIGN(std::vector<store::StoredEvent> events,
                       sqlite_->ListEvents(q));
  ASSERT_EQ(events.size(), 2u);
  const auto& details = events.back().event.details;
  EXPECT_THAT(details,
              Contains(Pair("controlled_limits_changed", "signboard 0 -> 2")));
  EXPECT_THAT(details,
              Contains(Pair("controlled_limits", HasSubstr("signboard=2"))));
  // The first version's limits are the initial ones: nothing changed.
  EXPECT_THAT(events.front().event.details,
              AllOf(Contains(Key("controlled_limits")),
                    Not(Contains(Key("controlled_limits_changed")))));
}

TEST_F(ControlledLimitsTest, SubmitAppliesTheLimitOfTheLatestVersion) {
  // The initial signboard limit is 0: one plaque is over it.
  EXPECT_THAT(RuleIds(Submitted("before", SignboardSpec(), Clerk()).findings),
              ElementsAre("R-CONTROLLED"));
  ASSERT_THAT(Publish({{kSignboard, 1}}), IsOk());
  domain::Task after = Submitted("after", SignboardSpec(), Clerk("housing"));
  EXPECT_THAT(after.findings, IsEmpty());
  EXPECT_EQ(after.catalog_version, 2);
}

// A limit lowered between submit and approval is the policy at the
// approval: the re-check finds the task over it.
TEST_F(ControlledLimitsTest, ApprovalRechecksAgainstTheLimitsInForceNow) {
  domain::TaskSpec cert = CleanAssistSpec();
  cert.types = {domain::TaskType::kCertificate};
  cert.type_justifications = {
      {domain::TaskType::kCertificate, "required by the city"}};
  EXPECT_THAT(Submitted("t", cert, Clerk()).findings, IsEmpty());
  ASSERT_THAT(Publish({{kCertificate, 0}}), IsOk());

  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t"), IsOk());
  EXPECT_THAT(
      Do(Reviewer("r1"), TaskAction::kApprove, "t"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("R-CONTROLLED")));
  ASSERT_OK_AND_ASSIGN(
      domain::Task t,
      Do(Reviewer("r1"), TaskAction::kApprove, "t", "",
         {{"R-CONTROLLED", "the city's certificate is still required"}}));
  EXPECT_EQ(t.state, domain::TaskState::kActive);
  EXPECT_THAT(RuleIds(t.findings), ElementsAre("R-CONTROLLED"));
}

TEST(ControlledLimitsOfTest, AVersionWithoutLimitsUsesTheServersInitialOnes) {
  RulesConfig config = DefaultRulesConfig();
  config.controlled_limits[kSignboard] = 3;
  domain::CatalogVersion old;
  EXPECT_EQ(ControlledLimitsOf(old, config), config.controlled_limits);
  domain::CatalogVersion published;
  published.controlled_limits = {{kSignboard, 1}};
  EXPECT_EQ(ControlledLimitsOf(published, config), published.controlled_limits);
}

}  // namespace
}  // namespace taskgate::workflow
