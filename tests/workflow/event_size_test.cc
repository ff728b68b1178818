// The size limit of one audit event (store/change_validation.h
// `kMaxAuditEventBytes`, docs/audit-encoding.md "Size of an event") against
// the largest events the API admits: a task's create, edit, submit and
// approval with every text at its maximum length. What a real task can be
// stays under the limit (these tests measure how far, and print it); only a
// task or catalog beyond any real one reaches it, and is refused naming its
// largest part, with nothing written.
#include <cstdio>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"
#include "store/change_validation.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// `n` characters, each `character` (one UTF-8 character).
std::string Text(const std::string& character, size_t n) {
  std::string out;
  out.reserve(character.size() * n);
  for (size_t i = 0; i < n; ++i) out += character;
  return out;
}

const std::string kChinese = "\xE4\xB8\xAD";        // 中: 3 bytes
const std::string kFourBytes = "\xF0\x9F\x98\x80";  // U+1F600: 4 bytes

class EventSizeTest : public TaskWorkflowTest {
 protected:
  // `streets` streets named with `kMaxTitleLength` characters `character`,
  // each with `per_street` communities whose ids have `kMaxIdLength`
  // characters and whose names have `name_chars_` (a finding's message
  // names up to ten communities it concerns, its data each by id). Returns
  // the community ids;
  // `streets_` gets the streets.
  std::vector<std::string> PutCommunities(const std::string& character,
                                          int streets, int per_street) {
    std::vector<std::string> ids;
    for (int s = 0; s < streets; ++s) {
      const std::string suffix = absl::StrCat("-", 1000 + s);
      const std::string street =
          Text(character, kMaxTitleLength - suffix.size()) + suffix;
      streets_.push_back(street);
      const std::string street_id = absl::StrCat("street", suffix);
      PutStreet(street_id, street);
      for (int k = 0; k < per_street; ++k) {
        std::string id = absl::StrCat("community-", s, "-", k, "-");
        id.resize(kMaxIdLength, 'x');
        domain::Community c;
        c.id = id;
        c.name = Text(character, name_chars_);
        c.street_id = street_id;
        c.staff_count = 1;
        EXPECT_THAT(engine_->directory().PutCommunity(Admin(), "", c, 0),
                    IsOk());
        ids.push_back(id);
      }
    }
    return ids;
  }

  // A new-item emergency task with every text at its maximum length in
  // `character`, every controlled type justified, the most hours, units
  // and funding, for `communities` and `streets_`, until the end of 2026.
  domain::TaskSpec Maximal(const std::string& character,
                           std::vector<std::string> communities) {
    domain::TaskSpec s;
    s.title = Text(character, kMaxTitleLength);
    s.description = Text(character, kMaxDescriptionLength);
    for (std::string* text :
         {&s.new_item_justification, &s.legal_basis, &s.funding_source,
          &s.authority_delegated, &s.department_duties, &s.community_duties,
          &s.support_given, &s.assessment_method, &s.emergency_reason}) {
      *text = Text(character, kMaxTextLength);
    }
    for (domain::TaskType type :
         {domain::TaskType::kWorkBody, domain::TaskType::kLedger,
          domain::TaskType::kForm, domain::TaskType::kCreationCampaign,
          domain::TaskType::kInspection, domain::TaskType::kSignboard,
          domain::TaskType::kCertificate, domain::TaskType::kTraining}) {
      s.types.push_back(type);
      s.type_justifications[type] = Text(character, kMaxTextLength);
    }
    s.long_term = true;
    s.start_date = absl::CivilDay(2026, 3, 3);
    s.end_date = absl::CivilDay(2026, 12, 31);
    s.target_communities = std::move(communities);
    s.target_streets = streets_;
    s.hours_per_community_month = kMaxHoursPerMonth;
    s.funding_per_community_yuan = kMaxFundingYuan;
    s.forms_ledgers_added = kMaxUnits;
    s.signboards_per_community = kMaxUnits;
    s.emergency = true;
    return s;
  }

  // The canonical size of each of the task's events, in order, printed.
  std::vector<size_t> EventSizes(const std::string& task_id) {
    std::vector<size_t> sizes;
    for (const store::StoredEvent& e : EventsOf(task_id)) {
      sizes.push_back(e.canonical.size());
      std::printf("  %-22s %8zu bytes\n", e.event.action.c_str(),
                  e.canonical.size());
    }
    return sizes;
  }

  std::vector<std::string> streets_;
  size_t name_chars_ = 10;  // 花园社区居民委员会 is 9
};

// The largest task a department could really send: every text at its
// maximum in Chinese, 300 target communities with the longest ids in 30
// streets of the longest names, every controlled type justified. Its
// create, an edit of every text, its submit and an approval acknowledging
// every warning with the longest reason all stay under the limit.
TEST_F(EventSizeTest, TheLargestRealisticTaskStaysUnderTheLimit) {
  const std::vector<std::string> ids = PutCommunities(kChinese, 30, 10);
  domain::TaskSpec first = Maximal(kChinese, ids);
  first.title = Text("a", kMaxTitleLength);
  first.description = Text("a", kMaxDescriptionLength);
  first.legal_basis = Text("a", kMaxTextLength);
  Create("t-max", first);
  ASSERT_THAT(engine_->tasks().EditTask(Clerk(), "", "t-max", 0,
                                        Draft(Maximal(kChinese, ids))),
              IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Task submitted,
                       Do(Clerk(), TaskAction::kSubmit, "t-max"));
  ASSERT_EQ(submitted.state, domain::TaskState::kProvisional);
  std::vector<domain::Acknowledgement> acks;
  for (const domain::Finding& f : submitted.findings) {
    ASSERT_EQ(f.severity, domain::Severity::kWarn) << f.rule_id;
    if (acks.empty() || acks.back().rule_id != f.rule_id) {
      acks.push_back({f.rule_id, Text(kChinese, kMaxTextLength)});
    }
  }
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t-max"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, "t-max",
                 Text(kChinese, kMaxTextLength), acks),
              IsOk());

  std::printf("events of a maximal task in Chinese, 300 communities:\n");
  const std::vector<size_t> sizes = EventSizes("t-max");
  ASSERT_EQ(sizes.size(), 6u);  // create edit submit admit claim approve
  for (size_t size : sizes) EXPECT_LE(size, store::kMaxAuditEventBytes);
  // The submit, the largest, is well over half the limit: the limit is not
  // far above what the API admits.
  EXPECT_GT(sizes[2], store::kMaxAuditEventBytes / 2);
}

// The widest task: texts of 100 characters for 1,000 communities of 50
// streets, over capacity and controlled limits in every one.
TEST_F(EventSizeTest, AShortTaskForAThousandCommunitiesStaysUnderTheLimit) {
  std::vector<std::string> ids;
  for (int s = 0; s < 50; ++s) {
    streets_.push_back(absl::StrCat("街道", s));
    ASSERT_NO_FATAL_FAILURE(PutStreet(absl::StrCat("s", s), streets_.back()));
    for (int k = 0; k < 20; ++k) {
      domain::Community c;
      c.id = absl::StrCat("c-", s, "-", k);
      c.name = Text(kChinese, name_chars_);
      c.street_id = absl::StrCat("s", s);
      c.staff_count = 1;
      ASSERT_THAT(engine_->directory().PutCommunity(Admin(), "", c, 0), IsOk());
      ids.push_back(c.id);
    }
  }
  domain::TaskSpec spec = Maximal(kChinese, ids);
  for (std::string* text :
       {&spec.title, &spec.description, &spec.new_item_justification,
        &spec.legal_basis, &spec.funding_source, &spec.authority_delegated,
        &spec.department_duties, &spec.community_duties, &spec.support_given,
        &spec.assessment_method, &spec.emergency_reason}) {
    *text = Text(kChinese, 100);
  }
  for (auto& [type, justification] : spec.type_justifications) {
    justification = Text(kChinese, 100);
  }
  Create("t-wide", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task submitted,
                       Do(Clerk(), TaskAction::kSubmit, "t-wide"));
  ASSERT_EQ(submitted.resolved_communities.size(), 1000u);

  std::printf("events of a short task for 1,000 communities:\n");
  for (size_t size : EventSizes("t-wide")) {
    EXPECT_LE(size, store::kMaxAuditEventBytes);
  }
}

// Beyond any real task: every text at its maximum in four-byte characters
// and 200 streets of the longest names. The create and edit fit; the
// submit, which writes every field before and after with the findings,
// does not, and is refused naming the largest part; nothing is written.
TEST_F(EventSizeTest, ASubmitOverTheLimitIsRefusedNamingItsLargestPart) {
  const std::vector<std::string> ids = PutCommunities(kFourBytes, 200, 1);
  Create("t-huge", Maximal(kFourBytes, ids));
  const int64_t events = EventCount();
  ASSERT_OK_AND_ASSIGN(domain::Task draft, GetTask("t-huge"));

  const absl::Status refused =
      Do(Clerk(), TaskAction::kSubmit, "t-huge").status();
  EXPECT_THAT(refused,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("the audit event \"task.submit\" of "
                                       "task t-huge would take"),
                             HasSubstr("over the limit of 1048576 bytes"),
                             HasSubstr("its largest part is field "
                                       "spec.target_streets of task t-huge"),
                             HasSubstr("Nothing was written"))));
  EXPECT_THAT(Fields(refused), ElementsAre("spec.target_streets"));
  std::printf("refused: %s\n", std::string(refused.message()).c_str());
  EXPECT_EQ(EventCount(), events);
  ASSERT_OK_AND_ASSIGN(domain::Task after, GetTask("t-huge"));
  EXPECT_EQ(after.state, domain::TaskState::kDraft);
  EXPECT_EQ(after.version, draft.version);
  EXPECT_TRUE(after.findings.empty());

  std::printf("events of a task beyond any real one (submit refused):\n");
  for (size_t size : EventSizes("t-huge")) {
    EXPECT_LE(size, store::kMaxAuditEventBytes);
  }
}

// A catalog is bounded by its items' count and lengths; one whose
// publishing event would be over the limit is refused the same way.
TEST_F(EventSizeTest, ACatalogTooLargeToRecordIsRefused) {
  std::vector<domain::CatalogItem> items;
  for (int i = 0; i < 100; ++i) {
    items.push_back({absl::StrCat("A-", 100 + i),
                     domain::ListKind::kAssist,
                     Text(kFourBytes, kMaxTitleLength),
                     Text(kFourBytes, kMaxTextLength),
                     {}});
  }
  const int64_t events = EventCount();
  const absl::StatusOr<domain::CatalogVersion> refused =
      engine_->directory().PublishCatalog(Admin(), "", items, "everything");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument,
                                AllOf(HasSubstr("the audit event "
                                                "\"catalog.publish\""),
                                      HasSubstr("its largest part is field "
                                                "items of catalog 2"))));
  EXPECT_THAT(Fields(refused.status()), ElementsAre("items"));
  EXPECT_EQ(EventCount(), events);
  ASSERT_OK_AND_ASSIGN(domain::CatalogVersion current,
                       sqlite_->GetCatalog("default", 0));
  EXPECT_EQ(current.version, 1);
}

}  // namespace
}  // namespace taskgate::workflow
