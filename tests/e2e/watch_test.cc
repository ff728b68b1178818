// Following events through a real server (EventService/WatchEvents, SPEC
// §8, issue 11 item 7): a department sees its task's submit and the
// reviewer's decision as they are committed and never another
// department's; a follower that drops and resumes from its last seq misses
// nothing and gets nothing twice; an auditor sees everything, refused calls
// included; a community sees its assignment only once admitted; heartbeats
// come while idle; the follower cap, a disabled principal and the server's
// shutdown end streams with statuses a client can act on.
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clients/client.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/watch_stream.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Actions(const std::vector<v1::AuditEvent>& events) {
  std::vector<std::string> out;
  for (const v1::AuditEvent& e : events) {
    out.push_back(absl::StrCat(e.action(), " ", e.entity_id()));
  }
  return out;
}

std::vector<int64_t> Seqs(const std::vector<v1::AuditEvent>& events) {
  std::vector<int64_t> out;
  for (const v1::AuditEvent& e : events) out.push_back(e.seq());
  return out;
}

class WatchTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    events_ = v1::EventService::NewStub(channel_);
  }
  void TearDown() override {
    events_.reset();
    E2eTest::TearDown();
  }

  // A clean assist-list task of `who`'s department, submitted (it waits
  // for review).
  std::string Submitted(const Actor& who) {
    absl::StatusOr<v1::Task> t = CreateTask(who, CleanAssistSpec());
    EXPECT_THAT(t, IsOk());
    if (!t.ok()) return "";
    EXPECT_THAT(Act(who, Step::kSubmit, t->id()), IsOk());
    return t->id();
  }

  void Approve(const std::string& id) {
    ASSERT_THAT(Act(reviewer_, Step::kClaim, id), IsOk());
    ASSERT_THAT(Act(reviewer_, Step::kApprove, id), IsOk());
  }

  std::unique_ptr<v1::EventService::Stub> events_;
};

TEST_F(WatchTest, ADepartmentSeesItsSubmitAndTheDecisionAndNoOneElses) {
  WatchStream clerk(*events_, clerk_, TreeSize());
  int64_t head = 0;
  EXPECT_THAT(clerk.UntilHeartbeat(&head), IsEmpty());
  EXPECT_EQ(head, TreeSize());

  const std::string other = Submitted(other_clerk_);
  const std::string mine = Submitted(clerk_);
  ASSERT_NO_FATAL_FAILURE(Approve(other));
  ASSERT_NO_FATAL_FAILURE(Approve(mine));
  const std::vector<v1::AuditEvent> seen = clerk.Events(4);
  EXPECT_THAT(Actions(seen), ElementsAre(absl::StrCat("task.create ", mine),
                                         absl::StrCat("task.submit ", mine),
                                         absl::StrCat("task.claim ", mine),
                                         absl::StrCat("task.approve ", mine)));
  for (const v1::AuditEvent& e : seen) {
    EXPECT_EQ(e.department_id(), kDepartment);
  }
  EXPECT_EQ(seen.back().state_after(), "ACTIVE");
  EXPECT_EQ(seen.back().actor_id(), reviewer_.id);

  // Whatever the other department does next, the clerk's next event is its
  // own: the stream is in log order, so nothing of housing's came between.
  ASSERT_NO_FATAL_FAILURE(Submitted(other_clerk_));
  EXPECT_THAT(
      GetTask(other_clerk_, mine).status(),
      ::taskgate::testing::StatusIs(absl::StatusCode::kPermissionDenied));
  const std::string next = Submitted(clerk_);
  EXPECT_THAT(Actions(clerk.Events(1)),
              ElementsAre(absl::StrCat("task.create ", next)));
}

TEST_F(WatchTest,
       AFollowerThatResumesFromItsLastSeqMissesNothingAndGetsNothingTwice) {
  const std::string first = Submitted(clerk_);
  std::vector<v1::AuditEvent> got;
  {
    WatchStream clerk(*events_, clerk_, 0);
    got = clerk.Events(1);  // the first create
    ASSERT_EQ(got.size(), 1u);
    // The connection drops; the department keeps working meanwhile.
  }
  ASSERT_NO_FATAL_FAILURE(Approve(first));
  const std::string second = Submitted(clerk_);
  ASSERT_NO_FATAL_FAILURE(Submitted(other_clerk_));

  WatchStream resumed(*events_, clerk_, got.back().seq());
  int64_t head = 0;
  for (const v1::AuditEvent& e : resumed.UntilHeartbeat(&head)) {
    got.push_back(e);
  }
  EXPECT_EQ(head, TreeSize());
  // A fresh follower from the start sees exactly the same events.
  WatchStream fresh(*events_, clerk_, 0);
  const std::vector<v1::AuditEvent> all = fresh.UntilHeartbeat();
  EXPECT_THAT(Seqs(got), ElementsAreArray(Seqs(all)));
  EXPECT_THAT(Actions(got), ElementsAre(absl::StrCat("task.create ", first),
                                        absl::StrCat("task.submit ", first),
                                        absl::StrCat("task.claim ", first),
                                        absl::StrCat("task.approve ", first),
                                        absl::StrCat("task.create ", second),
                                        absl::StrCat("task.submit ", second)));

  // The auditor, dropped and resumed the same way, gets every seq once.
  std::vector<int64_t> seqs;
  {
    WatchStream auditor(*events_, auditor_, 0);
    for (const v1::AuditEvent& e : auditor.Events(5)) seqs.push_back(e.seq());
  }
  ASSERT_NO_FATAL_FAILURE(Submitted(other_clerk_));
  WatchStream auditor(*events_, auditor_, seqs.back());
  for (const v1::AuditEvent& e : auditor.UntilHeartbeat(&head)) {
    seqs.push_back(e.seq());
  }
  std::vector<int64_t> expected;
  for (int64_t s = 1; s <= head; ++s) expected.push_back(s);
  EXPECT_THAT(seqs, ElementsAreArray(expected));
  EXPECT_EQ(head, TreeSize());
}

TEST_F(WatchTest, AnAuditorSeesEverythingRefusedCallsIncluded) {
  const int64_t start = TreeSize();
  WatchStream auditor(*events_, auditor_, start);
  // Its own follow is recorded first, as its queries are.
  EXPECT_THAT(Actions(auditor.Events(1)),
              ElementsAre(absl::StrCat("audit.query ", "default")));
  const std::string other = Submitted(other_clerk_);
  EXPECT_THAT(
      GetTask(clerk_, other).status(),
      ::taskgate::testing::StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Actions(auditor.Events(3)),
              ElementsAre(absl::StrCat("task.create ", other),
                          absl::StrCat("task.submit ", other),
                          "access.denied TaskService/GetTask"));
  // The department's own stream has none of it.
  WatchStream clerk(*events_, clerk_, start);
  EXPECT_THAT(clerk.UntilHeartbeat(), IsEmpty());
}

TEST_F(WatchTest, ACommunitySeesItsAssignmentOnlyOnceAdmitted) {
  const int64_t start = TreeSize();
  WatchStream c1(*events_, community_, start);
  EXPECT_THAT(c1.UntilHeartbeat(), IsEmpty());
  const std::string id = Submitted(clerk_);  // targets c1, in review
  ASSERT_NO_FATAL_FAILURE(Approve(id));
  const std::vector<v1::AuditEvent> seen = c1.Events(1);
  EXPECT_THAT(Actions(seen), ElementsAre(absl::StrCat("task.approve ", id)));
  // c3, not a target, has nothing to see.
  WatchStream c3(*events_, other_community_, start);
  EXPECT_THAT(c3.UntilHeartbeat(), IsEmpty());
}

TEST_F(WatchTest, AFollowOfOneTaskIsAuthorizedAsReadingItsHistory) {
  const std::string id = Submitted(clerk_);
  v1::WatchEventsRequest r = WatchStream::Request(0);
  r.set_task_id(id);
  EXPECT_THAT(WatchStarts(*events_, clerk_, r), IsOk());
  EXPECT_THAT(
      WatchStarts(*events_, other_clerk_, r),
      ::taskgate::testing::StatusIs(absl::StatusCode::kPermissionDenied));
  r.set_task_id("no-such-task");
  EXPECT_THAT(
      WatchStarts(*events_, other_clerk_, r),
      ::taskgate::testing::StatusIs(absl::StatusCode::kPermissionDenied));
  r = WatchStream::Request(TreeSize() + 5);
  EXPECT_THAT(WatchStarts(*events_, clerk_, r),
              ::taskgate::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("after_seq")));
}

TEST_F(WatchTest, TheServerShutdownEndsStreamsSayingWhereToResume) {
  WatchStream clerk(*events_, clerk_, 0);
  const std::vector<v1::AuditEvent> seen = clerk.UntilHeartbeat();
  // A long grace period: only the hub's closing ends the stream quickly.
  server_->Shutdown(absl::Minutes(5));
  const grpc::Status status = clerk.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr("shutting down"),
                    HasSubstr(absl::StrCat(
                        "after_seq=", seen.empty() ? 0 : seen.back().seq()))));
}

class WatchConfiguredTest : public WatchTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.watch_heartbeat_ms = 10;
    config.watch_max_followers = 2;
  }
};

TEST_F(WatchConfiguredTest, HeartbeatsComeWhileNothingHappens) {
  const int64_t head = TreeSize();
  WatchStream clerk(*events_, clerk_, head);
  for (int i = 0; i < 3; ++i) {
    std::optional<v1::WatchEventsResponse> m = clerk.Next();
    ASSERT_TRUE(m.has_value());
    ASSERT_TRUE(m->has_heartbeat());
    EXPECT_EQ(m->heartbeat().head_seq(), head);
  }
}

TEST_F(WatchConfiguredTest, FollowersAreCappedAndCounted) {
  WatchStream a(*events_, clerk_, TreeSize());
  WatchStream b(*events_, auditor_, TreeSize());
  ASSERT_TRUE(a.Next().has_value());
  ASSERT_TRUE(b.Next().has_value());
  EXPECT_THAT(server_->metrics().Serialize(),
              HasSubstr("taskgate_event_followers 2\n"));
  EXPECT_THAT(
      WatchStarts(*events_, reviewer_, WatchStream::Request(0)),
      ::taskgate::testing::StatusIs(absl::StatusCode::kResourceExhausted,
                                    HasSubstr("watch_max_followers")));
}

TEST_F(WatchConfiguredTest, ADisabledPrincipalStopsFollowing) {
  WatchStream clerk(*events_, clerk_, TreeSize());
  ASSERT_TRUE(clerk.Next().has_value());
  v1::SetPrincipalDisabledRequest r;
  r.set_request_id(NextRequestId());
  r.set_principal_id(clerk_.id);
  r.set_disabled(true);
  ASSERT_THAT(Call(admin_, *admins_, &AdminStub::SetPrincipalDisabled, r),
              IsOk());
  // Checked at the next heartbeat.
  EXPECT_EQ(clerk.Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(WatchTest, TheClientLibraryPrintsAsItComesAndStopsWhenAsked) {
  const std::string id = Submitted(clerk_);
  clients::ClientOptions options;
  options.token = clerk_.token;
  clients::Client client(options, channel_);
  std::vector<std::string> seen;
  const grpc::Status status = client.Watch(
      WatchStream::Request(0), [&](const v1::WatchEventsResponse& m) {
        if (m.has_event()) seen.push_back(m.event().action());
        return seen.size() < 2;
      });
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(seen, ElementsAre("task.create", "task.submit"));
}

}  // namespace
}  // namespace taskgate::e2e
