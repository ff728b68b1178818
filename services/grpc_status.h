// The one mapping from `absl::Status` to `grpc::Status` (CONVENTIONS §2).
//
// The code is carried over unchanged (abseil's and gRPC's codes are the same
// numbers; static_asserts in the .cc check all 17). An INVALID_ARGUMENT that
// carries field violations (common/field_violations.h) also gets a
// `google.rpc.Status` in the `grpc-status-details-bin` trailer with a packed
// `google.rpc.BadRequest` listing each violation. INTERNAL, UNKNOWN and
// DATA_LOSS are logged in full (spdlog) and returned with a generic message,
// so that internals never reach a client. Stateless; thread-safe.
#ifndef TASKGATE_SERVICES_GRPC_STATUS_H_
#define TASKGATE_SERVICES_GRPC_STATUS_H_

#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <grpcpp/support/status.h>

namespace taskgate::services {

// Returns the gRPC status for `status`. `request_id`, when not empty, is
// quoted in the generic message of hidden errors and in the log line, so an
// operator can find the details a caller reports.
grpc::Status ToGrpcStatus(const absl::Status& status,
                          std::string_view request_id = "");

// The canonical name of a gRPC code, e.g. "OK", "PERMISSION_DENIED"; used as
// the `code` label of metrics and in logs.
std::string GrpcCodeName(grpc::StatusCode code);

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_GRPC_STATUS_H_
