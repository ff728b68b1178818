// The substance of stored entities as flat fields, for the audit record
// (SPEC §7): what an event says a change wrote, what a replay of the log
// rebuilds, and what a stored row is compared with.
//
// An entity's fields are its JSON form (domain/codec.h) flattened: nested
// objects become dotted names ("spec.title", "spec.type_justifications.
// ledger"), strings are their text, numbers and booleans their JSON text,
// and arrays their compact JSON text. Members at their zero value (null, "",
// [], false, 0) are left out, so that a member added to the codec later
// does not change the fields of entities that never set it.
//
// Pure functions; thread-safe.
#ifndef TASKGATE_DOMAIN_FIELDS_H_
#define TASKGATE_DOMAIN_FIELDS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

namespace taskgate::domain {

// Field name -> value, in ascending byte order of the names.
using Fields = std::map<std::string, std::string, std::less<>>;

// The kinds of stored entity the record covers, as audit writes name them.
inline constexpr std::string_view kDistrictEntity = "district";
inline constexpr std::string_view kCatalogEntity = "catalog";  // id: version
// id: "<year>/<version>" (`CalendarKey`)
inline constexpr std::string_view kCalendarEntity = "calendar";
inline constexpr std::string_view kDepartmentEntity = "department";
inline constexpr std::string_view kStreetEntity = "street";
inline constexpr std::string_view kCommunityEntity = "community";
inline constexpr std::string_view kTaskEntity = "task";
inline constexpr std::string_view kDecisionEntity = "decision";
inline constexpr std::string_view kPrincipalEntity = "principal";
inline constexpr std::string_view kCredentialEntity = "credential";
inline constexpr std::string_view kComplaintEntity = "complaint";
inline constexpr std::string_view kFundingReportEntity = "funding_report";
inline constexpr std::string_view kAckEntity = "ack";
// id: "<task_id>/<sha256>" (`AttachmentKey`)
inline constexpr std::string_view kAttachmentEntity = "attachment";

// Decisions have no id of their own: the n-th decision on a task (1, 2, ...
// oldest first) is "<task_id>/<n>". An acknowledgement is
// "<task_id>/<community_id>".
std::string DecisionKey(std::string_view task_id, int64_t n);
std::string AckKey(std::string_view task_id, std::string_view community_id);
// The attachment of content `sha256` (hex) to task `task_id`.
std::string AttachmentKey(std::string_view task_id, std::string_view sha256);
// Version `version` of the calendar of `year`: "2026/2".
std::string CalendarKey(int32_t year, int64_t version);

// The fields of an entity's JSON form. INVALID_ARGUMENT when `json` is not a
// JSON object.
absl::StatusOr<Fields> FieldsOfJson(std::string_view json);

}  // namespace taskgate::domain

#endif  // TASKGATE_DOMAIN_FIELDS_H_
