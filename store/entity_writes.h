// What every store engine does to make a change's events carry what the
// change wrote (audit encoding version 2, SPEC §7): each entity a
// `ChangeSet` creates or changes becomes an `EntityWrite` on the event that
// records it, with its fields before and after and the digest of its new
// state. The engine supplies each entity's stored fields before the change
// (it reads them inside the change's transaction); this decides where each
// write goes and what it says, so that all engines record alike.
// Pure functions; thread-safe.
#ifndef TASKGATE_STORE_ENTITY_WRITES_H_
#define TASKGATE_STORE_ENTITY_WRITES_H_

#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "domain/fields.h"
#include "domain/types.h"

namespace taskgate::store {

// Replaces in `fields` of an entity of `kind` what stands for a secret by
// its SHA-256 ("sha256:<hex>"): a credential's token hash. The log then
// proves the stored hash (an edited hash would let another secret in)
// without showing it.
void MaskSecrets(std::string_view kind, domain::Fields& fields);

// The fields of a stored `body` of `kind` as the record carries them:
// domain::FieldsOfJson, then `MaskSecrets`.
absl::StatusOr<domain::Fields> RecordFieldsOfBody(std::string_view kind,
                                                  std::string_view body);

// One entity a change writes.
struct EntityChange {
  std::string_view kind;  // domain/fields.h
  std::string id;
  bool created = false;
  domain::Fields before;  // empty when created
  domain::Fields after;
};

// `events` with each of `changes` attached as a write to the event that
// records it: the first event about that entity (`entity_type`, `entity_id`
// equal to its kind and id), else the first event. A write is complete (it
// lists every field) for a creation and for a task's submit, so that the
// submitted task can be read from its submit event alone; otherwise it
// lists the changed fields. `events` must not be empty. INVALID_ARGUMENT
// (store/change_validation.h `CheckAuditEventSize`) when an event with its
// writes is over `kMaxAuditEventBytes`: the engine then writes nothing.
absl::StatusOr<std::vector<domain::AuditEvent>> AttachWrites(
    std::vector<domain::AuditEvent> events, std::vector<EntityChange> changes);

}  // namespace taskgate::store

#endif  // TASKGATE_STORE_ENTITY_WRITES_H_
