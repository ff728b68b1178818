// The canonical byte encoding of an audit event: the leaf of the district's
// Merkle tree. Specified in docs/audit-encoding.md; this code and that
// document must agree, and neither may change for version 1 once data
// exists (a new encoding gets a new version byte).
// Pure functions; thread-safe.
#ifndef TASKGATE_WORKFLOW_AUDIT_ENCODING_H_
#define TASKGATE_WORKFLOW_AUDIT_ENCODING_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

#include "workflow/domain.h"

namespace taskgate::workflow {

// The version byte that starts every version-1 encoding.
inline constexpr uint8_t kAuditEncodingVersion = 1;

// Returns the canonical encoding of `event` (including its `seq`).
std::string EncodeAuditEvent(const AuditEvent& event);

// Parses a canonical encoding. INVALID_ARGUMENT names what is malformed
// (unknown version, truncated field, trailing bytes, unknown role, details
// keys out of order).
absl::StatusOr<AuditEvent> DecodeAuditEvent(std::string_view bytes);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_AUDIT_ENCODING_H_
