// Signed checkpoints of the audit log (SPEC §7): a statement, signed with the
// server's Ed25519 key, that "the log <log_id> had <tree_size> events with
// Merkle root <root_hash> at <time>". An auditor keeps checkpoints and later
// asks for consistency proofs between them; a server that rewrote history
// would have to produce a second, conflicting signed checkpoint.
//
// The signed bytes are a small line-based text (see `CheckpointBody` and
// docs/checkpoint-format.md), in the spirit of C2SP's tlog-checkpoint, so a
// checkpoint can be checked with the openssl command line alone.
//
// Pure functions over value types; thread-safe.
#ifndef TASKGATE_AUDIT_CHECKPOINT_H_
#define TASKGATE_AUDIT_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "audit/merkle.h"
#include "audit/signing.h"

namespace taskgate::audit {

// The first line of the body and the "format" of the JSON form.
inline constexpr std::string_view kCheckpointFormat = "taskgate-checkpoint/v1";

struct Checkpoint {
  std::string log_id;       // e.g. "taskgate/<district_id>"
  int64_t tree_size = 0;    // number of events (leaves)
  audit::Hash root_hash{};  // RFC 6962 root over those events
  absl::Time time;          // whole microseconds
  std::string key_id;       // `SigningKey::KeyId()` of the signer
  std::string signature;    // 64 raw bytes over `CheckpointBody()`
  bool operator==(const Checkpoint&) const = default;
};

// Returns the exact bytes signed, one field per line, each ending in '\n':
//
//   taskgate-checkpoint/v1
//   <log_id>
//   <tree_size, decimal>
//   <root_hash, 64 lower-case hex>
//   <time, unix microseconds, decimal>
//   <key_id>
//
// The signature is not part of the body.
std::string CheckpointBody(const Checkpoint& c);

// Returns a checkpoint signed by `key`, with `key_id` and `signature` filled.
// `time` is truncated to whole microseconds (toward the past), the precision
// of the body. INVALID_ARGUMENT for an empty `log_id`, one that is not UTF-8
// or holds a control character (such as '\n', which would break the line
// format), a negative `tree_size` or an infinite `time`. INTERNAL if signing
// fails.
absl::StatusOr<Checkpoint> SignCheckpoint(std::string log_id, int64_t tree_size,
                                          const audit::Hash& root,
                                          absl::Time time,
                                          const audit::SigningKey& key);

// Returns OK when `c` was signed by `key` and is unaltered. Otherwise:
// INVALID_ARGUMENT if `c` is malformed (as `SignCheckpoint` would refuse, or
// a signature that is not 64 bytes); FAILED_PRECONDITION "checkpoint was
// signed by key <id>, not by the key given (<id>)" when the key ids differ
// (fetch the right public key); DATA_LOSS "signature does not verify: the
// checkpoint was altered or forged" when the signature fails. DATA_LOSS
// rather than PERMISSION_DENIED because the fault is in the data, not in the
// caller's rights.
absl::Status VerifyCheckpoint(const Checkpoint& c,
                              const audit::VerifyingKey& key);

// Returns the JSON form an auditor keeps, pretty-printed with a 2-space
// indent and a trailing newline:
//
//   {"format": "taskgate-checkpoint/v1", "log_id": .., "tree_size": ..,
//    "root_hash": "<hex>", "time": "<RFC 3339 UTC, microseconds>",
//    "time_unix_micros": <int>, "key_id": .., "signature": "<base64>"}
//
// `time_unix_micros` is authoritative; `time` is for people. Bytes of
// `log_id` that are not UTF-8 (which `SignCheckpoint` refuses) are written
// as U+FFFD.
std::string CheckpointToJson(const Checkpoint& c);

// Parses the JSON form. INVALID_ARGUMENT naming the field that is missing or
// malformed: a wrong "format", a bad `log_id` (as `SignCheckpoint` refuses),
// a `tree_size` that is not a non-negative integer, a `root_hash` that is not
// 64 hex characters, a `time` that is not RFC 3339 or disagrees with
// `time_unix_micros`, a `key_id` that is not 16 lower-case hex characters, or
// a `signature` that is not base64 of 64 bytes. Unknown fields are ignored.
// Does not verify the signature (see `VerifyCheckpoint`).
absl::StatusOr<Checkpoint> CheckpointFromJson(std::string_view json);

}  // namespace taskgate::audit

#endif  // TASKGATE_AUDIT_CHECKPOINT_H_
