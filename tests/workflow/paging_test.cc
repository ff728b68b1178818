// workflow/paging.h: page sizes and page tokens bound to their query.
#include "workflow/paging.h"

#include <string>
#include <vector>

#include <absl/status/status.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(PageSize, ZeroIsTheDefaultLargeIsCappedNegativeIsNamed) {
  std::vector<FieldViolation> violations;
  EXPECT_EQ(PageSize(0, violations), 50);
  EXPECT_EQ(PageSize(0, violations, 100), 100);
  EXPECT_EQ(PageSize(7, violations), 7);
  EXPECT_EQ(PageSize(100000, violations), kMaxPageSize);
  EXPECT_THAT(violations, IsEmpty());
  EXPECT_EQ(PageSize(-1, violations, 100), 100);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "page_size");
}

TEST(PageToken, CarriesAPositionForItsOwnQueryOnly) {
  const std::string token = EncodePageToken("state=ACTIVE", "t-17");
  absl::StatusOr<std::string> position = DecodePageToken(token, "state=ACTIVE");
  ASSERT_TRUE(position.ok());
  EXPECT_EQ(*position, "t-17");
  EXPECT_THAT(DecodePageToken(token, "state=DRAFT"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("different query")));
  absl::StatusOr<std::string> junk = DecodePageToken("%%%", "state=ACTIVE");
  EXPECT_THAT(junk, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("not a page token")));
  std::vector<std::string> fields;
  for (const FieldViolation& v : GetFieldViolations(junk.status())) {
    fields.push_back(v.field);
  }
  EXPECT_THAT(fields, ElementsAre("page_token"));
}

// A token longer than any this server issues is refused before it is
// decoded.
TEST(PageToken, ALongerTokenThanAnyIssuedIsRefused) {
  const std::string query(kMaxPageTokenLength, 'q');
  EXPECT_THAT(DecodePageToken(EncodePageToken(query, "t-17"), query),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a page token this server issued")));
}

}  // namespace
}  // namespace taskgate::workflow
