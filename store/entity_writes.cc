#include "store/entity_writes.h"

#include <string>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>

#include "audit/merkle.h"
#include "audit/state.h"
#include "common/status_macros.h"
#include "store/change_validation.h"

namespace taskgate::store {

void MaskSecrets(std::string_view kind, domain::Fields& fields) {
  if (kind != domain::kCredentialEntity) return;
  const auto it = fields.find("token_hash");
  // A certificate binding has no token hash, and nothing to mask.
  if (it == fields.end() || it->second.empty()) return;
  it->second = absl::StrCat("sha256:", audit::ToHex(audit::Sha256(it->second)));
}

absl::StatusOr<domain::Fields> RecordFieldsOfBody(std::string_view kind,
                                                  std::string_view body) {
  absl::StatusOr<domain::Fields> fields = domain::FieldsOfJson(body);
  if (fields.ok()) MaskSecrets(kind, *fields);
  return fields;
}

absl::StatusOr<std::vector<domain::AuditEvent>> AttachWrites(
    std::vector<domain::AuditEvent> events, std::vector<EntityChange> changes) {
  for (EntityChange& change : changes) {
    domain::AuditEvent* home = &events.front();
    for (domain::AuditEvent& event : events) {
      if (event.entity_type == change.kind && event.entity_id == change.id) {
        home = &event;
        break;
      }
    }
    const bool complete =
        change.created ||
        (change.kind == domain::kTaskEntity && home->action == "task.submit");
    home->writes.push_back(audit::MakeWrite(
        change.kind, change.id, change.before, change.after, complete));
  }
  for (const domain::AuditEvent& event : events) {
    TASKGATE_RETURN_IF_ERROR(CheckAuditEventSize(event));
  }
  return events;
}

}  // namespace taskgate::store
