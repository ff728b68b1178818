// Verification of a district's audit log without trusting whoever holds it
// (SPEC §7): the database file (`taskgated --verify-db`), or an exported
// bundle (`taskgate audit verify`).
//
// Events are fed in the order the source presents them. Each one is checked
// on its own: its canonical bytes decode, it sits at the position its bytes
// name, its stored leaf hash (when the source keeps one) and its readable
// form (index columns, or a bundle's JSON) agree with the bytes. Then the
// recomputed Merkle roots are checked against every Ed25519-signed
// checkpoint given: the source's own, and the one the auditor kept.
//
// What it pinpoints: an edited field, a deleted, inserted, moved or swapped
// event, or a cut tail shows up at its sequence number whenever the edit
// left any of the per-event checks broken, which is so for every edit of the
// stored rows short of re-encoding and re-hashing events by hand. A forger
// who does that can still not produce the signed roots, so the change is
// caught; it is then placed between the last checkpoint that still matches
// and the first that does not.
//
// Pure; not thread-safe (one verifier per verification). `AddAll` uses
// worker threads of its own.
#ifndef TASKGATE_AUDIT_LOG_VERIFIER_H_
#define TASKGATE_AUDIT_LOG_VERIFIER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/encoding.h"
#include "audit/merkle.h"
#include "audit/signing.h"
#include "domain/types.h"

namespace taskgate::audit {

// One event as its source presents it.
struct PresentedEvent {
  int64_t seq = 0;  // the position the source puts it at
  std::string canonical;
  // The leaf hash the source keeps beside the bytes (raw), if it keeps one.
  std::optional<std::string> leaf_hash;
  // The source's readable form, compared field by field with the bytes.
  std::optional<domain::AuditEvent> readable;
  // False when `readable` cannot carry details (database index columns).
  bool readable_has_details = true;
};

// Proof material for a slice of the log that does not start at seq 1.
struct SliceProof {
  audit::Checkpoint anchor;              // signed head the slice is in
  std::vector<audit::Hash> range_proof;  // merkle::RangeProof
  // A consistency proof from an earlier size (the auditor's kept
  // checkpoint) to `anchor`, when the exporter asked for one.
  int64_t consistency_from = 0;
  std::vector<audit::Hash> consistency_proof;
};

struct VerifyInputs {
  const audit::VerifyingKey* key = nullptr;  // required
  // The source's checkpoints (database table, bundle), any order.
  std::vector<audit::Checkpoint> checkpoints;
  // The checkpoint the auditor kept from earlier, and how reports name it.
  std::optional<audit::Checkpoint> kept;
  std::string kept_name = "your kept";
  // Given for a slice of the log (which may start at seq 1 and stop before
  // the end); absent for a whole log, which must start at seq 1.
  std::optional<SliceProof> slice;
};

struct VerifyProblem {
  // The events concerned: one (first == last) when pinpointed, or the range
  // it is known to lie in; 0 when no event is concerned (a bad signature).
  int64_t first = 0;
  int64_t last = 0;
  std::string message;
};

struct VerifyReport {
  std::string district_id;
  int64_t events = 0;
  int64_t first_seq = 0;  // of the events presented; 0 when none
  int64_t last_seq = 0;
  std::vector<VerifyProblem> problems;  // in the order found (capped)
  int64_t problem_count = 0;            // including those not kept
  // The lowest bad sequence number, or the range it lies in when only a
  // checkpoint mismatch places it.
  std::optional<VerifyProblem> first_bad;
  std::vector<std::string> checked;  // what was verified, for people
  std::vector<std::string> notes;    // neither failures nor checks
  // Stored entities whose rows differ from what the log says
  // (workflow/record_check.h), each naming the entity and the field; the
  // first ones only, and how many there are.
  std::vector<std::string> table_problems;
  int64_t table_problem_count = 0;
  bool verified() const {
    return problem_count == 0 && table_problem_count == 0;
  }
};

class LogVerifier {
 public:
  // Verifies the log of `district_id` from `first_seq` (1 for a whole log).
  LogVerifier(std::string district_id, int64_t first_seq);

  void Add(const PresentedEvent& event);
  // The same for a batch, checked on all cores; the report is the same as
  // adding them one by one.
  void AddAll(std::span<const PresentedEvent> events);

  // Reports events missing at the end, or present past the end, when the
  // source declares that its events run through `last_seq`.
  void ExpectThrough(int64_t last_seq);

  // Runs the root and signature checks and returns the report.
  VerifyReport Finish(const VerifyInputs& inputs);

  // Problems beyond this many are counted, not kept.
  static constexpr size_t kMaxProblems = 50;

 private:
  void Problem(int64_t first, int64_t last, std::string message);
  // Records the position of the next event and reports gaps and repeats.
  void Position(int64_t seq);
  void LocateFirstBad();
  void CheckWholeLog(const VerifyInputs& inputs);
  void CheckSlice(const VerifyInputs& inputs);
  // Verifies the signature and log id of `c`; reports `what` when bad.
  bool Trusted(const audit::Checkpoint& c, const VerifyInputs& inputs,
               const std::string& what);

  std::string log_id_;
  int64_t first_seq_;
  int64_t expected_;  // the next position
  int64_t declared_last_ = 0;
  std::vector<audit::Hash> leaves_;
  std::vector<VerifyProblem> located_;  // every problem with events
  AuditEventView view_;                 // reused: no allocation per event
  VerifyReport report_;
};

// The log id of a district's checkpoints: "taskgate/<district_id>".
std::string LogIdOf(const std::string& district_id);

// The report for people: what was checked, each problem, and a last line
// "VERIFIED: ..." or "FAILED: first bad event is seq N ...".
std::string FormatVerifyReport(const VerifyReport& report);

}  // namespace taskgate::audit

#endif  // TASKGATE_AUDIT_LOG_VERIFIER_H_
