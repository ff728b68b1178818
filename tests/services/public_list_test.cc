// `PublicReads` (services/public_list.h): the public list's two doors, gRPC
// and HTTP, run one read with one rate limit per source; the HTTP door
// answers JSON of the same response message, and errors a reader can act
// on.
#include "services/public_list.h"

#include <memory>
#include <string>
#include <utility>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "services/metrics.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::services {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kReader[] = "ipv4:198.51.100.7";

std::string Header(const HttpReply& reply, const std::string& name) {
  for (const auto& [n, v] : reply.headers) {
    if (n == name) return v;
  }
  return "";
}

nlohmann::json ErrorOf(const HttpReply& reply) {
  return nlohmann::json::parse(reply.body).at("error");
}

class PublicReadsTest : public workflow::TaskWorkflowTest {
 protected:
  void SetUp() override {
    TaskWorkflowTest::SetUp();
    // A duty-list task admitted at submit, for c1.
    domain::TaskSpec spec = CleanAssistSpec();
    spec.item_code = "D-001";
    spec.title = "居委会换届选举协助";
    Create("t-election", spec);
    ASSERT_OK_AND_ASSIGN(
        domain::Task t,
        Do(workflow::Clerk(), workflow::TaskAction::kSubmit, "t-election"));
    ASSERT_EQ(t.state, domain::TaskState::kActive);
    reads_ = std::make_unique<PublicReads>(
        engine_->public_list(), clock_, metrics_,
        SourceLimiterOptions{.burst = 5, .per_minute = 60, .max_sources = 100});
  }

  HttpReply Get(const std::string& target, const std::string& source = kReader,
                const std::string& method = "GET") {
    return reads_->ServeHttp(
        {.method = method, .target = target, .source = source});
  }

  // `Get` with the source's tokens back: for tests of what one read answers.
  HttpReply Fresh(const std::string& target,
                  const std::string& method = "GET") {
    clock_.Advance(absl::Minutes(1));
    return Get(target, kReader, method);
  }

  Metrics metrics_;
  std::unique_ptr<PublicReads> reads_;
};

TEST_F(PublicReadsTest, HttpAnswersTheJsonOfTheSameMessageAsGrpc) {
  v1::ListPublicTasksRequest request;
  request.set_community_id("c1");
  v1::ListPublicTasksResponse over_grpc;
  ASSERT_THAT(reads_->ListTasks("grpc", kReader, request, &over_grpc), IsOk());
  ASSERT_THAT(over_grpc.tasks(), SizeIs(1));
  EXPECT_EQ(over_grpc.tasks(0).title(), "居委会换届选举协助");

  const HttpReply reply = Get("/public/v1/communities/c1/tasks");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(Header(reply, "Cache-Control"), "public, max-age=60");
  EXPECT_EQ(Header(reply, "X-Content-Type-Options"), "nosniff");
  v1::ListPublicTasksResponse over_http;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(reply.body, &over_http).ok())
      << reply.body;
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(over_http, over_grpc))
      << over_http.DebugString();
  // Proto field names, every field printed, the text as UTF-8.
  const nlohmann::json json = nlohmann::json::parse(reply.body);
  EXPECT_EQ(json["community"]["street"], "east");
  EXPECT_EQ(json["tasks"][0]["department_id"], "civil-affairs");
  EXPECT_EQ(json["tasks"][0]["provisional"], false);
  EXPECT_EQ(json["next_page_token"], "");

  const HttpReply communities = Get("/public/v1/communities?page_size=2");
  EXPECT_EQ(communities.status, 200);
  const nlohmann::json list = nlohmann::json::parse(communities.body);
  ASSERT_EQ(list["communities"].size(), 2u);
  EXPECT_EQ(list["communities"][1]["id"], "c2");
  // The token from HTTP serves the next page over HTTP.
  const HttpReply rest =
      Get(absl::StrCat("/public/v1/communities?page_size=2&page_token=",
                       list["next_page_token"].get<std::string>()));
  EXPECT_EQ(nlohmann::json::parse(rest.body)["communities"][0]["id"], "c3");
}

TEST_F(PublicReadsTest, HttpErrorsAreJsonSayingWhatToFix) {
  const HttpReply unknown = Fresh("/public/v1/communities/c9/tasks");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(Header(unknown, "Cache-Control"), "no-store");
  EXPECT_EQ(ErrorOf(unknown)["status"], "NOT_FOUND");
  EXPECT_THAT(ErrorOf(unknown)["message"].get<std::string>(),
              AllOf(HasSubstr("c9"), HasSubstr("/public/v1/communities")));

  for (const char* path :
       {"/public/v1", "/public/v1/communities/", "/public/v1/communities/c1",
        "/public/v1/communities/c1/tasks/", "/public/v2/communities",
        "/public/v1/communities/c1/findings"}) {
    SCOPED_TRACE(path);
    const HttpReply r = Fresh(path);
    EXPECT_EQ(r.status, 404);
    EXPECT_THAT(ErrorOf(r)["message"].get<std::string>(),
                HasSubstr("GET /public/v1/communities"));
  }

  const HttpReply size = Fresh("/public/v1/communities/c1/tasks?page_size=ten");
  EXPECT_EQ(size.status, 400);
  EXPECT_EQ(ErrorOf(size)["status"], "INVALID_ARGUMENT");
  EXPECT_EQ(ErrorOf(size)["field_violations"][0]["field"], "page_size");
  EXPECT_EQ(Fresh("/public/v1/communities/c1/tasks?page_size=-1").status, 400);
  const HttpReply token = Fresh("/public/v1/communities/c1/tasks?page_token=x");
  EXPECT_EQ(ErrorOf(token)["field_violations"][0]["field"], "page_token");
  const HttpReply extra =
      Fresh("/public/v1/communities?filter=state%3DREJECTED");
  EXPECT_EQ(extra.status, 400);
  EXPECT_THAT(
      ErrorOf(extra)["field_violations"][0]["description"].get<std::string>(),
      HasSubstr("'filter' is not a parameter"));
  EXPECT_EQ(Fresh("/public/v1/communities?page_size=1&page_size=2").status,
            400);
  EXPECT_EQ(Fresh("/public/v1/communities/c%zz/tasks").status, 400);
  const HttpReply bad_id = Fresh("/public/v1/communities/C%201/tasks");
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(ErrorOf(bad_id)["field_violations"][0]["field"], "community_id");
  // An escaped id is the id.
  EXPECT_EQ(Fresh("/public/v1/communities/c%31/tasks").status, 200);

  const HttpReply post = Fresh("/public/v1/communities", "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(Header(post, "Allow"), "GET, HEAD");
  EXPECT_EQ(Fresh("/public/v1/communities", "HEAD").status, 200);
}

// One bucket per source for both doors: reading over gRPC spends what
// HTTP may read. A refused read is counted on /metrics, never audited.
TEST_F(PublicReadsTest, BothDoorsShareOneLimitPerSource) {
  const int64_t events = EventCount();
  v1::ListPublicCommunitiesResponse response;
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(reads_->ListCommunities("grpc", kReader, {}, &response),
                IsOk());
  }
  EXPECT_EQ(Get("/public/v1/communities").status, 200);
  EXPECT_EQ(Get("/public/v1/communities/c9/tasks").status, 404);  // spent
  const HttpReply refused = Get("/public/v1/communities/c1/tasks");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(Header(refused, "Retry-After"), "1");
  EXPECT_EQ(ErrorOf(refused)["status"], "RESOURCE_EXHAUSTED");
  EXPECT_THAT(reads_->ListCommunities("grpc", kReader, {}, &response),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("wait 1 s and retry")));
  // Another address reads on.
  EXPECT_EQ(Get("/public/v1/communities", "ipv4:203.0.113.9").status, 200);
  // Tokens come back with time (60 a minute: one a second).
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Get("/public/v1/communities").status, 200);

  EXPECT_EQ(EventCount(), events);
  const std::string metrics = metrics_.Serialize();
  EXPECT_THAT(
      metrics,
      AllOf(HasSubstr("taskgate_public_reads_total{code=\"OK\",via=\"grpc\"} "
                      "3\n"),
            HasSubstr("taskgate_public_reads_total{code=\"OK\",via=\"http\"} "
                      "3\n"),
            HasSubstr("taskgate_public_reads_total{code=\"NOT_FOUND\",via="
                      "\"http\"} 1\n"),
            HasSubstr("taskgate_public_reads_total{code=\"RESOURCE_"
                      "EXHAUSTED\",via=\"http\"} 1\n"),
            HasSubstr("taskgate_public_reads_total{code=\"RESOURCE_"
                      "EXHAUSTED\",via=\"grpc\"} 1\n")));
}

}  // namespace
}  // namespace taskgate::services
