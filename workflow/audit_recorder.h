// The audit events that record access rather than change (SPEC §7, §9):
// refused calls (unauthenticated or forbidden) and reads of the whole log
// by those whose reads are audited.
//
// Refused calls are aggregated per source so that a flood cannot grow the
// log without bound (SPEC §9, issue 15 defect 3). A source is whoever the
// caller gives for the refusal: the principal for PERMISSION_DENIED, the
// network address for an unauthenticated caller (services/ decides). The
// first refusal of a source in an interval (`EngineOptions::
// refusal_interval`, on the injected clock, starting at that refusal) is
// recorded at once, one event as before; the source's further refusals in
// the interval are counted in memory and written as ONE aggregated event
// (the same action, with details "count", "first_time", "last_time",
// "methods" and "codes") when the interval has ended: by the next refusal
// of any source after it, by `FlushRefusals` (the server's timer, driven by
// `NextRefusalFlush`), and by `FlushRefusals(..., true)` at shutdown. A
// crash loses at most the counts of the intervals not yet written, one
// interval's worth per source; the first refusal of each is in the log.
// At most `EngineOptions::refusal_sources` sources are counted apart; the
// refusals of further sources in the interval go to one bucket per action,
// source "other sources", actor "system" (so memory is bounded however many
// addresses a flood comes from).
//
// Thread-safe when the `Store` is; `store` and `clock` must outlive it. No
// lock is held while an event is committed.
#ifndef TASKGATE_WORKFLOW_AUDIT_RECORDER_H_
#define TASKGATE_WORKFLOW_AUDIT_RECORDER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include "common/clock.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/writer.h"

namespace taskgate::workflow {

// The source of the refusals that no source of their own could be kept
// for (the table of sources was full).
inline constexpr char kOtherRefusalSources[] = "other sources";

// One refused call.
struct Refusal {
  // The caller: the authenticated principal for PERMISSION_DENIED; id
  // "anonymous" (or empty, recorded as "anonymous") otherwise. Its role,
  // department and community are recorded as given.
  domain::Principal who;
  // Whose refusals are counted together: for PERMISSION_DENIED usually
  // `who.id`; for an unauthenticated caller its network address. Empty:
  // `who.id`. Cut to fit like any client text.
  std::string source;
  // The RPC, e.g. "TaskService/GetTask".
  std::string method;
  // UNAUTHENTICATED, PERMISSION_DENIED, or RESOURCE_EXHAUSTED (an
  // unauthenticated caller over its rate, refused before authentication;
  // recorded with the unauthenticated ones).
  absl::StatusCode code = absl::StatusCode::kUnauthenticated;
  // Why it was refused (the message the caller got).
  std::string reason;
};

// A written aggregated event, for the caller's log line.
struct RefusalSummary {
  std::string action;  // "access.unauthenticated" or "access.denied"
  std::string source;
  int64_t count = 0;
};

// What became of refusals handed to the recorder.
struct RefusalOutcome {
  // True when the refusal got an event of its own now (the first of its
  // source in the interval); false when it was counted for the source's
  // aggregated event (or could not be recorded, see `unrecorded`).
  bool recorded = false;
  // Aggregated events taken out on the way (written, unless counted in
  // `unrecorded`).
  std::vector<RefusalSummary> summaries;
  // Refusals whose event could not be committed, by code name (e.g.
  // "UNAUTHENTICATED"): the refusal itself when its own event failed (the
  // source's next refusal then tries again), and those an aggregated event
  // that failed would have counted. `error` says why.
  std::map<std::string, int64_t> unrecorded;
  absl::Status error;
};

class AuditRecorder final {
 public:
  AuditRecorder(store::Store& store, Writer& writer, const Clock& clock,
                EngineOptions options);
  AuditRecorder(const AuditRecorder&) = delete;
  AuditRecorder& operator=(const AuditRecorder&) = delete;

  // Records a refused call as described above: action
  // "access.unauthenticated" for UNAUTHENTICATED and RESOURCE_EXHAUSTED,
  // "access.denied" for PERMISSION_DENIED, entity "rpc" `method`, details
  // "code" and "source". Also writes the aggregated events of intervals
  // that have ended. Client-supplied text is cut to fit, never refused.
  // INVALID_ARGUMENT for another code or a bad `method` (nothing counted);
  // a store error is reported in the outcome, never returned.
  absl::StatusOr<RefusalOutcome> RecordRefusal(const Refusal& refusal);

  // Writes the aggregated event of every source whose interval has ended
  // by `now` (of every source when `all`, as at shutdown), in changes of a
  // bounded size, and forgets those sources.
  RefusalOutcome FlushRefusals(absl::Time now, bool all);

  // When the next interval with counted refusals ends (when
  // `FlushRefusals` next has work), or nullopt when none has any.
  std::optional<absl::Time> NextRefusalFlush() const;

  // Records that `who` read the audit log: `action` is "audit.query",
  // "audit.export" or "audit.stats" (INVALID_ARGUMENT otherwise), entity
  // "audit_log" of the district, `details` saying what was read (filters,
  // range, tree size).
  absl::Status RecordAuditRead(const domain::Principal& who,
                               const std::string& action,
                               std::map<std::string, std::string> details);

 private:
  // The refusals of one source and action in its current interval.
  struct Tally {
    absl::Time start;        // of the interval
    bool own_event = false;  // its first refusal's event is (being) written
    domain::Principal who;   // the caller the aggregated event names
    int64_t count = 0;       // refusals counted after the first
    absl::Time first, last;  // of those
    std::string reason;      // of the first of those
    std::map<std::string, int64_t> methods;  // at most kMaxTallyMethods
    int64_t other_methods = 0;
    std::map<std::string, int64_t> codes;
    std::vector<std::string> sources;  // "other sources" only: a sample
  };
  using TallyKey = std::pair<std::string, std::string>;  // action, source
  // An event with the refusals it records, by code name.
  struct Pending {
    domain::AuditEvent event;
    std::map<std::string, int64_t> refusals;
  };

  // Takes the aggregated events of the tallies whose interval ended by
  // `now` (all when `all`) out of the table.
  void TakeDue(absl::Time now, bool all, std::vector<Pending>& events,
               std::vector<RefusalSummary>& summaries)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  domain::AuditEvent AggregatedEvent(const TallyKey& key, const Tally& tally,
                                     absl::Time now) const;
  // Commits `events` in changes of a bounded size; the refusals of a change
  // that fails go to `outcome.unrecorded`. Returns false when one failed.
  bool CommitEvents(std::vector<Pending> events, RefusalOutcome& outcome);

  store::Store& store_;  // reads outside the writer
  Writer& writer_;
  const Clock& clock_;
  const EngineOptions options_;

  mutable absl::Mutex mu_;
  std::map<TallyKey, Tally> tallies_ ABSL_GUARDED_BY(mu_);
  // Tallies of sources other than the two "other sources" buckets.
  int64_t sources_ ABSL_GUARDED_BY(mu_) = 0;
  // The earliest end of a tally's interval (InfiniteFuture when none).
  absl::Time next_due_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_AUDIT_RECORDER_H_
