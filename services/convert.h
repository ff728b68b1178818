// Conversions between the taskgate.v1 protos and the domain types.
//
// Inbound conversions validate what the proto cannot express (dates, enum
// values, map keys, etags) and append a field violation for each problem,
// with the field path as the client sent it (e.g. "spec.start_date").
// Outbound conversions fill output-only fields. Pure functions; thread-safe.
#ifndef TASKGATE_SERVICES_CONVERT_H_
#define TASKGATE_SERVICES_CONVERT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/time/time.h>
#include <google/protobuf/timestamp.pb.h>

#include "audit/checkpoint.h"
#include "common/field_violations.h"
#include "domain/types.h"
#include "store/store.h"
#include "taskgate/v1/admin_service.pb.h"
#include "taskgate/v1/audit_service.pb.h"
#include "taskgate/v1/community_service.pb.h"
#include "taskgate/v1/resources.pb.h"
#include "taskgate/v1/task_service.pb.h"
#include "workflow/audit_reader.h"
#include "workflow/paging.h"
#include "workflow/statistics.h"

namespace taskgate::services {

namespace v1 = ::taskgate::v1;

// Etags are the decimal version; "" means "do not check" (0).
std::string ToEtag(int64_t version);
int64_t FromEtag(std::string_view field, std::string_view etag,
                 std::vector<FieldViolation>& violations);

void ToTimestamp(absl::Time t, google::protobuf::Timestamp* out);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);

domain::TaskSpec FromProto(const v1::TaskSpec& spec, std::string_view prefix,
                           std::vector<FieldViolation>& violations);
void ToProto(const domain::TaskSpec& spec, v1::TaskSpec* out);
void ToProto(const domain::Finding& finding, v1::Finding* out);
void ToProto(const domain::Task& task, v1::Task* out);
void ToProto(const domain::Decision& decision, v1::Decision* out);
void ToProto(const workflow::Page<domain::Task>& page,
             v1::ListTasksResponse* out);

std::vector<domain::CatalogItem> FromProto(
    const google::protobuf::RepeatedPtrField<v1::CatalogItem>& items,
    std::vector<FieldViolation>& violations);
void ToProto(const domain::CatalogVersion& catalog, v1::CatalogVersion* out);

// A map keyed by controlled bucket name ("work_body", ...), as community
// baselines and catalog limits carry it; `field` names it in violations
// (an unknown bucket, more entries than buckets).
std::map<domain::ControlledBucket, int32_t> BucketsFromProto(
    const google::protobuf::Map<std::string, int32_t>& in,
    std::string_view field, std::vector<FieldViolation>& violations);
void BucketsToProto(const std::map<domain::ControlledBucket, int32_t>& in,
                    google::protobuf::Map<std::string, int32_t>* out);

// The year as sent; dates that do not parse are violations of
// "holidays[i]" / "makeup_workdays[i]" (the rest is checked by the
// workflow).
domain::CalendarYear FromProto(const v1::PublishCalendarRequest& request,
                               std::vector<FieldViolation>& violations);
void ToProto(const domain::CalendarYear& calendar, v1::CalendarYear* out);

domain::Community FromProto(const v1::Community& community,
                            std::vector<FieldViolation>& violations);
void ToProto(const domain::Community& community, v1::Community* out);

// Departments and streets (SPEC §1); the etag is read by the caller.
domain::Department FromProto(const v1::Department& department);
void ToProto(const domain::Department& department, v1::Department* out);
domain::Street FromProto(const v1::Street& street);
void ToProto(const domain::Street& street, v1::Street* out);

void ToProto(const store::StoredEvent& stored, v1::AuditEvent* out);
void ToProto(const audit::Checkpoint& c, v1::Checkpoint* out);
void ToProto(const workflow::Statistics& stats, v1::Statistics* out);

domain::Principal FromProto(const v1::Principal& principal,
                            std::vector<FieldViolation>& violations);
void ToProto(const domain::Principal& principal, v1::Principal* out);
void ToProto(const domain::Credential& credential, v1::Credential* out);

domain::Complaint FromProto(const v1::Complaint& complaint,
                            std::vector<FieldViolation>& violations);
void ToProto(const domain::Complaint& complaint, v1::Complaint* out);
void ToProto(const domain::FundingReport& report, v1::FundingReport* out);
void ToProto(const domain::Attachment& attachment, v1::Attachment* out);

domain::Role FromProto(v1::Role role);
v1::Role ToProto(domain::Role role);
v1::TaskState ToProto(domain::TaskState state);
// UNSPECIFIED maps to nullopt.
std::optional<domain::ComplaintState> FromProto(v1::ComplaintState state);
v1::ComplaintState ToProto(domain::ComplaintState state);

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_CONVERT_H_
