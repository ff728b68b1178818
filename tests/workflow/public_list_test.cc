// `PublicList` (workflow/public_list.h): the public list (公示, SPEC §6)
// shows each community's tasks in force and nothing else, paged, and
// records nothing.
#include "workflow/public_list.h"

#include <string>
#include <thread>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/notification.h>
#include <absl/time/civil_time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/scoped_db_path.h"
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
using ::testing::IsEmpty;
using ::testing::SizeIs;

PageRequest Req(int32_t size, std::string token = "") {
  return PageRequest{size, std::move(token)};
}

class PublicListTest : public TaskWorkflowTest {
 protected:
  // Each task of its own department, so that no two are duplicates
  // (R-DUPLICATE) whatever their dates; 2 h a month keeps every community
  // far below capacity.
  domain::TaskSpec Spec(const std::string& item = "A-001") {
    domain::TaskSpec s = CleanAssistSpec();
    s.item_code = item;
    s.hours_per_community_month = 2;
    return s;
  }

  // Creates task `id` of department `dept-<id>` and submits it; returns
  // the state it reached.
  domain::TaskState Submit(const std::string& id, domain::TaskSpec spec) {
    const domain::Principal clerk = Clerk(absl::StrCat("dept-", id));
    Create(id, std::move(spec), clerk);
    absl::StatusOr<domain::Task> t = Do(clerk, TaskAction::kSubmit, id);
    EXPECT_THAT(t, IsOk());
    return t.ok() ? t->state : domain::TaskState::kDraft;
  }

  void Claim(const std::string& id) {
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, id), IsOk());
  }

  // Tasks of c1 in every state of the lifecycle, each named for it.
  void MakeEveryState() {
    // In force.
    ASSERT_EQ(Submit("duty-active", Spec("D-001")), domain::TaskState::kActive);
    ASSERT_EQ(Submit("approved", Spec()), domain::TaskState::kSubmitted);
    Claim("approved");
    ASSERT_OK_AND_ASSIGN(domain::Task approved,
                         Do(Reviewer("r1"), TaskAction::kApprove, "approved"));
    ASSERT_EQ(approved.state, domain::TaskState::kActive);
    domain::TaskSpec emergency = Spec();
    emergency.emergency = true;
    emergency.emergency_reason = "flood season";
    ASSERT_EQ(Submit("provisional", emergency),
              domain::TaskState::kProvisional);
    // Not (or no longer) in force.
    Create("draft", Spec(), Clerk("dept-draft"));
    ASSERT_EQ(Submit("submitted", Spec()), domain::TaskState::kSubmitted);
    ASSERT_EQ(Submit("in-review", Spec()), domain::TaskState::kSubmitted);
    Claim("in-review");
    ASSERT_EQ(Submit("returned", Spec()), domain::TaskState::kSubmitted);
    Claim("returned");
    ASSERT_THAT(
        Do(Reviewer("r1"), TaskAction::kReturn, "returned", "add the forms"),
        IsOk());
    ASSERT_EQ(Submit("rejected", Spec()), domain::TaskState::kSubmitted);
    Claim("rejected");
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kReject, "rejected",
                   "the community cannot staff it"),
                IsOk());
    domain::TaskSpec negative = Spec();
    negative.title = "招商引资 quota";
    ASSERT_EQ(Submit("negative", negative), domain::TaskState::kRejected);
    ASSERT_EQ(Submit("withdrawn", Spec()), domain::TaskState::kSubmitted);
    ASSERT_THAT(Do(Clerk("dept-withdrawn"), TaskAction::kWithdraw, "withdrawn"),
                IsOk());
    ASSERT_EQ(Submit("completed", Spec("D-001")), domain::TaskState::kActive);
    ASSERT_THAT(Do(Clerk("dept-completed"), TaskAction::kClose, "completed"),
                IsOk());
    ASSERT_EQ(Submit("revoked", Spec("D-001")), domain::TaskState::kActive);
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kRevoke, "revoked",
                   "funding never arrived"),
                IsOk());
    ASSERT_EQ(Submit("provisional-rejected", emergency),
              domain::TaskState::kProvisional);
    Claim("provisional-rejected");
    ASSERT_OK_AND_ASSIGN(domain::Task revoked,
                         Do(Reviewer("r1"), TaskAction::kReject,
                            "provisional-rejected", "not an emergency"));
    ASSERT_EQ(revoked.state, domain::TaskState::kRevoked);
  }

  std::vector<std::string> TaskIds(const std::string& community) {
    absl::StatusOr<PublicTaskPage> page =
        engine_->public_list().ListTasks(community, {});
    EXPECT_THAT(page, IsOk());
    std::vector<std::string> ids;
    if (page.ok()) {
      for (const PublicTask& t : page->tasks.items) ids.push_back(t.id);
    }
    return ids;
  }
};

TEST_F(PublicListTest, ShowsOnlyTheTasksInForceOfTheCommunity) {
  ASSERT_NO_FATAL_FAILURE(MakeEveryState());
  // A task in force elsewhere only.
  domain::TaskSpec west = Spec("D-001");
  west.target_communities = {"c3"};
  ASSERT_EQ(Submit("west-only", west), domain::TaskState::kActive);

  EXPECT_THAT(TaskIds("c1"), ElementsAre("approved", "duty-active",
                                         "provisional"));  // by id
  EXPECT_THAT(TaskIds("c2"), IsEmpty());
  EXPECT_THAT(TaskIds("c3"), ElementsAre("west-only"));
}

TEST_F(PublicListTest, ATaskOfAStreetIsListedInEachOfItsCommunities) {
  domain::TaskSpec east = Spec("D-001");
  east.target_communities.clear();
  east.target_streets = {"east"};
  ASSERT_EQ(Submit("east-street", east), domain::TaskState::kActive);
  EXPECT_THAT(TaskIds("c1"), ElementsAre("east-street"));
  EXPECT_THAT(TaskIds("c2"), ElementsAre("east-street"));
  EXPECT_THAT(TaskIds("c3"), IsEmpty());
}

TEST_F(PublicListTest, ShowsTheCommunityAndTheTasksPublicFieldsOnly) {
  ASSERT_NO_FATAL_FAILURE(MakeEveryState());
  // The approved task's department, by its current name (SPEC §1).
  ASSERT_THAT(
      engine_->directory().PutDepartment(
          Admin(), "",
          {.district_id = "", .id = "dept-approved", .name = "区民政局"}, 0),
      IsOk());
  ASSERT_OK_AND_ASSIGN(PublicTaskPage page,
                       engine_->public_list().ListTasks("c1", {}));
  EXPECT_EQ(
      page.community,
      (PublicCommunity{.id = "c1", .name = "Community c1", .street = "east"}));
  ASSERT_THAT(page.tasks.items, SizeIs(3));
  EXPECT_EQ(page.tasks.items[0],
            (PublicTask{.id = "approved",
                        .title = "Quarterly elderly subsidy check",
                        .department_id = "dept-approved",
                        .department_name = "区民政局",
                        .start_date = absl::CivilDay(2026, 5, 1),
                        .end_date = absl::CivilDay(2026, 7, 31),
                        .hours_per_month = 2,
                        .funding_per_community_yuan = 3000,
                        .funding_source = "district civil affairs budget",
                        .provisional = false}));
  EXPECT_FALSE(page.tasks.items[1].provisional);  // duty-active
  EXPECT_TRUE(page.tasks.items[2].provisional);   // provisional
  EXPECT_THAT(page.tasks.next_page_token, IsEmpty());
}

// The projection carries nothing of a task but the fields SPEC §6 names:
// a task full of reviewers, findings and text yields exactly them.
TEST_F(PublicListTest, AProjectedTaskCarriesNoPeopleFindingsOrText) {
  domain::Task t;
  t.district_id = "default";
  t.id = "t-1";
  t.department_id = "civil-affairs";
  t.spec = CleanAssistSpec();
  t.spec.description = "internal notes of the department";
  t.state = domain::TaskState::kActive;
  domain::Finding finding;
  finding.rule_id = "R-CAPACITY";
  finding.message = "c1 is over capacity";
  finding.communities = {"c1"};
  t.findings = {finding};
  t.approvals = {{.reviewer_id = "rev-li", .at = At(2026, 3, 3)}};
  t.claimed_by = "rev-wang";
  EXPECT_EQ(ToPublicTask(t),
            (PublicTask{.id = "t-1",
                        .title = "Quarterly elderly subsidy check",
                        .department_id = "civil-affairs",
                        .department_name = "",  // the list fills it
                        .start_date = absl::CivilDay(2026, 5, 1),
                        .end_date = absl::CivilDay(2026, 7, 31),
                        .hours_per_month = 10,
                        .funding_per_community_yuan = 3000,
                        .funding_source = "district civil affairs budget",
                        .provisional = false}));
  t.state = domain::TaskState::kProvisional;
  EXPECT_TRUE(ToPublicTask(t).provisional);
}

TEST_F(PublicListTest, PagesTasksByCountWithTokensBoundToTheCommunity) {
  std::vector<std::string> expected;
  for (int i = 0; i < 7; ++i) {
    const std::string id = absl::StrCat("t", i);
    ASSERT_EQ(Submit(id, Spec("D-001")), domain::TaskState::kActive);
    expected.push_back(id);
  }
  std::vector<std::string> seen;
  std::vector<size_t> sizes;
  PageRequest request = Req(3);
  for (int pages = 0; pages < 10; ++pages) {
    ASSERT_OK_AND_ASSIGN(PublicTaskPage page,
                         engine_->public_list().ListTasks("c1", request));
    sizes.push_back(page.tasks.items.size());
    for (const PublicTask& t : page.tasks.items) seen.push_back(t.id);
    if (page.tasks.next_page_token.empty()) break;
    request.page_token = page.tasks.next_page_token;
  }
  EXPECT_THAT(sizes, ElementsAre(3, 3, 1));
  EXPECT_EQ(seen, expected);

  // A token is for its community's list only.
  ASSERT_OK_AND_ASSIGN(PublicTaskPage first,
                       engine_->public_list().ListTasks("c1", Req(3)));
  const absl::StatusOr<PublicTaskPage> elsewhere =
      engine_->public_list().ListTasks("c2",
                                       Req(3, first.tasks.next_page_token));
  EXPECT_THAT(elsewhere, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(elsewhere.status()), ElementsAre("page_token"));
  EXPECT_THAT(
      engine_->public_list().ListCommunities(
          Req(0, first.tasks.next_page_token)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));

  // Sizes: a large one is capped, a negative one refused.
  ASSERT_OK_AND_ASSIGN(PublicTaskPage all,
                       engine_->public_list().ListTasks("c1", Req(100000)));
  EXPECT_THAT(all.tasks.items, SizeIs(7));
  const absl::StatusOr<PublicTaskPage> negative =
      engine_->public_list().ListTasks("c1", Req(-1));
  EXPECT_THAT(Fields(negative.status()), ElementsAre("page_size"));
}

// Paged by size too: a page stays within kMaxPageBytes whatever its count.
// Titles and sources are bounded, so a page of the public list's largest
// size holds far less than the limit; this checks the bound holds.
TEST_F(PublicListTest, APageOfTheLargestTasksStaysWithinTheByteLimit) {
  domain::TaskSpec big = Spec("D-001");
  big.title = std::string(kMaxTitleLength, 'x');
  big.funding_source = std::string(kMaxTitleLength, 'y');
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Submit(absl::StrCat("big", i), big), domain::TaskState::kActive);
  }
  ASSERT_OK_AND_ASSIGN(
      PublicTaskPage page,
      engine_->public_list().ListTasks("c1", Req(kMaxPublicTaskPageSize)));
  EXPECT_THAT(page.tasks.items, SizeIs(3));
  EXPECT_LT(kMaxPublicTaskPageSize * (256 + 4 * (2 * kMaxTitleLength + 2 * 63)),
            kMaxPageBytes);
}

TEST_F(PublicListTest, AnUnknownOrMalformedCommunityIsRefusedSayingWhatToDo) {
  EXPECT_THAT(
      engine_->public_list().ListTasks("c9", {}),
      StatusIs(absl::StatusCode::kNotFound,
               AllOf(HasSubstr("c9"), HasSubstr("taskgate public communities"),
                     HasSubstr("/public/v1/communities"))));
  const absl::StatusOr<PublicTaskPage> empty =
      engine_->public_list().ListTasks("", {});
  EXPECT_THAT(empty, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("required")));
  EXPECT_THAT(Fields(empty.status()), ElementsAre("community_id"));
  const absl::StatusOr<PublicTaskPage> bad =
      engine_->public_list().ListTasks("C 1;--", Req(-5));
  EXPECT_THAT(Fields(bad.status()), ElementsAre("community_id", "page_size"));
}

TEST_F(PublicListTest, ListsTheCommunitiesByIdInPages) {
  ASSERT_OK_AND_ASSIGN(Page<PublicCommunity> first,
                       engine_->public_list().ListCommunities(Req(2)));
  EXPECT_THAT(first.items,
              ElementsAre(PublicCommunity{"c1", "Community c1", "east"},
                          PublicCommunity{"c2", "Community c2", "east"}));
  ASSERT_FALSE(first.next_page_token.empty());
  ASSERT_OK_AND_ASSIGN(
      Page<PublicCommunity> second,
      engine_->public_list().ListCommunities(Req(2, first.next_page_token)));
  EXPECT_THAT(second.items,
              ElementsAre(PublicCommunity{"c3", "Community c3", "west"}));
  EXPECT_THAT(second.next_page_token, IsEmpty());
}

// Public reads are not audit events: an anonymous reader cannot grow the
// log.
TEST_F(PublicListTest, ReadingRecordsNothing) {
  ASSERT_EQ(Submit("duty-active", Spec("D-001")), domain::TaskState::kActive);
  const int64_t events = EventCount();
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(engine_->public_list().ListCommunities({}), IsOk());
    ASSERT_THAT(engine_->public_list().ListTasks("c1", {}), IsOk());
    ASSERT_THAT(engine_->public_list().ListTasks("c9", {}),
                StatusIs(absl::StatusCode::kNotFound));
  }
  EXPECT_EQ(EventCount(), events);
}

class PublicListOnFileTest : public PublicListTest {
 protected:
  std::string DbPath() const override { return db_.path(); }
  ::taskgate::testing::ScopedDbPath db_;
};

// The public list reads from the store's read side: a batch of the
// district's writer in progress does not hold it up.
TEST_F(PublicListOnFileTest, ReadsDoNotWaitForTheWriter) {
  ASSERT_EQ(Submit("duty-active", Spec("D-001")), domain::TaskState::kActive);
  absl::Notification read_done;
  absl::StatusOr<PublicTaskPage> read = absl::UnknownError("not read");
  bool finished_inside_batch = false;
  ASSERT_THAT(engine_->writer().Run([&](store::Store& /*tx*/) {
    // The batch is open: a read that had to wait for the writer would not
    // finish, and this bounded wait would give up.
    std::thread reader([&] {
      read = engine_->public_list().ListTasks("c1", {});
      read_done.Notify();
    });
    finished_inside_batch =
        read_done.WaitForNotificationWithTimeout(absl::Seconds(60));
    reader.join();
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_TRUE(finished_inside_batch);
  ASSERT_THAT(read, IsOk());
  EXPECT_THAT(read->tasks.items, SizeIs(1));
}

}  // namespace
}  // namespace taskgate::workflow
