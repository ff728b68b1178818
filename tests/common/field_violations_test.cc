#include "common/field_violations.h"

#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/cord.h>
#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace taskgate {
namespace {

using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(FieldViolations, CodeIsInvalidArgument) {
  const absl::Status status =
      InvalidArgumentWithViolations({{"task.title", "must not be empty"}});
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FieldViolations, RoundTripThroughPayload) {
  const std::vector<FieldViolation> violations = {
      {"task.title", "must not be empty"},
      {"task.start_date", "must not be after task.end_date; fix the dates"},
      {"task.target_communities[2]", "unknown community \"c-9\""},
  };
  const absl::Status status = InvalidArgumentWithViolations(violations);
  EXPECT_EQ(GetFieldViolations(status), violations);
}

TEST(FieldViolations, RoundTripKeepsChineseEmptyAndBinaryText) {
  const std::vector<FieldViolation> violations = {
      {"task.legal_basis", "请填写法律法规依据"},
      {"", ""},
      {std::string("a\0b", 3), std::string(300, 'x')},
  };
  EXPECT_EQ(GetFieldViolations(InvalidArgumentWithViolations(violations)),
            violations);
}

TEST(FieldViolations, MessageListsEveryField) {
  const absl::Status status = InvalidArgumentWithViolations({
      {"task.title", "must not be empty"},
      {"task.hours_per_community_month", "must be positive"},
  });
  EXPECT_EQ(status.message(),
            "invalid request: task.title: must not be empty; "
            "task.hours_per_community_month: must be positive");
}

// A request whose every list item is bad gets a bounded error, not one
// violation per item.
TEST(FieldViolations, ReportsAtMostTheLimitAndCountsTheRest) {
  std::vector<FieldViolation> many;
  for (int i = 0; i < 100000; ++i) {
    many.push_back({absl::StrCat("spec.types[", i, "]"), "is not a task type"});
  }
  const absl::Status status = InvalidArgumentWithViolations(many);
  const std::vector<FieldViolation> reported = GetFieldViolations(status);
  ASSERT_EQ(reported.size(), kMaxReportedViolations);
  EXPECT_EQ(reported[0], many[0]);
  EXPECT_EQ(reported[kMaxReportedViolations - 2],
            many[kMaxReportedViolations - 2]);
  EXPECT_EQ(reported.back(),
            (FieldViolation{"request",
                            absl::StrCat(100000 - kMaxReportedViolations + 1,
                                         " more violations are not listed; "
                                         "correct the ones above and send it "
                                         "again")}));
  EXPECT_LT(status.message().size(), 4096u);

  many.resize(kMaxReportedViolations);
  EXPECT_EQ(GetFieldViolations(InvalidArgumentWithViolations(many)), many);
}

TEST(FieldViolations, PayloadIsStoredUnderDocumentedTypeUrl) {
  const absl::Status status = InvalidArgumentWithViolations({{"f", "d"}});
  EXPECT_TRUE(status.GetPayload(kFieldViolationsPayloadUrl).has_value());
}

TEST(FieldViolations, StatusWithoutPayloadGivesEmptyList) {
  EXPECT_THAT(GetFieldViolations(absl::InvalidArgumentError("plain")),
              IsEmpty());
  EXPECT_THAT(GetFieldViolations(absl::OkStatus()), IsEmpty());
}

TEST(FieldViolations, PayloadSurvivesCopyOfStatus) {
  const absl::Status original =
      InvalidArgumentWithViolations({{"task.types", "must not be empty"}});
  const absl::Status copy = original;  // NOLINT(performance-unnecessary-copy)
  EXPECT_THAT(GetFieldViolations(copy),
              ElementsAre(FieldViolation{"task.types", "must not be empty"}));
  EXPECT_THAT(copy.message(), HasSubstr("task.types"));
}

TEST(FieldViolations, MalformedPayloadKeepsOnlyCompleteViolations) {
  // One complete pair ("f", "d"), then a field whose length runs past the
  // end: the complete pair is kept and the rest ignored.
  absl::Status status = absl::InvalidArgumentError("x");
  status.SetPayload(kFieldViolationsPayloadUrl,
                    absl::Cord(std::string("\0\0\0\x01"
                                           "f"
                                           "\0\0\0\x01"
                                           "d"
                                           "\0\0\0\x09"
                                           "g",
                                           15)));
  EXPECT_THAT(GetFieldViolations(status),
              ElementsAre(FieldViolation{"f", "d"}));
}

}  // namespace
}  // namespace taskgate
