// One SQLite connection of the SQLite store, with its prepared statements.
//
// `Connection` owns the `sqlite3` handle and a bounded cache of prepared
// statements; `Statement` is one statement in use, bound with `Param`s and
// stepped with status-returning helpers; `Begin`/`Commit`/`Rollback` are
// the transaction control. SQLite failures become statuses here, in one
// place: busy or locked is UNAVAILABLE (retry the call), anything else is
// INTERNAL.
//
// Internal to store/sqlite/. Not thread-safe: the owner serializes every use
// of a connection and of the statements it hands out (`SqliteStore` holds
// its mutex), and a `Statement` must be destroyed before that lock is
// released, since destroying it hands a cached statement back.
#ifndef TASKGATE_STORE_SQLITE_INTERNAL_CONNECTION_H_
#define TASKGATE_STORE_SQLITE_INTERNAL_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>

struct sqlite3;
struct sqlite3_stmt;

namespace taskgate::store::sqlite_internal {

// abseil 20220623 here has its own string_view; convert at the boundary.
inline absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

// Stored times are whole Unix microseconds.
int64_t FloorMicros(absl::Time t);

// The smallest whole microsecond at or after `t`: comparing stored
// (whole-microsecond) times against it is exact for `>=` and `<` bounds.
int64_t CeilMicros(absl::Time t);

// True for SQLITE_BUSY and SQLITE_LOCKED (extended codes included).
bool IsBusy(int rc);

// Maps an SQLite failure to a status: busy or locked databases are worth a
// retry (UNAVAILABLE); anything else is a broken invariant (INTERNAL).
// `db` may be null (then the message comes from `rc` alone).
absl::Status SqliteError(sqlite3* db, int rc, std::string_view context);

// "<path>: <SQLite's message>", for errors about the file itself.
std::string FileError(const std::string& path, sqlite3* db, int rc);

// A BLOB parameter (plain string views bind as TEXT).
struct Blob {
  std::string_view bytes;
};

// One bound parameter. Implicit conversions keep call sites short:
// `Prepare(sql, {district_id, version, Blob{canonical}})`. Strings are
// viewed, not copied: they must outlive the `Prepare` call that binds them.
class Param {
 public:
  // Implicit on purpose: a parameter list reads like the SQL it binds.
  // NOLINTBEGIN(google-explicit-constructor)
  Param(std::nullopt_t /*null*/) {}  // SQL NULL
  Param(int value) : value_(int64_t{value}) {}
  Param(int64_t value) : value_(value) {}
  Param(double value) : value_(value) {}
  Param(const std::string& value) : value_(std::string_view(value)) {}
  Param(std::string_view value) : value_(value) {}
  Param(const char* value) : value_(std::string_view(value)) {}
  Param(Blob value) : value_(value) {}
  Param(std::optional<int64_t> value) {
    if (value.has_value()) value_ = *value;
  }
  // NOLINTEND(google-explicit-constructor)

  // Binds at 1-based `index`; SQLite copies strings and blobs. Returns the
  // SQLite result code.
  int BindTo(sqlite3_stmt* stmt, int index) const;

 private:
  std::variant<std::monostate, int64_t, double, std::string_view, Blob> value_;
};

// A prepared statement in use. It either owns `stmt` (finalized on
// destruction) or borrows it from the statement cache (reset, unbound and
// handed back on destruction), so no statement outlives its call holding a
// read snapshot open.
class Statement {
 public:
  // `cache_in_use` is the cache entry's flag for a borrowed statement, null
  // for an owned one.
  Statement(sqlite3_stmt* stmt, bool* cache_in_use)
      : stmt_(stmt), cache_in_use_(cache_in_use) {}
  ~Statement() { Release(); }
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3* db() const;

  // Binds `params` to ?1, ?2, ...; `sql` names the statement in errors.
  absl::Status Bind(const std::vector<Param>& params, std::string_view sql);

  // Returns SQLITE_ROW, SQLITE_DONE or an error code.
  int StepRaw();

  // Returns true when a row is ready, false when done.
  absl::StatusOr<bool> Step(std::string_view context);

  // Runs a statement that returns no rows (INTERNAL if it returns one).
  absl::Status Run(std::string_view context);

  // Columns of the current row, 0-based.
  bool IsNull(int col) const;
  int64_t Int(int col) const;
  double Real(int col) const;
  std::string Text(int col) const;
  std::string Bytes(int col) const;

 private:
  void Release();

  sqlite3_stmt* stmt_;
  bool* cache_in_use_;  // null when owned
};

class Connection {
 public:
  // Opens (creating if absent) the database at `path`, with extended result
  // codes and a busy timeout of `busy_timeout_ms`. UNAVAILABLE when it cannot
  // be opened.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::string& path, int busy_timeout_ms);

  // Finalizes the cached statements, then closes the connection
  // (`sqlite3_close_v2`, which waits for any statement still alive).
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const { return db_; }

  // Runs `sql` (one or more statements, no results wanted).
  absl::Status Exec(const std::string& sql, std::string_view context);

  // Prepares `sql` (from the cache when it is there and free) and binds
  // `params`. Statements are cached by their text, up to a bound, so filter
  // queries of any shape cannot grow the cache without limit.
  absl::StatusOr<Statement> Prepare(const std::string& sql,
                                    const std::vector<Param>& params);

  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const;

  // Reads the integer in the first column of the first row `sql` returns
  // with `params` bound; 0 when it returns no row or NULL.
  absl::StatusOr<int64_t> ReadInt(const std::string& sql,
                                  const std::vector<Param>& params,
                                  std::string_view context);

  // Runs `sql` without the cache and collects the first column of up to
  // `max_rows` rows into `rows`. Returns the SQLite result code (SQLITE_OK on
  // success), so that the open checks can tell "not a database" from
  // corruption.
  int QueryFirstColumn(const char* sql, int max_rows,
                       std::vector<std::string>* rows);

  // Whether closing the connection checkpoints the WAL into the main file
  // (SQLite's default: yes).
  void SetCheckpointOnClose(bool checkpoint);

  // Transaction control. `BEGIN IMMEDIATE` takes the write lock at once, so
  // a busy database fails before any work rather than at the first write.
  absl::Status Begin(std::string_view context);
  absl::Status Commit(std::string_view context);
  // Rolls back the open transaction, if any: a failed COMMIT or an I/O error
  // may already have ended it.
  void Rollback();

 private:
  // A statement kept prepared for reuse.
  struct CachedStatement {
    explicit CachedStatement(sqlite3_stmt* s) : stmt(s) {}
    ~CachedStatement();
    CachedStatement(const CachedStatement&) = delete;
    CachedStatement& operator=(const CachedStatement&) = delete;

    sqlite3_stmt* stmt;
    bool in_use = false;
  };

  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* const db_;
  std::unordered_map<std::string, std::unique_ptr<CachedStatement>> cache_;
};

}  // namespace taskgate::store::sqlite_internal

#endif  // TASKGATE_STORE_SQLITE_INTERNAL_CONNECTION_H_
