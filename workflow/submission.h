// Submission and routing (SPEC §4, §4.1): what happens to a task between a
// department's submit and the review queue. It loads the rules' inputs in
// one place (the catalog in force, the target communities with streets
// expanded, the workloads already in force there as the kept counters say
// (workflow/workload_counters.h), the department's open tasks of the item
// there), runs every rule, starts the review clock, and routes the task in
// SPEC §4.1's order: a negative-list match is rejected by the system, an
// emergency without BLOCK findings is admitted provisionally, a duty-list
// item without findings is admitted by the list; anything else waits for
// review.
//
// It also re-runs, for an approval, the rules that depend on other tasks
// against the workloads of that moment (`Recheck`, SPEC §4.1).
//
// It writes nothing itself: `Submit` adds the task, its events and the
// system's decisions to the caller's `ChangeSet` (see
// workflow/task_lifecycle.h, which authorizes the submit first). Every read
// goes to the `Store` passed in, so that a caller deciding inside a
// transaction reads what that transaction sees. Thread-safe when that
// `Store` is; `clock` must outlive it.
#ifndef TASKGATE_WORKFLOW_SUBMISSION_H_
#define TASKGATE_WORKFLOW_SUBMISSION_H_

#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/rules.h"

namespace taskgate::workflow {

class Submission final {
 public:
  Submission(const Clock& clock, EngineOptions options);
  Submission(const Submission&) = delete;
  Submission& operator=(const Submission&) = delete;

  // Submits `task` for `principal`, who may submit it in its present state.
  // Adds the task's write, its events ("task.submit", then the system's
  // routing event if any) and the system's decisions to `change`, and
  // returns the task as it will be stored. Errors: INVALID_ARGUMENT naming
  // the stored task's fields ("task.title", "task.target_communities[1]",
  // ...); FAILED_PRECONDITION when no catalog has been published; the
  // errors of `store`, which every rule input is read from.
  absl::StatusOr<domain::Task> Submit(store::Store& store,
                                      const domain::Principal& principal,
                                      domain::Task task,
                                      const std::string& request_id,
                                      const std::string& reason,
                                      store::ChangeSet& change) const;

  // Runs the rules that depend on other tasks - R-CAPACITY, R-DUPLICATE
  // and R-CONTROLLED (workflow/rules.h `EvaluateRulesOnOtherTasks`) -
  // against the workloads in `store` now, for the submitted `task` about
  // to be approved: its communities as resolved at submit, the ACTIVE and
  // PROVISIONAL tasks reaching them and its department's tasks of the same
  // item, `task` itself left out. Returns their findings (empty when all
  // pass); reads the catalog not at all. Errors: the errors of `store`.
  absl::StatusOr<std::vector<domain::Finding>> Recheck(
      store::Store& store, const domain::Task& task) const;

 private:
  // Everything the rules read besides the task and the clock.
  struct RuleInputs {
    domain::CatalogVersion catalog;
    // The catalog item the spec names, when it names a listed one.
    std::optional<domain::CatalogItem> item;
    // Target communities, streets expanded, ordered by id.
    std::vector<domain::Community> targets;
    // Their workloads, the task's own part left out.
    Workloads workloads;
    // The department's other open tasks with the same item code reaching
    // them, whose dates meet the task's.
    std::vector<domain::Task> department_tasks;
  };
  // INVALID_ARGUMENT naming an unknown item code, community or street;
  // FAILED_PRECONDITION without a catalog.
  absl::StatusOr<RuleInputs> LoadRuleInputs(store::Store& store,
                                            const domain::Task& task) const;
  // Fills `in.workloads` and `in.department_tasks` for `in.targets`.
  absl::Status LoadOtherTasks(store::Store& store, const domain::Task& task,
                              RuleInputs& in) const;

  const Clock& clock_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_SUBMISSION_H_
