// Requests whose bytes do not parse (SPEC §9, issue 15 defect 9), sent
// with a generic stub through the real server to every method of the seven
// services (EventService/WatchEvents, a server stream, too: its refusal is
// a stream that ends at once, which a generic unary call reads as its
// status): each is answered INVALID_ARGUMENT with a BadRequest naming the
// method and the message it expects (gRPC alone answers UNIMPLEMENTED with
// no message), logged, counted on /metrics, and changes nothing.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "tests/e2e/e2e_fixture.h"

namespace taskgate::e2e {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Calls `method` with `bytes` as the request, as `who`.
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel,
                     const std::string& method, const std::string& bytes,
                     const Actor& who) {
  return RawUnaryCall(channel, method, bytes, who, std::chrono::seconds(60));
}

class UnparseableRequestTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    log_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(200);
    spdlog::default_logger()->sinks().push_back(log_);
    spdlog::set_level(spdlog::level::info);
  }
  void TearDown() override {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), log_), sinks.end());
    spdlog::set_level(spdlog::level::warn);
    E2eTest::TearDown();
  }

  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_;
};

TEST_F(UnparseableRequestTest, EveryMethodAnswersInvalidArgumentNamingIt) {
  const int64_t before = TreeSize();
  // A field of wire type 7, which no message has: no parser accepts it.
  const std::string garbage = "\x0f\xff\xff";
  int methods = 0;
  for (const char* name :
       {"TaskService", "ReviewService", "CommunityService", "AuditService",
        "AdminService", "PublicService", "EventService"}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            absl::StrCat("taskgate.v1.", name));
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* m = service->method(i);
      const std::string method = absl::StrCat(name, "/", m->name());
      SCOPED_TRACE(method);
      ++methods;
      const grpc::Status s = RawCall(
          channel_, absl::StrCat("/taskgate.v1.", method), garbage, admin_);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_THAT(
          s.error_message(),
          AllOf(HasSubstr(method), HasSubstr(m->input_type()->full_name())));
      EXPECT_THAT(BadRequestFields(s), ElementsAre("request"));
    }
  }
  // TaskService/UploadAttachment streams its requests: the callback API
  // reports a message that does not parse as the end of the stream, and
  // the method answers as above (services/parse_check.h); the generic
  // unary call here is its one-message stream.
  EXPECT_EQ(methods, 57);
  EXPECT_EQ(TreeSize(), before);  // nothing changed, nothing recorded
  const std::string metrics = server_->metrics().Serialize();
  EXPECT_THAT(metrics, AllOf(HasSubstr("taskgate_requests_unparseable_total{"
                                       "method=\"TaskService/CreateTask\"} 1"),
                             HasSubstr("taskgate_requests_unparseable_total{"
                                       "method=\"AdminService/IssueToken\"} 1"),
                             HasSubstr("taskgate_rpc_requests_total{code="
                                       "\"INVALID_ARGUMENT\",method="
                                       "\"AuditService/ListEvents\"} 1")));
  // Logged as any refused call (the first 20 of a source; the rest are
  // counted only).
  const std::vector<std::string> lines = log_->last_formatted();
  EXPECT_THAT(lines, Contains(AllOf(HasSubstr("method=TaskService/CreateTask"),
                                    HasSubstr("code=INVALID_ARGUMENT"),
                                    HasSubstr("is not a valid"))));
}

// A proto3 string that is not UTF-8 fails the parse too; the same call with
// good bytes works.
TEST_F(UnparseableRequestTest, AStringThatIsNotUtf8IsInvalidArgument) {
  const std::string id = ActiveTask();
  // GetTaskRequest { string task_id = 1; } holding 0xff 0xfe.
  const grpc::Status bad = RawCall(channel_, "/taskgate.v1.TaskService/GetTask",
                                   "\x0a\x02\xff\xfe", clerk_);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("TaskService/GetTask"));

  v1::GetTaskRequest good;
  good.set_task_id(id);
  const grpc::Status ok = RawCall(channel_, "/taskgate.v1.TaskService/GetTask",
                                  good.SerializeAsString(), clerk_);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
}

}  // namespace
}  // namespace taskgate::e2e
