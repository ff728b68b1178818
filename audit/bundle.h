// The audit export bundle (SPEC §7): a self-contained JSON file holding a
// contiguous run of a district's audit events in their canonical encoding
// and in a readable form, the signed checkpoint they are proven against,
// and the proofs, so that an inspector can verify it offline with only the
// server's public key. Format described in docs/audit-bundle.md.
//
// Pure functions over value types; thread-safe.
#ifndef TASKGATE_AUDIT_BUNDLE_H_
#define TASKGATE_AUDIT_BUNDLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "audit/checkpoint.h"
#include "audit/log_verifier.h"
#include "audit/merkle.h"
#include "audit/signing.h"
#include "domain/types.h"

namespace taskgate::audit {

inline constexpr std::string_view kBundleFormat = "taskgate-audit-bundle/v1";

struct BundleEvent {
  int64_t seq = 0;
  std::string canonical;  // raw bytes (hex in the file)
  std::string leaf_hash;  // raw bytes (hex in the file)
  // The readable form. Written from `canonical` when absent; read back from
  // the file, where it may have been edited, so the verifier compares.
  std::optional<domain::AuditEvent> readable;
};

struct Bundle {
  std::string district_id;
  absl::Time exported_at;
  std::string exported_by;
  // The time range asked for, if any (informational).
  std::optional<absl::Time> start_time;
  std::optional<absl::Time> end_time;
  // The run of events the bundle declares: seq first_seq..last_seq. Empty
  // when last_seq < first_seq.
  int64_t first_seq = 1;
  int64_t last_seq = 0;
  audit::Checkpoint checkpoint;  // the head the events are proven in
  // For a whole log (first_seq 1, last_seq >= checkpoint.tree_size; more
  // only from a server that stopped signing an altered log): every earlier
  // signed checkpoint, checked against the recomputed roots.
  std::vector<audit::Checkpoint> checkpoints;
  // For a slice: merkle::RangeProof of the events in the checkpoint's tree.
  std::vector<audit::Hash> range_proof;
  // A consistency proof from an earlier tree size (the auditor's kept
  // checkpoint) to the checkpoint; 0 when none.
  int64_t consistency_from = 0;
  std::vector<audit::Hash> consistency_proof;
  std::vector<BundleEvent> events;
};

// The file's JSON (pretty, trailing newline). Events without `readable` get
// it decoded from their canonical bytes; null when the bytes do not decode,
// or when their text is not UTF-8 and so has no JSON form (only bytes
// edited into a database are such: the server records UTF-8 only).
std::string BundleToJson(const Bundle& bundle);

// Parses a bundle file. INVALID_ARGUMENT naming the member that is missing
// or malformed (e.g. "events[3].canonical is not hex"). A readable form
// that does not parse is an error too: the file is not a bundle then.
absl::StatusOr<Bundle> BundleFromJson(std::string_view json);

// Verifies `bundle` with the server's public `key`, and against the
// checkpoint the auditor `kept`, if any.
VerifyReport VerifyBundle(const Bundle& bundle, const audit::VerifyingKey& key,
                          const std::optional<audit::Checkpoint>& kept);

// A readable audit event as JSON (RFC 3339 times, role names), the form
// used in bundles; and its parser. Text that is not UTF-8 is written with
// U+FFFD in place of each bad byte.
std::string AuditEventToReadableJson(const domain::AuditEvent& event);
absl::StatusOr<domain::AuditEvent> AuditEventFromReadableJson(
    std::string_view json);

}  // namespace taskgate::audit

#endif  // TASKGATE_AUDIT_BUNDLE_H_
