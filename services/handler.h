// The frame every RPC runs in: authenticate the bearer token, run the body,
// audit refused calls, log one structured line, record metrics, and map the
// status to gRPC once. Internal to services/; thread-safe.
#ifndef TASKGATE_SERVICES_HANDLER_H_
#define TASKGATE_SERVICES_HANDLER_H_

#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/clock.h>
#include <grpcpp/grpcpp.h>

#include "common/field_violations.h"
#include "domain/types.h"
#include "services/api.h"
#include "taskgate/v1/task_service.pb.h"
#include "workflow/transitions.h"

namespace taskgate::services::internal {

// Resolves the caller of `context` from its bearer token.
absl::StatusOr<domain::Principal> Authenticate(
    ApiContext& ctx, const grpc::CallbackServerContext& context);

// Logs, records metrics, audits refusals; returns the gRPC status to send.
grpc::Status Finish(ApiContext& ctx, std::string_view method,
                    const domain::Principal* caller,
                    std::string_view request_id, const absl::Status& status,
                    absl::Duration latency);

// Signs an audit checkpoint when one is due; logs a failure (the change
// itself stands).
void SignCheckpointIfDue(ApiContext& ctx);

// Mutations must carry a request id: the handle for safe retries.
void CheckRequestId(const std::string& request_id,
                    std::vector<FieldViolation>& violations);

// Returns INVALID_ARGUMENT with `violations` when there are any.
inline absl::Status Violations(const std::vector<FieldViolation>& violations) {
  return violations.empty() ? absl::OkStatus()
                            : InvalidArgumentWithViolations(violations);
}

// Runs `body(caller)` (returning absl::Status) inside the frame and finishes
// the call on the default reactor.
template <typename Body>
grpc::ServerUnaryReactor* Handle(ApiContext& ctx,
                                 grpc::CallbackServerContext* context,
                                 std::string_view method,
                                 std::string_view request_id, Body&& body) {
  const absl::Time start = absl::Now();
  absl::Status status;
  absl::StatusOr<domain::Principal> caller = Authenticate(ctx, *context);
  if (!caller.ok()) {
    status = caller.status();
  } else {
    try {
      status = std::forward<Body>(body)(*caller);
    } catch (const std::exception& e) {
      // Exceptions never cross the API: report INTERNAL, log the detail.
      status = absl::InternalError(e.what());
    }
  }
  // Only changes carry a request id; one may have made a checkpoint due.
  if (status.ok() && !request_id.empty()) SignCheckpointIfDue(ctx);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(Finish(ctx, method, caller.ok() ? &*caller : nullptr,
                         request_id, status, absl::Now() - start));
  return reactor;
}

// Takes a task action for `caller` from a TaskActionRequest (shared by
// TaskService and ReviewService).
absl::Status RunTaskAction(ApiContext& ctx, const domain::Principal& caller,
                           workflow::TaskAction action,
                           const ::taskgate::v1::TaskActionRequest& request,
                           ::taskgate::v1::Task* response);

// Runs a TaskActionRequest RPC in the frame.
inline grpc::ServerUnaryReactor* HandleTaskAction(
    ApiContext& ctx, grpc::CallbackServerContext* context,
    std::string_view method, workflow::TaskAction action,
    const ::taskgate::v1::TaskActionRequest* request,
    ::taskgate::v1::Task* response) {
  return Handle(ctx, context, method, request->request_id(),
                [&](const domain::Principal& caller) {
                  return RunTaskAction(ctx, caller, action, *request, response);
                });
}

// One per service file.
std::unique_ptr<grpc::Service> NewTaskService(ApiContext& ctx);
std::unique_ptr<grpc::Service> NewReviewService(ApiContext& ctx);
std::unique_ptr<grpc::Service> NewCommunityService(ApiContext& ctx);
std::unique_ptr<grpc::Service> NewAuditService(ApiContext& ctx);
std::unique_ptr<grpc::Service> NewAdminService(ApiContext& ctx);

}  // namespace taskgate::services::internal

#endif  // TASKGATE_SERVICES_HANDLER_H_
