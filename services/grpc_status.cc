#include "services/grpc_status.h"

#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <spdlog/spdlog.h>

#include "common/field_violations.h"
#include "common/safe_text.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace taskgate::services {
namespace {

// The mapping is a plain cast only because both enums use the canonical
// google.rpc.Code numbers; these checks keep it honest.
#define TASKGATE_SAME_CODE(absl_code, grpc_code)                   \
  static_assert(static_cast<int>(absl::StatusCode::absl_code) ==   \
                    static_cast<int>(grpc::StatusCode::grpc_code), \
                #absl_code " and " #grpc_code " differ")
TASKGATE_SAME_CODE(kOk, OK);
TASKGATE_SAME_CODE(kCancelled, CANCELLED);
TASKGATE_SAME_CODE(kUnknown, UNKNOWN);
TASKGATE_SAME_CODE(kInvalidArgument, INVALID_ARGUMENT);
TASKGATE_SAME_CODE(kDeadlineExceeded, DEADLINE_EXCEEDED);
TASKGATE_SAME_CODE(kNotFound, NOT_FOUND);
TASKGATE_SAME_CODE(kAlreadyExists, ALREADY_EXISTS);
TASKGATE_SAME_CODE(kPermissionDenied, PERMISSION_DENIED);
TASKGATE_SAME_CODE(kResourceExhausted, RESOURCE_EXHAUSTED);
TASKGATE_SAME_CODE(kFailedPrecondition, FAILED_PRECONDITION);
TASKGATE_SAME_CODE(kAborted, ABORTED);
TASKGATE_SAME_CODE(kOutOfRange, OUT_OF_RANGE);
TASKGATE_SAME_CODE(kUnimplemented, UNIMPLEMENTED);
TASKGATE_SAME_CODE(kInternal, INTERNAL);
TASKGATE_SAME_CODE(kUnavailable, UNAVAILABLE);
TASKGATE_SAME_CODE(kDataLoss, DATA_LOSS);
TASKGATE_SAME_CODE(kUnauthenticated, UNAUTHENTICATED);
#undef TASKGATE_SAME_CODE

// The most of a request id that a log line or a message quotes.
constexpr size_t kMaxQuotedIdBytes = 128;

bool IsHidden(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal ||
         code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status,
                          std::string_view request_id) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string rid(request_id);

  if (IsHidden(status.code())) {
    // status.ToString() includes payloads: everything the operator needs.
    // The request id comes from the client, unchecked: it is escaped in the
    // log line and in the message (SPEC §9).
    spdlog::error("request_id={} hidden error returned as {}: {}",
                  rid.empty() ? "-" : EscapeForLog(rid, kMaxQuotedIdBytes),
                  GrpcCodeName(code), EscapeForLog(status.ToString()));
    std::string message = "internal error; the operator's log has the details";
    if (!rid.empty()) {
      absl::StrAppend(&message, " (request ", EchoValue(rid, kMaxQuotedIdBytes),
                      ")");
    }
    return grpc::Status(code, message);
  }

  const std::string message(status.message());
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    const std::vector<FieldViolation> violations = GetFieldViolations(status);
    if (!violations.empty()) {
      google::rpc::BadRequest bad_request;
      for (const FieldViolation& v : violations) {
        google::rpc::BadRequest::FieldViolation* out =
            bad_request.add_field_violations();
        out->set_field(v.field);
        out->set_description(v.description);
      }
      google::rpc::Status details;
      details.set_code(static_cast<int>(code));
      details.set_message(message);
      details.add_details()->PackFrom(bad_request);
      return grpc::Status(code, message, details.SerializeAsString());
    }
  }
  return grpc::Status(code, message);
}

std::string GrpcCodeName(grpc::StatusCode code) {
  // abseil names the shared codes exactly as gRPC does ("PERMISSION_DENIED").
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

}  // namespace taskgate::services
