// Field violations carried inside an `absl::Status`.
//
// Validation anywhere below the service layer reports *each* bad field. The
// list travels as a status payload so that the service layer can turn it into
// a `google.rpc.BadRequest` detail without the workflow knowing about gRPC.
// Pure functions; thread-safe.
#ifndef TASKGATE_COMMON_FIELD_VIOLATIONS_H_
#define TASKGATE_COMMON_FIELD_VIOLATIONS_H_

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

// Returns `INVALID_ARGUMENT` whose message lists every violation and whose
// payload carries them for `GetFieldViolations`. `violations` must not be
// empty.
absl::Status InvalidArgumentWithViolations(
    const std::vector<FieldViolation>& violations);

// Returns the violations attached to `status`, or an empty list.
std::vector<FieldViolation> GetFieldViolations(const absl::Status& status);

}  // namespace taskgate

#endif  // TASKGATE_COMMON_FIELD_VIOLATIONS_H_
