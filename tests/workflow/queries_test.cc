// `Queries` (workflow/queries.h): the read side and its authorization.
#include "workflow/queries.h"

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
#include "workflow/validation.h"

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

class QueriesTest : public PeopleWorkflowTest {};

TEST_F(QueriesTest, WorkloadIsBaselinePlusAdmittedTasksPerMonth) {
  MakeTasks();
  ASSERT_OK_AND_ASSIGN(
      Workload c1, engine_->queries().GetWorkload(Office("c1"), "c1",
                                                  absl::CivilMonth(2026, 5),
                                                  absl::CivilMonth(2026, 6)));
  EXPECT_EQ(c1.community.id, "c1");
  std::vector<std::string> ids;
  for (const domain::Task& t : c1.assignments) ids.push_back(t.id);
  EXPECT_THAT(ids, ElementsAre("a", "b"));  // "c" is still in review
  // May: 60 baseline + 10 (a); June: 60 + 10 (a) + 15 (b).
  EXPECT_THAT(c1.monthly_load,
              ElementsAre(Pair(absl::CivilMonth(2026, 5), 70.0),
                          Pair(absl::CivilMonth(2026, 6), 85.0)));
  EXPECT_THAT(c1.acks, IsEmpty());

  ASSERT_OK_AND_ASSIGN(
      Workload c2,
      engine_->queries().GetWorkload(Auditor(), "c2", absl::CivilMonth(2026, 5),
                                     absl::CivilMonth(2026, 6)));
  EXPECT_THAT(c2.monthly_load,
              ElementsAre(Pair(absl::CivilMonth(2026, 5), 60.0),
                          Pair(absl::CivilMonth(2026, 6), 75.0)));
}

TEST_F(QueriesTest, WorkloadIsShownOnlyToItsCommunityAndOverseers) {
  const absl::CivilMonth may(2026, 5);
  EXPECT_THAT(engine_->queries().GetWorkload(Office("c1"), "c2", may, may),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("acts for community c1")));
  EXPECT_THAT(engine_->queries().GetWorkload(Clerk(), "c1", may, may),
              StatusIs(absl::StatusCode::kPermissionDenied));
  for (const domain::Principal& p : {Reviewer("r1"), Auditor(), Admin()}) {
    EXPECT_THAT(engine_->queries().GetWorkload(p, "c1", may, may), IsOk());
  }
  EXPECT_THAT(engine_->queries().GetWorkload(Reviewer("r1"), "c9", may, may),
              StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<Workload> backwards = engine_->queries().GetWorkload(
      Auditor(), "c1", may, absl::CivilMonth(2026, 4));
  EXPECT_THAT(backwards, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(backwards.status()), ElementsAre("to"));
  EXPECT_THAT(engine_->queries().GetWorkload(Auditor(), "c1", may,
                                             absl::CivilMonth(2036, 5)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("spans 121 months")));
}

// ------------------------------------------------------------ tasks

TEST_F(QueriesTest, ATaskIsReadOnlyByThoseItsScopeAdmits) {
  MakeTasks();
  Queries& q = engine_->queries();
  EXPECT_THAT(q.GetTask(Clerk(), "a"), IsOk());
  EXPECT_THAT(q.GetTask(Office("c1"), "a"), IsOk());
  EXPECT_THAT(q.GetTask(Auditor(), "a"), IsOk());
  EXPECT_THAT(q.GetTask(Clerk("housing"), "a"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("may read only its own tasks")));
  EXPECT_THAT(q.GetTask(Office("c3"), "a"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(q.GetTask(Auditor(), "zz"),
              StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<domain::Task> bad = q.GetTask(Clerk("housing"), "Not An Id!");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(bad.status()), ElementsAre("task_id"));

  // The approval of "a" is its one decision; readers of the task see it.
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Decision> decisions,
                       q.ListDecisions(Office("c1"), "a"));
  ASSERT_THAT(decisions, ::testing::SizeIs(1));
  EXPECT_EQ(decisions[0].kind, domain::DecisionKind::kApprove);
  EXPECT_THAT(q.ListDecisions(Clerk("health"), "a"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(QueriesTest, TaskListingsAreScopedFilteredAndPaged) {
  MakeTasks();
  Queries& q = engine_->queries();
  std::vector<std::string> ids;
  ASSERT_OK_AND_ASSIGN(Page<domain::Task> own, q.ListTasks(Clerk(), "", {}));
  for (const domain::Task& t : own.items) ids.push_back(t.id);
  EXPECT_THAT(ids, ElementsAre("a", "d"));
  EXPECT_TRUE(own.next_page_token.empty());
  EXPECT_THAT(q.ListTasks(Clerk(), "department=housing", {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(Page<domain::Task> submitted,
                       q.ListTasks(Auditor(), "state=SUBMITTED", {}));
  ASSERT_THAT(submitted.items, ::testing::SizeIs(1));
  EXPECT_EQ(submitted.items[0].id, "c");

  // One at a time: each page hands on to the next, for its filter only.
  ids.clear();
  PageRequest page{1, ""};
  do {
    ASSERT_OK_AND_ASSIGN(Page<domain::Task> one,
                         q.ListTasks(Auditor(), "", page));
    ASSERT_THAT(one.items, ::testing::SizeIs(1));
    ids.push_back(one.items[0].id);
    page.page_token = one.next_page_token;
    if (!page.page_token.empty()) {
      absl::StatusOr<Page<domain::Task>> other =
          q.ListTasks(Auditor(), "state=ACTIVE", page);
      EXPECT_THAT(other, StatusIs(absl::StatusCode::kInvalidArgument));
      EXPECT_THAT(Fields(other.status()), ElementsAre("page_token"));
    }
  } while (!page.page_token.empty());
  EXPECT_THAT(ids, ElementsAre("a", "b", "c", "d"));

  // The page size is judged before the filter, the filter before the scope.
  absl::StatusOr<Page<domain::Task>> bad =
      q.ListTasks(Clerk(), "colour=red", {-1, ""});
  EXPECT_THAT(Fields(bad.status()), ElementsAre("page_size"));
  bad = q.ListTasks(Clerk(), "department=housing AND colour=red", {});
  EXPECT_THAT(Fields(bad.status()), ElementsAre("filter"));
}

// Every string a listing takes is bounded and every id is an id (issue 15,
// defect 1): a filter of megabytes is refused naming it, not handed to the
// store.
TEST_F(QueriesTest, ListingFiltersAreBoundedAndNamed) {
  MakeTasks();
  Queries& q = engine_->queries();
  const auto fields = [](const absl::Status& s) {
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
    return Fields(s);
  };
  EXPECT_THAT(
      fields(q.ListTasks(Auditor(),
                         absl::StrCat("department=",
                                      std::string(kMaxFilterLength, 'd')),
                         {})
                 .status()),
      ElementsAre("filter"));
  EXPECT_THAT(q.ListTasks(Auditor(), "community=C 1", {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'C 1' is not a valid id")));
  EXPECT_THAT(fields(q.ListTasks(Auditor(), "item_code=A 1", {}).status()),
              ElementsAre("filter"));
  EXPECT_THAT(
      fields(q.ListFundingReports(Auditor(), std::string(100000, 't'), "C1", {})
                 .status()),
      ElementsAre("task_id", "community_id"));
  EXPECT_THAT(fields(q.ListComplaints(Auditor(), "",
                                      std::vector<domain::ComplaintState>(
                                          kMaxComplaintStates + 1,
                                          domain::ComplaintState::kOpen),
                                      {})
                         .status()),
              ElementsAre("states"));
  EXPECT_THAT(fields(q.ListComplaints(Auditor(), "C1", {}, {}).status()),
              ElementsAre("community_id"));
  EXPECT_THAT(fields(q.ListCommunities(
                          Auditor(), std::string(kMaxTitleLength + 1, 's'), {})
                         .status()),
              ElementsAre("street"));
  EXPECT_THAT(fields(q.ListCredentials(Auditor(), "Admin 1", {}).status()),
              ElementsAre("principal_id"));
  // Who may not read hears that first.
  EXPECT_THAT(q.ListFundingReports(Clerk(), "", "C1", {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Within the bounds the filters work as before.
  EXPECT_THAT(q.ListTasks(Auditor(),
                          "department=civil-affairs AND "
                          "item_code=A-001",
                          {}),
              IsOk());
  EXPECT_THAT(q.ListCommunities(Auditor(), "east", {}), IsOk());
}

TEST_F(QueriesTest, TheReviewQueueHoldsWhatAwaitsADecision) {
  MakeTasks();
  Queries& q = engine_->queries();
  ASSERT_OK_AND_ASSIGN(Page<domain::Task> queue,
                       q.ListReviewQueue(Reviewer("r2"), "", {}));
  std::vector<std::string> ids;
  for (const domain::Task& t : queue.items) ids.push_back(t.id);
  EXPECT_THAT(ids, ElementsAre("b", "c"));  // PROVISIONAL and SUBMITTED
  EXPECT_THAT(q.ListReviewQueue(Auditor(), "", {}), IsOk());
  // Authorization comes before the page size.
  EXPECT_THAT(q.ListReviewQueue(Clerk(), "", {-1, ""}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(q.ListReviewQueue(Reviewer("r2"), "", {-1, ""}),
              StatusIs(absl::StatusCode::kInvalidArgument));

  ASSERT_OK_AND_ASSIGN(ReviewQueueStats stats, q.GetReviewQueueStats());
  EXPECT_EQ(stats.depth, 2);
  EXPECT_EQ(stats.overdue, 0);
}

// SPEC §4.1: the queue filters by the task's awaiting_second_approval, in
// the grammar of ListTasks' filter (and ListTasks takes it too).
TEST_F(QueriesTest, TheReviewQueueFiltersTasksAwaitingTheSecondApproval) {
  MakeTasks();  // "b" PROVISIONAL and "c" SUBMITTED, of one approval each
  const std::vector<domain::Acknowledgement> acks = {
      {"R-NEW-ITEM", "reviewed"}};
  for (const std::string id : {"n1", "n2", "n3"}) {
    domain::TaskSpec spec = CleanAssistSpec();
    spec.item_code = "";
    spec.new_item_justification = "a new programme";
    spec.hours_per_community_month = 1;
    ASSERT_THAT(engine_->tasks().CreateTask(Clerk(), "", id, Draft(spec)),
                IsOk());
    ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, id), IsOk());
  }
  for (const std::string id : {"n1", "n2"}) {
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, id), IsOk());
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, id, "", acks), IsOk());
  }
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "n2"), IsOk());
  Queries& q = engine_->queries();
  auto ids = [&](const std::string& filter) {
    std::vector<std::string> out;
    absl::StatusOr<Page<domain::Task>> page =
        q.ListReviewQueue(Reviewer("r3"), filter, {});
    EXPECT_THAT(page, IsOk()) << filter;
    if (page.ok()) {
      for (const domain::Task& t : page->items) out.push_back(t.id);
    }
    return out;
  };
  // n1 back in the queue, n2 claimed by the second reviewer; n3 has none.
  EXPECT_THAT(ids(""), ElementsAre("b", "c", "n1", "n2", "n3"));
  EXPECT_THAT(ids("awaiting_second_approval=true"), ElementsAre("n1", "n2"));
  EXPECT_THAT(ids("awaiting_second_approval=false"),
              ElementsAre("b", "c", "n3"));
  EXPECT_THAT(ids("awaiting_second_approval=true AND state=SUBMITTED"),
              ElementsAre("n1"));
  EXPECT_THAT(ids("state=PROVISIONAL"), ElementsAre("b"));
  EXPECT_THAT(ids("awaiting_second_approval=false AND department=health"),
              ElementsAre("c"));
  ASSERT_OK_AND_ASSIGN(
      Page<domain::Task> listed,
      q.ListTasks(Auditor(), "awaiting_second_approval=true", {}));
  ASSERT_EQ(listed.items.size(), 2u);
  EXPECT_EQ(listed.items[0].id, "n1");

  // Paged, a token binds to its filter.
  ASSERT_OK_AND_ASSIGN(
      Page<domain::Task> first_page,
      q.ListReviewQueue(Reviewer("r3"), "awaiting_second_approval=true",
                        {1, ""}));
  ASSERT_EQ(first_page.items.size(), 1u);
  ASSERT_OK_AND_ASSIGN(
      Page<domain::Task> second_page,
      q.ListReviewQueue(Reviewer("r3"), "awaiting_second_approval=true",
                        {1, first_page.next_page_token}));
  ASSERT_EQ(second_page.items.size(), 1u);
  EXPECT_EQ(second_page.items[0].id, "n2");
  EXPECT_THAT(
      q.ListReviewQueue(Reviewer("r3"), "", {1, first_page.next_page_token}),
      StatusIs(absl::StatusCode::kInvalidArgument));

  // Bad filters name the field and say what is wrong.
  for (const auto& [filter, message] :
       std::vector<std::pair<std::string, std::string>>{
           {"awaiting_second_approval=yes",
            "awaiting_second_approval 'yes' is not a boolean; use true or "
            "false"},
           {"awaiting_second_approval=true AND awaiting_second_approval=true",
            "awaiting_second_approval is given twice"},
           {"state=ACTIVE", "state ACTIVE is never in the review queue"},
           {"state=ARCHIVED", "'ARCHIVED' is not a task state"},
           {"awaiting=true",
            "unknown key 'awaiting'; use state, department, "
            "community, item_code or "
            "awaiting_second_approval"},
           {"awaiting_second_approval", "is not key=value"},
       }) {
    const absl::Status bad =
        q.ListReviewQueue(Reviewer("r3"), filter, {}).status();
    EXPECT_THAT(
        bad, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << filter;
    EXPECT_THAT(Fields(bad), ElementsAre("filter")) << filter;
  }
  // Who may not read the queue hears that first.
  EXPECT_THAT(q.ListReviewQueue(Clerk(), "awaiting_second_approval=maybe", {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

// ------------------------------------------- reports, people, catalog

TEST_F(QueriesTest, ReportsAndPeopleAreReadOnlyByTheirReaders) {
  MakeTasks();
  Queries& q = engine_->queries();
  ASSERT_THAT(engine_->desk().ReportFundingMissing(Office("c1"), "", "a",
                                                   "fr-1", "nothing came"),
              IsOk());
  EXPECT_THAT(q.ListFundingReports(Reviewer("r1"), "", "", {}), IsOk());
  ASSERT_OK_AND_ASSIGN(Page<domain::FundingReport> own,
                       q.ListFundingReports(Office("c1"), "", "c1", {}));
  EXPECT_THAT(own.items, ::testing::SizeIs(1));
  EXPECT_THAT(q.ListFundingReports(Office("c1"), "", "", {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(q.ListComplaints(Office("c2"), "c1", {}, {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(q.ListComplaints(Auditor(), "", {}, {}), IsOk());

  EXPECT_THAT(q.ListPrincipals(Clerk(), {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(q.ListPrincipals(Auditor(), {}), IsOk());
  EXPECT_THAT(q.ListCredentials(Reviewer("r1"), "", {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(q.ListCredentials(Admin(), "", {}), IsOk());
}

TEST_F(QueriesTest, TheListsAndCommunitiesArePublicToSignedInPrincipals) {
  Queries& q = engine_->queries();
  ASSERT_OK_AND_ASSIGN(domain::CatalogVersion latest,
                       q.GetCatalog(Office("c1"), 0));
  EXPECT_EQ(latest.version, 1);
  EXPECT_THAT(q.GetCatalog(Clerk(), 2), StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<domain::CatalogVersion> bad = q.GetCatalog(Clerk(), -1);
  EXPECT_THAT(Fields(bad.status()), ElementsAre("version"));
  ASSERT_OK_AND_ASSIGN(Page<domain::Community> east,
                       q.ListCommunities(Clerk(), "east", {}));
  std::vector<std::string> ids;
  for (const domain::Community& c : east.items) ids.push_back(c.id);
  EXPECT_THAT(ids, ElementsAre("c1", "c2"));
}

}  // namespace
}  // namespace taskgate::workflow
