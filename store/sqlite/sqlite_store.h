// The embedded default `Store`: one SQLite file per deployment.
//
// `OpenSqliteStore` opens the file in WAL mode with `synchronous=FULL`
// (configurable), foreign keys on, and applies the numbered schema migrations
// it knows. Each `Commit` is one `BEGIN IMMEDIATE` transaction holding the
// change and its audit events. Opening refuses, without writing anything, a
// file that is not a TaskGate database, one whose schema is newer than this
// binary knows, and one failing `PRAGMA quick_check`; it never resets data.
//
// The store is used only through the `Store` interface (store/store.h); the
// class behind it is internal to store/sqlite/.
//
// Thread-safe: one connection guarded by a mutex serializes all calls.
#ifndef TASKGATE_STORE_SQLITE_SQLITE_STORE_H_
#define TASKGATE_STORE_SQLITE_SQLITE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "store/store.h"

namespace taskgate::store {

// `PRAGMA application_id` of every TaskGate database ("TGAT").
inline constexpr int32_t kSqliteApplicationId = 0x54474154;

struct SqliteStoreOptions {
  // "FULL" (default: every commit survives power loss) or "NORMAL".
  std::string synchronous = "FULL";
  // Milliseconds a call waits for a lock held by another process before
  // failing with UNAVAILABLE.
  int busy_timeout_ms = 5000;
  // Test hook: called at named points inside `Commit`'s transaction
  // ("after_change" before the audit events are appended, "before_commit");
  // a non-OK result aborts the transaction with that status. Runs under
  // the store's lock: it must not call back into the store.
  std::function<absl::Status(std::string_view point)> fault_hook;
};

// Opens (creating if absent) the database at `path`; ":memory:" gives a
// private in-memory database. Errors: INVALID_ARGUMENT for an empty `path` or
// bad `options`; FAILED_PRECONDITION for a file that is not a TaskGate
// database or has a newer schema; DATA_LOSS when the integrity check fails;
// UNAVAILABLE when it cannot be opened or locked. A refused file is left byte
// for byte as it was, with no -wal/-shm files added.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(
    const std::string& path, SqliteStoreOptions options = {});

// The schema version this binary writes (the highest migration it knows).
int SqliteSchemaVersion();

}  // namespace taskgate::store

#endif  // TASKGATE_STORE_SQLITE_SQLITE_STORE_H_
