// An approval's acknowledgements (SPEC §4.2, §9; issue 15, defect 1): at
// most one per rule, each naming a WARN finding of the task being approved,
// with a reason bounded like every reason; a list or a string over its bound
// is refused naming the field, before anything is decided, and nothing is
// written. Through `TaskLifecycle::Act` (workflow/task_lifecycle.h), the
// checks of `CheckAcknowledgements` (workflow/validation.h) and of the
// approval's transition (workflow/transitions.h).
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"
#include "workflow/rules.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AcknowledgementsTest : public TaskWorkflowTest {
 protected:
  // "t1", claimed by r1, with one WARN finding: R-LEAD-TIME (it starts in
  // 18 days).
  void SetUp() override {
    TaskWorkflowTest::SetUp();
    domain::TaskSpec spec = CleanAssistSpec();
    spec.start_date = absl::CivilDay(2026, 3, 20);
    Create("t1", spec);
    ASSERT_OK_AND_ASSIGN(domain::Task t,
                         Do(Clerk(), TaskAction::kSubmit, "t1"));
    ASSERT_EQ(t.findings.size(), 1u);
    ASSERT_EQ(t.findings[0].rule_id, "R-LEAD-TIME");
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
    ASSERT_OK_AND_ASSIGN(claimed_, GetTask("t1"));
    events_ = EventCount();
  }

  absl::Status Approve(std::vector<domain::Acknowledgement> acks) {
    return Do(Reviewer("r1"), TaskAction::kApprove, "t1", "", std::move(acks))
        .status();
  }

  // A refusal changes nothing: no event, the task as it was.
  void ExpectNothingWritten() {
    EXPECT_EQ(EventCount(), events_);
    ASSERT_OK_AND_ASSIGN(domain::Task now, GetTask("t1"));
    EXPECT_EQ(now.version, claimed_.version);
    EXPECT_EQ(now.state, domain::TaskState::kInReview);
    ASSERT_OK_AND_ASSIGN(auto decisions,
                         sqlite_->ListDecisions("default", "t1"));
    EXPECT_TRUE(decisions.empty());
  }

  domain::Task claimed_;
  int64_t events_ = 0;
};

// The attack of the issue: 1,100 acknowledgements with rule ids of 3,000
// characters made one event of 3.3 MB. The list is refused for its length
// alone, in one violation, whatever its items hold.
TEST_F(AcknowledgementsTest, AListOverTheBoundIsRefusedAloneInOneViolation) {
  std::vector<domain::Acknowledgement> flood(
      1100, {std::string(3000, 'R'), std::string(3000, 'x')});
  const absl::Status refused = Approve(flood);
  EXPECT_THAT(refused,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("lists 1100 acknowledgements; at most 16")));
  EXPECT_THAT(Fields(refused), ElementsAre("acknowledgements"));
  EXPECT_LT(refused.message().size(), 1000u);
  ExpectNothingWritten();

  // One past the bound, of well-formed items, is refused the same way.
  std::vector<domain::Acknowledgement> seventeen;
  for (size_t i = 0; i <= kMaxAcknowledgements; ++i) {
    seventeen.push_back({absl::StrCat("R-RULE-", i), "because"});
  }
  EXPECT_THAT(Fields(Approve(seventeen)), ElementsAre("acknowledgements"));
  ExpectNothingWritten();
}

TEST_F(AcknowledgementsTest, EachItemIsCheckedAndNamedByItsIndex) {
  const absl::Status refused = Approve({
      {"R-LEAD-TIME", "the street asked for it"},
      {"R-LEAD-TIME", "and again"},    // a rule twice
      {"", "no rule"},                 // rule id missing
      {"R LEAD TIME", "spaces"},       // not a rule id
      {std::string(64, 'R'), "long"},  // rule id too long
      {"R-CAPACITY", ""},              // reason missing
      {"R-DUPLICATE", std::string(kMaxTextLength + 1, 'x')},  // too long
  });
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      Fields(refused),
      ElementsAre("acknowledgements[1].rule_id", "acknowledgements[2].rule_id",
                  "acknowledgements[3].rule_id", "acknowledgements[4].rule_id",
                  "acknowledgements[5].reason", "acknowledgements[6].reason"));
  EXPECT_THAT(refused.message(),
              AllOf(HasSubstr("acknowledges R-LEAD-TIME again (already at "
                              "acknowledgements[0])"),
                    HasSubstr("acknowledgements[2].rule_id: is required"),
                    HasSubstr("'R LEAD TIME' is not a rule id"),
                    HasSubstr("is 64 characters long; at most 63"),
                    HasSubstr("acknowledgements[5].reason: is required"),
                    HasSubstr("is 4001 characters long; at most 4000")));
  ExpectNothingWritten();
}

// Each acknowledgement names a WARN finding the task has; the decision then
// records only what concerns the task.
TEST_F(AcknowledgementsTest, AnAcknowledgementOfAFindingTheTaskLacksIsRefused) {
  const absl::Status refused = Approve(
      {{"R-LEAD-TIME", "the street asked for it"}, {"R-CAPACITY", "fits"}});
  EXPECT_THAT(refused,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'R-CAPACITY' names no WARN finding of task "
                                 "t1; acknowledge only its WARN findings "
                                 "(R-LEAD-TIME)")));
  EXPECT_THAT(Fields(refused), ElementsAre("acknowledgements[1].rule_id"));
  ExpectNothingWritten();

  // Missing one and naming another are both reported at once.
  EXPECT_THAT(Fields(Approve({{"R-NEGATIVE", "not a warning"}})),
              ElementsAre("acknowledgements", "acknowledgements[0].rule_id"));
  ExpectNothingWritten();

  ASSERT_OK_AND_ASSIGN(domain::Task active,
                       Do(Reviewer("r1"), TaskAction::kApprove, "t1", "",
                          {{"R-LEAD-TIME", "the street asked for it"}}));
  EXPECT_EQ(active.state, domain::TaskState::kActive);
  ASSERT_OK_AND_ASSIGN(auto decisions, sqlite_->ListDecisions("default", "t1"));
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_THAT(decisions[0].acknowledgements,
              ElementsAre(domain::Acknowledgement{"R-LEAD-TIME",
                                                  "the street asked for it"}));
}

// Only an approval acknowledges findings; any other action carrying them
// is refused rather than silently ignoring what the caller sent.
TEST_F(AcknowledgementsTest, OnlyAnApprovalCarriesAcknowledgements) {
  const absl::Status refused = Do(Reviewer("r1"), TaskAction::kReject, "t1",
                                  "starts too soon", {{"R-LEAD-TIME", "noted"}})
                                   .status();
  EXPECT_THAT(refused,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("acknowledge findings only to approve; leave "
                                 "them out of a request to reject")));
  EXPECT_THAT(Fields(refused), ElementsAre("acknowledgements"));
  ExpectNothingWritten();
}

}  // namespace
}  // namespace taskgate::workflow
