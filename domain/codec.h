// JSON forms of the domain values, used to persist them (a store keeps a
// task's full body as JSON beside its indexed columns) and to keep the
// first answer to a request for idempotent replay.
//
// Round-trips exactly: `XFromJson(XToJson(x)) == x` field for field. Times
// are whole microseconds since the Unix epoch; civil days are "YYYY-MM-DD".
// Enum values are written by their stable names (domain.h). Pure functions;
// thread-safe.
//
// domain/codec.cc is long on purpose: it is one job, the JSON form of the
// domain. Every reader is an overload of one `Read(context, json, path,
// out)` set, so a value nested in another (a Finding in a Task, a
// CatalogItem in a CatalogVersion) is read by overload resolution and every
// error names its full member path alike ("member 'spec.start_date' ...");
// the writers share the time, day, month and enum forms. Split by type, that
// overload set and those forms would become an internal header every piece
// includes, and the round trip of a type would be spread over files.
#ifndef TASKGATE_DOMAIN_CODEC_H_
#define TASKGATE_DOMAIN_CODEC_H_

#include <string>
#include <string_view>

#include <absl/status/statusor.h>

#include "domain/types.h"

namespace taskgate::domain {

// Each *FromJson returns INVALID_ARGUMENT naming the first bad member.
std::string TaskToJson(const Task& task);
absl::StatusOr<Task> TaskFromJson(std::string_view json);

std::string CommunityToJson(const Community& community);
absl::StatusOr<Community> CommunityFromJson(std::string_view json);

std::string DepartmentToJson(const Department& department);
absl::StatusOr<Department> DepartmentFromJson(std::string_view json);

std::string StreetToJson(const Street& street);
absl::StatusOr<Street> StreetFromJson(std::string_view json);

std::string CatalogToJson(const CatalogVersion& catalog);
absl::StatusOr<CatalogVersion> CatalogFromJson(std::string_view json);

std::string CalendarYearToJson(const CalendarYear& calendar);
absl::StatusOr<CalendarYear> CalendarYearFromJson(std::string_view json);

std::string DecisionToJson(const Decision& decision);
absl::StatusOr<Decision> DecisionFromJson(std::string_view json);

std::string DistrictToJson(const District& district);
absl::StatusOr<District> DistrictFromJson(std::string_view json);

std::string PrincipalToJson(const Principal& principal);
absl::StatusOr<Principal> PrincipalFromJson(std::string_view json);

// Carries the token hash (never a secret): for storage, not for events.
std::string CredentialToJson(const Credential& credential);
absl::StatusOr<Credential> CredentialFromJson(std::string_view json);

std::string ComplaintToJson(const Complaint& complaint);
absl::StatusOr<Complaint> ComplaintFromJson(std::string_view json);

std::string FundingReportToJson(const FundingReport& report);
absl::StatusOr<FundingReport> FundingReportFromJson(std::string_view json);

std::string AttachmentToJson(const Attachment& attachment);
absl::StatusOr<Attachment> AttachmentFromJson(std::string_view json);

std::string AssignmentAckToJson(const AssignmentAck& ack);
absl::StatusOr<AssignmentAck> AssignmentAckFromJson(std::string_view json);

// "YYYY-MM-DD"; INVALID_ARGUMENT for anything else, including impossible
// dates such as 2026-02-30.
absl::StatusOr<absl::CivilDay> ParseCivilDay(std::string_view text);
std::string FormatCivilDay(absl::CivilDay day);

}  // namespace taskgate::domain

#endif  // TASKGATE_DOMAIN_CODEC_H_
