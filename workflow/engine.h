// The admission workflow of one district, assembled: the one place that
// changes TaskGate's data, made of parts with one job each.
//
//   `directory()`  the district, catalog, departments, streets and
//                  communities (workflow/directory.h)
//   `principals()` principals, tokens and certificate bindings;
//                  authentication (workflow/principals.h)
//   `calendars()`  the working-day calendar: publishing, reading, the
//                  configuration's seed (workflow/calendars.h)
//   `tasks()`      drafting, editing and every caller's move of a task
//                  through the transition table, submission and routing
//                  included (workflow/task_lifecycle.h, submission.h)
//   `desk()`       the community's acknowledgements, funding reports and
//                  complaints (workflow/community_desk.h)
//   `recorder()`   refused calls and audited reads (workflow/audit_recorder.h)
//   `timers()`     SLA escalation and automatic completion
//                  (workflow/timers.h)
//   `queries()`    the read side (workflow/queries.h)
//   `public_list()` the public list (公示) for readers without credentials
//                  (workflow/public_list.h)
//
// The audit log's read side, `AuditReader` (workflow/audit_reader.h), is
// built beside the engine by whoever owns the `AuditLedger` it reads.
//
// Every change is ONE `ChangeSet` carrying its audit events, decided and
// committed by the district's `Writer` (workflow/writer.h), through
// `CommitOnce` when it has a request id (workflow/internal/). Who
// may do what is decided in workflow/access.h and the transition table.
//
// Thread-safe. `store` and `clock` must outlive the engine.
#ifndef TASKGATE_WORKFLOW_ENGINE_H_
#define TASKGATE_WORKFLOW_ENGINE_H_

#include "common/clock.h"
#include "store/store.h"
#include "workflow/attachments.h"
#include "workflow/audit_recorder.h"
#include "workflow/calendars.h"
#include "workflow/community_desk.h"
#include "workflow/directory.h"
#include "workflow/options.h"
#include "workflow/principals.h"
#include "workflow/public_list.h"
#include "workflow/queries.h"
#include "workflow/task_lifecycle.h"
#include "workflow/timers.h"
#include "workflow/writer.h"

namespace taskgate::workflow {

class Engine final {
 public:
  Engine(store::Store& store, const Clock& clock, EngineOptions options,
         Writer::Options writer_options = {});
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const EngineOptions& options() const { return options_; }

  Directory& directory() { return directory_; }
  Principals& principals() { return principals_; }
  Calendars& calendars() { return calendars_; }
  TaskLifecycle& tasks() { return tasks_; }
  CommunityDesk& desk() { return desk_; }
  Attachments& attachments() { return attachments_; }
  AuditRecorder& recorder() { return recorder_; }
  Timers& timers() { return timers_; }
  Queries& queries() { return queries_; }
  PublicList& public_list() { return public_list_; }
  Writer& writer() { return writer_; }

 private:
  const EngineOptions options_;
  Directory directory_;
  Principals principals_;
  Calendars calendars_;
  TaskLifecycle tasks_;
  CommunityDesk desk_;
  Attachments attachments_;
  AuditRecorder recorder_;
  Timers timers_;
  Queries queries_;
  PublicList public_list_;
  // Last: destroyed first, so that the commands it still answers find the
  // parts above alive.
  Writer writer_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_ENGINE_H_
