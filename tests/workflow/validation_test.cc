// Input validation (workflow/validation.h): the text checks that keep what
// a client sends safe to show (SPEC §9).
#include "workflow/validation.h"

#include <string>
#include <vector>

#include <absl/status/status.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"

namespace taskgate::workflow {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<FieldViolation> Text(const std::string& text, size_t max_chars) {
  std::vector<FieldViolation> out;
  CheckText("spec.title", text, max_chars, false, out);
  return out;
}

TEST(CheckText, RefusesEveryControlCharacterNamingItAndItsPosition) {
  for (const std::string& bad : {std::string("a\0b", 3),
                                 std::string("a\x1b"
                                             "b"),
                                 std::string("a\rb"),
                                 std::string("a\x07"
                                             "b"),
                                 std::string("a\x7f"
                                             "b"),
                                 std::string("a\xC2\x85"
                                             "b"),
                                 std::string("a\xC2\x9B"
                                             "b")}) {
    EXPECT_THAT(
        Text(bad, kMaxTitleLength),
        ElementsAre(AllOf(Field(&FieldViolation::field, "spec.title"),
                          Field(&FieldViolation::description,
                                AllOf(HasSubstr("control character U+00"),
                                      HasSubstr("at character 2"),
                                      HasSubstr("remove it"))))));
  }
  // The position counts characters, not bytes.
  EXPECT_THAT(Text("走访\x1b[2J", kMaxTitleLength),
              ElementsAre(Field(&FieldViolation::description,
                                HasSubstr("U+001B at character 3"))));
}

TEST(CheckText, RefusesBidirectionalOverridesAndIsolates) {
  for (const std::string bad :
       {"a\xE2\x80\xAA", "a\xE2\x80\xAE", "a\xE2\x81\xA6", "a\xE2\x81\xA9"}) {
    EXPECT_THAT(Text(bad, kMaxTextLength),
                ElementsAre(Field(&FieldViolation::description,
                                  AllOf(HasSubstr("bidirectional"),
                                        HasSubstr("at character 2")))))
        << bad;
  }
  // Other format characters are plain text.
  EXPECT_THAT(Text("a\xE2\x80\x8F b\xC2\xA0", kMaxTitleLength), IsEmpty());
}

TEST(CheckText, NewlinesAndTabsOnlyInMultiLineText) {
  EXPECT_FALSE(IsMultiLineText(kMaxTitleLength));
  EXPECT_TRUE(IsMultiLineText(kMaxTextLength));
  EXPECT_TRUE(IsMultiLineText(kMaxDescriptionLength));
  EXPECT_THAT(Text("first line\n\tsecond line", kMaxTextLength), IsEmpty());
  EXPECT_THAT(Text("first line\nforged row", kMaxTitleLength),
              ElementsAre(Field(&FieldViolation::description,
                                AllOf(HasSubstr("U+000A at character 11"),
                                      HasSubstr("one line")))));
  EXPECT_THAT(Text("a\tb", kMaxTitleLength), ::testing::SizeIs(1));
  // A carriage return is never a line break here.
  EXPECT_THAT(Text("a\r\nb", kMaxTextLength),
              ElementsAre(Field(&FieldViolation::description,
                                HasSubstr("U+000D at character 2"))));
}

TEST(CheckText, EveryTextFieldOfATaskIsChecked) {
  domain::TaskSpec spec;
  spec.title = "t\x1b";
  spec.description = "ok\nok";
  spec.legal_basis = "b\xE2\x80\xAE";
  spec.community_duties = "c\x07";
  spec.target_streets = {"east\n"};
  spec.type_justifications[domain::TaskType::kSignboard] = "j\x1b";
  spec.types = {domain::TaskType::kSignboard};
  std::vector<std::string> fields;
  for (const FieldViolation& v : ValidateTaskSpec(spec, false)) {
    fields.push_back(v.field);
  }
  EXPECT_THAT(fields,
              ::testing::UnorderedElementsAre(
                  "title", "legal_basis", "community_duties",
                  "type_justifications.signboard", "target_streets[0]"));
}

// Every list has a bound; a list over it is reported in one violation, its
// items not looked at, so that a request of a million bad items gets a
// small answer (issue 15, defect 1).
TEST(ValidateTaskSpec, AListOverItsBoundIsReportedAloneItsItemsUnread) {
  domain::TaskSpec spec;
  spec.target_communities.assign(kMaxTargets + 1, "Not An Id!");
  spec.target_streets.assign(kMaxStreets + 1, "east\x1b");
  spec.types.assign(kMaxTaskTypes + 1, domain::TaskType::kLedger);
  std::vector<FieldViolation> violations = ValidateTaskSpec(spec, false);
  std::vector<std::string> fields;
  for (const FieldViolation& v : violations) fields.push_back(v.field);
  EXPECT_THAT(fields,
              ElementsAre("types", "target_communities", "target_streets"));
  EXPECT_THAT(violations[0].description,
              HasSubstr("lists 10 types; there are 9 task types"));

  // At the bound, each item is checked.
  spec.target_communities.resize(kMaxTargets);
  spec.target_streets.clear();
  spec.types.clear();
  EXPECT_EQ(ValidateTaskSpec(spec, false).size(), kMaxTargets);
}

TEST(ValidateCatalogItems, TooManyItemsAreReportedAloneAndKeywordsBounded) {
  std::vector<domain::CatalogItem> items(
      kMaxCatalogItems + 1, {"", domain::ListKind::kDuty, "", "", {}});
  std::vector<FieldViolation> violations = ValidateCatalogItems(items);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "items");

  domain::CatalogItem negative{
      "N-1", domain::ListKind::kNegative, "Quotas", "", {}};
  negative.keywords.assign(kMaxKeywords + 1, "\x1b");
  violations = ValidateCatalogItems({negative});
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "items[0].keywords");
}

TEST(CheckId, EchoIsCutOnACharacterBoundaryAndStaysUtf8) {
  // 79 ASCII bytes, then three-byte characters: the 80th byte is inside one.
  const std::string id = std::string(79, 'x') + "中中中";
  std::vector<FieldViolation> out;
  CheckId("task_id", id, out);
  ASSERT_THAT(out, ::testing::SizeIs(1));
  EXPECT_TRUE(IsValidUtf8(out[0].description)) << out[0].description;
  EXPECT_THAT(out[0].description,
              ::testing::StartsWith("'" + std::string(79, 'x') + "…'"));
  const absl::Status status = InvalidArgumentWithViolations(out);
  EXPECT_TRUE(IsValidUtf8(std::string(status.message())));

  out.clear();
  CheckCode("item_code", std::string(78, 'A') + "\xF0\x9F\x98\x80", out);
  ASSERT_THAT(out, ::testing::SizeIs(1));
  EXPECT_TRUE(IsValidUtf8(out[0].description)) << out[0].description;
}

TEST(CheckId, EchoShowsControlCharactersAsEscapes) {
  std::vector<FieldViolation> out;
  CheckId("task_id", "t1\n\x1b[2Jforged", out);
  ASSERT_THAT(out, ::testing::SizeIs(1));
  EXPECT_THAT(out[0].description, HasSubstr("'t1\\n\\x1b[2Jforged'"));
}

}  // namespace
}  // namespace taskgate::workflow
