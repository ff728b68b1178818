// Field violations carried inside an `absl::Status`.
//
// Validation anywhere below the service layer reports *each* bad field. The
// list travels as a status payload so that the service layer can turn it into
// a `google.rpc.BadRequest` detail without the workflow knowing about gRPC.
// Pure functions; thread-safe.
#ifndef TASKGATE_COMMON_FIELD_VIOLATIONS_H_
#define TASKGATE_COMMON_FIELD_VIOLATIONS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>

namespace taskgate {

struct FieldViolation {
  std::string field;        // dotted path, e.g. "task.start_date"
  std::string description;  // what is wrong and what to do
  bool operator==(const FieldViolation&) const = default;
};

// The payload type URL under which violations are attached.
inline constexpr char kFieldViolationsPayloadUrl[] =
    "type.taskgate.dev/taskgate.FieldViolations";

// The most violations one status reports. A request whose every list item
// is bad would otherwise get an error as large as itself (a million bad
// enum values, a million violations): what is reported must stay small
// enough for the status to reach the client.
inline constexpr size_t kMaxReportedViolations = 32;

// Returns `INVALID_ARGUMENT` whose message lists every violation and whose
// payload carries them for `GetFieldViolations`; past
// `kMaxReportedViolations`, the first ones and then one violation of field
// "request" saying how many more there are. `violations` must not be
// empty.
absl::Status InvalidArgumentWithViolations(
    const std::vector<FieldViolation>& violations);

// Returns the violations attached to `status`, or an empty list.
std::vector<FieldViolation> GetFieldViolations(const absl::Status& status);

}  // namespace taskgate

#endif  // TASKGATE_COMMON_FIELD_VIOLATIONS_H_
