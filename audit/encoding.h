// The canonical byte encoding of an audit event: the leaf of the district's
// Merkle tree. Specified in docs/audit-encoding.md; this code and that
// document must agree, and neither may change for version 1 once data
// exists (a new encoding gets a new version byte).
// Pure functions; thread-safe.
#ifndef TASKGATE_AUDIT_ENCODING_H_
#define TASKGATE_AUDIT_ENCODING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "domain/types.h"

namespace taskgate::audit {

// The version bytes: version 1 events carry no writes; version 2 (what new
// events use) adds them after the details.
inline constexpr uint8_t kAuditEncodingV1 = 1;
inline constexpr uint8_t kAuditEncodingV2 = 2;

// The size of a write's `state_digest` (SHA-256).
inline constexpr size_t kStateDigestSize = 32;

// Returns the canonical encoding of `event` (including its `seq`) in
// `event.encoding`: 1 or 2 (any other value is a broken invariant and
// aborts; so does a version 1 event with writes).
std::string EncodeAuditEvent(const domain::AuditEvent& event);

// Returns `EncodeAuditEvent(event).size()` without building the bytes, so
// that a store can hold every event to a size limit before it writes any
// (store/change_validation.h). Same preconditions.
size_t EncodedAuditEventSize(const domain::AuditEvent& event);

struct FieldChangeView {
  std::string_view field;
  std::string_view before;
  std::string_view after;
};

struct EntityWriteView {
  std::string_view kind;
  std::string_view id;
  bool complete = false;
  std::vector<FieldChangeView> changes;
  std::string_view state_digest;  // 32 bytes
};

// An event decoded without copying: its strings point into the bytes it was
// decoded from and are valid while those live. For verifying millions of
// events; reuse one view so that its vectors keep their capacity.
struct AuditEventView {
  int encoding = kAuditEncodingV2;
  int64_t seq = 0;
  absl::Time time;
  std::string_view district_id;
  std::string_view actor_id;
  domain::Role actor_role = domain::Role::kSystem;
  std::string_view action;
  std::string_view entity_type;
  std::string_view entity_id;
  std::string_view state_before;
  std::string_view state_after;
  std::string_view reason;
  std::string_view request_id;
  std::string_view department_id;
  std::vector<std::string_view> community_ids;
  std::vector<std::pair<std::string_view, std::string_view>> details;
  std::vector<EntityWriteView> writes;
};

// The owned copy of a decoded write.
domain::EntityWrite ToEntityWrite(const EntityWriteView& view);

// Parses a canonical encoding into `view` (errors as `DecodeAuditEvent`).
absl::Status DecodeAuditEventView(std::string_view bytes, AuditEventView& view);

// Parses a canonical encoding. INVALID_ARGUMENT names what is malformed
// (unknown version, truncated field, trailing bytes, unknown role, details
// keys or a write's fields out of order, a bad `complete` byte).
absl::StatusOr<domain::AuditEvent> DecodeAuditEvent(std::string_view bytes);

}  // namespace taskgate::audit

#endif  // TASKGATE_AUDIT_ENCODING_H_
