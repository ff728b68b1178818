// The SQLite store's writes: one `ChangeSet` applied to the tables, and its
// audit events appended to the district's log.
//
// Internal to store/sqlite/. Not thread-safe: runs on a connection its
// caller has locked, inside the transaction the caller opened.
#ifndef TASKGATE_STORE_SQLITE_INTERNAL_WRITES_H_
#define TASKGATE_STORE_SQLITE_INTERNAL_WRITES_H_

#include <functional>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "store/sqlite/internal/connection.h"
#include "store/store.h"

namespace taskgate::store::sqlite_internal {

// `SqliteStoreOptions::fault_hook`.
using FaultHook = std::function<absl::Status(std::string_view point)>;

// OK when `hook` is unset, else what it returns at `point`.
absl::Status RunFaultHook(const FaultHook& hook, std::string_view point);

// Writes `change` (already through `ValidateChangeSet`) and appends its
// events, numbered after the district's last seq, inside the caller's open
// transaction; calls `hook` at "after_change", between the two. The
// transaction control stays with the caller, so a group commit can wrap
// several calls (a SAVEPOINT each) in one transaction. Errors as
// `Store::Commit`'s; on error the caller must roll back, since some rows may
// be written.
absl::StatusOr<CommitResult> ApplyChange(Connection& db,
                                         const ChangeSet& change,
                                         const FaultHook& hook);

}  // namespace taskgate::store::sqlite_internal

#endif  // TASKGATE_STORE_SQLITE_INTERNAL_WRITES_H_
