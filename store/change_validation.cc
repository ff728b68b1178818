#include "store/change_validation.h"

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>

#include "audit/encoding.h"
#include "audit/merkle.h"
#include "common/field_violations.h"
#include "common/safe_text.h"
#include "common/status_macros.h"
#include "domain/fields.h"
#include "domain/types.h"
#include "store/store.h"

namespace taskgate::store {
namespace {

// abseil 20220623 here has its own string_view; convert at the boundary.
absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

// INVALID_ARGUMENT unless `got` (the district of `what` `id`) is `district`.
absl::Status SameDistrict(std::string_view what, const std::string& id,
                          const std::string& got, const std::string& district) {
  if (got == district) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(Sv(what), " ", id, " has district_id \"", got,
                   "\" but the change set is for district \"", district, "\""));
}

// INVALID_ARGUMENT unless `version` is `expected + 1`.
absl::Status VersionStep(std::string_view what, const std::string& id,
                         int64_t version, int64_t expected) {
  if (version == expected + 1) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(Sv(what), " ", id, " has version ", version, " but must be ",
                   expected + 1, " (expected version + 1)"));
}

// The largest part of an oversized event, to name in the refusal.
struct Part {
  std::string field;        // as a field violation names it
  std::string description;  // for people
  size_t bytes = 0;
};

Part LargestPart(const domain::AuditEvent& event) {
  Part largest{"reason", "its reason", 4 + event.reason.size()};
  const auto consider = [&](size_t bytes, auto field, auto description) {
    if (bytes > largest.bytes) largest = {field(), description(), bytes};
  };
  size_t ids = 4;
  for (const std::string& id : event.community_ids) ids += 4 + id.size();
  consider(
      ids, [] { return std::string("community_ids"); },
      [&] {
        return absl::StrCat("its ", event.community_ids.size(),
                            " community ids");
      });
  for (const auto& detail : event.details) {
    // A named copy: lambdas cannot capture structured bindings in C++20 as
    // clang 14 reads it.
    const std::string& key = detail.first;
    consider(
        8 + key.size() + detail.second.size(),
        [&] { return absl::StrCat("details.", EchoValue(key, 40)); },
        [&] { return absl::StrCat("its detail ", EchoValue(key, 40)); });
  }
  for (const domain::EntityWrite& write : event.writes) {
    for (const domain::FieldChange& change : write.changes) {
      consider(
          12 + change.field.size() + change.before.size() + change.after.size(),
          [&] { return change.field; },
          [&] {
            return absl::StrCat("field ", change.field, " of ", write.kind, " ",
                                write.id, " as written (",
                                change.before.empty() ? "" : "before and ",
                                "after)");
          });
    }
  }
  return largest;
}

}  // namespace

absl::Status CheckAuditEventSize(const domain::AuditEvent& event) {
  const size_t size = audit::EncodedAuditEventSize(event);
  if (size <= kMaxAuditEventBytes) return absl::OkStatus();
  const Part part = LargestPart(event);
  return InvalidArgumentWithViolations(
      {{part.field,
        absl::StrCat(
            "the audit event \"", event.action, "\" of ", event.entity_type,
            " ", event.entity_id, " would take ", size,
            " bytes, over the limit of ", kMaxAuditEventBytes,
            " bytes for one event (docs/audit-encoding.md); its largest part "
            "is ",
            part.description, " (", part.bytes,
            " bytes). Nothing was written: make the change smaller (shorter "
            "texts, fewer items or communities)")}});
}

absl::Status ValidateChangeSet(const ChangeSet& change) {
  const std::string& d = change.district_id;
  if (d.empty()) {
    return absl::InvalidArgumentError("change set has no district_id");
  }
  if (change.events.empty()) {
    return absl::InvalidArgumentError(
        "change set has no audit events; every change must be recorded");
  }
  if (change.request.has_value() && change.request->request_id.empty()) {
    return absl::InvalidArgumentError("stored request has an empty request_id");
  }
  if (change.request.has_value() &&
      change.request->created_at == absl::UnixEpoch()) {
    return absl::InvalidArgumentError(
        absl::StrCat("stored request ", change.request->request_id,
                     " has no created_at; its retention is counted from it"));
  }
  if (change.district.has_value() && change.district->id != d) {
    return absl::InvalidArgumentError(
        absl::StrCat("district to create has id \"", change.district->id,
                     "\" but the change set is for district \"", d, "\""));
  }
  if (change.catalog.has_value()) {
    TASKGATE_RETURN_IF_ERROR(SameDistrict("catalog version",
                                          absl::StrCat(change.catalog->version),
                                          change.catalog->district_id, d));
  }
  std::set<int32_t> calendar_years;
  for (const domain::CalendarYear& c : change.calendars) {
    const std::string key = domain::CalendarKey(c.year, c.version);
    TASKGATE_RETURN_IF_ERROR(SameDistrict("calendar", key, c.district_id, d));
    if (!calendar_years.insert(c.year).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("change set publishes the calendar of ", c.year,
                       " twice; one version per year and change"));
    }
  }
  for (const DepartmentWrite& w : change.departments) {
    TASKGATE_RETURN_IF_ERROR(
        SameDistrict("department", w.resource.id, w.resource.district_id, d));
    TASKGATE_RETURN_IF_ERROR(VersionStep(
        "department", w.resource.id, w.resource.version, w.expected_version));
  }
  for (const StreetWrite& w : change.streets) {
    TASKGATE_RETURN_IF_ERROR(
        SameDistrict("street", w.resource.id, w.resource.district_id, d));
    TASKGATE_RETURN_IF_ERROR(VersionStep(
        "street", w.resource.id, w.resource.version, w.expected_version));
  }
  for (const CommunityWrite& w : change.communities) {
    TASKGATE_RETURN_IF_ERROR(
        SameDistrict("community", w.community.id, w.community.district_id, d));
    TASKGATE_RETURN_IF_ERROR(VersionStep(
        "community", w.community.id, w.community.version, w.expected_version));
  }
  for (const TaskWrite& w : change.tasks) {
    TASKGATE_RETURN_IF_ERROR(
        SameDistrict("task", w.task.id, w.task.district_id, d));
    TASKGATE_RETURN_IF_ERROR(
        VersionStep("task", w.task.id, w.task.version, w.expected_version));
  }
  for (const domain::Decision& decision : change.decisions) {
    TASKGATE_RETURN_IF_ERROR(SameDistrict("decision on task", decision.task_id,
                                          decision.district_id, d));
  }
  for (const PrincipalWrite& w : change.principals) {
    TASKGATE_RETURN_IF_ERROR(
        SameDistrict("principal", w.principal.id, w.principal.district_id, d));
    TASKGATE_RETURN_IF_ERROR(VersionStep(
        "principal", w.principal.id, w.principal.version, w.expected_version));
  }
  for (const CredentialWrite& w : change.credentials) {
    TASKGATE_RETURN_IF_ERROR(SameDistrict("credential", w.credential.id,
                                          w.credential.district_id, d));
    TASKGATE_RETURN_IF_ERROR(VersionStep("credential", w.credential.id,
                                         w.credential.version,
                                         w.expected_version));
  }
  for (const ComplaintWrite& w : change.complaints) {
    TASKGATE_RETURN_IF_ERROR(
        SameDistrict("complaint", w.complaint.id, w.complaint.district_id, d));
    TASKGATE_RETURN_IF_ERROR(VersionStep(
        "complaint", w.complaint.id, w.complaint.version, w.expected_version));
  }
  for (const domain::FundingReport& report : change.funding_reports) {
    TASKGATE_RETURN_IF_ERROR(
        SameDistrict("funding report", report.id, report.district_id, d));
  }
  for (const domain::AssignmentAck& ack : change.acks) {
    TASKGATE_RETURN_IF_ERROR(SameDistrict("acknowledgement of task",
                                          ack.task_id, ack.district_id, d));
  }
  for (const AttachmentWrite& w : change.attachments) {
    const domain::Attachment& a = w.attachment;
    TASKGATE_RETURN_IF_ERROR(
        SameDistrict("attachment of task", a.task_id, a.district_id, d));
    if (a.size_bytes != static_cast<int64_t>(w.content.size()) ||
        a.sha256 != audit::ToHex(audit::Sha256(w.content))) {
      return absl::InvalidArgumentError(
          absl::StrCat("attachment ", Sv(a.name), " of task ", Sv(a.task_id),
                       " says size ", a.size_bytes, " and sha256 ",
                       Sv(a.sha256), ", which are not its content's"));
    }
  }
  for (const CounterAdd& add : change.counters) {
    if (add.bucket.empty() || add.name.empty() || !std::isfinite(add.amount)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "counter add (bucket \"", Sv(add.bucket), "\", name \"", Sv(add.name),
          "\") needs a bucket, a name and a finite amount"));
    }
  }
  for (const domain::AuditEvent& event : change.events) {
    TASKGATE_RETURN_IF_ERROR(
        SameDistrict("audit event", absl::StrCat("\"", event.action, "\""),
                     event.district_id, d));
    // Old encodings stay readable, but nothing new is recorded in them.
    if (event.encoding != domain::kCurrentAuditEncoding) {
      return absl::InvalidArgumentError(
          absl::StrCat("audit event \"", event.action, "\" is in encoding ",
                       event.encoding, "; new events are recorded in encoding ",
                       domain::kCurrentAuditEncoding));
    }
    TASKGATE_RETURN_IF_ERROR(CheckAuditEventSize(event));
  }
  return absl::OkStatus();
}

}  // namespace taskgate::store
