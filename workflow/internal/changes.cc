#include "workflow/internal/changes.h"

#include <string>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "workflow/timers.h"
#include "workflow/validation.h"

namespace taskgate::workflow::internal {

domain::AuditEvent NewEvent(const std::string& district_id,
                            const domain::Principal& actor,
                            std::string_view action,
                            std::string_view entity_type,
                            const std::string& entity_id, absl::Time now,
                            const std::string& request_id) {
  domain::AuditEvent e;
  e.district_id = district_id;
  e.time = now;
  e.actor_id = actor.id;
  e.actor_role = actor.role;
  e.action = Str(action);
  e.entity_type = Str(entity_type);
  e.entity_id = entity_id;
  e.request_id = request_id;
  return e;
}

std::string AuditText(const std::string& text) {
  if (!IsValidUtf8(text)) return "(not valid UTF-8)";
  if (Utf8Length(text) <= kMaxTextLength) return text;
  size_t chars = 0;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 &&
        ++chars > kMaxTextLength) {
      break;
    }
  }
  return text.substr(0, i);
}

domain::AuditEvent TaskEvent(const domain::Principal& actor,
                             const domain::Task& after,
                             domain::TaskState before, std::string_view action,
                             absl::Time now, const std::string& request_id,
                             const std::string& reason) {
  domain::AuditEvent e;
  e.district_id = after.district_id;
  e.time = now;
  e.actor_id = actor.id;
  e.actor_role = actor.role;
  e.action = absl::StrCat("task.", Str(action));
  e.entity_type = "task";
  e.entity_id = after.id;
  e.state_before = Str(domain::TaskStateName(before));
  e.state_after = Str(domain::TaskStateName(after.state));
  e.reason = reason;
  e.request_id = request_id;
  e.department_id = after.department_id;
  e.community_ids = after.resolved_communities.empty()
                        ? after.spec.target_communities
                        : after.resolved_communities;
  e.details["version"] = absl::StrCat(after.version);
  return e;
}

domain::Decision MakeDecision(const domain::Principal& actor,
                              const domain::Task& task,
                              domain::DecisionKind kind, std::string reason,
                              std::vector<domain::Acknowledgement> acks,
                              absl::Time now) {
  domain::Decision d;
  d.district_id = task.district_id;
  d.task_id = task.id;
  d.kind = kind;
  d.decided_by = actor.id;
  d.decided_by_role = actor.role;
  d.reason = std::move(reason);
  d.acknowledgements = std::move(acks);
  d.catalog_version = task.catalog_version;
  d.decided_at = now;
  d.findings = task.findings;
  return d;
}

std::string FindingsSummary(const std::vector<domain::Finding>& findings) {
  std::vector<std::string> parts;
  for (const domain::Finding& f : findings) {
    parts.push_back(
        absl::StrCat(f.rule_id, ":", Str(domain::SeverityName(f.severity))));
  }
  return absl::StrJoin(parts, ",");
}

void Touch(domain::Task& task, absl::Time now, absl::TimeZone tz) {
  ++task.version;
  task.updated_at = now;
  task.timer_at = TimerFor(task, tz);
}

store::TaskWrite WriteOf(const domain::Task& task) {
  return store::TaskWrite{task, task.version - 1};
}

}  // namespace taskgate::workflow::internal
