// Engine-neutral checks of a `ChangeSet`, before any storage engine sees it.
//
// What can be decided from the change set alone: it names a district, it
// carries audit events, every row and event belongs to that district, no
// event is over the size limit of one event, a stored request has an id and
// a creation time, and every optimistic write steps its version by exactly
// one. What needs the stored data (a taken id,
// a stale version, a missing task) is each engine's to check inside its
// transaction. Every `Store` implementation calls `ValidateChangeSet`
// first, so all engines refuse the same change sets with the same messages.
//
// Pure functions of their arguments; thread-safe.
#ifndef TASKGATE_STORE_CHANGE_VALIDATION_H_
#define TASKGATE_STORE_CHANGE_VALIDATION_H_

#include <cstddef>

#include <absl/status/status.h>

#include "domain/types.h"
#include "store/store.h"

namespace taskgate::store {

// The most bytes one audit event may take in its canonical encoding
// (audit::EncodeAuditEvent, docs/audit-encoding.md "Size of an event"),
// writes included. An auditor reads an event with its canonical bytes
// through `ListEvents`, which carries it twice (readable and canonical):
// 1 MiB keeps one such event, with room to spare, under the API's default
// message limit of 4 MiB. What a real task makes stays under it: the
// largest events are a task's submit (every field before and after, and
// its findings, whose data names each community concerned) and its
// approval; a task with every text at its maximum length in Chinese, every
// controlled type justified at length and 300 target communities with ids
// of 63 characters makes a submit of 856,391 bytes
// (tests/workflow/event_size_test.cc measures it). Only a task or catalog
// beyond any real one reaches the limit - every text at its maximum in
// four-byte characters with 200 streets of maximal names makes a submit
// of 1,218,315 bytes - and is refused, naming what is large, with nothing
// written.
inline constexpr size_t kMaxAuditEventBytes = 1024 * 1024;

// Returns OK when `event`, with the writes it carries, encodes in at most
// `kMaxAuditEventBytes`; else INVALID_ARGUMENT naming the event, its size,
// the limit and its largest part (a write's field, a detail, the reason or
// the community ids), with that part as its field violation. Every engine
// calls it on each event after attaching the change's writes
// (store/entity_writes.h `AttachWrites` does), and `ValidateChangeSet`
// before, so that an event too large is refused before anything is
// written.
absl::Status CheckAuditEventSize(const domain::AuditEvent& event);

// Returns OK when `change` is well formed, else INVALID_ARGUMENT naming the
// first problem found: an empty `district_id`, no audit events, a stored
// request with an empty `request_id`, a district, catalog version, calendar
// year, row or event of another district, a year published twice, an
// event over `kMaxAuditEventBytes` as given (`CheckAuditEventSize`), or a
// written version other than `expected_version + 1`.
absl::Status ValidateChangeSet(const ChangeSet& change);

}  // namespace taskgate::store

#endif  // TASKGATE_STORE_CHANGE_VALIDATION_H_
