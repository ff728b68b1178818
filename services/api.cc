#include "services/api.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <spdlog/spdlog.h>

#include "common/safe_text.h"
#include "services/auth.h"
#include "services/grpc_status.h"
#include "services/handler.h"
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
    ApiContext& ctx, const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    // A bearer token, when sent, decides; else under mutual TLS the
    // verified certificate does (SPEC §8).
    if (ctx.client_certificates) {
      const std::shared_ptr<const grpc::AuthContext> auth =
          context.auth_context();
      std::vector<std::string> identities;
      if (auth != nullptr) identities = PeerCertificateIdentities(*auth);
      if (!identities.empty()) {
        return ctx.engine.directory().AuthenticateCertificate(identities);
      }
    }
    return absl::UnauthenticatedError(
        "no credentials: send the metadata 'authorization: Bearer <token>'; "
        "an admin issues tokens");
  }
  absl::StatusOr<std::string> token =
      ParseBearer(std::string_view(it->second.data(), it->second.size()));
  if (!token.ok()) return token.status();
  return ctx.engine.directory().Authenticate(HashToken(*token));
}

grpc::Status Finish(ApiContext& ctx, std::string_view method,
                    const domain::Principal* caller,
                    std::string_view request_id, const absl::Status& status,
                    absl::Duration latency) {
  // Refused calls are part of the record (SPEC §7, issue 3).
  if (absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)) {
    domain::Principal who;
    if (caller != nullptr) {
      who = *caller;
    } else {
      who.id = "anonymous";
      who.role = domain::Role::kSystem;
    }
    absl::Status recorded = ctx.engine.recorder().RecordAccessDenied(
        who, std::string(method), status.code(), std::string(status.message()));
    if (!recorded.ok()) {
      // The caller is refused all the same; the operator sees the gap in
      // the record on /metrics (SPEC §9).
      ctx.metrics.CountUnrecordedRefusal(CodeName(status.code()));
      spdlog::warn("could not audit refused call to {}: {}", method,
                   EscapeForLog(recorded.ToString(), kMaxLoggedErrorBytes));
    }
  }
  const std::string code = CodeName(status.code());
  ctx.metrics.ObserveRpc(method, code, latency);
  // The request id arrives before it is validated, and messages quote
  // client values: both are escaped, so that no client text can start a
  // line of its own in the log (SPEC §9).
  spdlog::info(
      "rpc method={} principal={} role={} request_id={} code={} "
      "latency_ms={:.2f}{}{}",
      method, caller != nullptr ? EscapeForLog(caller->id) : "-",
      caller != nullptr ? domain::RoleName(caller->role) : "-",
      request_id.empty() ? "-" : EscapeForLog(request_id, kMaxRequestIdLength),
      code, absl::ToDoubleMilliseconds(latency), status.ok() ? "" : " error=",
      status.ok() || absl::IsInternal(status)
          ? std::string()
          : EscapeForLog(std::string(status.message()), kMaxLoggedErrorBytes));
  return ToGrpcStatus(status, request_id);
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

std::vector<std::unique_ptr<grpc::Service>> MakeApiServices(ApiContext& ctx) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(internal::NewTaskService(ctx));
  services.push_back(internal::NewReviewService(ctx));
  services.push_back(internal::NewCommunityService(ctx));
  services.push_back(internal::NewAuditService(ctx));
  services.push_back(internal::NewAdminService(ctx));
  return services;
}

}  // namespace taskgate::services
