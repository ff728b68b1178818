// `AuditLedger`: the server's side of the verifiable record (SPEC §7) for
// one district. It mirrors the district's audit log as a Merkle tree kept in
// memory (audit/merkle_tree.h), so proofs and roots of any size cost
// O(log n) instead of a rehash of the log, and it signs checkpoints with the
// server's Ed25519 key: every N uncovered events, when the newest checkpoint
// is older than the interval and events came since, on demand for an
// export, and on shutdown.
//
// At creation it verifies the stored log against the stored checkpoints,
// and the tables against the log (the same check as `taskgated
// --verify-db`) and against the last
// checkpoint it signed, which it also keeps outside the store through a
// `CheckpointKeeper` (the server's is a file beside its key, the head file):
// someone who can edit the database but not the key's directory cannot cut
// the log's tail and its checkpoints unnoticed. On a log that verifies, it
// records the state of entities last written before the log carried entity
// states (workflow/record_check.h), once. A log (or tables)
// that fails is still served, so that inspectors can read and export it,
// but is never signed again: a signature would lend the altered record the
// server's word.
//
// It lives in workflow/ rather than services/ because it is no RPC adapter:
// it decides when to sign and refuses to sign an altered log, and the
// audit read side (workflow/audit_reader.h) builds proofs and export plans
// on it. It does no file I/O of its own; the keeper does.
//
// Thread-safety: all methods may be called from any thread.
#ifndef TASKGATE_WORKFLOW_AUDIT_LEDGER_H_
#define TASKGATE_WORKFLOW_AUDIT_LEDGER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include "audit/checkpoint.h"
#include "audit/log_verifier.h"
#include "audit/merkle.h"
#include "audit/merkle_tree.h"
#include "audit/signing.h"
#include "common/clock.h"
#include "store/store.h"

namespace taskgate::workflow {

// Verifies the district's stored log (rows, leaf hashes, index columns)
// against its stored checkpoints and, if given, the auditor's `kept` one,
// and the stored tables against the log (workflow/record_check.h);
// `uncovered`, when given, receives the entities last written before the
// log carried entity states.
absl::StatusOr<audit::VerifyReport> VerifyStoredLog(
    store::Store& store, const std::string& district_id,
    const audit::VerifyingKey& key,
    const std::optional<audit::Checkpoint>& kept = std::nullopt,
    const std::string& kept_name = "your kept",
    std::vector<std::string>* uncovered = nullptr);

// Keeps the last checkpoint the ledger signed outside the store.
// Implementations must be thread-compatible: the ledger calls them under its
// own lock.
class CheckpointKeeper {
 public:
  virtual ~CheckpointKeeper() = default;

  // The kept checkpoint, or nullopt when none is kept yet. An error whose
  // message names where it looked when what is kept cannot be read.
  virtual absl::StatusOr<std::optional<audit::Checkpoint>> Load() = 0;

  // Keeps `checkpoint` in place of the previous one; a crash leaves one or
  // the other.
  virtual absl::Status Keep(const audit::Checkpoint& checkpoint) = 0;
};

class AuditLedger final {
 public:
  struct Options {
    std::string district_id;
    int64_t every_events = 1000;
    absl::Duration interval = absl::Hours(1);
  };

  // Verifies the stored log (see above) and builds the tree. `keeper` may be
  // null (nothing is kept outside the store); when given it must outlive
  // the ledger. The store's errors; a log that fails verification is not an
  // error (see `signing_refused`).
  static absl::StatusOr<std::unique_ptr<AuditLedger>> Create(
      store::Store& store, const Clock& clock, audit::SigningKey key,
      Options options, CheckpointKeeper* keeper = nullptr);

  AuditLedger(const AuditLedger&) = delete;
  AuditLedger& operator=(const AuditLedger&) = delete;

  // Brings the tree up to the stored log and returns its size.
  absl::StatusOr<int64_t> Sync();

  // Adds what a committed batch appended to the district's log (the
  // writer's `CommitListener::Committed`), without reading it back. Events
  // of other districts, and events already in the tree, are skipped; a gap
  // (events committed by another path) is filled from the store.
  absl::Status Append(const std::vector<store::AppendedEvent>& appended);

  // Roots and proofs over the first `tree_size` events (0: the whole log).
  // INVALID_ARGUMENT, naming the field, for sizes or seqs outside the log.
  absl::StatusOr<audit::Hash> Root(int64_t tree_size);
  // The event's leaf hash and its audit path to the root of `tree_size`.
  struct Inclusion {
    audit::Hash leaf_hash{};
    audit::Hash root{};
    std::vector<audit::Hash> proof;
  };
  absl::StatusOr<Inclusion> InclusionProof(int64_t seq, int64_t tree_size);
  absl::StatusOr<std::vector<audit::Hash>> ConsistencyProof(int64_t old_size,
                                                            int64_t new_size);
  absl::StatusOr<std::vector<audit::Hash>> RangeProof(int64_t first_seq,
                                                      int64_t last_seq,
                                                      int64_t tree_size);

  // Signs and keeps a checkpoint when one is due, or when `force` and any
  // event is not yet covered. Returns it, or nullopt when none was due.
  // Nothing is signed while signing is refused.
  absl::StatusOr<std::optional<audit::Checkpoint>> MaybeCheckpoint(bool force);

  // A checkpoint covering the whole log now, signed now if events came
  // since the newest. While signing is refused: the newest kept one within
  // the log's present size. FAILED_PRECONDITION when there is none to give.
  absl::StatusOr<audit::Checkpoint> CurrentCheckpoint();

  // When the interval next makes a checkpoint due (if events came since).
  absl::Time NextDue();

  // The log's size and the size its newest checkpoint covers.
  struct Coverage {
    int64_t events = 0;
    int64_t signed_events = 0;
  };
  absl::StatusOr<Coverage> GetCoverage();

  const audit::VerifyingKey& public_key() const { return public_key_; }
  const std::string& log_id() const { return log_id_; }
  // Why the log is not signed any more, or nullopt.
  std::optional<std::string> signing_refused();

 private:
  AuditLedger(store::Store& store, const Clock& clock, audit::SigningKey key,
              Options options, CheckpointKeeper* keeper);
  absl::Status SyncLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> SizeArg(int64_t tree_size)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<audit::Checkpoint> SignLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  store::Store& store_;
  const Clock& clock_;
  const audit::SigningKey key_;
  const audit::VerifyingKey public_key_;
  const Options options_;
  const std::string log_id_;
  CheckpointKeeper* const keeper_;  // may be null

  absl::Mutex mu_;
  audit::MerkleTree tree_ ABSL_GUARDED_BY(mu_);
  std::optional<audit::Checkpoint> latest_ ABSL_GUARDED_BY(mu_);
  std::optional<std::string> refused_ ABSL_GUARDED_BY(mu_);
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_AUDIT_LEDGER_H_
