// The inspector's offline checks, with no server and no gRPC: reading what
// an inspector keeps (a checkpoint taken earlier, the server's public key,
// an export bundle), and checking the inclusion and consistency proofs the
// server sends against a kept checkpoint rather than against the server's
// word. Built on audit/ only, so that a verifier needs none of the server's
// code. Errors are INVALID_ARGUMENT saying which file or field is wrong.
// Pure functions apart from reading the named files; thread-safe.
#ifndef TASKGATE_CLIENTS_AUDIT_CHECKS_H_
#define TASKGATE_CLIENTS_AUDIT_CHECKS_H_

#include <cstdint>
#include <optional>
#include <string>

#include <absl/status/statusor.h>

#include "audit/bundle.h"
#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "audit/signing.h"
#include "taskgate/v1/audit_service.pb.h"

namespace taskgate::clients {

// The whole file; INVALID_ARGUMENT when it cannot be read.
absl::StatusOr<std::string> ReadFileText(const std::string& path);

// The checkpoint an auditor kept (`taskgate audit checkpoint`), from its
// JSON file. INVALID_ARGUMENT when unreadable or not a checkpoint.
absl::StatusOr<audit::Checkpoint> ReadKeptCheckpoint(const std::string& path);

// The server's public key (PEM, `taskgate audit pubkey`). INVALID_ARGUMENT
// when unreadable or not an Ed25519 public key.
absl::StatusOr<audit::VerifyingKey> ReadPublicKey(const std::string& path);

// An export bundle (`taskgate audit export`). INVALID_ARGUMENT when
// unreadable or malformed.
absl::StatusOr<audit::Bundle> ReadBundle(const std::string& path);

// What an inclusion proof showed.
struct InclusionCheck {
  bool verified = false;
  // The root and tree size it was checked against: the kept checkpoint's
  // when one was given, else the server's.
  audit::Hash root{};
  int64_t tree_size = 0;
};

// Checks that `proof` shows event `seq` in the tree of the kept checkpoint
// (or, without one, of the root the server reports). INVALID_ARGUMENT when
// a hash of the proof is not hex; a proof that does not verify is a result
// with `verified` false.
absl::StatusOr<InclusionCheck> CheckInclusion(
    const v1::InclusionProof& proof, int64_t seq,
    const std::optional<audit::Checkpoint>& kept);

// What a consistency proof showed.
struct ConsistencyCheck {
  enum class Verdict {
    // The tree of the earlier size is a prefix of the later one.
    kConsistent,
    // The server's root of the kept size differs from the kept root.
    kRewritten,
    // The proof does not show the prefix.
    kNotAPrefix,
  };
  Verdict verdict = Verdict::kNotAPrefix;
  // The earlier root it was checked from: the kept one when given, else
  // the server's.
  audit::Hash old_root{};
};

// Checks that `proof` shows the tree of `old_size` (with the kept root,
// when `kept` is given) to be a prefix of the tree of `proof.new_size()`.
// INVALID_ARGUMENT when a hash of the proof is not hex.
absl::StatusOr<ConsistencyCheck> CheckConsistency(
    const v1::ConsistencyProof& proof, int64_t old_size,
    const std::optional<audit::Checkpoint>& kept);

}  // namespace taskgate::clients

#endif  // TASKGATE_CLIENTS_AUDIT_CHECKS_H_
