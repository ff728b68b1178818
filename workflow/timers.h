// What the workflow does on its own as time passes (SPEC §5): it escalates
// reviews past their SLA (and, when configured, releases them back to the
// queue) and completes ACTIVE tasks past their end date, each as an audited
// `system` event through the transition table. It also drops idempotency
// records older than the request retention (AIP-155), which changes nothing
// of the district's record and so has no audit event; a retry after that is
// a new request.
//
// It owns no timer: `NextDeadline()` tells its driver (services/server.cc)
// when to call `OnTick(now)`; tests advance a fake clock and call `OnTick`.
// Thread-safe when the `Store` is; `store` must outlive it.
#ifndef TASKGATE_WORKFLOW_TIMERS_H_
#define TASKGATE_WORKFLOW_TIMERS_H_

#include <atomic>
#include <cstdint>
#include <optional>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/writer.h"

namespace taskgate::workflow {

// When the workflow must next look at `task` on its own: the end of its SLA
// due date while under review and not yet overdue, the end of its end date
// while ACTIVE; nullopt otherwise. Every task write keeps `task.timer_at`
// equal to it.
std::optional<absl::Time> TimerFor(const domain::Task& task, absl::TimeZone tz);

struct TickResult {
  int escalated = 0;
  int completed = 0;
  int conflicts = 0;  // lost a race with a user; retried on the next tick
  int64_t requests_expired = 0;  // idempotency records dropped
};

class Timers final {
 public:
  Timers(store::Store& store, Writer& writer, EngineOptions options);
  Timers(const Timers&) = delete;
  Timers& operator=(const Timers&) = delete;

  // When `OnTick` next has work, or nullopt: the earliest task timer, or
  // `absl::InfinitePast()` (at once) when the last tick left expired
  // idempotency records behind. Records coming of age are not deadlines:
  // they are dropped by whichever tick comes next, so a record lives at most
  // the retention plus the driver's longest sleep. The store's errors.
  absl::StatusOr<std::optional<absl::Time>> NextDeadline();

  // Escalates reviews past their SLA and completes ACTIVE tasks past their
  // end date, as of `now`, at most `options.tick_batch` of them. A task a
  // user changed meanwhile is counted in `conflicts` and looked at again on
  // the next tick. Then drops the idempotency records created before `now -
  // options.request_retention`, oldest first, `options.request_expiry_chunk`
  // per writer command and at most `options.request_expiry_chunks_per_tick`
  // commands. The store's other errors.
  absl::StatusOr<TickResult> OnTick(absl::Time now);

 private:
  absl::Status TickTask(domain::Task task, absl::Time now, TickResult& result);
  // The expiry part of `OnTick`; returns how many records it dropped.
  absl::StatusOr<int64_t> ExpireRequests(absl::Time now);

  store::Store& store_;  // reads outside the writer
  Writer& writer_;
  const EngineOptions options_;
  // Whether the last expiry stopped at its share with records possibly left.
  std::atomic<bool> expiry_backlog_{false};
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_TIMERS_H_
