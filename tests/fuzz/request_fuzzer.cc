// Request validation on arbitrary protobuf messages: the first byte picks
// a request type, the rest is parsed as it (as the server's gRPC layer
// would; bytes that do not parse are refused before any of our code runs),
// then converted and checked as its RPC does (services/convert.h, the
// request id, workflow/task_spec.h and workflow/validation.h). Nothing
// crashes; a refusal is INVALID_ARGUMENT whose google.rpc.BadRequest detail
// a client can decode (valid UTF-8 throughout, every field named); a task
// spec that passes converts back and forth unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <google/protobuf/stubs/logging.h>
#include <spdlog/spdlog.h>

#include "common/field_violations.h"
#include "domain/codec.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/convert.h"
#include "services/grpc_status.h"
#include "services/handler.h"
#include "taskgate/v1/admin_service.pb.h"
#include "taskgate/v1/community_service.pb.h"
#include "taskgate/v1/task_service.pb.h"
#include "tests/fuzz/fuzz_check.h"
#include "workflow/task_spec.h"
#include "workflow/validation.h"

namespace {

namespace services = ::taskgate::services;
namespace workflow = ::taskgate::workflow;
namespace domain = ::taskgate::domain;
namespace v1 = ::taskgate::v1;
using ::taskgate::FieldViolation;

// What a client receives for `status`: the code kept, and for
// INVALID_ARGUMENT a BadRequest naming each violation.
void CheckAnswer(const absl::Status& status) {
  if (status.ok()) return;
  TASKGATE_FUZZ_CHECK(absl::IsInvalidArgument(status), status);
  const std::vector<FieldViolation> violations =
      taskgate::GetFieldViolations(status);
  TASKGATE_FUZZ_CHECK(!violations.empty(), "no field named: ", status);
  const grpc::Status answer = services::ToGrpcStatus(status, "fuzz-request");
  TASKGATE_FUZZ_CHECK(answer.error_code() == grpc::INVALID_ARGUMENT, status);
  TASKGATE_FUZZ_CHECK(workflow::IsValidUtf8(answer.error_message()),
                      "the message is not UTF-8");
  google::rpc::Status details;
  TASKGATE_FUZZ_CHECK(details.ParseFromString(answer.error_details()),
                      "the details do not parse");
  TASKGATE_FUZZ_CHECK(details.details_size() == 1, "no BadRequest");
  google::rpc::BadRequest bad_request;
  TASKGATE_FUZZ_CHECK(details.details(0).UnpackTo(&bad_request),
                      "no BadRequest");
  TASKGATE_FUZZ_CHECK(bad_request.field_violations_size() ==
                          static_cast<int>(violations.size()),
                      "the BadRequest lists ",
                      bad_request.field_violations_size(), " of ",
                      violations.size());
  for (const auto& v : bad_request.field_violations()) {
    TASKGATE_FUZZ_CHECK(!v.field().empty(), "a violation names no field");
    TASKGATE_FUZZ_CHECK(workflow::IsValidUtf8(v.field()) &&
                            workflow::IsValidUtf8(v.description()),
                        "a violation is not UTF-8: ", v.field());
  }
}

// A spec accepted as a draft converts to the API and back unchanged.
void CheckSpecRoundTrip(const domain::TaskSpec& spec) {
  v1::TaskSpec wire;
  services::ToProto(spec, &wire);
  std::vector<FieldViolation> violations;
  domain::TaskSpec back = services::FromProto(wire, "spec.", violations);
  TASKGATE_FUZZ_CHECK(violations.empty(), violations.front().field, ": ",
                      violations.front().description);
  domain::Task a;
  a.spec = spec;
  domain::Task b;
  b.spec = std::move(back);
  TASKGATE_FUZZ_CHECK(domain::TaskToJson(a) == domain::TaskToJson(b),
                      "the spec changed through the API form:\n",
                      domain::TaskToJson(a), "\n", domain::TaskToJson(b));
}

// CreateTask and UpdateTask: the request id, the task id (as the workflow
// checks it), the etag of an update, then the draft.
void CheckDraft(const std::string& request_id, const std::string& task_id,
                const std::string* etag, const v1::TaskSpec& wire) {
  std::vector<FieldViolation> violations;
  services::internal::CheckRequestId(request_id, violations);
  if (etag != nullptr || !task_id.empty()) {
    workflow::CheckId("task_id", task_id, violations);
  }
  if (etag != nullptr) (void)services::FromEtag("etag", *etag, violations);
  domain::TaskSpec spec = services::FromProto(wire, "spec.", violations);
  absl::StatusOr<workflow::DraftSpec> draft =
      workflow::DraftSpec::Check(std::move(spec), "spec.", violations);
  if (!draft.ok()) return CheckAnswer(draft.status());
  CheckSpecRoundTrip(draft->spec());
  const std::vector<FieldViolation> submit =
      workflow::CheckSubmittable(draft->spec());
  if (!submit.empty()) {
    CheckAnswer(taskgate::InvalidArgumentWithViolations(submit));
  }
}

// Checks `violations` (conversion) plus `more` (validation) as one answer.
void CheckAll(std::vector<FieldViolation> violations,
              const std::vector<FieldViolation>& more) {
  violations.insert(violations.end(), more.begin(), more.end());
  if (!violations.empty()) {
    CheckAnswer(taskgate::InvalidArgumentWithViolations(violations));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  // Strings that are not UTF-8 fail the parse, as on the server; without
  // the log line protobuf writes for each.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t* body = data + 1;
  const int length = static_cast<int>(size - 1);
  switch (data[0] % 7) {
    case 0: {
      v1::CreateTaskRequest r;
      if (r.ParseFromArray(body, length)) {
        CheckDraft(r.request_id(), r.task_id(), nullptr, r.spec());
      }
      break;
    }
    case 1: {
      v1::UpdateTaskRequest r;
      if (r.ParseFromArray(body, length)) {
        CheckDraft(r.request_id(), r.task_id(), &r.etag(), r.spec());
      }
      break;
    }
    case 2: {
      v1::TaskActionRequest r;
      if (!r.ParseFromArray(body, length)) break;
      std::vector<FieldViolation> violations;
      services::internal::CheckRequestId(r.request_id(), violations);
      workflow::CheckId("task_id", r.task_id(), violations);
      (void)services::FromEtag("etag", r.etag(), violations);
      std::vector<FieldViolation> texts;
      workflow::CheckText("reason", r.reason(), workflow::kMaxTextLength, false,
                          texts);
      CheckAll(std::move(violations), texts);
      break;
    }
    case 3: {
      v1::PublishCatalogRequest r;
      if (!r.ParseFromArray(body, length)) break;
      std::vector<FieldViolation> violations;
      services::internal::CheckRequestId(r.request_id(), violations);
      std::vector<domain::CatalogItem> items =
          services::FromProto(r.items(), violations);
      CheckAll(std::move(violations), workflow::ValidateCatalogItems(items));
      break;
    }
    case 4: {
      v1::PutCommunityRequest r;
      if (!r.ParseFromArray(body, length)) break;
      std::vector<FieldViolation> violations;
      services::internal::CheckRequestId(r.request_id(), violations);
      domain::Community c = services::FromProto(r.community(), violations);
      (void)services::FromEtag("community.etag", r.community().etag(),
                               violations);
      CheckAll(std::move(violations), workflow::ValidateCommunity(c));
      break;
    }
    case 5: {
      v1::CreatePrincipalRequest r;
      if (!r.ParseFromArray(body, length)) break;
      std::vector<FieldViolation> violations;
      services::internal::CheckRequestId(r.request_id(), violations);
      domain::Principal p = services::FromProto(r.principal(), violations);
      CheckAll(std::move(violations),
               workflow::ValidatePrincipal(p, "principal."));
      break;
    }
    default: {
      v1::FileComplaintRequest r;
      if (!r.ParseFromArray(body, length)) break;
      std::vector<FieldViolation> violations;
      services::internal::CheckRequestId(r.request_id(), violations);
      domain::Complaint c = services::FromProto(r.complaint(), violations);
      CheckAll(std::move(violations),
               workflow::ValidateComplaint(c, "complaint."));
      break;
    }
  }
  return 0;
}
