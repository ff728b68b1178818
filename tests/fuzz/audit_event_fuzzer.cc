// The canonical audit event decoder (audit/encoding.h) on arbitrary bytes:
// it never crashes, its two forms (owned and view) agree, and what it
// accepts is canonical: encoding the decoded event gives the same bytes
// back, and the readable form of bundles (audit/bundle.h) carries every
// field of the event (where its text is UTF-8).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "audit/bundle.h"
#include "audit/encoding.h"
#include "common/safe_text.h"
#include "tests/fuzz/fuzz_check.h"

namespace taskgate::fuzz {
namespace {

bool IsUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (DecodeUtf8(text, &pos) == kInvalidUtf8) return false;
  }
  return true;
}

}  // namespace

bool HasOnlyUtf8(const domain::AuditEvent& e) {
  bool all = IsUtf8(e.actor_id) && IsUtf8(e.action) && IsUtf8(e.entity_type) &&
             IsUtf8(e.entity_id) && IsUtf8(e.state_before) &&
             IsUtf8(e.state_after) && IsUtf8(e.reason) &&
             IsUtf8(e.request_id) && IsUtf8(e.department_id);
  for (const std::string& c : e.community_ids) all = all && IsUtf8(c);
  for (const auto& [key, value] : e.details) {
    all = all && IsUtf8(key) && IsUtf8(value);
  }
  for (const domain::EntityWrite& w : e.writes) {
    all = all && IsUtf8(w.kind) && IsUtf8(w.id);
    for (const domain::FieldChange& c : w.changes) {
      all = all && IsUtf8(c.field) && IsUtf8(c.before) && IsUtf8(c.after);
    }
  }
  return all;
}

}  // namespace taskgate::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace audit = ::taskgate::audit;
  const std::string_view bytes = taskgate::fuzz::AsText(data, size);
  absl::StatusOr<taskgate::domain::AuditEvent> event =
      audit::DecodeAuditEvent(bytes);
  audit::AuditEventView view;
  const absl::Status view_status = audit::DecodeAuditEventView(bytes, view);
  TASKGATE_FUZZ_CHECK(event.ok() == view_status.ok(), event.status(), " vs ",
                      view_status);
  if (!event.ok()) {
    TASKGATE_FUZZ_CHECK(absl::IsInvalidArgument(event.status()),
                        event.status());
    return 0;
  }
  TASKGATE_FUZZ_CHECK(audit::EncodeAuditEvent(*event) == bytes,
                      "decoded, then encoded, the bytes differ");
  TASKGATE_FUZZ_CHECK(view.seq == event->seq && view.action == event->action &&
                          view.writes.size() == event->writes.size(),
                      "the view and the owned event differ");
  // Text that is not UTF-8 (bytes edited into a database) has no JSON
  // form: it is written with U+FFFD, and a bundle leaves the readable form
  // out. Everything else round-trips.
  const std::string readable = audit::AuditEventToReadableJson(*event);
  if (!taskgate::fuzz::HasOnlyUtf8(*event)) return 0;
  absl::StatusOr<taskgate::domain::AuditEvent> back =
      audit::AuditEventFromReadableJson(readable);
  TASKGATE_FUZZ_CHECK(back.ok(), back.status(), "\n", readable);
  // The readable form leaves out what its bundle says once for all events
  // (the district) and the encoding version (the canonical bytes say it).
  back->district_id = event->district_id;
  back->encoding = event->encoding;
  TASKGATE_FUZZ_CHECK(*back == *event, "the readable form differs:\n",
                      readable);
  return 0;
}
