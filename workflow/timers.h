// What the workflow does on its own as time passes (SPEC §5): it escalates
// reviews past their SLA (and, when configured, releases them back to the
// queue) and completes ACTIVE tasks past their end date, each as an audited
// `system` event through the transition table.
//
// It owns no timer: `NextDeadline()` tells its driver (services/server.cc)
// when to call `OnTick(now)`; tests advance a fake clock and call `OnTick`.
// Thread-safe when the `Store` is; `store` must outlive it.
#ifndef TASKGATE_WORKFLOW_TIMERS_H_
#define TASKGATE_WORKFLOW_TIMERS_H_

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
};

class Timers final {
 public:
  Timers(store::Store& store, Writer& writer, EngineOptions options);
  Timers(const Timers&) = delete;
  Timers& operator=(const Timers&) = delete;

  // When `OnTick` next has work, or nullopt. The store's errors.
  absl::StatusOr<std::optional<absl::Time>> NextDeadline();

  // Escalates reviews past their SLA and completes ACTIVE tasks past their
  // end date, as of `now`, at most `options.tick_batch` of them. A task a
  // user changed meanwhile is counted in `conflicts` and looked at again on
  // the next tick. The store's other errors.
  absl::StatusOr<TickResult> OnTick(absl::Time now);

 private:
  absl::Status TickTask(domain::Task task, absl::Time now, TickResult& result);

  store::Store& store_;  // reads outside the writer
  Writer& writer_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_TIMERS_H_
