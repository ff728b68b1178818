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

namespace taskgate::workflow {
namespace {

struct Item {
  std::string id;
  size_t bytes = 10;
};

std::string KeyOf(const Item& i) { return i.id; }
size_t SizeOf(const Item& i) { return i.bytes; }

std::vector<std::string> Ids(const std::vector<Item>& items) {
  std::vector<std::string> ids;
  for (const Item& i : items) ids.push_back(i.id);
  return ids;
}

TEST(PageOfList, WalksTheWholeListInKeyOrderPageByPage) {
  std::vector<Item> all;
  for (const char* id : {"e", "a", "d", "b", "c"}) all.push_back({id});
  std::vector<std::string> seen;
  PageRequest request{.page_size = 2, .page_token = ""};
  for (int pages = 0; pages < 10; ++pages) {
    absl::StatusOr<Page<Item>> page =
        PageOfList(all, request, "q", KeyOf, SizeOf);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->items.size(), 2u);
    for (const std::string& id : Ids(page->items)) seen.push_back(id);
    if (page->next_page_token.empty()) break;
    request.page_token = page->next_page_token;
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("a", "b", "c", "d", "e"));
  // A token of this list is refused for another.
  absl::StatusOr<Page<Item>> first =
      PageOfList(all, {.page_size = 2, .page_token = ""}, "q", KeyOf, SizeOf);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(
      PageOfList(all, {.page_size = 2, .page_token = first->next_page_token},
                 "other", KeyOf, SizeOf)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(PageOfList, CutsAPageThatWouldExceedTheByteBudget) {
  // Three items of 0.9 MiB: two fit in the 2 MiB budget, not three.
  std::vector<Item> all = {
      {"a", 900 << 10}, {"b", 900 << 10}, {"c", 900 << 10}};
  absl::StatusOr<Page<Item>> page =
      PageOfList(all, {.page_size = 100, .page_token = ""}, "q", KeyOf, SizeOf);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Ids(page->items), ::testing::ElementsAre("a", "b"));
  ASSERT_FALSE(page->next_page_token.empty());
  absl::StatusOr<Page<Item>> rest =
      PageOfList(all, {.page_size = 100, .page_token = page->next_page_token},
                 "q", KeyOf, SizeOf);
  ASSERT_TRUE(rest.ok());
  EXPECT_THAT(Ids(rest->items), ::testing::ElementsAre("c"));
  EXPECT_TRUE(rest->next_page_token.empty());
}

TEST(PageOfList, AlwaysReturnsOneItemEvenIfItAloneIsLarge) {
  std::vector<Item> all = {{"a", 3 << 20}, {"b", 10}};
  absl::StatusOr<Page<Item>> page =
      PageOfList(all, {.page_size = 100, .page_token = ""}, "q", KeyOf, SizeOf);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Ids(page->items), ::testing::ElementsAre("a"));
  EXPECT_FALSE(page->next_page_token.empty());
}

}  // namespace
}  // namespace taskgate::workflow
