// workflow/access.h `MayFollowEvent` and `CanFollowEvents` (SPEC §8: a
// department follows its tasks, a community its assignments, reviewers the
// queue, auditors everything) as a table of events and principals, and
// workflow/event_feed.h over a store: pages in seq order, the scan passing
// over what the follower may not see, the checks when a stream opens.
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"
#include "workflow/access.h"
#include "workflow/event_feed.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A task event of civil-affairs' task t1 reaching `communities`.
domain::AuditEvent TaskEvent(const std::string& action,
                             const std::string& before,
                             const std::string& after,
                             std::vector<std::string> communities = {"c1"},
                             const std::string& department = "civil-affairs") {
  domain::AuditEvent e;
  e.action = action;
  e.entity_type = "task";
  e.entity_id = "t1";
  e.state_before = before;
  e.state_after = after;
  e.department_id = department;
  e.community_ids = std::move(communities);
  return e;
}

domain::AuditEvent Other(const std::string& action,
                         const std::string& entity_type,
                         std::vector<std::string> communities = {},
                         const std::string& department = "") {
  domain::AuditEvent e;
  e.action = action;
  e.entity_type = entity_type;
  e.entity_id = "x";
  e.department_id = department;
  e.community_ids = std::move(communities);
  return e;
}

// Who follows: the columns of the table.
enum Col { kDept, kOtherDept, kReviewer, kC1, kC2, kAuditor, kAdmin, kCols };

std::vector<domain::Principal> Followers() {
  return {Clerk("civil-affairs"),
          Clerk("housing"),
          Reviewer("r1", "housing"),
          Office("c1"),
          Office("c2"),
          Auditor(),
          Admin()};
}

struct Row {
  std::string name;
  domain::AuditEvent event;
  // One per column, in `Col` order.
  std::vector<bool> follows;
};

TEST(MayFollowEvent, DecidesEachEventAsTheTableSays) {
  const bool Y = true;
  const bool n = false;
  const std::vector<Row> rows = {
      // dept other reviewer c1 c2 auditor admin
      {"draft created",
       TaskEvent("task.create", "", "DRAFT"),
       {Y, n, n, n, n, Y, Y}},
      {"draft edited",
       TaskEvent("task.edit", "DRAFT", "DRAFT"),
       {Y, n, n, n, n, Y, Y}},
      {"draft withdrawn",
       TaskEvent("task.withdraw", "DRAFT", "WITHDRAWN"),
       {Y, n, n, n, n, Y, Y}},
      {"submitted",
       TaskEvent("task.submit", "DRAFT", "SUBMITTED"),
       {Y, n, Y, n, n, Y, Y}},
      {"claimed",
       TaskEvent("task.claim", "SUBMITTED", "IN_REVIEW"),
       {Y, n, Y, n, n, Y, Y}},
      {"returned",
       TaskEvent("task.return", "IN_REVIEW", "RETURNED"),
       {Y, n, Y, n, n, Y, Y}},
      {"rejected",
       TaskEvent("task.reject", "IN_REVIEW", "REJECTED"),
       {Y, n, Y, n, n, Y, Y}},
      {"approved",
       TaskEvent("task.approve", "IN_REVIEW", "ACTIVE"),
       {Y, n, Y, Y, n, Y, Y}},
      {"approved for two",
       TaskEvent("task.approve", "IN_REVIEW", "ACTIVE", {"c1", "c2"}),
       {Y, n, Y, Y, Y, Y, Y}},
      {"emergency",
       TaskEvent("task.admit_provisional", "DRAFT", "PROVISIONAL"),
       {Y, n, Y, Y, n, Y, Y}},
      {"emergency rejected",
       TaskEvent("task.reject", "PROVISIONAL", "REVOKED"),
       {Y, n, Y, Y, n, Y, Y}},
      {"revoked",
       TaskEvent("task.revoke", "ACTIVE", "REVOKED"),
       {Y, n, Y, Y, n, Y, Y}},
      {"completed",
       TaskEvent("task.complete", "ACTIVE", "COMPLETED"),
       {Y, n, Y, Y, n, Y, Y}},
      {"acknowledged by c1",
       TaskEvent("assignment.acknowledge", "", ""),
       {Y, n, Y, Y, n, Y, Y}},
      {"funding missing at c2",
       TaskEvent("funding.report_missing", "", "", {"c2"}),
       {Y, n, Y, n, Y, Y, Y}},
      {"complaint of c1",
       Other("complaint.file", "complaint", {"c1"}, "civil-affairs"),
       {n, n, Y, Y, n, Y, Y}},
      {"complaint handled",
       Other("complaint.verify", "complaint", {"c2"}, "housing"),
       {n, n, Y, n, Y, Y, Y}},
      {"catalog published",
       Other("catalog.publish", "catalog"),
       {n, n, n, n, n, Y, Y}},
      {"calendar published",
       Other("calendar.publish", "calendar"),
       {n, n, n, n, n, Y, Y}},
      {"community changed",
       Other("community.put", "community", {"c1"}),
       {n, n, n, n, n, Y, Y}},
      {"principal created",
       Other("principal.create", "principal", {}, "civil-affairs"),
       {n, n, n, n, n, Y, Y}},
      {"token issued",
       Other("credential.issue", "credential"),
       {n, n, n, n, n, Y, Y}},
      {"audit query", Other("audit.query", "audit_log"), {n, n, n, n, n, Y, Y}},
      // Refused calls carry the caller's scope, yet only auditors follow
      // them.
      {"refused call of the department",
       Other("access.denied", "rpc", {}, "civil-affairs"),
       {n, n, n, n, n, Y, n}},
      {"refused call of c1",
       Other("access.denied", "rpc", {"c1"}),
       {n, n, n, n, n, Y, n}},
      {"unauthenticated call",
       Other("access.unauthenticated", "rpc"),
       {n, n, n, n, n, Y, n}},
      {"another department's approval",
       TaskEvent("task.approve", "IN_REVIEW", "ACTIVE", {"c2"}, "housing"),
       {n, Y, Y, n, Y, Y, Y}},
  };
  const std::vector<domain::Principal> who = Followers();
  for (const Row& row : rows) {
    ASSERT_EQ(row.follows.size(), static_cast<size_t>(kCols)) << row.name;
    for (int c = 0; c < kCols; ++c) {
      EXPECT_EQ(MayFollowEvent(who[c], row.event), row.follows[c])
          << row.name << " for " << who[c].id;
    }
  }
}

TEST(MayFollowEvent, PrincipalsBoundToNothingFollowNothing) {
  const domain::AuditEvent e =
      TaskEvent("task.approve", "IN_REVIEW", "ACTIVE", {""}, "");
  domain::Principal clerk = Clerk("");
  EXPECT_FALSE(MayFollowEvent(clerk, e));
  EXPECT_THAT(CanFollowEvents(clerk),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("bound to no department")));
  EXPECT_FALSE(MayFollowEvent(Office(""), e));
  EXPECT_THAT(CanFollowEvents(Office("")),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("bound to no community")));
  domain::Principal system;
  system.id = "system";
  system.role = domain::Role::kSystem;
  EXPECT_FALSE(MayFollowEvent(system, e));
  EXPECT_THAT(CanFollowEvents(system),
              StatusIs(absl::StatusCode::kPermissionDenied));
  for (const domain::Principal& p : Followers()) {
    EXPECT_THAT(CanFollowEvents(p), IsOk()) << p.id;
  }
}

FollowRequest Resume(int64_t after) {
  FollowRequest r;
  r.after_seq = after;
  return r;
}

FollowRequest OfTask(const std::string& id) {
  FollowRequest r;
  r.task_id = id;
  return r;
}

class EventFeedTest : public PeopleWorkflowTest {
 protected:
  std::vector<int64_t> Seqs(const domain::Principal& p, int64_t after,
                            int32_t limit, FeedPage* last = nullptr) {
    EventFeed feed(*faults_, engine_->recorder(), "default");
    std::vector<int64_t> seqs;
    for (;;) {
      absl::StatusOr<FeedPage> page = feed.Read(p, {}, after, limit);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) return seqs;
      for (const store::StoredEvent& e : page->events) seqs.push_back(e.seq);
      EXPECT_GE(page->scanned_to, after);
      after = page->scanned_to;
      if (last != nullptr) *last = *page;
      if (!page->more) return seqs;
    }
  }
};

TEST_F(EventFeedTest, PagesGiveWhatTheFollowerMaySeeInOrderOnce) {
  MakeTasks();
  // Every page size gives the same events: none twice, none missed.
  const std::vector<int64_t> all = Seqs(Auditor(), 0, 500);
  EXPECT_EQ(static_cast<int64_t>(all.size()), EventCount());
  EXPECT_EQ(Seqs(Auditor(), 0, 1), all);
  EXPECT_EQ(Seqs(Auditor(), 0, 3), all);

  // Civil affairs: its task "a" (create, submit, claim, approve) and its
  // draft "d".
  const std::vector<int64_t> dept = Seqs(Clerk(), 0, 2);
  EXPECT_EQ(dept, Seqs(Clerk(), 0, 500));
  ASSERT_EQ(dept.size(), 5u);
  EXPECT_EQ(Seqs(Clerk(), dept[1], 2),
            std::vector<int64_t>(dept.begin() + 2, dept.end()));
  // A department with no task passes over all of it and is up to date.
  FeedPage last;
  EXPECT_THAT(Seqs(Clerk("transport"), 0, 2, &last), ::testing::IsEmpty());
  EXPECT_FALSE(last.more);
  // c1 sees "a" approved and "b" admitted at once (emergency), not "c" in
  // review nor the draft for its street.
  std::vector<std::string> c1;
  EventFeed feed(*faults_, engine_->recorder(), "default");
  absl::StatusOr<FeedPage> page = feed.Read(Office("c1"), {}, 0, 500);
  ASSERT_THAT(page, IsOk());
  for (const store::StoredEvent& e : page->events) {
    c1.push_back(e.event.action + " " + e.event.entity_id);
  }
  EXPECT_THAT(c1, ElementsAre("task.approve a", "task.admit_provisional b"));
  // A filter by task and by action prefix.
  page = feed.Read(Auditor(),
                   {.after_seq = 0, .task_id = "a", .action_prefix = "task.a"},
                   0, 500);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].event.action, "task.approve");
}

TEST_F(EventFeedTest, OpenChecksTheRequestAndTheTask) {
  MakeTasks();
  EventFeed feed(*faults_, engine_->recorder(), "default");
  const int64_t head = EventCount();
  EXPECT_THAT(feed.Open(Clerk(), Resume(head)), IsOk());
  EXPECT_THAT(feed.Open(Clerk(), Resume(-1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      feed.Open(Clerk(), Resume(head + 1)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("log ends at")));
  EXPECT_THAT(feed.Open(Clerk(), OfTask("a")), IsOk());
  EXPECT_THAT(feed.Open(Clerk("housing"), OfTask("a")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A task that does not exist is refused alike.
  EXPECT_THAT(feed.Open(Clerk("housing"), OfTask("no-such-task")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // An auditor's follow of the whole log is recorded, as its queries are.
  EXPECT_THAT(feed.Open(Auditor(), {}), IsOk());
  EXPECT_EQ(EventCount(), head + 1);
}

}  // namespace
}  // namespace taskgate::workflow
