// The admission workflow engine: the one place that changes TaskGate's data.
//
// Each operation reads what it needs through the `Store`, decides with the
// pure parts of this module (the transition table, the rules, the SLA
// arithmetic), and writes the change and its audit events as ONE
// `ChangeSet`. Operations carrying a `request_id` are idempotent: a retry
// returns the first answer and changes nothing more. Tasks are guarded by
// their version (etag): a stale `expected_version`, or losing a race with
// another writer, gives ABORTED.
//
// The engine owns no timer: `NextDeadline()` tells its driver when to call
// `OnTick(now)`, which escalates overdue reviews and completes tasks past
// their end date, each as an audited `system` event.
//
// Thread-safe when the `Store` is; holds no mutable state of its own.
// `store` and `clock` must outlive the engine.
#ifndef TASKGATE_WORKFLOW_ENGINE_H_
#define TASKGATE_WORKFLOW_ENGINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "common/clock.h"
#include "store/store.h"
#include "workflow/domain.h"
#include "workflow/rules.h"
#include "workflow/sla.h"
#include "workflow/transitions.h"

namespace taskgate::workflow {

struct EngineOptions {
  std::string district_id{kDefaultDistrictId};
  // Dates are local dates in the district's zone (Asia/Shanghai has no DST,
  // so a fixed +08:00 is exact; the server loads the configured zone).
  absl::TimeZone time_zone = absl::FixedTimeZone(8 * 60 * 60);
  RulesConfig rules = DefaultRulesConfig();
  SlaConfig sla;
  WorkingCalendar calendar;
  // How many due tasks one `OnTick` handles at most; the rest wait for the
  // next tick, so one tick never holds the store for long.
  int32_t tick_batch = 200;
};

// A request to move a task: `Act` takes every caller-initiated action
// (submit, withdraw, claim, release, approve, reject, return, revoke, close).
struct ActionRequest {
  TaskAction action = TaskAction::kSubmit;
  std::string task_id;
  int64_t expected_version = 0;  // 0: do not check (no etag sent)
  std::string request_id;        // empty: not idempotent
  std::string reason;
  std::vector<Acknowledgement> acknowledgements;  // approve
  // Approve/reject of a PROVISIONAL task: the reviewer finds the emergency
  // flag unjustified; recorded as finding R-EMERGENCY.
  bool emergency_unjustified = false;
};

struct TickResult {
  int escalated = 0;
  int completed = 0;
  int conflicts = 0;  // lost a race with a user; retried on the next tick
};

class Engine {
 public:
  Engine(store::Store& store, const Clock& clock, EngineOptions options);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const EngineOptions& options() const { return options_; }

  // Creates the district on first start (an audited system event); returns
  // the stored district when it exists.
  absl::StatusOr<District> EnsureDistrict(const std::string& name);

  // Publishes a new catalog version (准入清单) holding `items`. Admin only.
  // INVALID_ARGUMENT lists bad items.
  absl::StatusOr<CatalogVersion> PublishCatalog(const Principal& principal,
                                                const std::string& request_id,
                                                std::vector<CatalogItem> items,
                                                const std::string& note);

  // Creates (`expected_version` 0) or updates a community. Admin only. A
  // capacity of 0 defaults to staff × 20 hours.
  absl::StatusOr<Community> PutCommunity(const Principal& principal,
                                         const std::string& request_id,
                                         Community community,
                                         int64_t expected_version);

  // Creates a DRAFT task of the principal's department. `task_id` is chosen
  // by the caller (the server generates one). Department role only.
  absl::StatusOr<Task> CreateTask(const Principal& principal,
                                  const std::string& request_id,
                                  const std::string& task_id, TaskSpec spec);

  // Replaces the spec of a DRAFT or RETURNED task.
  absl::StatusOr<Task> EditTask(const Principal& principal,
                                const std::string& request_id,
                                const std::string& task_id,
                                int64_t expected_version, TaskSpec spec);

  // Takes a caller-initiated action. Errors, in the order checked:
  // INVALID_ARGUMENT (bad request or reused request id), NOT_FOUND,
  // PERMISSION_DENIED, ABORTED (stale version), FAILED_PRECONDITION
  // (illegal in the task's state), then the row's guards.
  absl::StatusOr<Task> Act(const Principal& principal,
                           const ActionRequest& request);

  // Reads, for callers that have already authorized the principal.
  absl::StatusOr<Task> GetTask(const std::string& task_id);

  // When `OnTick` next has work, or nullopt.
  absl::StatusOr<std::optional<absl::Time>> NextDeadline();

  // Escalates reviews past their SLA and completes ACTIVE tasks past their
  // end date, as of `now`.
  absl::StatusOr<TickResult> OnTick(absl::Time now);

 private:
  // Both fill `change` with the task write, decisions and events, and
  // return the resulting task.
  absl::StatusOr<Task> Submit(const Principal& principal, Task task,
                              const ActionRequest& request,
                              store::ChangeSet& change);
  absl::StatusOr<Task> Decide(const Principal& principal, Task task,
                              const Transition& row,
                              const ActionRequest& request,
                              store::ChangeSet& change);
  absl::Status TickTask(Task task, absl::Time now, TickResult& result);

  absl::CivilDay Today() const;

  store::Store& store_;
  const Clock& clock_;
  const EngineOptions options_;
};

// When the workflow must next look at `task` on its own: the end of its SLA
// due date while under review and not yet overdue, the end of its end date
// while ACTIVE; nullopt otherwise.
std::optional<absl::Time> TimerFor(const Task& task, absl::TimeZone tz);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_ENGINE_H_
