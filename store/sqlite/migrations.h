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

// Returns every migration, in order: element i has version i + 1.
const std::vector<SqliteMigration>& SqliteMigrations();

}  // namespace taskgate::store

#endif  // TASKGATE_STORE_SQLITE_MIGRATIONS_H_
