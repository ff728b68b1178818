// The public list (公示, SPEC §6) through the real server: residents read,
// without any credential, each community's tasks in force over gRPC
// (PublicService) and as JSON on the HTTP port; an admitted task is there,
// a rejected, withdrawn or pending one never, and no reviewer, reason or
// review crosses; reads are rate-limited per address and never audited.
#include <string>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_fixture.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kRejectReason[] = "社区无力承担：人手不足";
constexpr char kReturnReason[] = "请补充经费来源文件";

class PublicListApiTest : public E2eTest {
 protected:
  // Reads c1's public list as `who` (no credential by default).
  absl::StatusOr<v1::ListPublicTasksResponse> PublicTasks(
      const std::string& community = "c1", const Actor& who = Actor{}) {
    v1::ListPublicTasksRequest r;
    r.set_community_id(community);
    r.set_page_size(100);
    return Call(who, *public_, &PublicStub::ListPublicTasks, r);
  }

  static std::vector<std::string> Ids(const v1::ListPublicTasksResponse& r) {
    std::vector<std::string> ids;
    for (const v1::PublicTask& t : r.tasks()) ids.push_back(t.id());
    return ids;
  }

  // A clean task of the clerk taken through review: approved, rejected or
  // returned by reviewer_ (rev-1).
  std::string Decided(Step decision, const std::string& reason = "") {
    const std::string id = SubmittedTask(CleanAssistSpec(), &reviewer_);
    EXPECT_THAT(Act(reviewer_, decision, id, reason), IsOk());
    return id;
  }

  // What must never appear in a public answer: the people who decided and
  // why, and the clerk who asked.
  std::vector<std::string> Secrets() const {
    return {reviewer_.id,
            "Test rev-1",
            clerk_.id,
            "Test clerk-civil",
            kRejectReason,
            kReturnReason,
            "Visit subsidy recipients"};
  }
};

TEST_F(PublicListApiTest, ShowsAnAdmittedTaskAndNeverARejectedOne) {
  const std::string admitted = Decided(Step::kApprove);
  // Rejected, returned, pending, withdrawn and draft tasks of c1.
  Decided(Step::kReject, kRejectReason);
  Decided(Step::kReturn, kReturnReason);
  SubmittedTask(CleanAssistSpec());
  const std::string withdrawn = SubmittedTask(CleanAssistSpec());
  ASSERT_THAT(Act(clerk_, Step::kWithdraw, withdrawn), IsOk());
  ASSERT_THAT(CreateTask(clerk_, CleanAssistSpec()), IsOk());

  ASSERT_OK_AND_ASSIGN(v1::ListPublicTasksResponse list, PublicTasks());
  EXPECT_THAT(Ids(list), ElementsAre(admitted));
  EXPECT_EQ(list.community().id(), "c1");
  EXPECT_EQ(list.community().name(), "Community c1");
  EXPECT_EQ(list.community().street(), "east");
  const v1::PublicTask& t = list.tasks(0);
  EXPECT_EQ(t.title(), "Quarterly elderly subsidy check");
  EXPECT_EQ(t.department_id(), kDepartment);
  EXPECT_EQ(t.hours_per_month(), 1);
  EXPECT_EQ(t.funding_per_community_yuan(), 3000);
  EXPECT_EQ(t.funding_source(), "district civil affairs budget");
  EXPECT_FALSE(t.provisional());
  ASSERT_OK_AND_ASSIGN(v1::Task stored, GetTask(auditor_, admitted));
  EXPECT_EQ(t.start_date(), stored.spec().start_date());
  EXPECT_EQ(t.end_date(), stored.spec().end_date());

  // Nothing of the people or the reasons, in any field.
  const std::string bytes = list.SerializeAsString();
  for (const std::string& secret : Secrets()) {
    EXPECT_THAT(bytes, Not(HasSubstr(secret))) << secret;
  }
  // c3 is not a target.
  ASSERT_OK_AND_ASSIGN(v1::ListPublicTasksResponse c3, PublicTasks("c3"));
  EXPECT_THAT(c3.tasks(), SizeIs(0));
}

// An emergency task is in force while its review is due, marked
// provisional; its approval makes it plain ACTIVE, and a revoked or closed
// task leaves the list (SPEC §5).
TEST_F(PublicListApiTest, FollowsATaskInAndOutOfForce) {
  v1::TaskSpec emergency = CleanAssistSpec();
  emergency.set_emergency(true);
  emergency.set_emergency_reason("flood season");
  ASSERT_OK_AND_ASSIGN(v1::Task created, CreateTask(clerk_, emergency));
  ASSERT_OK_AND_ASSIGN(v1::Task submitted,
                       Act(clerk_, Step::kSubmit, created.id()));
  ASSERT_EQ(submitted.state(), v1::TASK_STATE_PROVISIONAL);
  ASSERT_OK_AND_ASSIGN(v1::ListPublicTasksResponse before, PublicTasks());
  ASSERT_THAT(before.tasks(), SizeIs(1));
  EXPECT_TRUE(before.tasks(0).provisional());

  ASSERT_THAT(Act(reviewer_, Step::kClaim, created.id()), IsOk());
  ASSERT_THAT(Act(reviewer_, Step::kApprove, created.id()), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::ListPublicTasksResponse approved, PublicTasks());
  ASSERT_THAT(approved.tasks(), SizeIs(1));
  EXPECT_FALSE(approved.tasks(0).provisional());

  ASSERT_THAT(Act(reviewer_, Step::kRevoke, created.id(), "residents reject"),
              IsOk());
  const std::string closed = ActiveTask();
  ASSERT_THAT(Act(clerk_, Step::kClose, closed), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::ListPublicTasksResponse after, PublicTasks());
  EXPECT_THAT(after.tasks(), SizeIs(0));
}

// No credential is needed, and one sent along is not read: a forged token
// and a principal's token get the same answer as none, and nothing is
// written to the audit log (an anonymous reader cannot grow the record).
TEST_F(PublicListApiTest, AnswersWithoutACredentialAndRecordsNothing) {
  Decided(Step::kApprove);
  const int64_t size = TreeSize();
  ASSERT_OK_AND_ASSIGN(v1::ListPublicTasksResponse anonymous, PublicTasks());
  for (const Actor& who :
       {Actor{"forger", "tg_forged-token"}, community_, auditor_, admin_}) {
    SCOPED_TRACE(who.id);
    ASSERT_OK_AND_ASSIGN(v1::ListPublicTasksResponse with,
                         PublicTasks("c1", who));
    EXPECT_TRUE(
        google::protobuf::util::MessageDifferencer::Equals(with, anonymous));
  }
  ASSERT_OK_AND_ASSIGN(
      v1::ListPublicCommunitiesResponse communities,
      Call(Actor{}, *public_, &PublicStub::ListPublicCommunities,
           v1::ListPublicCommunitiesRequest()));
  EXPECT_THAT(communities.communities(), SizeIs(3));
  EXPECT_THAT(PublicTasks("c9"), StatusIs(absl::StatusCode::kNotFound,
                                          HasSubstr("public communities")));
  EXPECT_EQ(TreeSize(), size);
  EXPECT_THAT(server_->metrics().Serialize(),
              HasSubstr("taskgate_public_reads_total{code=\"OK\",via=\"grpc\"} "
                        "6\n"));
}

TEST_F(PublicListApiTest, HttpServesTheSameTasksAsJson) {
  const std::string admitted = Decided(Step::kApprove);
  Decided(Step::kReject, kRejectReason);
  ASSERT_OK_AND_ASSIGN(v1::ListPublicTasksResponse over_grpc, PublicTasks());

  ASSERT_OK_AND_ASSIGN(
      HttpAnswer answer,
      HttpGet(server_->http_port(),
              "/public/v1/communities/c1/tasks?page_size=100"));
  EXPECT_EQ(answer.code, 200);
  EXPECT_THAT(answer.head,
              AllOf(HasSubstr("Content-Type: application/json; "
                              "charset=utf-8\r\n"),
                    HasSubstr("Cache-Control: public, max-age=60\r\n")));
  v1::ListPublicTasksResponse over_http;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(answer.body, &over_http).ok())
      << answer.body;
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(over_http, over_grpc));
  EXPECT_THAT(Ids(over_http), ElementsAre(admitted));
  EXPECT_THAT(answer.body, HasSubstr("\"department_id\":\"civil-affairs\""));
  for (const std::string& secret : Secrets()) {
    EXPECT_THAT(answer.body, Not(HasSubstr(secret))) << secret;
  }

  ASSERT_OK_AND_ASSIGN(HttpAnswer communities,
                       HttpGet(server_->http_port(), "/public/v1/communities"));
  EXPECT_EQ(communities.code, 200);
  EXPECT_THAT(communities.body, AllOf(HasSubstr("\"id\":\"c1\""),
                                      HasSubstr("\"street\":\"west\"")));
  ASSERT_OK_AND_ASSIGN(
      HttpAnswer unknown,
      HttpGet(server_->http_port(), "/public/v1/communities/c9/tasks"));
  EXPECT_EQ(unknown.code, 404);
  EXPECT_THAT(unknown.body, HasSubstr("\"status\":\"NOT_FOUND\""));
  ASSERT_OK_AND_ASSIGN(
      HttpAnswer bad,
      HttpGet(server_->http_port(), "/public/v1/communities?page_size=x"));
  EXPECT_EQ(bad.code, 400);
}

class PublicListLimitTest : public PublicListApiTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.public_burst = 3;
    config.public_per_minute = 1;
  }
};

// Each address may read `public_burst` times at once (then
// `public_per_minute`); beyond, RESOURCE_EXHAUSTED over gRPC and 429 over
// HTTP, counted on /metrics and not audited. The fake clock stands still,
// so no token comes back during the test.
TEST_F(PublicListLimitTest, ReadsBeyondTheBurstAreRefusedPerAddress) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(PublicTasks(), IsOk()) << i;
  }
  EXPECT_THAT(PublicTasks(),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("too many reads of the public list")));
  EXPECT_THAT(PublicTasks("c1", admin_),  // a credential buys nothing
              StatusIs(absl::StatusCode::kResourceExhausted));
  // The rest of the API is not the public list's to throttle.
  EXPECT_THAT(GetTask(auditor_, ActiveTask()), IsOk());

  // HTTP from 127.0.0.1 is another address with a bucket of its own.
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(
        HttpAnswer ok, HttpGet(server_->http_port(), "/public/v1/communities"));
    EXPECT_EQ(ok.code, 200) << i;
  }
  ASSERT_OK_AND_ASSIGN(
      HttpAnswer refused,
      HttpGet(server_->http_port(), "/public/v1/communities/c1/tasks"));
  EXPECT_EQ(refused.code, 429);
  EXPECT_THAT(refused.head, HasSubstr("Retry-After: 60\r\n"));
  EXPECT_THAT(refused.body, HasSubstr("RESOURCE_EXHAUSTED"));

  // The refused reads are no refused access to record.
  for (const char* action : {"access.unauthenticated", "access.denied"}) {
    v1::ListEventsRequest refusals;
    refusals.set_action(action);
    EXPECT_THAT(Events(refusals), SizeIs(0)) << action;
  }
  const std::string metrics = server_->metrics().Serialize();
  EXPECT_THAT(metrics,
              AllOf(HasSubstr("taskgate_public_reads_total{code=\"RESOURCE_"
                              "EXHAUSTED\",via=\"grpc\"} 2\n"),
                    HasSubstr("taskgate_public_reads_total{code=\"RESOURCE_"
                              "EXHAUSTED\",via=\"http\"} 1\n"),
                    HasSubstr("taskgate_unauthenticated_throttled_total 0\n")));
}

}  // namespace
}  // namespace taskgate::e2e
