#include "workflow/audit_recorder.h"

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>

#include "common/field_violations.h"
#include "workflow/internal/changes.h"
#include "workflow/internal/commit_once.h"
#include "workflow/validation.h"

namespace taskgate::workflow {

using internal::AuditText;
using internal::NewEvent;

AuditRecorder::AuditRecorder(store::Store& store, Writer& writer,
                             const Clock& clock, EngineOptions options)
    : store_(store),
      writer_(writer),
      clock_(clock),
      options_(std::move(options)) {}

absl::Status AuditRecorder::RecordAccessDenied(const domain::Principal& who,
                                               const std::string& method,
                                               absl::StatusCode code,
                                               const std::string& reason) {
  std::string_view action;
  if (code == absl::StatusCode::kUnauthenticated) {
    action = "access.unauthenticated";
  } else if (code == absl::StatusCode::kPermissionDenied) {
    action = "access.denied";
  } else {
    return InvalidArgumentWithViolations(
        {{"code", absl::StrCat("must be UNAUTHENTICATED or PERMISSION_DENIED, "
                               "not ",
                               absl::StatusCodeToString(code))}});
  }
  std::vector<FieldViolation> violations;
  CheckText("method", method, kMaxTitleLength, true, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  domain::Principal actor = who;
  if (actor.id.empty()) actor.id = "anonymous";
  domain::AuditEvent e = NewEvent(options_.district_id, actor, action, "rpc",
                                  method, clock_.Now(), "");
  e.reason = AuditText(reason);
  e.department_id = AuditText(who.department_id);
  if (!who.community_id.empty()) {
    e.community_ids = {AuditText(who.community_id)};
  }
  e.details["code"] = absl::StatusCodeToString(code);
  store::ChangeSet change;
  change.district_id = options_.district_id;
  change.events.push_back(std::move(e));
  return internal::CommitThrough(writer_, change);
}

absl::Status AuditRecorder::RecordAuditRead(
    const domain::Principal& who, const std::string& action,
    std::map<std::string, std::string> details) {
  if (action != "audit.query" && action != "audit.export" &&
      action != "audit.stats") {
    return InvalidArgumentWithViolations(
        {{"action", "must be audit.query, audit.export or audit.stats"}});
  }
  domain::AuditEvent e =
      NewEvent(options_.district_id, who, action, "audit_log",
               options_.district_id, clock_.Now(), "");
  for (auto& [key, value] : details) {
    e.details[key] = AuditText(std::move(value));
  }
  store::ChangeSet change;
  change.district_id = options_.district_id;
  change.events.push_back(std::move(e));
  return internal::CommitThrough(writer_, change);
}

}  // namespace taskgate::workflow
