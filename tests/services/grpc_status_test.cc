#include "services/grpc_status.h"

#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/cord.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "common/field_violations.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace taskgate::services {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Captures what spdlog's default logger writes during a test.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("capture", std::move(sink)));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

struct CodePair {
  absl::StatusCode absl_code;
  grpc::StatusCode grpc_code;
  const char* name;
};

const std::vector<CodePair>& PassedThrough() {
  static const auto* const kCodes = new std::vector<CodePair>{
      {absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED, "CANCELLED"},
      {absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_ARGUMENT"},
      {absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED,
       "DEADLINE_EXCEEDED"},
      {absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND, "NOT_FOUND"},
      {absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS,
       "ALREADY_EXISTS"},
      {absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED,
       "PERMISSION_DENIED"},
      {absl::StatusCode::kResourceExhausted,
       grpc::StatusCode::RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"},
      {absl::StatusCode::kFailedPrecondition,
       grpc::StatusCode::FAILED_PRECONDITION, "FAILED_PRECONDITION"},
      {absl::StatusCode::kAborted, grpc::StatusCode::ABORTED, "ABORTED"},
      {absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE,
       "OUT_OF_RANGE"},
      {absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED,
       "UNIMPLEMENTED"},
      {absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE,
       "UNAVAILABLE"},
      {absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED,
       "UNAUTHENTICATED"},
  };
  return *kCodes;
}

const std::vector<CodePair>& Hidden() {
  static const auto* const kCodes = new std::vector<CodePair>{
      {absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN, "UNKNOWN"},
      {absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL, "INTERNAL"},
      {absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS, "DATA_LOSS"},
  };
  return *kCodes;
}

TEST(GrpcStatus, OkStaysOk) {
  const grpc::Status s = ToGrpcStatus(absl::OkStatus(), "req-1");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.error_message(), "");
  EXPECT_EQ(s.error_details(), "");
}

TEST(GrpcStatus, PassesEveryClientCodeAndMessageThrough) {
  for (const CodePair& c : PassedThrough()) {
    SCOPED_TRACE(c.name);
    const grpc::Status s = ToGrpcStatus(
        absl::Status(c.absl_code, "task 't-1' is in state DRAFT"), "req-1");
    EXPECT_EQ(s.error_code(), c.grpc_code);
    EXPECT_EQ(s.error_message(), "task 't-1' is in state DRAFT");
    EXPECT_EQ(s.error_details(), "");
  }
}

TEST(GrpcStatus, CoversAllSeventeenCodes) {
  EXPECT_EQ(PassedThrough().size() + Hidden().size() + 1, 17u);
}

TEST(GrpcStatus, HidesInternalUnknownAndDataLossDetails) {
  LogCapture log;
  for (const CodePair& c : Hidden()) {
    SCOPED_TRACE(c.name);
    const grpc::Status s = ToGrpcStatus(
        absl::Status(c.absl_code, "sqlite: disk I/O error at /srv/db"),
        "req-42");
    EXPECT_EQ(s.error_code(), c.grpc_code);
    EXPECT_EQ(s.error_message(),
              "internal error; the operator's log has the details (request "
              "req-42)");
    EXPECT_EQ(s.error_details(), "");
  }
  // ... while the operator's log has them in full.
  const std::string text = log.text();
  EXPECT_THAT(text, HasSubstr("sqlite: disk I/O error at /srv/db"));
  EXPECT_THAT(text, HasSubstr("request_id=req-42"));
  EXPECT_THAT(text, HasSubstr("DATA_LOSS"));
}

TEST(GrpcStatus, HiddenErrorWithoutRequestIdNamesNone) {
  LogCapture log;
  const grpc::Status s =
      ToGrpcStatus(absl::InternalError("invariant broken: seq 7 missing"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message(),
            "internal error; the operator's log has the details");
  EXPECT_THAT(log.text(), HasSubstr("invariant broken: seq 7 missing"));
}

TEST(GrpcStatus, HiddenErrorDoesNotLeakPayloads) {
  LogCapture log;
  absl::Status internal = absl::InternalError("secret detail");
  internal.SetPayload("type.example/debug", absl::Cord("stack trace here"));
  const grpc::Status s = ToGrpcStatus(internal, "req-9");
  EXPECT_THAT(s.error_message(), Not(HasSubstr("secret")));
  EXPECT_EQ(s.error_details(), "");
  EXPECT_THAT(log.text(), HasSubstr("stack trace here"));
}

TEST(GrpcStatus, FieldViolationsBecomeBadRequestDetails) {
  const std::vector<FieldViolation> violations = {
      {"spec.title", "must not be empty"},
      {"spec.start_date", "'2026-02-30' is not a date YYYY-MM-DD"},
      {"spec.target_communities[3]", "'Bad Id' is not a valid id"},
  };
  const absl::Status status = InvalidArgumentWithViolations(violations);
  const grpc::Status s = ToGrpcStatus(status, "req-7");
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), std::string(status.message()));

  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  EXPECT_EQ(details.code(), 3);
  EXPECT_EQ(details.message(), std::string(status.message()));
  ASSERT_EQ(details.details_size(), 1);
  ASSERT_TRUE(details.details(0).Is<google::rpc::BadRequest>());
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 3);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(bad_request.field_violations(i).field(), violations[i].field);
    EXPECT_EQ(bad_request.field_violations(i).description(),
              violations[i].description);
  }
}

TEST(GrpcStatus, InvalidArgumentWithoutViolationsHasNoDetails) {
  const grpc::Status s =
      ToGrpcStatus(absl::InvalidArgumentError("page_token is not ours"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "page_token is not ours");
  EXPECT_EQ(s.error_details(), "");
}

TEST(GrpcStatus, ViolationsOnAnotherCodeAreNotSent) {
  absl::Status status(absl::StatusCode::kFailedPrecondition, "not now");
  status.SetPayload(kFieldViolationsPayloadUrl,
                    InvalidArgumentWithViolations({{"x", "bad"}})
                        .GetPayload(kFieldViolationsPayloadUrl)
                        .value());
  const grpc::Status s = ToGrpcStatus(status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_details(), "");
}

TEST(GrpcStatus, NamesCodesLikeGrpc) {
  for (const std::vector<CodePair>* list : {&PassedThrough(), &Hidden()}) {
    for (const CodePair& c : *list) {
      EXPECT_EQ(GrpcCodeName(c.grpc_code), c.name);
    }
  }
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
}

}  // namespace
}  // namespace taskgate::services
