#include "workflow/audit_ledger.h"

#include <thread>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include "audit/encoding.h"
#include "audit/state.h"
#include "common/status_macros.h"
#include "workflow/record_check.h"

namespace taskgate::workflow {
namespace {

// Rows read per store call while verifying: bounded memory per step.
constexpr int32_t kVerifyPage = 10000;

}  // namespace

absl::StatusOr<audit::VerifyReport> VerifyStoredLog(
    store::Store& store, const std::string& district_id,
    const audit::VerifyingKey& key,
    const std::optional<audit::Checkpoint>& kept, const std::string& kept_name,
    std::vector<std::string>* uncovered) {
  // The tables are read and hashed on a thread of their own while this one
  // reads and checks the log: the two reads are independent until they are
  // compared, and each is about half of the check.
  absl::StatusOr<std::vector<StoredState>> stored;
  std::jthread tables([&] { stored = ReadStoredStates(store, district_id); });
  audit::LogVerifier verifier(district_id, 1);
  // What the log says each entity holds: its latest write's digest.
  audit::StateReplay replay({.keep_fields = false, .only = std::nullopt});
  audit::AuditEventView view;
  int64_t v1_events = 0;
  int64_t after = 0;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(
        std::vector<store::AuditRow> rows,
        store.ListAuditRows(district_id, after, kVerifyPage));
    std::vector<audit::PresentedEvent> events;
    events.reserve(rows.size());
    for (store::AuditRow& row : rows) {
      // An undecodable event is the verifier's to report.
      if (audit::DecodeAuditEventView(row.canonical, view).ok()) {
        if (view.encoding == audit::kAuditEncodingV1) ++v1_events;
        replay.Apply(row.seq, view.writes);
      }
      events.push_back({.seq = row.seq,
                        .canonical = std::move(row.canonical),
                        .leaf_hash = std::move(row.leaf_hash),
                        .readable = std::move(row.columns),
                        .readable_has_details = false});
    }
    verifier.AddAll(events);
    if (static_cast<int32_t>(rows.size()) < kVerifyPage) break;
    after = rows.back().seq;
  }
  audit::VerifyInputs inputs;
  inputs.key = &key;
  TASKGATE_ASSIGN_OR_RETURN(inputs.checkpoints,
                            store.ListCheckpoints(district_id, 0, 0));
  inputs.kept = kept;
  inputs.kept_name = kept_name;
  audit::VerifyReport report = verifier.Finish(inputs);
  tables.join();
  if (!stored.ok()) return stored.status();
  TASKGATE_RETURN_IF_ERROR(CompareTablesWithLog(
      store, district_id, *stored, replay, v1_events, report, uncovered));
  return report;
}

AuditLedger::AuditLedger(store::Store& store, const Clock& clock,
                         audit::SigningKey key, Options options,
                         CheckpointKeeper* keeper)
    : store_(store),
      clock_(clock),
      key_(std::move(key)),
      public_key_(key_.verifying_key()),
      options_(std::move(options)),
      log_id_(audit::LogIdOf(options_.district_id)),
      keeper_(keeper) {}

absl::StatusOr<std::unique_ptr<AuditLedger>> AuditLedger::Create(
    store::Store& store, const Clock& clock, audit::SigningKey key,
    Options options, CheckpointKeeper* keeper) {
  std::unique_ptr<AuditLedger> ledger(new AuditLedger(
      store, clock, std::move(key), std::move(options), keeper));
  // The last checkpoint this server signed, as kept outside the store.
  std::optional<audit::Checkpoint> head;
  std::string head_problem;
  if (keeper != nullptr) {
    absl::StatusOr<std::optional<audit::Checkpoint>> kept = keeper->Load();
    if (kept.ok()) {
      head = *std::move(kept);
    } else {
      head_problem = std::string(kept.status().message());
    }
  }
  std::vector<std::string> uncovered;
  TASKGATE_ASSIGN_OR_RETURN(
      audit::VerifyReport report,
      VerifyStoredLog(store, ledger->options_.district_id, ledger->public_key_,
                      head, "the server's last signed", &uncovered));
  if (head_problem.empty() && report.verified()) {
    TASKGATE_RETURN_IF_ERROR(
        RecordBaseline(store, clock, ledger->options_.district_id, uncovered));
  }
  absl::MutexLock lock(&ledger->mu_);
  if (!head_problem.empty()) {
    ledger->refused_ = absl::StrCat(
        "the stored audit log could not be checked at start: ", head_problem);
  } else if (!report.verified()) {
    // Keep the first problems: enough for an operator to act on.
    std::string why = "the stored audit log failed verification at start";
    for (size_t i = 0; i < report.problems.size() && i < 3; ++i) {
      absl::StrAppend(&why, "; ", report.problems[i].message);
    }
    for (size_t i = 0; i < report.table_problems.size() && i < 3; ++i) {
      absl::StrAppend(&why, "; ", report.table_problems[i]);
    }
    absl::StrAppend(&why, "; run taskgated --verify-db for the full report");
    ledger->refused_ = std::move(why);
  }
  TASKGATE_ASSIGN_OR_RETURN(
      ledger->latest_, store.LatestCheckpoint(ledger->options_.district_id));
  // Built from the stored leaf hashes, which the verification above has just
  // compared with the canonical bytes.
  TASKGATE_RETURN_IF_ERROR(ledger->SyncLocked());
  return ledger;
}

absl::Status AuditLedger::SyncLocked() {
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(
        std::vector<audit::Hash> leaves,
        store_.ListLeafHashes(options_.district_id,
                              static_cast<int64_t>(tree_.size()), kVerifyPage));
    for (const audit::Hash& leaf : leaves) tree_.Append(leaf);
    if (static_cast<int32_t>(leaves.size()) < kVerifyPage) {
      return absl::OkStatus();
    }
  }
}

absl::StatusOr<int64_t> AuditLedger::Sync() {
  absl::MutexLock lock(&mu_);
  TASKGATE_RETURN_IF_ERROR(SyncLocked());
  return static_cast<int64_t>(tree_.size());
}

absl::Status AuditLedger::Append(
    const std::vector<store::AppendedEvent>& appended) {
  absl::MutexLock lock(&mu_);
  for (const store::AppendedEvent& e : appended) {
    if (e.district_id != options_.district_id) continue;
    const auto size = static_cast<int64_t>(tree_.size());
    if (e.seq <= size) continue;
    if (e.seq > size + 1) {
      TASKGATE_RETURN_IF_ERROR(SyncLocked());
      continue;
    }
    tree_.Append(e.leaf_hash);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> AuditLedger::SizeArg(int64_t tree_size) {
  TASKGATE_RETURN_IF_ERROR(SyncLocked());
  const auto size = static_cast<int64_t>(tree_.size());
  if (tree_size == 0) return size;
  if (tree_size < 0 || tree_size > size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tree_size ", tree_size, " is outside the audit log, which has ", size,
        " events; ask for 1 to ", size, " (0 means the whole log)"));
  }
  return tree_size;
}

absl::StatusOr<audit::Hash> AuditLedger::Root(int64_t tree_size) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(const int64_t size, SizeArg(tree_size));
  return tree_.Root(size);
}

absl::StatusOr<AuditLedger::Inclusion> AuditLedger::InclusionProof(
    int64_t seq, int64_t tree_size) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(const int64_t size, SizeArg(tree_size));
  if (seq < 1 || seq > size) {
    return absl::InvalidArgumentError(
        absl::StrCat("seq ", seq, " is not in the tree of ", size,
                     " events; ask for 1 to ", size));
  }
  Inclusion out;
  out.leaf_hash = tree_.leaf_hash(seq - 1);
  TASKGATE_ASSIGN_OR_RETURN(out.root, tree_.Root(size));
  TASKGATE_ASSIGN_OR_RETURN(out.proof, tree_.InclusionProof(seq - 1, size));
  return out;
}

absl::StatusOr<std::vector<audit::Hash>> AuditLedger::ConsistencyProof(
    int64_t old_size, int64_t new_size) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(const int64_t size, SizeArg(new_size));
  if (old_size < 1 || old_size > size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "old_size ", old_size, " must be 1 to ", size, " (the new size)"));
  }
  return tree_.ConsistencyProof(old_size, size);
}

absl::StatusOr<std::vector<audit::Hash>> AuditLedger::RangeProof(
    int64_t first_seq, int64_t last_seq, int64_t tree_size) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(const int64_t size, SizeArg(tree_size));
  if (first_seq < 1 || last_seq < first_seq || last_seq > size) {
    return absl::InvalidArgumentError(
        absl::StrCat("events ", first_seq, "..", last_seq,
                     " are not a run inside the tree of ", size, " events"));
  }
  return tree_.RangeProof(first_seq - 1, last_seq, size);
}

absl::StatusOr<audit::Checkpoint> AuditLedger::SignLocked() {
  const auto size = static_cast<int64_t>(tree_.size());
  TASKGATE_ASSIGN_OR_RETURN(
      audit::Checkpoint c,
      audit::SignCheckpoint(log_id_, size, tree_.Root(), clock_.Now(), key_));
  TASKGATE_RETURN_IF_ERROR(store_.AddCheckpoint(options_.district_id, c));
  latest_ = c;
  if (keeper_ != nullptr) TASKGATE_RETURN_IF_ERROR(keeper_->Keep(c));
  return c;
}

absl::StatusOr<std::optional<audit::Checkpoint>> AuditLedger::MaybeCheckpoint(
    bool force) {
  absl::MutexLock lock(&mu_);
  if (refused_.has_value()) return std::nullopt;
  TASKGATE_RETURN_IF_ERROR(SyncLocked());
  const auto size = static_cast<int64_t>(tree_.size());
  const int64_t covered = latest_.has_value() ? latest_->tree_size : 0;
  if (size == covered) return std::nullopt;
  const bool due = force || size - covered >= options_.every_events ||
                   !latest_.has_value() ||
                   clock_.Now() - latest_->time >= options_.interval;
  if (!due) return std::nullopt;
  return SignLocked();
}

absl::StatusOr<audit::Checkpoint> AuditLedger::CurrentCheckpoint() {
  absl::MutexLock lock(&mu_);
  TASKGATE_RETURN_IF_ERROR(SyncLocked());
  const auto size = static_cast<int64_t>(tree_.size());
  if (refused_.has_value()) {
    // The newest checkpoint the altered log still reaches: exports stay
    // possible, and verifying them shows the alteration.
    TASKGATE_ASSIGN_OR_RETURN(
        std::vector<audit::Checkpoint> kept,
        store_.ListCheckpoints(options_.district_id, 0, 0));
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
      if (it->tree_size <= size) return *it;
    }
    return absl::FailedPreconditionError(
        absl::StrCat("no signed checkpoint can be given: ", *refused_));
  }
  if (latest_.has_value() && latest_->tree_size == size) return *latest_;
  if (size == 0) {
    return absl::FailedPreconditionError(
        "the audit log is empty: there is nothing to sign yet");
  }
  return SignLocked();
}

absl::Time AuditLedger::NextDue() {
  absl::MutexLock lock(&mu_);
  if (refused_.has_value()) return absl::InfiniteFuture();
  return (latest_.has_value() ? latest_->time : clock_.Now()) +
         options_.interval;
}

absl::StatusOr<AuditLedger::Coverage> AuditLedger::GetCoverage() {
  absl::MutexLock lock(&mu_);
  TASKGATE_RETURN_IF_ERROR(SyncLocked());
  return Coverage{
      .events = static_cast<int64_t>(tree_.size()),
      .signed_events = latest_.has_value() ? latest_->tree_size : 0};
}

std::optional<std::string> AuditLedger::signing_refused() {
  absl::MutexLock lock(&mu_);
  return refused_;
}

}  // namespace taskgate::workflow
