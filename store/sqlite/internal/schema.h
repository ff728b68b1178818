// Making a freshly opened connection ready for the SQLite store: the open
// checks, the connection's settings and the schema migrations.
//
// An existing file is refused, without writing anything, when it is not a
// TaskGate database, when its schema is newer than this binary knows, or
// when it fails `PRAGMA quick_check`; data is never reset. An accepted file
// (or a new one) is put in WAL mode with the configured `synchronous` and
// foreign keys on, and the missing migrations of `SqliteMigrations()` are
// applied, one transaction each.
//
// Internal to store/sqlite/. Not thread-safe: runs on a connection nothing
// else uses yet.
#ifndef TASKGATE_STORE_SQLITE_INTERNAL_SCHEMA_H_
#define TASKGATE_STORE_SQLITE_INTERNAL_SCHEMA_H_

#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "store/sqlite/internal/connection.h"

namespace taskgate::store::sqlite_internal {

// What was at the database path before it was opened: it decides which
// checks run, and what must be left untouched if the file is refused.
struct FileState {
  bool in_memory = false;    // ":memory:"
  bool has_data = false;     // a file of at least one byte
  bool wal_existed = false;  // a "-wal" file beside it
};

// Looks at `path` (and its "-wal") without opening them.
FileState InspectFile(const std::string& path);

// Checks the database behind `db` (opened on `path`, found as `file`) and
// prepares it for use: WAL mode, `PRAGMA synchronous = <synchronous>` (an
// upper-case mode already checked by the caller), foreign keys, then the
// migrations. Errors: FAILED_PRECONDITION for a file that is not a TaskGate
// database, has a newer schema or cannot be put in WAL mode; DATA_LOSS when
// it is damaged or fails the integrity check; UNAVAILABLE when it is locked
// or cannot be read; INTERNAL for anything else. When the file is refused,
// closing `db` leaves it byte for byte as it was.
absl::Status PrepareDatabase(Connection& db, const std::string& path,
                             const FileState& file,
                             const std::string& synchronous);

}  // namespace taskgate::store::sqlite_internal

#endif  // TASKGATE_STORE_SQLITE_INTERNAL_SCHEMA_H_
