#include "services/api.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <google/protobuf/descriptor.h>
#include <spdlog/spdlog.h>

#include "common/safe_text.h"
#include "services/auth.h"
#include "services/grpc_status.h"
#include "services/handler.h"
#include "services/parse_check.h"
#include "services/peer_identity.h"

namespace taskgate::services {
namespace internal {
namespace {

constexpr size_t kMaxRequestIdLength = 128;
// The longest error message a log line quotes; longer ones are cut.
constexpr size_t kMaxLoggedErrorBytes = 4096;

std::string CodeName(absl::StatusCode code) {
  return absl::StatusCodeToString(code);
}

}  // namespace

absl::StatusOr<domain::Principal> Authenticate(
    ApiContext& ctx, const grpc::CallbackServerContext& context,
    const std::string& source) {
  if (!ctx.limiter.Allowed(source)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "too many calls without valid credentials from ", source,
        "; wait a minute, then call with 'authorization: Bearer <token>'"));
  }
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  absl::StatusOr<domain::Principal> caller;
  if (it == metadata.end()) {
    // A bearer token, when sent, decides; else under mutual TLS the
    // verified certificate does (SPEC §8).
    std::vector<std::string> identities;
    if (ctx.client_certificates) {
      const std::shared_ptr<const grpc::AuthContext> auth =
          context.auth_context();
      if (auth != nullptr) identities = PeerCertificateIdentities(*auth);
    }
    if (!identities.empty()) {
      caller = ctx.engine.principals().AuthenticateCertificate(identities);
    } else {
      caller = absl::UnauthenticatedError(
          "no credentials: send the metadata 'authorization: Bearer "
          "<token>'; an admin issues tokens");
    }
  } else if (absl::StatusOr<std::string> token = ParseBearer(
                 std::string_view(it->second.data(), it->second.size()));
             !token.ok()) {
    caller = token.status();
  } else {
    caller = ctx.engine.principals().Authenticate(HashToken(*token));
  }
  if (absl::IsUnauthenticated(caller.status())) ctx.limiter.Failed(source);
  return caller;
}

namespace {

void LogRefusalSummaries(
    const std::vector<workflow::RefusalSummary>& summaries) {
  for (const workflow::RefusalSummary& s : summaries) {
    spdlog::info(
        "refusals action={} source={} count={} (further refused calls of "
        "the interval, recorded as one event)",
        s.action, EscapeForLog(s.source), s.count);
  }
}

void CountUnrecorded(ApiContext& ctx, const workflow::RefusalOutcome& outcome) {
  if (outcome.unrecorded.empty()) return;
  // The callers were refused all the same; the operator sees the gap in
  // the record on /metrics (SPEC §9).
  for (const auto& [code, n] : outcome.unrecorded) {
    ctx.metrics.CountUnrecordedRefusal(code, n);
  }
  spdlog::warn("could not audit refused calls: {}",
               EscapeForLog(outcome.error.ToString(), kMaxLoggedErrorBytes));
}

}  // namespace

grpc::Status Finish(ApiContext& ctx, std::string_view method,
                    const domain::Principal* caller, const std::string& source,
                    std::string_view request_id, const absl::Status& status,
                    absl::Duration latency) {
  const std::string code = CodeName(status.code());
  // Refused calls are part of the record (SPEC §7, issue 3), aggregated per
  // source (SPEC §9, issue 15 defect 3): the principal when one was
  // authenticated, else the network source.
  const bool throttled = absl::IsResourceExhausted(status) && caller == nullptr;
  bool log_line = true;
  if (absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status) ||
      throttled) {
    workflow::Refusal refusal;
    if (caller != nullptr) {
      refusal.who = *caller;
      refusal.source = caller->id;
    } else {
      refusal.who.id = "anonymous";
      refusal.who.role = domain::Role::kSystem;
      refusal.source = source;
    }
    refusal.method = std::string(method);
    refusal.code = status.code();
    refusal.reason = std::string(status.message());
    if (throttled) ctx.metrics.CountThrottled();
    absl::StatusOr<workflow::RefusalOutcome> outcome =
        ctx.engine.recorder().RecordRefusal(refusal);
    if (!outcome.ok()) {
      ctx.metrics.CountUnrecordedRefusal(code);
      spdlog::warn(
          "could not audit refused call to {}: {}", method,
          EscapeForLog(outcome.status().ToString(), kMaxLoggedErrorBytes));
    } else {
      CountUnrecorded(ctx, *outcome);
      LogRefusalSummaries(outcome->summaries);
      if (!outcome->recorded && outcome->unrecorded.empty()) {
        // Counted into the source's aggregated event: no line of its own
        // either, so that a flood cannot fill the server's log.
        ctx.metrics.CountAggregatedRefusal(code);
        log_line = false;
      }
    }
  }
  ctx.metrics.ObserveRpc(method, code, latency);
  if (!log_line) return ToGrpcStatus(status, request_id);
  // The request id arrives before it is validated, and messages quote
  // client values: both are escaped, so that no client text can start a
  // line of its own in the log (SPEC §9).
  spdlog::info(
      "rpc method={} principal={} role={} source={} request_id={} code={} "
      "latency_ms={:.2f}{}{}",
      method, caller != nullptr ? EscapeForLog(caller->id) : "-",
      caller != nullptr ? domain::RoleName(caller->role) : "-",
      source.empty() ? "-" : EscapeForLog(source),
      request_id.empty() ? "-" : EscapeForLog(request_id, kMaxRequestIdLength),
      code, absl::ToDoubleMilliseconds(latency), status.ok() ? "" : " error=",
      status.ok() || absl::IsInternal(status)
          ? std::string()
          : EscapeForLog(std::string(status.message()), kMaxLoggedErrorBytes));
  return ToGrpcStatus(status, request_id);
}

grpc::Status UnparseableStatus(ApiContext& ctx,
                               grpc::CallbackServerContext* context,
                               std::string_view method,
                               std::string_view request_type) {
  const absl::Time start = absl::Now();
  const std::string source = SourceOf(context->peer());
  ctx.metrics.CountUnparseable(method);
  // Each is answered and counted, but a flood of them cannot fill the
  // server's log: their lines are rate-limited per source (apart from the
  // authentication limit, which bad bytes do not spend).
  const bool logged = ctx.unparseable_log.Allowed(source);
  ctx.unparseable_log.Failed(source);
  const absl::Status status = InvalidArgumentWithViolations(
      {{"request",
        absl::StrCat("is not a valid ", std::string(request_type),
                     " message of ", std::string(method),
                     ": its bytes do not parse (another message type, cut "
                     "short, or a string that is not UTF-8); build requests "
                     "from taskgate.v1's proto files")}});
  if (logged) {
    return Finish(ctx, method, nullptr, source, "", status,
                  absl::Now() - start);
  }
  ctx.metrics.ObserveRpc(method, CodeName(status.code()), absl::Now() - start);
  return ToGrpcStatus(status, "");
}

grpc::ServerUnaryReactor* RefuseUnparseable(
    ApiContext& ctx, grpc::CallbackServerContext* context,
    std::string_view method, std::string_view request_type) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(UnparseableStatus(ctx, context, method, request_type));
  return reactor;
}

int MethodIndex(std::string_view method) {
  const size_t slash = method.find('/');
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          absl::StrCat("taskgate.v1.", std::string(method.substr(0, slash))));
  const google::protobuf::MethodDescriptor* found =
      service == nullptr || slash == std::string_view::npos
          ? nullptr
          : service->FindMethodByName(std::string(method.substr(slash + 1)));
  if (found == nullptr) {
    spdlog::critical("no method {} in taskgate.v1", method);
    std::abort();
  }
  return found->index();
}

void CheckRequestId(const std::string& request_id,
                    std::vector<FieldViolation>& violations) {
  if (request_id.empty()) {
    violations.push_back(
        {"request_id",
         "is required on every change: generate one (e.g. a UUID) per "
         "logical request and send the same one when you retry"});
    return;
  }
  const bool printable =
      std::all_of(request_id.begin(), request_id.end(), [](char c) {
        return absl::ascii_isgraph(static_cast<unsigned char>(c));
      });
  if (request_id.size() > kMaxRequestIdLength || !printable) {
    violations.push_back(
        {"request_id", absl::StrCat("use 1 to ", kMaxRequestIdLength,
                                    " printable ASCII characters")});
  }
}

}  // namespace internal

void FlushRefusals(ApiContext& ctx, bool all) {
  const workflow::RefusalOutcome outcome =
      ctx.engine.recorder().FlushRefusals(ctx.clock.Now(), all);
  internal::CountUnrecorded(ctx, outcome);
  internal::LogRefusalSummaries(outcome.summaries);
}

std::vector<std::unique_ptr<grpc::Service>> MakeApiServices(ApiContext& ctx) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(internal::NewTaskService(ctx));
  services.push_back(internal::NewReviewService(ctx));
  services.push_back(internal::NewCommunityService(ctx));
  services.push_back(internal::NewAuditService(ctx));
  services.push_back(internal::NewAdminService(ctx));
  services.push_back(internal::NewPublicService(ctx));
  services.push_back(internal::NewEventService(ctx));
  return services;
}

}  // namespace taskgate::services
