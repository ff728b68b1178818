#include "store/sqlite/internal/schema.h"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/string_view.h>

#include "common/status_macros.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace taskgate::store {

int SqliteSchemaVersion() { return SqliteMigrations().back().version; }

namespace sqlite_internal {
namespace {

// The first line of a `quick_check` report that names a problem (the report
// starts with a "*** in database main ***" heading).
std::string FirstProblem(const std::string& report) {
  for (absl::string_view line : absl::StrSplit(report, '\n')) {
    if (!line.empty() && !absl::StartsWith(line, "*** in database")) {
      return std::string(line);
    }
  }
  return report;
}

// Refuses, without writing, a file that is not (or no longer) a healthy
// TaskGate database this binary understands.
absl::Status CheckExistingFile(Connection& conn, const std::string& path) {
  sqlite3* db = conn.get();
  // Not a database at all, corruption of the header, or a lock held by
  // another process: each gets its own code, and nothing is written.
  const auto refused = [&](int rc) -> absl::Status {
    const int primary = rc & 0xff;
    if (primary == SQLITE_NOTADB) {
      return absl::FailedPreconditionError(
          absl::StrCat(path,
                       " is not a TaskGate database (not an SQLite file); "
                       "check the path"));
    }
    if (primary == SQLITE_CORRUPT) {
      return absl::DataLossError(
          absl::StrCat(path, " is damaged (", sqlite3_errmsg(db),
                       "); restore the database from a backup"));
    }
    if (IsBusy(rc)) {
      return absl::UnavailableError(
          absl::StrCat(path, " is locked by another process (",
                       sqlite3_errmsg(db), "); stop it or retry"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot read ", FileError(path, db, rc)));
  };

  std::vector<std::string> rows;
  int rc = conn.QueryFirstColumn("PRAGMA application_id", 1, &rows);
  if (rc != SQLITE_OK) return refused(rc);
  const int64_t application_id = rows.empty() ? 0 : std::stoll(rows[0]);
  rows.clear();
  rc = conn.QueryFirstColumn("PRAGMA user_version", 1, &rows);
  if (rc != SQLITE_OK) return refused(rc);
  const int64_t user_version = rows.empty() ? 0 : std::stoll(rows[0]);

  if (application_id != kSqliteApplicationId) {
    // An SQLite file with no id, no version and no schema holds nothing to
    // lose: it is what a first start leaves if it stops between switching
    // to WAL and the first migration. Anything else belongs to someone else.
    rows.clear();
    rc = conn.QueryFirstColumn("SELECT count(*) FROM sqlite_schema", 1, &rows);
    if (rc != SQLITE_OK) return refused(rc);
    const bool empty = !rows.empty() && rows[0] == "0";
    if (!(application_id == 0 && user_version == 0 && empty)) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " is not a TaskGate database (its application_id is ",
          application_id, ", expected ", kSqliteApplicationId,
          "); check the path"));
    }
  }
  if (user_version > SqliteSchemaVersion()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " has schema version ", user_version,
                     ", newer than version ", SqliteSchemaVersion(),
                     " that this taskgated knows; upgrade taskgated"));
  }
  rows.clear();
  rc = conn.QueryFirstColumn("PRAGMA quick_check", 1, &rows);
  if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
    return absl::DataLossError(
        absl::StrCat(path, " failed the integrity check (", sqlite3_errmsg(db),
                     "); restore the database from a backup"));
  }
  if (rc != SQLITE_OK) return refused(rc);
  if (rows.empty() || rows[0] != "ok") {
    return absl::DataLossError(
        absl::StrCat(path, " failed the integrity check (",
                     rows.empty() ? "no result" : FirstProblem(rows[0]),
                     "); restore the database from a backup"));
  }
  return absl::OkStatus();
}

// Runs one migration inside the caller's transaction; `current` is the
// schema version before and after.
absl::Status ApplyMigration(Connection& db, const SqliteMigration& migration,
                            const std::string& context, int64_t& current) {
  // Another process may have migrated while we waited for the lock.
  TASKGATE_ASSIGN_OR_RETURN(current,
                            db.ReadInt("PRAGMA user_version", {}, context));
  if (migration.version <= current) return absl::OkStatus();
  TASKGATE_RETURN_IF_ERROR(db.Exec(migration.sql, context));
  TASKGATE_RETURN_IF_ERROR(db.Exec(
      absl::StrCat("PRAGMA user_version = ", migration.version), context));
  current = migration.version;
  return absl::OkStatus();
}

absl::Status Migrate(Connection& db) {
  TASKGATE_ASSIGN_OR_RETURN(
      int64_t current,
      db.ReadInt("PRAGMA user_version", {}, "read user_version"));
  for (const SqliteMigration& migration : SqliteMigrations()) {
    if (migration.version <= current) continue;
    const std::string context = absl::StrCat(
        "schema migration ", migration.version, " (", migration.name, ")");
    TASKGATE_RETURN_IF_ERROR(db.Begin(context));
    absl::Status status = ApplyMigration(db, migration, context, current);
    if (status.ok()) status = db.Commit(context);
    if (!status.ok()) {
      db.Rollback();
      return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

FileState InspectFile(const std::string& path) {
  FileState file;
  file.in_memory = path == ":memory:";
  if (!file.in_memory) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    file.has_data = !ec && size > 0;
    file.wal_existed = std::filesystem::exists(path + "-wal", ec);
  }
  return file;
}

absl::Status PrepareDatabase(Connection& db, const std::string& path,
                             const FileState& file,
                             const std::string& synchronous) {
  if (file.has_data) {
    // Closing normally checkpoints a WAL into the main file; a WAL that was
    // there before us must stay untouched if the file is refused.
    if (file.wal_existed) db.SetCheckpointOnClose(false);
    TASKGATE_RETURN_IF_ERROR(CheckExistingFile(db, path));
    if (file.wal_existed) db.SetCheckpointOnClose(true);
  }

  std::vector<std::string> rows;
  const int rc = db.QueryFirstColumn("PRAGMA journal_mode = WAL", 1, &rows);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "set journal_mode");
  const std::string mode = rows.empty() ? "" : rows[0];
  if (!file.in_memory && mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot put ", path, " in WAL mode (journal_mode is ",
                     mode, "); place the database on a local file system"));
  }
  TASKGATE_RETURN_IF_ERROR(db.Exec(
      absl::StrCat("PRAGMA synchronous = ", synchronous), "set synchronous"));
  TASKGATE_RETURN_IF_ERROR(
      db.Exec("PRAGMA foreign_keys = ON", "enable foreign keys"));
  // The writer's connection only. A batch dirties a few pages of every
  // index it touches; a cache of 32 MiB (the default is 2 MiB) keeps the
  // indexes' upper levels and recent pages from being read back for every
  // batch, and checkpointing every 8,192 WAL pages (32 MiB) instead of
  // every 1,000 copies a hot page to the file once where it would be
  // copied many times.
  TASKGATE_RETURN_IF_ERROR(
      db.Exec("PRAGMA cache_size = -32768", "set cache_size"));
  TASKGATE_RETURN_IF_ERROR(
      db.Exec("PRAGMA wal_autocheckpoint = 8192", "set wal_autocheckpoint"));
  TASKGATE_RETURN_IF_ERROR(Migrate(db));

  TASKGATE_ASSIGN_OR_RETURN(
      const int64_t application_id,
      db.ReadInt("PRAGMA application_id", {}, "read application_id"));
  if (application_id != kSqliteApplicationId) {
    return absl::InternalError(
        absl::StrCat(path, " has application_id ", application_id,
                     " after migration; expected ", kSqliteApplicationId));
  }
  return absl::OkStatus();
}

}  // namespace sqlite_internal
}  // namespace taskgate::store
