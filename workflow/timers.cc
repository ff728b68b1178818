#include "workflow/timers.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>

#include "common/status_macros.h"
#include "domain/codec.h"
#include "workflow/internal/changes.h"
#include "workflow/internal/commit_once.h"
#include "workflow/sla.h"
#include "workflow/statistics_counters.h"
#include "workflow/transitions.h"

namespace taskgate::workflow {

using internal::Str;

std::optional<absl::Time> TimerFor(const domain::Task& task,
                                   absl::TimeZone tz) {
  switch (task.state) {
    case domain::TaskState::kSubmitted:
    case domain::TaskState::kInReview:
    case domain::TaskState::kProvisional:
      if (!task.sla.overdue && task.sla.due_date.has_value()) {
        return EndOfDay(*task.sla.due_date, tz);
      }
      return std::nullopt;
    case domain::TaskState::kActive:
      return EndOfDay(task.spec.end_date, tz);
    default:
      return std::nullopt;
  }
}

Timers::Timers(store::Store& store, Writer& writer, EngineOptions options)
    : store_(store), writer_(writer), options_(std::move(options)) {}

absl::StatusOr<std::optional<absl::Time>> Timers::NextDeadline() {
  if (expiry_backlog_.load(std::memory_order_relaxed)) {
    return std::optional<absl::Time>(absl::InfinitePast());
  }
  return store_.NextTimer(options_.district_id);
}

absl::StatusOr<TickResult> Timers::OnTick(absl::Time now) {
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<domain::Task> due,
      store_.ListTasksDue(options_.district_id, now, options_.tick_batch));
  TickResult result;
  for (domain::Task& task : due) {
    absl::Status s = TickTask(std::move(task), now, result);
    if (absl::IsAborted(s)) {
      ++result.conflicts;  // a user changed it first; look again next tick
    } else if (!s.ok()) {
      return s;
    }
  }
  TASKGATE_ASSIGN_OR_RETURN(result.requests_expired, ExpireRequests(now));
  return result;
}

absl::StatusOr<int64_t> Timers::ExpireRequests(absl::Time now) {
  const absl::Time before = now - options_.request_retention;
  const int32_t chunk = std::max<int32_t>(1, options_.request_expiry_chunk);
  int64_t total = 0;
  bool full = false;
  // One writer command per chunk: other commands queue between them, so a
  // large backlog never holds the writer for more than one chunk.
  for (int32_t i = 0; i < options_.request_expiry_chunks_per_tick; ++i) {
    int64_t expired = 0;
    TASKGATE_RETURN_IF_ERROR(writer_.Run([&](store::Store& tx) -> absl::Status {
      TASKGATE_ASSIGN_OR_RETURN(
          expired, tx.ExpireRequests(options_.district_id, before, chunk));
      return absl::OkStatus();
    }));
    total += expired;
    full = expired >= chunk;
    if (!full) break;
  }
  expiry_backlog_.store(full, std::memory_order_relaxed);
  return total;
}

absl::Status Timers::TickTask(domain::Task task, absl::Time now,
                              TickResult& result) {
  const domain::Principal system =
      domain::SystemPrincipal(options_.district_id);
  const domain::TaskState before = task.state;
  TaskAction action = TaskAction::kEscalate;
  std::string reason;
  if (task.state == domain::TaskState::kActive) {
    action = TaskAction::kExpire;
    reason = absl::StrCat(
        "end date ", domain::FormatCivilDay(task.spec.end_date), " has passed");
  } else {
    reason = absl::StrCat("review was due by ",
                          task.sla.due_date.has_value()
                              ? domain::FormatCivilDay(*task.sla.due_date)
                              : std::string("?"),
                          " (", task.sla.total_working_days, " working days)");
  }
  const Transition* row = FindTransition(task.state, action);
  if (row == nullptr) {
    return absl::InternalError(absl::StrCat(
        "task ", task.id, " is due but ",
        Str(domain::TaskStateName(task.state)), " has no timer transition"));
  }
  if (action == TaskAction::kEscalate) {
    task.sla.overdue = true;
    if (options_.sla.release_on_overdue && row->alternative_to.has_value()) {
      task.state = *row->alternative_to;
      task.claimed_by.clear();
    } else {
      task.state = row->to;
    }
  } else {
    task.state = row->to;
  }
  internal::Touch(task, now, options_.time_zone);
  store::ChangeSet change;
  change.district_id = options_.district_id;
  change.tasks.push_back(internal::WriteOf(task));
  change.events.push_back(internal::TaskEvent(
      system, task, before, TaskActionName(action), now, "", reason));
  // Timer events end no review, so this reads no calendar.
  TASKGATE_RETURN_IF_ERROR(KeepCounters(change, options_, store_));
  TASKGATE_RETURN_IF_ERROR(internal::CommitThrough(writer_, change));
  if (action == TaskAction::kEscalate) {
    ++result.escalated;
  } else {
    ++result.completed;
  }
  return absl::OkStatus();
}

}  // namespace taskgate::workflow
