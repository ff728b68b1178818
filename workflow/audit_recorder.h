// The audit events that record access rather than change (SPEC §7, §9):
// refused calls (unauthenticated or forbidden) and reads of the whole log
// by those whose reads are audited. Each is one event committed alone.
//
// Thread-safe when the `Store` is; `store` and `clock` must outlive it.
#ifndef TASKGATE_WORKFLOW_AUDIT_RECORDER_H_
#define TASKGATE_WORKFLOW_AUDIT_RECORDER_H_

#include <map>
#include <string>

#include <absl/status/status.h>

#include "common/clock.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/writer.h"

namespace taskgate::workflow {

class AuditRecorder final {
 public:
  AuditRecorder(store::Store& store, Writer& writer, const Clock& clock,
                EngineOptions options);
  AuditRecorder(const AuditRecorder&) = delete;
  AuditRecorder& operator=(const AuditRecorder&) = delete;

  // Records a refused call: action "access.unauthenticated" for `code`
  // UNAUTHENTICATED, "access.denied" for PERMISSION_DENIED (INVALID_ARGUMENT
  // for any other code), entity "rpc" `method`. `who.id` may be "anonymous"
  // (or empty, recorded as "anonymous"); its role is recorded as given.
  // Client-supplied text is cut to fit, never refused.
  absl::Status RecordAccessDenied(const domain::Principal& who,
                                  const std::string& method,
                                  absl::StatusCode code,
                                  const std::string& reason);

  // Records that `who` read the audit log: `action` is "audit.query",
  // "audit.export" or "audit.stats" (INVALID_ARGUMENT otherwise), entity
  // "audit_log" of the district, `details` saying what was read (filters,
  // range, tree size).
  absl::Status RecordAuditRead(const domain::Principal& who,
                               const std::string& action,
                               std::map<std::string, std::string> details);

 private:
  store::Store& store_;  // reads outside the writer
  Writer& writer_;
  const Clock& clock_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_AUDIT_RECORDER_H_
