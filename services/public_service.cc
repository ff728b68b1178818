// PublicService: the public list (公示) over gRPC, without credentials
// (see public_service.proto). Unlike the other services it does not run in
// the frame of services/handler.h: nothing is authenticated (the
// "authorization" metadata and any client certificate are never read), and
// a call refused by the rate limit is not an access refusal to audit. The
// read itself, its limit, count and log line are `PublicReads`'
// (services/public_list.h), shared with the HTTP endpoint.
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/time/clock.h>

#include "services/grpc_status.h"
#include "services/handler.h"
#include "services/parse_check.h"
#include "services/public_list.h"
#include "services/source_limiter.h"
#include "taskgate/v1/public_service.grpc.pb.h"

namespace taskgate::services::internal {
namespace {

class PublicServiceImpl final
    : public ParseCheckedService<v1::PublicService::CallbackService> {
 public:
  explicit PublicServiceImpl(ApiContext& ctx) : ctx_(ctx) {
    CheckParsing(ctx, "PublicService/ListPublicCommunities", this,
                 &PublicServiceImpl::ListPublicCommunities);
    CheckParsing(ctx, "PublicService/ListPublicTasks", this,
                 &PublicServiceImpl::ListPublicTasks);
  }

  grpc::ServerUnaryReactor* ListPublicCommunities(
      grpc::CallbackServerContext* context,
      const v1::ListPublicCommunitiesRequest* request,
      v1::ListPublicCommunitiesResponse* response) override {
    return Serve(context, "PublicService/ListPublicCommunities",
                 [&](const std::string& source) {
                   return ctx_.public_reads.ListCommunities("grpc", source,
                                                            *request, response);
                 });
  }

  grpc::ServerUnaryReactor* ListPublicTasks(
      grpc::CallbackServerContext* context,
      const v1::ListPublicTasksRequest* request,
      v1::ListPublicTasksResponse* response) override {
    return Serve(context, "PublicService/ListPublicTasks",
                 [&](const std::string& source) {
                   return ctx_.public_reads.ListTasks("grpc", source, *request,
                                                      response);
                 });
  }

 private:
  // Runs `read(source)` and finishes the call: its latency and code on
  // /metrics like every RPC's, its status mapped once.
  template <typename Read>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                  std::string_view method, Read&& read) {
    const absl::Time start = absl::Now();
    absl::Status status;
    try {
      status = std::forward<Read>(read)(SourceOf(context->peer()));
    } catch (const std::exception& e) {
      // Exceptions never cross the API: report INTERNAL, log the detail.
      status = absl::InternalError(e.what());
    }
    const grpc::Status answer = ToGrpcStatus(status);
    ctx_.metrics.ObserveRpc(method, GrpcCodeName(answer.error_code()),
                            absl::Now() - start);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(answer);
    return reactor;
  }

  ApiContext& ctx_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewPublicService(ApiContext& ctx) {
  return std::make_unique<PublicServiceImpl>(ctx);
}

}  // namespace taskgate::services::internal
