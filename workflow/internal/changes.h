// What the workflow's writers share besides `CommitOnce`: the version check
// of optimistic concurrency, the audit event skeleton, audit-safe text, and
// the pieces of a task change (its event, its decision, its next version).
// Internal to workflow/; pure functions; thread-safe.
#ifndef TASKGATE_WORKFLOW_INTERNAL_CHANGES_H_
#define TASKGATE_WORKFLOW_INTERNAL_CHANGES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>

#include "domain/types.h"
#include "store/store.h"

namespace taskgate::workflow::internal {

inline std::string Str(std::string_view s) { return std::string(s); }

// ABORTED when `expected_version` is set (non-zero) and is not the version
// of `current`, the entity `what` `id` (a task, principal, complaint ...).
template <typename T>
absl::Status CheckVersion(std::string_view what, const std::string& id,
                          const T& current, int64_t expected_version) {
  if (expected_version != 0 && expected_version != current.version) {
    return absl::AbortedError(
        absl::StrCat(Str(what), " ", id, " is at version ", current.version,
                     ", not ", expected_version,
                     "; it was changed by someone else: reload it and retry"));
  }
  return absl::OkStatus();
}

// An audit event of `actor` with its common fields set.
domain::AuditEvent NewEvent(const std::string& district_id,
                            const domain::Principal& actor,
                            std::string_view action,
                            std::string_view entity_type,
                            const std::string& entity_id, absl::Time now,
                            const std::string& request_id);

// Audit text must be UTF-8 of bounded size; a refused caller's text is cut
// rather than refused, so that the refusal is always recorded.
std::string AuditText(const std::string& text);

// ------------------------------------------------------------ task changes

// The event "task.<action>" moving `after` from `before`.
domain::AuditEvent TaskEvent(const domain::Principal& actor,
                             const domain::Task& after,
                             domain::TaskState before, std::string_view action,
                             absl::Time now, const std::string& request_id,
                             const std::string& reason);

// "R-CAPACITY:WARN,R-LEAD-TIME:WARN": the rule and severity of each
// finding, as the audit events of submits and approvals carry them.
std::string FindingsSummary(const std::vector<domain::Finding>& findings);

// A decision of `actor` on `task`, under the task's catalog version and
// with the findings it carries now.
domain::Decision MakeDecision(const domain::Principal& actor,
                              const domain::Task& task,
                              domain::DecisionKind kind, std::string reason,
                              std::vector<domain::Acknowledgement> acks,
                              absl::Time now);

// Puts `task` one version further and keeps its derived timer current.
void Touch(domain::Task& task, absl::Time now, absl::TimeZone tz);

// The write of a task that `Touch` moved one version further.
store::TaskWrite WriteOf(const domain::Task& task);

}  // namespace taskgate::workflow::internal

#endif  // TASKGATE_WORKFLOW_INTERNAL_CHANGES_H_
