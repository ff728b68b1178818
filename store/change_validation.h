// Engine-neutral checks of a `ChangeSet`, before any storage engine sees it.
//
// What can be decided from the change set alone: it names a district, it
// carries audit events, every row and event belongs to that district, a
// stored request has an id and a creation time, and every optimistic write
// steps its version by exactly one. What needs the stored data (a taken id,
// a stale version, a missing task) is each engine's to check inside its
// transaction. Every `Store` implementation calls `ValidateChangeSet`
// first, so all engines refuse the same change sets with the same messages.
//
// Pure functions of their arguments; thread-safe.
#ifndef TASKGATE_STORE_CHANGE_VALIDATION_H_
#define TASKGATE_STORE_CHANGE_VALIDATION_H_

#include <absl/status/status.h>

#include "store/store.h"

namespace taskgate::store {

// Returns OK when `change` is well formed, else INVALID_ARGUMENT naming the
// first problem found: an empty `district_id`, no audit events, a stored
// request with an empty `request_id`, a district, catalog version, row or
// event of another district, or a written version other than
// `expected_version + 1`.
absl::Status ValidateChangeSet(const ChangeSet& change);

}  // namespace taskgate::store

#endif  // TASKGATE_STORE_CHANGE_VALIDATION_H_
