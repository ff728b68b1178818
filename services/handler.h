// The frame every RPC runs in: authenticate the caller, run the body,
// audit refused calls, log one structured line, record metrics, and map the
// status to gRPC once. Internal to services/; thread-safe.
#ifndef TASKGATE_SERVICES_HANDLER_H_
#define TASKGATE_SERVICES_HANDLER_H_

#include <exception>
#include <functional>
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

// Resolves the caller of `context`, whose network source is `source`
// (`SourceOf`), from its bearer token or, when there is none and
// `ctx.client_certificates`, from its client certificate's bound identity.
// RESOURCE_EXHAUSTED without reading either when the source has failed to
// authenticate too often (services/source_limiter.h); UNAUTHENTICATED,
// which counts against the source, saying what to send or what to ask for.
absl::StatusOr<domain::Principal> Authenticate(
    ApiContext& ctx, const grpc::CallbackServerContext& context,
    const std::string& source);

// Logs, records metrics, audits refusals (aggregated per source, see
// workflow/audit_recorder.h; a refusal counted into its source's aggregated
// event gets no log line of its own either); returns the gRPC status to
// send. `caller` is null when authentication failed.
grpc::Status Finish(ApiContext& ctx, std::string_view method,
                    const domain::Principal* caller, const std::string& source,
                    std::string_view request_id, const absl::Status& status,
                    absl::Duration latency);

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
  const std::string source = SourceOf(context->peer());
  absl::StatusOr<domain::Principal> caller =
      Authenticate(ctx, *context, source);
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
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(Finish(ctx, method, caller.ok() ? &*caller : nullptr, source,
                         request_id, status, absl::Now() - start));
  return reactor;
}

// Called once with the status of a call answered later; fills nothing but
// the reply's status (the body fills the response before calling it).
using FinishCall = std::function<void(absl::Status)>;

// The frame for a change that the district's writer answers later:
// `body(caller, finish)` queues the work and returns at once, so no gRPC
// thread waits for a batch; `finish(status)` is called exactly once, from
// any thread, after the response is filled. `method` must outlive the call
// (a literal).
template <typename Body>
grpc::ServerUnaryReactor* HandleAsync(ApiContext& ctx,
                                      grpc::CallbackServerContext* context,
                                      std::string_view method,
                                      const std::string& request_id,
                                      Body&& body) {
  const absl::Time start = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::string source = SourceOf(context->peer());
  auto caller = std::make_shared<absl::StatusOr<domain::Principal>>(
      Authenticate(ctx, *context, source));
  FinishCall finish = [&ctx, reactor, method, request_id, caller,
                       source = std::move(source),
                       start](const absl::Status& status) {
    reactor->Finish(Finish(ctx, method, caller->ok() ? &**caller : nullptr,
                           source, request_id, status, absl::Now() - start));
  };
  if (!caller->ok()) {
    finish(caller->status());
    return reactor;
  }
  try {
    std::forward<Body>(body)(**caller, std::move(finish));
  } catch (const std::exception& e) {
    // Thrown before the work was queued (the writer's callbacks do not
    // throw), so the call is not finished yet.
    reactor->Finish(Finish(ctx, method, &**caller, "", request_id,
                           absl::InternalError(e.what()), absl::Now() - start));
  }
  return reactor;
}

// Takes a task action for `caller` from a TaskActionRequest (shared by
// TaskService and ReviewService); fills `response` and calls `finish`.
void RunTaskAction(ApiContext& ctx, const domain::Principal& caller,
                   workflow::TaskAction action,
                   const ::taskgate::v1::TaskActionRequest& request,
                   ::taskgate::v1::Task* response, FinishCall finish);

// Runs a TaskActionRequest RPC in the frame.
inline grpc::ServerUnaryReactor* HandleTaskAction(
    ApiContext& ctx, grpc::CallbackServerContext* context,
    std::string_view method, workflow::TaskAction action,
    const ::taskgate::v1::TaskActionRequest* request,
    ::taskgate::v1::Task* response) {
  return HandleAsync(ctx, context, method, request->request_id(),
                     [&](const domain::Principal& caller, FinishCall finish) {
                       RunTaskAction(ctx, caller, action, *request, response,
                                     std::move(finish));
                     });
}

// One per service file.
std::unique_ptr<grpc::Service> NewTaskService(ApiContext& ctx);
std::unique_ptr<grpc::Service> NewReviewService(ApiContext& ctx);
std::unique_ptr<grpc::Service> NewCommunityService(ApiContext& ctx);
std::unique_ptr<grpc::Service> NewAuditService(ApiContext& ctx);
std::unique_ptr<grpc::Service> NewAdminService(ApiContext& ctx);
std::unique_ptr<grpc::Service> NewPublicService(ApiContext& ctx);
std::unique_ptr<grpc::Service> NewEventService(ApiContext& ctx);

}  // namespace taskgate::services::internal

#endif  // TASKGATE_SERVICES_HANDLER_H_
