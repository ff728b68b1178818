// The numbered schema migrations of `SqliteStore`.
//
// Migration N brings a database from `PRAGMA user_version` N-1 to N; the
// store runs each missing one in its own transaction, which also sets
// `user_version` to N. The list only ever grows: an applied migration is
// never edited, so a schema change is always a new migration. Immutable data;
// thread-safe.
#ifndef TASKGATE_STORE_SQLITE_MIGRATIONS_H_
#define TASKGATE_STORE_SQLITE_MIGRATIONS_H_

#include <string>
#include <vector>

namespace taskgate::store {

struct SqliteMigration {
  int version = 0;   // becomes `PRAGMA user_version` once applied
  std::string name;  // for messages, e.g. "initial schema"
  std::string sql;   // statements run inside the migration's transaction
};

// Returns every migration, in ascending order of version. A number may be
// missing (13 belongs to a change that lands separately); `Migrate` runs
// those above the file's `user_version`.
const std::vector<SqliteMigration>& SqliteMigrations();

}  // namespace taskgate::store

#endif  // TASKGATE_STORE_SQLITE_MIGRATIONS_H_
