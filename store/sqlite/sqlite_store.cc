#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include "audit/encoding.h"
#include "audit/merkle.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "domain/types.h"
#include "store/change_validation.h"
#include "store/sqlite/migrations.h"

namespace taskgate::store {
namespace {

// abseil 20220623 here has its own string_view; convert at the boundary.
absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

// Stored times are whole Unix microseconds.
int64_t FloorMicros(absl::Time t) { return absl::ToUnixMicros(t); }

// The smallest whole microsecond at or after `t`: comparing stored
// (whole-microsecond) times against it is exact for `>=` and `<` bounds.
int64_t CeilMicros(absl::Time t) {
  int64_t micros = absl::ToUnixMicros(t);
  if (micros != std::numeric_limits<int64_t>::max() &&
      absl::FromUnixMicros(micros) < t) {
    ++micros;
  }
  return micros;
}

bool IsBusy(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

// Maps an SQLite failure to a status: busy or locked databases are worth a
// retry (UNAVAILABLE); anything else is a broken invariant (INTERNAL).
// SQLite's LIMIT for a `limit` argument where 0 means none.
int64_t NoLimit(int32_t limit) { return limit <= 0 ? -1 : limit; }

absl::Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  const std::string detail =
      db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (IsBusy(rc)) {
    return absl::UnavailableError(absl::StrCat(
        "database is busy (", Sv(context), ": ", detail, "); retry the call"));
  }
  return absl::InternalError(absl::StrCat("sqlite error in ", Sv(context), ": ",
                                          detail, " (code ", rc, ")"));
}

// Owns one connection; closes it when destroyed. `sqlite3_close_v2` defers
// the close until the last statement is finalized, so member order can never
// leak the file handle.
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const { return db_; }

  // Runs `sql` (one or more statements, no results wanted).
  absl::Status Exec(const std::string& sql, std::string_view context) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, context);
    return absl::OkStatus();
  }

 private:
  sqlite3* db_;
};

// A BLOB parameter (plain string views bind as TEXT).
struct Blob {
  std::string_view bytes;
};

// One bound parameter. Implicit conversions keep call sites short:
// `Prepare(sql, {district_id, version, Blob{canonical}})`.
class Param {
 public:
  // Implicit on purpose: a parameter list reads like the SQL it binds.
  // NOLINTBEGIN(google-explicit-constructor)
  Param(std::nullopt_t /*null*/) {}  // SQL NULL
  Param(int value) : value_(int64_t{value}) {}
  Param(int64_t value) : value_(value) {}
  Param(const std::string& value) : value_(std::string_view(value)) {}
  Param(std::string_view value) : value_(value) {}
  Param(const char* value) : value_(std::string_view(value)) {}
  Param(Blob value) : value_(value) {}
  Param(std::optional<int64_t> value) {
    if (value.has_value()) value_ = *value;
  }
  // NOLINTEND(google-explicit-constructor)

  // Binds at 1-based `index`; SQLite copies strings and blobs.
  int BindTo(sqlite3_stmt* stmt, int index) const {
    if (const auto* i = std::get_if<int64_t>(&value_)) {
      return sqlite3_bind_int64(stmt, index, *i);
    }
    if (const auto* s = std::get_if<std::string_view>(&value_)) {
      return sqlite3_bind_text64(stmt, index, s->data(), s->size(),
                                 SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    if (const auto* b = std::get_if<Blob>(&value_)) {
      // A zero-length blob still binds as a BLOB, not NULL, with a non-null
      // pointer.
      static const char kEmpty = 0;
      return sqlite3_bind_blob64(stmt, index,
                                 b->bytes.empty() ? &kEmpty : b->bytes.data(),
                                 b->bytes.size(), SQLITE_TRANSIENT);
    }
    return sqlite3_bind_null(stmt, index);
  }

 private:
  std::variant<std::monostate, int64_t, std::string_view, Blob> value_;
};

// A prepared statement in use. It either owns `stmt` (finalized on
// destruction) or borrows it from the statement cache (reset, unbound and
// handed back on destruction), so no statement outlives its call holding a
// read snapshot open.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, bool* cache_in_use)
      : stmt_(stmt), cache_in_use_(cache_in_use) {}
  ~Statement() { Release(); }
  Statement(Statement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)),
        cache_in_use_(std::exchange(other.cache_in_use_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3* db() const { return sqlite3_db_handle(stmt_); }

  // Binds `params` to ?1, ?2, ...
  absl::Status Bind(const std::vector<Param>& params, std::string_view sql) {
    for (size_t i = 0; i < params.size(); ++i) {
      const int rc = params[i].BindTo(stmt_, static_cast<int>(i) + 1);
      if (rc != SQLITE_OK) {
        return SqliteError(db(), rc, absl::StrCat("bind ", Sv(sql)));
      }
    }
    return absl::OkStatus();
  }

  // Returns SQLITE_ROW, SQLITE_DONE or an error code.
  int StepRaw() { return sqlite3_step(stmt_); }

  // Returns true when a row is ready, false when done.
  absl::StatusOr<bool> Step(std::string_view context) {
    const int rc = StepRaw();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db(), rc, context);
  }

  // Runs a statement that returns no rows.
  absl::Status Run(std::string_view context) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, Step(context));
    if (row) {
      return absl::InternalError(
          absl::StrCat("statement in ", Sv(context), " returned a row"));
    }
    return absl::OkStatus();
  }

  bool IsNull(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const {
    const unsigned char* text = sqlite3_column_text(stmt_, col);
    const int size = sqlite3_column_bytes(stmt_, col);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text), static_cast<size_t>(size)};
  }
  std::string Bytes(int col) const {
    const void* data = sqlite3_column_blob(stmt_, col);
    const int size = sqlite3_column_bytes(stmt_, col);
    if (data == nullptr) return {};
    return {static_cast<const char*>(data), static_cast<size_t>(size)};
  }

 private:
  void Release() {
    if (stmt_ == nullptr) return;
    if (cache_in_use_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
      *cache_in_use_ = false;
    } else {
      sqlite3_finalize(stmt_);
    }
    stmt_ = nullptr;
  }

  sqlite3_stmt* stmt_;
  bool* cache_in_use_;  // null when owned
};

// A statement kept prepared for reuse by the connection.
struct CachedStatement {
  explicit CachedStatement(sqlite3_stmt* s) : stmt(s) {}
  ~CachedStatement() { sqlite3_finalize(stmt); }
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;

  sqlite3_stmt* stmt;
  bool in_use = false;
};

// Filter queries are built from optional parts; their shapes are few, but
// the cache stays bounded whatever callers do.
constexpr size_t kMaxCachedStatements = 256;

// Adds " AND `column` = ?" to a filter query when `value` is set; `value`
// must outlive the statement built from `params`.
void AddFilter(std::string& sql, std::vector<Param>& params, const char* column,
               const std::string& value) {
  if (value.empty()) return;
  absl::StrAppend(&sql, " AND ", column, " = ?");
  params.emplace_back(value);
}

// Decoding a stored body fails only if the file was damaged or edited.
template <typename T>
absl::StatusOr<T> Decoded(absl::StatusOr<T> value, std::string_view what) {
  if (value.ok()) return value;
  return absl::DataLossError(absl::StrCat(
      "stored ", Sv(what), " cannot be read (", value.status().message(),
      "); the database may be damaged: verify it and restore from a backup"));
}

// Reads (id, body) rows of tasks. The statement's connection must be locked.
absl::StatusOr<std::vector<domain::Task>> ReadTasks(Statement& stmt) {
  std::vector<domain::Task> tasks;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("list tasks"));
    if (!row) break;
    TASKGATE_ASSIGN_OR_RETURN(domain::Task task,
                              Decoded(domain::TaskFromJson(stmt.Text(1)),
                                      absl::StrCat("task ", stmt.Text(0))));
    tasks.push_back(std::move(task));
  }
  return tasks;
}

std::string FileError(const std::string& path, sqlite3* db, int rc) {
  return absl::StrCat(path, ": ",
                      db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

// Runs a read-only statement during the open checks and collects the first
// column of up to `max_rows` rows. Returns the SQLite result code (SQLITE_OK
// on success), so that the caller can tell "not a database" from corruption.
int QueryFirstColumn(sqlite3* db, const char* sql, int max_rows,
                     std::vector<std::string>* rows) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return rc;
  Statement stmt(raw, nullptr);
  while ((rc = stmt.StepRaw()) == SQLITE_ROW) {
    if (static_cast<int>(rows->size()) < max_rows) {
      rows->push_back(stmt.Text(0));
    }
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

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

constexpr std::array<std::string_view, 2> kSynchronousModes = {"FULL",
                                                               "NORMAL"};

// Pragmas that `SqliteStore::Pragma` may read.
constexpr std::array<std::string_view, 7> kReadablePragmas = {
    "application_id", "busy_timeout", "foreign_keys", "journal_mode",
    "page_size",      "synchronous",  "user_version"};

}  // namespace

// ------------------------------------------------------------------- Impl

class SqliteStore::Impl {
 public:
  Impl(sqlite3* db, Options options) : options_(std::move(options)), db_(db) {}

  absl::Status Initialize(const std::string& path, bool in_memory,
                          bool has_data, bool wal_existed) {
    absl::MutexLock lock(&mu_);
    return InitializeLocked(path, in_memory, has_data, wal_existed);
  }

  absl::StatusOr<CommitResult> Commit(const ChangeSet& change);
  absl::StatusOr<std::optional<StoredRequest>> FindRequest(
      const std::string& district_id, const std::string& request_id);
  absl::StatusOr<domain::District> GetDistrict(const std::string& district_id);
  absl::StatusOr<domain::CatalogVersion> GetCatalog(
      const std::string& district_id, int64_t version);
  absl::StatusOr<domain::Community> GetCommunity(
      const std::string& district_id, const std::string& community_id);
  absl::StatusOr<std::vector<domain::Community>> ListCommunities(
      const std::string& district_id, const std::string& street);
  absl::StatusOr<domain::Task> GetTask(const std::string& district_id,
                                       const std::string& task_id);
  absl::StatusOr<std::vector<domain::Task>> ListTasks(const TaskQuery& query);
  absl::StatusOr<std::vector<domain::Task>> ListTasksDue(
      const std::string& district_id, absl::Time now, int32_t limit);
  absl::StatusOr<std::optional<absl::Time>> NextTimer(
      const std::string& district_id);
  absl::StatusOr<std::vector<domain::Decision>> ListDecisions(
      const std::string& district_id, const std::string& task_id);
  absl::StatusOr<std::vector<StoredEvent>> ListEvents(const EventQuery& query);
  absl::StatusOr<int64_t> EventCount(const std::string& district_id);
  absl::StatusOr<std::vector<audit::Hash>> ListLeafHashes(
      const std::string& district_id, int64_t after_seq, int32_t limit);
  absl::StatusOr<std::vector<AuditRow>> ListAuditRows(
      const std::string& district_id, int64_t after_seq, int32_t limit);
  absl::Status AddCheckpoint(const std::string& district_id,
                             const audit::Checkpoint& c);
  absl::StatusOr<std::vector<audit::Checkpoint>> ListCheckpoints(
      const std::string& district_id, int64_t after_size, int32_t limit,
      bool newest_first);
  absl::StatusOr<std::string> Pragma(const std::string& name);

  absl::StatusOr<domain::Principal> GetPrincipal(
      const std::string& district_id, const std::string& principal_id);
  absl::StatusOr<std::vector<domain::Principal>> ListPrincipals(
      const std::string& district_id);
  absl::StatusOr<int64_t> CountPrincipals(const std::string& district_id);
  absl::StatusOr<domain::Credential> GetCredential(
      const std::string& district_id, const std::string& credential_id);
  absl::StatusOr<std::optional<domain::Credential>> FindCredentialByHash(
      const std::string& district_id, const std::string& token_hash);
  absl::StatusOr<std::vector<domain::Credential>> ListCredentials(
      const std::string& district_id, const std::string& principal_id);
  absl::StatusOr<domain::Complaint> GetComplaint(
      const std::string& district_id, const std::string& complaint_id);
  absl::StatusOr<std::vector<domain::Complaint>> ListComplaints(
      const std::string& district_id, const std::string& community_id,
      const std::vector<domain::ComplaintState>& states);
  absl::StatusOr<std::vector<domain::FundingReport>> ListFundingReports(
      const std::string& district_id, const std::string& task_id,
      const std::string& community_id);
  absl::StatusOr<std::vector<domain::AssignmentAck>> ListAcks(
      const std::string& district_id, const std::string& task_id,
      const std::string& community_id);

 private:
  absl::Status InitializeLocked(const std::string& path, bool in_memory,
                                bool has_data, bool wal_existed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Refuses, without writing, a file that is not (or no longer) a healthy
  // TaskGate database this binary understands.
  absl::Status CheckExistingFileLocked(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status MigrateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs one migration inside the caller's transaction; `current` is the
  // schema version before and after.
  absl::Status ApplyMigrationLocked(const SqliteMigration& migration,
                                    const std::string& context,
                                    int64_t& current)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> ReadIntLocked(const std::string& sql,
                                        std::string_view context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Writes `change` inside the caller's transaction. The transaction control
  // stays in `Commit`, so a group commit can wrap several calls (a SAVEPOINT
  // each) in one transaction.
  absl::StatusOr<CommitResult> ApplyChange(const ChangeSet& change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteCommunity(const std::string& district_id,
                              const CommunityWrite& write)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteTask(const std::string& district_id, const TaskWrite& write)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WritePrincipal(const std::string& district_id,
                              const PrincipalWrite& write)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteCredential(const std::string& district_id,
                               const CredentialWrite& write)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteComplaint(const std::string& district_id,
                              const ComplaintWrite& write)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteFundingReport(const std::string& district_id,
                                  const domain::FundingReport& report)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteAck(const std::string& district_id,
                        const domain::AssignmentAck& ack)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After an optimistic UPDATE of `id` in `table` changed no row: NOT_FOUND
  // when the row is missing, else ABORTED naming the stored version.
  absl::Status MissingOrStaleLocked(std::string_view table,
                                    std::string_view what,
                                    const std::string& district_id,
                                    const std::string& id,
                                    int64_t expected_version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // NOT_FOUND, naming `what`, unless task `task_id` is stored.
  absl::Status RequireTaskLocked(const std::string& district_id,
                                 const std::string& task_id,
                                 std::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteDecision(const std::string& district_id,
                             const domain::Decision& decision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<int64_t>> AppendEvents(
      const std::string& district_id,
      const std::vector<domain::AuditEvent>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RunHook(std::string_view point) const;
  void RollbackLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::StatusOr<Statement> Prepare(const std::string& sql,
                                    const std::vector<Param>& params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t ChangesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return sqlite3_changes(db_.get());
  }

  // Reads and decodes the JSON body of row (`district_id`, `id`) of `table`;
  // `noun` names the resource in errors (NOT_FOUND, DATA_LOSS).
  template <typename T>
  absl::StatusOr<T> GetBody(const std::string& table, const std::string& noun,
                            const std::string& district_id,
                            const std::string& id,
                            absl::StatusOr<T> (*decode)(std::string_view)) {
    absl::MutexLock lock(&mu_);
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare(absl::StrCat("SELECT body FROM ", table,
                             " WHERE district_id = ? AND id = ?"),
                {district_id, id}));
    TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("get " + noun));
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat(noun, " ", id, " not found in district ", district_id));
    }
    return Decoded(decode(stmt.Text(0)), absl::StrCat(noun, " ", id));
  }

  const Options options_;
  absl::Mutex mu_;
  // Declared before the cache: members are destroyed in reverse order, so
  // cached statements are finalized before the connection closes.
  Connection db_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, std::unique_ptr<CachedStatement>> cache_
      ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<Statement> SqliteStore::Impl::Prepare(
    const std::string& sql, const std::vector<Param>& params) {
  auto it = cache_.find(sql);
  std::optional<Statement> stmt;
  if (it != cache_.end() && !it->second->in_use) {
    it->second->in_use = true;
    stmt.emplace(it->second->stmt, &it->second->in_use);
  } else {
    const bool cacheable =
        it == cache_.end() && cache_.size() < kMaxCachedStatements;
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(
        db_.get(), sql.data(), static_cast<int>(sql.size()),
        cacheable ? SQLITE_PREPARE_PERSISTENT : 0, &raw, nullptr);
    if (rc != SQLITE_OK) {
      return SqliteError(db_.get(), rc, absl::StrCat("prepare ", sql));
    }
    if (cacheable) {
      CachedStatement& cached =
          *cache_.emplace(sql, std::make_unique<CachedStatement>(raw))
               .first->second;
      cached.in_use = true;
      stmt.emplace(raw, &cached.in_use);
    } else {
      stmt.emplace(raw, nullptr);
    }
  }
  TASKGATE_RETURN_IF_ERROR(stmt->Bind(params, sql));
  return std::move(*stmt);
}

absl::StatusOr<int64_t> SqliteStore::Impl::ReadIntLocked(
    const std::string& sql, std::string_view context) {
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql, {}));
  TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step(context));
  if (!row || stmt.IsNull(0)) return int64_t{0};
  return stmt.Int(0);
}

// ------------------------------------------------------------------- open

absl::Status SqliteStore::Impl::CheckExistingFileLocked(
    const std::string& path) {
  sqlite3* db = db_.get();
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
  int rc = QueryFirstColumn(db, "PRAGMA application_id", 1, &rows);
  if (rc != SQLITE_OK) return refused(rc);
  const int64_t application_id = rows.empty() ? 0 : std::stoll(rows[0]);
  rows.clear();
  rc = QueryFirstColumn(db, "PRAGMA user_version", 1, &rows);
  if (rc != SQLITE_OK) return refused(rc);
  const int64_t user_version = rows.empty() ? 0 : std::stoll(rows[0]);

  if (application_id != kSqliteApplicationId) {
    // An SQLite file with no id, no version and no schema holds nothing to
    // lose: it is what a first start leaves if it stops between switching
    // to WAL and the first migration. Anything else belongs to someone else.
    rows.clear();
    rc = QueryFirstColumn(db, "SELECT count(*) FROM sqlite_schema", 1, &rows);
    if (rc != SQLITE_OK) return refused(rc);
    const bool empty = !rows.empty() && rows[0] == "0";
    if (!(application_id == 0 && user_version == 0 && empty)) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " is not a TaskGate database (its application_id is ",
          application_id, ", expected ", kSqliteApplicationId,
          "); check the path"));
    }
  }
  if (user_version > SchemaVersion()) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " has schema version ", user_version, ", newer than version ",
        SchemaVersion(), " that this taskgated knows; upgrade taskgated"));
  }
  rows.clear();
  rc = QueryFirstColumn(db, "PRAGMA quick_check", 1, &rows);
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

absl::Status SqliteStore::Impl::InitializeLocked(const std::string& path,
                                                 bool in_memory, bool has_data,
                                                 bool wal_existed) {
  sqlite3* db = db_.get();
  if (has_data) {
    // Closing normally checkpoints a WAL into the main file; a WAL that was
    // there before us must stay untouched if the file is refused.
    if (wal_existed) {
      sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    }
    TASKGATE_RETURN_IF_ERROR(CheckExistingFileLocked(path));
    if (wal_existed) {
      sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
    }
  }

  std::vector<std::string> rows;
  const int rc = QueryFirstColumn(db, "PRAGMA journal_mode = WAL", 1, &rows);
  if (rc != SQLITE_OK) return SqliteError(db, rc, "set journal_mode");
  const std::string mode = rows.empty() ? "" : rows[0];
  if (!in_memory && mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot put ", path, " in WAL mode (journal_mode is ",
                     mode, "); place the database on a local file system"));
  }
  TASKGATE_RETURN_IF_ERROR(
      db_.Exec(absl::StrCat("PRAGMA synchronous = ", options_.synchronous),
               "set synchronous"));
  TASKGATE_RETURN_IF_ERROR(
      db_.Exec("PRAGMA foreign_keys = ON", "enable foreign keys"));
  TASKGATE_RETURN_IF_ERROR(MigrateLocked());

  TASKGATE_ASSIGN_OR_RETURN(
      const int64_t application_id,
      ReadIntLocked("PRAGMA application_id", "read application_id"));
  if (application_id != kSqliteApplicationId) {
    return absl::InternalError(
        absl::StrCat(path, " has application_id ", application_id,
                     " after migration; expected ", kSqliteApplicationId));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::Impl::ApplyMigrationLocked(
    const SqliteMigration& migration, const std::string& context,
    int64_t& current) {
  // Another process may have migrated while we waited for the lock.
  TASKGATE_ASSIGN_OR_RETURN(current,
                            ReadIntLocked("PRAGMA user_version", context));
  if (migration.version <= current) return absl::OkStatus();
  TASKGATE_RETURN_IF_ERROR(db_.Exec(migration.sql, context));
  TASKGATE_RETURN_IF_ERROR(db_.Exec(
      absl::StrCat("PRAGMA user_version = ", migration.version), context));
  current = migration.version;
  return absl::OkStatus();
}

absl::Status SqliteStore::Impl::MigrateLocked() {
  TASKGATE_ASSIGN_OR_RETURN(
      int64_t current,
      ReadIntLocked("PRAGMA user_version", "read user_version"));
  for (const SqliteMigration& migration : SqliteMigrations()) {
    if (migration.version <= current) continue;
    const std::string context = absl::StrCat(
        "schema migration ", migration.version, " (", migration.name, ")");
    TASKGATE_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE", context));
    absl::Status status = ApplyMigrationLocked(migration, context, current);
    if (status.ok()) status = db_.Exec("COMMIT", context);
    if (!status.ok()) {
      RollbackLocked();
      return status;
    }
  }
  return absl::OkStatus();
}

// ----------------------------------------------------------------- commit

absl::Status SqliteStore::Impl::RunHook(std::string_view point) const {
  if (!options_.fault_hook) return absl::OkStatus();
  return options_.fault_hook(point);
}

void SqliteStore::Impl::RollbackLocked() {
  // A failed COMMIT or an I/O error may already have ended the transaction.
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

absl::StatusOr<CommitResult> SqliteStore::Impl::Commit(
    const ChangeSet& change) {
  TASKGATE_RETURN_IF_ERROR(ValidateChangeSet(change));
  absl::MutexLock lock(&mu_);
  // IMMEDIATE takes the write lock now, so a busy database fails here,
  // before any work, rather than at the first write.
  TASKGATE_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE", "begin commit"));
  absl::StatusOr<CommitResult> result = ApplyChange(change);
  if (result.ok()) {
    absl::Status status = RunHook("before_commit");
    if (status.ok()) status = db_.Exec("COMMIT", "commit");
    if (status.ok()) return result;
    result = status;
  }
  RollbackLocked();
  return result;
}

absl::StatusOr<CommitResult> SqliteStore::Impl::ApplyChange(
    const ChangeSet& change) {
  const std::string& d = change.district_id;

  if (change.request.has_value()) {
    const StoredRequest& r = *change.request;
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare(
            "INSERT INTO requests (district_id, request_id, operation, "
            "fingerprint, response) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            {d, r.request_id, r.operation, r.fingerprint, Blob{r.response}}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("store request"));
    if (ChangesLocked() == 0) {
      return absl::AlreadyExistsError(absl::StrCat(
          "request_id ", r.request_id, " was already used in district ", d,
          "; its first answer stands"));
    }
  }

  if (change.district.has_value()) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare("INSERT INTO districts (id, body) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                {d, domain::DistrictToJson(*change.district)}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create district"));
    if (ChangesLocked() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("district ", d, " already exists"));
    }
  }

  if (change.catalog.has_value()) {
    const domain::CatalogVersion& catalog = *change.catalog;
    TASKGATE_ASSIGN_OR_RETURN(
        Statement latest_stmt,
        Prepare("SELECT COALESCE(MAX(version), 0) FROM catalog_versions "
                "WHERE district_id = ?",
                {d}));
    TASKGATE_RETURN_IF_ERROR(latest_stmt.Step("read latest catalog").status());
    const int64_t latest = latest_stmt.Int(0);
    if (catalog.version != latest + 1) {
      return absl::AbortedError(
          absl::StrCat("catalog version ", catalog.version, " of district ", d,
                       " is not the next version (latest is ", latest,
                       "); reload and retry"));
    }
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare("INSERT INTO catalog_versions (district_id, version, "
                "published_at, body) VALUES (?, ?, ?, ?)",
                {d, catalog.version, FloorMicros(catalog.published_at),
                 domain::CatalogToJson(catalog)}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("publish catalog"));
  }

  for (const CommunityWrite& write : change.communities) {
    TASKGATE_RETURN_IF_ERROR(WriteCommunity(d, write));
  }
  for (const TaskWrite& write : change.tasks) {
    TASKGATE_RETURN_IF_ERROR(WriteTask(d, write));
  }
  for (const domain::Decision& decision : change.decisions) {
    TASKGATE_RETURN_IF_ERROR(WriteDecision(d, decision));
  }
  // Principals before the credentials that refer to them.
  for (const PrincipalWrite& write : change.principals) {
    TASKGATE_RETURN_IF_ERROR(WritePrincipal(d, write));
  }
  for (const CredentialWrite& write : change.credentials) {
    TASKGATE_RETURN_IF_ERROR(WriteCredential(d, write));
  }
  for (const ComplaintWrite& write : change.complaints) {
    TASKGATE_RETURN_IF_ERROR(WriteComplaint(d, write));
  }
  for (const domain::FundingReport& report : change.funding_reports) {
    TASKGATE_RETURN_IF_ERROR(WriteFundingReport(d, report));
  }
  for (const domain::AssignmentAck& ack : change.acks) {
    TASKGATE_RETURN_IF_ERROR(WriteAck(d, ack));
  }
  TASKGATE_RETURN_IF_ERROR(RunHook("after_change"));

  CommitResult result;
  TASKGATE_ASSIGN_OR_RETURN(result.seqs, AppendEvents(d, change.events));
  return result;
}

absl::Status SqliteStore::Impl::WriteCommunity(const std::string& d,
                                               const CommunityWrite& write) {
  const domain::Community& c = write.community;
  const std::string body = domain::CommunityToJson(c);
  if (write.expected_version == 0) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare("INSERT INTO communities (district_id, id, street, version, "
                "body) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                {d, c.id, c.street, c.version, body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create community"));
    if (ChangesLocked() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("community ", c.id, " already exists in district ", d));
    }
    return absl::OkStatus();
  }
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("UPDATE communities SET street = ?, version = ?, body = ? "
              "WHERE district_id = ? AND id = ? AND version = ?",
              {c.street, c.version, body, d, c.id, write.expected_version}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("update community"));
  if (ChangesLocked() == 1) return absl::OkStatus();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement current,
      Prepare("SELECT version FROM communities WHERE district_id = ? AND "
              "id = ?",
              {d, c.id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found,
                            current.Step("read community version"));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("community ", c.id, " not found in district ", d));
  }
  return absl::AbortedError(
      absl::StrCat("community ", c.id, " was changed by someone else (version ",
                   current.Int(0), ", expected ", write.expected_version,
                   "); reload and retry"));
}

absl::Status SqliteStore::Impl::WriteTask(const std::string& d,
                                          const TaskWrite& write) {
  const domain::Task& t = write.task;
  const std::string body = domain::TaskToJson(t);
  const std::string state(domain::TaskStateName(t.state));
  const Param item_code =
      t.spec.item_code.empty() ? Param(std::nullopt) : Param(t.spec.item_code);
  const std::string start = domain::FormatCivilDay(t.spec.start_date);
  const std::string end = domain::FormatCivilDay(t.spec.end_date);
  const std::optional<int64_t> timer_at =
      t.timer_at.has_value() ? std::optional<int64_t>(FloorMicros(*t.timer_at))
                             : std::nullopt;
  if (write.expected_version == 0) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare("INSERT INTO tasks (district_id, id, department_id, state, "
                "version, item_code, start_date, end_date, timer_at, "
                "created_at, updated_at, body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                {d, t.id, t.department_id, state, t.version, item_code, start,
                 end, timer_at, FloorMicros(t.created_at),
                 FloorMicros(t.updated_at), body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create task"));
    if (ChangesLocked() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("task ", t.id, " already exists in district ", d));
    }
  } else {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare("UPDATE tasks SET department_id = ?, state = ?, version = ?, "
                "item_code = ?, start_date = ?, end_date = ?, timer_at = ?, "
                "created_at = ?, updated_at = ?, body = ? "
                "WHERE district_id = ? AND id = ? AND version = ?",
                {t.department_id, state, t.version, item_code, start, end,
                 timer_at, FloorMicros(t.created_at), FloorMicros(t.updated_at),
                 body, d, t.id, write.expected_version}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("update task"));
    if (ChangesLocked() != 1) {
      TASKGATE_ASSIGN_OR_RETURN(
          Statement current,
          Prepare("SELECT version FROM tasks WHERE district_id = ? AND id = ?",
                  {d, t.id}));
      TASKGATE_ASSIGN_OR_RETURN(const bool found,
                                current.Step("read task version"));
      if (!found) {
        return absl::NotFoundError(
            absl::StrCat("task ", t.id, " not found in district ", d));
      }
      return absl::AbortedError(
          absl::StrCat("task ", t.id, " was changed by someone else (version ",
                       current.Int(0), ", expected ", write.expected_version,
                       "); reload and retry"));
    }
    TASKGATE_ASSIGN_OR_RETURN(
        Statement clear,
        Prepare("DELETE FROM task_communities WHERE district_id = ? AND "
                "task_id = ?",
                {d, t.id}));
    TASKGATE_RETURN_IF_ERROR(clear.Run("clear task communities"));
  }
  for (const std::string& community_id : t.resolved_communities) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare("INSERT INTO task_communities (district_id, task_id, "
                "community_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                {d, t.id, community_id}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("write task communities"));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::Impl::WriteDecision(
    const std::string& d, const domain::Decision& decision) {
  // Checked here for a clear message; the foreign key backs it up.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement task,
      Prepare("SELECT 1 FROM tasks WHERE district_id = ? AND id = ?",
              {d, decision.task_id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, task.Step("find decided task"));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("decision refers to task ", decision.task_id,
                     ", which is not found in district ", d));
  }
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("INSERT INTO decisions (district_id, task_id, kind, decided_by, "
              "decided_at, body) VALUES (?, ?, ?, ?, ?, ?)",
              {d, decision.task_id,
               std::string(domain::DecisionKindName(decision.kind)),
               decision.decided_by, FloorMicros(decision.decided_at),
               domain::DecisionToJson(decision)}));
  return stmt.Run("write decision");
}

// ------------------------------------------- principals, credentials, §6

absl::Status SqliteStore::Impl::MissingOrStaleLocked(std::string_view table,
                                                     std::string_view what,
                                                     const std::string& d,
                                                     const std::string& id,
                                                     int64_t expected_version) {
  TASKGATE_ASSIGN_OR_RETURN(
      Statement current,
      Prepare(absl::StrCat("SELECT version FROM ", Sv(table),
                           " WHERE district_id = ? AND id = ?"),
              {d, id}));
  TASKGATE_ASSIGN_OR_RETURN(
      const bool found,
      current.Step(absl::StrCat("read ", Sv(what), " version")));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat(Sv(what), " ", id, " not found in district ", d));
  }
  return absl::AbortedError(absl::StrCat(
      Sv(what), " ", id, " was changed by someone else (version ",
      current.Int(0), ", expected ", expected_version, "); reload and retry"));
}

absl::Status SqliteStore::Impl::RequireTaskLocked(const std::string& d,
                                                  const std::string& task_id,
                                                  std::string_view what) {
  // Checked here for a clear message; the foreign key backs it up.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement task,
      Prepare("SELECT 1 FROM tasks WHERE district_id = ? AND id = ?",
              {d, task_id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, task.Step("find task"));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat(Sv(what), " refers to task ", task_id,
                     ", which is not found in district ", d));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::Impl::WritePrincipal(const std::string& d,
                                               const PrincipalWrite& write) {
  const domain::Principal& p = write.principal;
  const std::string body = domain::PrincipalToJson(p);
  const std::string role(domain::RoleName(p.role));
  const int64_t disabled = p.disabled ? 1 : 0;
  if (write.expected_version == 0) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare("INSERT INTO principals (district_id, id, role, "
                "department_id, community_id, disabled, version, body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                {d, p.id, role, p.department_id, p.community_id, disabled,
                 p.version, body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create principal"));
    if (ChangesLocked() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("principal ", p.id, " already exists in district ", d));
    }
    return absl::OkStatus();
  }
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("UPDATE principals SET role = ?, department_id = ?, "
              "community_id = ?, disabled = ?, version = ?, body = ? "
              "WHERE district_id = ? AND id = ? AND version = ?",
              {role, p.department_id, p.community_id, disabled, p.version, body,
               d, p.id, write.expected_version}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("update principal"));
  if (ChangesLocked() == 1) return absl::OkStatus();
  return MissingOrStaleLocked("principals", "principal", d, p.id,
                              write.expected_version);
}

absl::Status SqliteStore::Impl::WriteCredential(const std::string& d,
                                                const CredentialWrite& write) {
  const domain::Credential& c = write.credential;
  const std::string body = domain::CredentialToJson(c);
  const int64_t revoked = c.revoked ? 1 : 0;
  if (write.expected_version == 0) {
    // Checked here for a clear message; the foreign key backs it up.
    TASKGATE_ASSIGN_OR_RETURN(
        Statement owner,
        Prepare("SELECT 1 FROM principals WHERE district_id = ? AND id = ?",
                {d, c.principal_id}));
    TASKGATE_ASSIGN_OR_RETURN(const bool found,
                              owner.Step("find credential principal"));
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("credential ", c.id, " refers to principal ",
                       c.principal_id, ", which is not found in district ", d));
    }
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare(
            "INSERT INTO credentials (district_id, id, principal_id, "
            "token_hash, revoked, version, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            {d, c.id, c.principal_id, c.token_hash, revoked, c.version, body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create credential"));
    if (ChangesLocked() == 1) return absl::OkStatus();
    TASKGATE_ASSIGN_OR_RETURN(
        Statement same_id,
        Prepare("SELECT 1 FROM credentials WHERE district_id = ? AND id = ?",
                {d, c.id}));
    TASKGATE_ASSIGN_OR_RETURN(const bool id_taken,
                              same_id.Step("find credential id"));
    if (id_taken) {
      return absl::AlreadyExistsError(
          absl::StrCat("credential ", c.id, " already exists in district ", d));
    }
    // The hash itself stays out of the message: it stands for a secret.
    return absl::AlreadyExistsError(absl::StrCat(
        "the token hash of credential ", c.id,
        " is already in use by another credential; generate a new secret"));
  }
  // Who a token belongs to and which secret it stands for never change: a
  // new secret is a new credential.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("UPDATE credentials SET revoked = ?, version = ?, body = ? "
              "WHERE district_id = ? AND id = ? AND version = ? AND "
              "principal_id = ? AND token_hash = ?",
              {revoked, c.version, body, d, c.id, write.expected_version,
               c.principal_id, c.token_hash}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("update credential"));
  if (ChangesLocked() == 1) return absl::OkStatus();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement current,
      Prepare("SELECT version, principal_id, token_hash FROM credentials "
              "WHERE district_id = ? AND id = ?",
              {d, c.id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found,
                            current.Step("read credential version"));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("credential ", c.id, " not found in district ", d));
  }
  if (current.Int(0) != write.expected_version) {
    return absl::AbortedError(absl::StrCat(
        "credential ", c.id, " was changed by someone else (version ",
        current.Int(0), ", expected ", write.expected_version,
        "); reload and retry"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("credential ", c.id,
                   " cannot change its principal or token hash; issue a new "
                   "token instead"));
}

absl::Status SqliteStore::Impl::WriteComplaint(const std::string& d,
                                               const ComplaintWrite& write) {
  const domain::Complaint& c = write.complaint;
  const std::string body = domain::ComplaintToJson(c);
  const std::string state(domain::ComplaintStateName(c.state));
  if (write.expected_version == 0) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare("INSERT INTO complaints (district_id, id, community_id, "
                "department_id, task_id, state, version, filed_at, "
                "updated_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                {d, c.id, c.community_id, c.department_id, c.task_id, state,
                 c.version, FloorMicros(c.filed_at), FloorMicros(c.updated_at),
                 body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create complaint"));
    if (ChangesLocked() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("complaint ", c.id, " already exists in district ", d));
    }
    return absl::OkStatus();
  }
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("UPDATE complaints SET community_id = ?, department_id = ?, "
              "task_id = ?, state = ?, version = ?, filed_at = ?, "
              "updated_at = ?, body = ? "
              "WHERE district_id = ? AND id = ? AND version = ?",
              {c.community_id, c.department_id, c.task_id, state, c.version,
               FloorMicros(c.filed_at), FloorMicros(c.updated_at), body, d,
               c.id, write.expected_version}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("update complaint"));
  if (ChangesLocked() == 1) return absl::OkStatus();
  return MissingOrStaleLocked("complaints", "complaint", d, c.id,
                              write.expected_version);
}

absl::Status SqliteStore::Impl::WriteFundingReport(
    const std::string& d, const domain::FundingReport& report) {
  TASKGATE_RETURN_IF_ERROR(RequireTaskLocked(
      d, report.task_id, absl::StrCat("funding report ", report.id)));
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("INSERT INTO funding_reports (district_id, id, task_id, "
              "community_id, reported_at, body) VALUES (?, ?, ?, ?, ?, ?) "
              "ON CONFLICT DO NOTHING",
              {d, report.id, report.task_id, report.community_id,
               FloorMicros(report.reported_at),
               domain::FundingReportToJson(report)}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("write funding report"));
  if (ChangesLocked() == 0) {
    return absl::AlreadyExistsError(absl::StrCat(
        "funding report ", report.id, " already exists in district ", d));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::Impl::WriteAck(const std::string& d,
                                         const domain::AssignmentAck& ack) {
  TASKGATE_RETURN_IF_ERROR(RequireTaskLocked(
      d, ack.task_id,
      absl::StrCat("acknowledgement by community ", ack.community_id)));
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare(
          "INSERT INTO assignment_acks (district_id, task_id, "
          "community_id, acknowledged_at, body) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT DO NOTHING",
          {d, ack.task_id, ack.community_id, FloorMicros(ack.acknowledged_at),
           domain::AssignmentAckToJson(ack)}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("write acknowledgement"));
  if (ChangesLocked() == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("task ", ack.task_id, " was already acknowledged by ",
                     "community ", ack.community_id, " in district ", d));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> SqliteStore::Impl::AppendEvents(
    const std::string& d, const std::vector<domain::AuditEvent>& events) {
  TASKGATE_ASSIGN_OR_RETURN(
      Statement last, Prepare("SELECT COALESCE(MAX(seq), 0) FROM audit_events "
                              "WHERE district_id = ?",
                              {d}));
  TASKGATE_RETURN_IF_ERROR(last.Step("read last seq").status());
  int64_t seq = last.Int(0);

  std::vector<int64_t> seqs;
  seqs.reserve(events.size());
  for (const domain::AuditEvent& original : events) {
    domain::AuditEvent event = original;
    event.seq = ++seq;
    // The encoding keeps whole microseconds; normalising first makes what is
    // hashed, stored and later returned one and the same value.
    event.time = absl::FromUnixMicros(FloorMicros(event.time));
    const std::string canonical = audit::EncodeAuditEvent(event);
    const audit::Hash leaf = audit::LeafHash(canonical);
    const std::string_view leaf_bytes(
        reinterpret_cast<const char*>(leaf.data()), leaf.size());
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        Prepare("INSERT INTO audit_events (district_id, seq, time, actor_id, "
                "actor_role, action, entity_type, entity_id, state_before, "
                "state_after, reason, request_id, department_id, canonical, "
                "leaf_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {d, event.seq, FloorMicros(event.time), event.actor_id,
                 std::string(domain::RoleName(event.actor_role)), event.action,
                 event.entity_type, event.entity_id, event.state_before,
                 event.state_after, event.reason, event.request_id,
                 event.department_id, Blob{canonical}, Blob{leaf_bytes}}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("append audit event"));
    for (const std::string& community_id : event.community_ids) {
      TASKGATE_ASSIGN_OR_RETURN(
          Statement link,
          Prepare("INSERT INTO audit_event_communities (district_id, seq, "
                  "community_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                  {d, event.seq, community_id}));
      TASKGATE_RETURN_IF_ERROR(link.Run("append audit event communities"));
    }
    seqs.push_back(event.seq);
  }
  return seqs;
}

// ------------------------------------------------------------------ reads

absl::StatusOr<std::optional<StoredRequest>> SqliteStore::Impl::FindRequest(
    const std::string& district_id, const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("SELECT operation, fingerprint, response FROM requests "
              "WHERE district_id = ? AND request_id = ?",
              {district_id, request_id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("find request"));
  if (!found) return std::optional<StoredRequest>();
  StoredRequest request;
  request.request_id = request_id;
  request.operation = stmt.Text(0);
  request.fingerprint = stmt.Text(1);
  request.response = stmt.Bytes(2);
  return std::optional<StoredRequest>(std::move(request));
}

absl::StatusOr<domain::District> SqliteStore::Impl::GetDistrict(
    const std::string& district_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("SELECT body FROM districts WHERE id = ?", {district_id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("get district"));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("district ", district_id, " not found"));
  }
  return Decoded(domain::DistrictFromJson(stmt.Text(0)),
                 absl::StrCat("district ", district_id));
}

absl::StatusOr<domain::CatalogVersion> SqliteStore::Impl::GetCatalog(
    const std::string& district_id, int64_t version) {
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "catalog version ", version, " is negative; use 0 for the latest"));
  }
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      version == 0
          ? Prepare("SELECT body FROM catalog_versions WHERE district_id = ? "
                    "ORDER BY version DESC LIMIT 1",
                    {district_id})
          : Prepare("SELECT body FROM catalog_versions WHERE district_id = ? "
                    "AND version = ?",
                    {district_id, version}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("get catalog"));
  if (!found) {
    if (version == 0) {
      return absl::NotFoundError(absl::StrCat("district ", district_id,
                                              " has no published catalog yet"));
    }
    return absl::NotFoundError(absl::StrCat(
        "catalog version ", version, " not found in district ", district_id));
  }
  return Decoded(domain::CatalogFromJson(stmt.Text(0)),
                 absl::StrCat("catalog of district ", district_id));
}

absl::StatusOr<domain::Community> SqliteStore::Impl::GetCommunity(
    const std::string& district_id, const std::string& community_id) {
  return GetBody<domain::Community>("communities", "community", district_id,
                                    community_id, &domain::CommunityFromJson);
}

absl::StatusOr<std::vector<domain::Community>>
SqliteStore::Impl::ListCommunities(const std::string& district_id,
                                   const std::string& street) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      street.empty()
          ? Prepare("SELECT id, body FROM communities WHERE district_id = ? "
                    "ORDER BY id",
                    {district_id})
          : Prepare("SELECT id, body FROM communities WHERE district_id = ? "
                    "AND street = ? ORDER BY id",
                    {district_id, street}));
  std::vector<domain::Community> communities;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("list communities"));
    if (!row) break;
    TASKGATE_ASSIGN_OR_RETURN(
        domain::Community community,
        Decoded(domain::CommunityFromJson(stmt.Text(1)),
                absl::StrCat("community ", stmt.Text(0))));
    communities.push_back(std::move(community));
  }
  return communities;
}

absl::StatusOr<domain::Task> SqliteStore::Impl::GetTask(
    const std::string& district_id, const std::string& task_id) {
  return GetBody<domain::Task>("tasks", "task", district_id, task_id,
                               &domain::TaskFromJson);
}

absl::StatusOr<std::vector<domain::Task>> SqliteStore::Impl::ListTasks(
    const TaskQuery& query) {
  if (query.limit < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limit ", query.limit, " is negative; use 0 for no limit"));
  }
  std::string sql = "SELECT id, body FROM tasks WHERE district_id = ?";
  std::vector<Param> params = {query.district_id};
  AddFilter(sql, params, "department_id", query.department_id);
  std::vector<std::string> state_names;
  state_names.reserve(query.states.size());
  if (!query.states.empty()) {
    absl::StrAppend(&sql, " AND state IN (");
    for (size_t i = 0; i < query.states.size(); ++i) {
      absl::StrAppend(&sql, i == 0 ? "?" : ", ?");
      state_names.emplace_back(domain::TaskStateName(query.states[i]));
    }
    absl::StrAppend(&sql, ")");
    for (const std::string& name : state_names) params.emplace_back(name);
  }
  AddFilter(sql, params, "item_code", query.item_code);
  if (!query.community_id.empty()) {
    absl::StrAppend(&sql,
                    " AND id IN (SELECT task_id FROM task_communities "
                    "WHERE district_id = ? AND community_id = ?)");
    params.emplace_back(query.district_id);
    params.emplace_back(query.community_id);
  }
  if (!query.after_id.empty()) {
    absl::StrAppend(&sql, " AND id > ?");
    params.emplace_back(query.after_id);
  }
  absl::StrAppend(&sql, " ORDER BY id LIMIT ?");
  params.emplace_back(query.limit == 0 ? int64_t{-1} : int64_t{query.limit});

  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql, params));
  return ReadTasks(stmt);
}

absl::StatusOr<std::vector<domain::Task>> SqliteStore::Impl::ListTasksDue(
    const std::string& district_id, absl::Time now, int32_t limit) {
  if (limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is negative; use 0 for no limit"));
  }
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("SELECT id, body FROM tasks WHERE district_id = ? AND "
              "timer_at IS NOT NULL AND timer_at <= ? "
              "ORDER BY timer_at, id LIMIT ?",
              {district_id, FloorMicros(now),
               limit == 0 ? int64_t{-1} : int64_t{limit}}));
  return ReadTasks(stmt);
}

absl::StatusOr<std::optional<absl::Time>> SqliteStore::Impl::NextTimer(
    const std::string& district_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("SELECT MIN(timer_at) FROM tasks WHERE district_id = ? AND "
              "timer_at IS NOT NULL",
              {district_id}));
  TASKGATE_RETURN_IF_ERROR(stmt.Step("read next timer").status());
  if (stmt.IsNull(0)) return std::optional<absl::Time>();
  return std::optional<absl::Time>(absl::FromUnixMicros(stmt.Int(0)));
}

absl::StatusOr<std::vector<domain::Decision>> SqliteStore::Impl::ListDecisions(
    const std::string& district_id, const std::string& task_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("SELECT body FROM decisions WHERE district_id = ? AND "
              "task_id = ? ORDER BY id",
              {district_id, task_id}));
  std::vector<domain::Decision> decisions;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("list decisions"));
    if (!row) break;
    TASKGATE_ASSIGN_OR_RETURN(
        domain::Decision decision,
        Decoded(domain::DecisionFromJson(stmt.Text(0)),
                absl::StrCat("decision on task ", task_id)));
    decisions.push_back(std::move(decision));
  }
  return decisions;
}

absl::StatusOr<std::vector<StoredEvent>> SqliteStore::Impl::ListEvents(
    const EventQuery& query) {
  if (query.limit < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limit ", query.limit, " is negative; use 0 for no limit"));
  }
  std::string sql =
      "SELECT seq, canonical, leaf_hash FROM audit_events "
      "WHERE district_id = ?";
  std::vector<Param> params = {query.district_id};
  const auto equal = [&](const char* column, const std::string& value) {
    if (value.empty()) return;
    absl::StrAppend(&sql, " AND ", column, " = ?");
    params.emplace_back(value);
  };
  equal("entity_type", query.entity_type);
  equal("entity_id", query.entity_id);
  equal("actor_id", query.actor_id);
  equal("action", query.action);
  equal("department_id", query.department_id);
  equal("state_after", query.state_after);
  if (!query.community_id.empty()) {
    absl::StrAppend(&sql,
                    " AND seq IN (SELECT seq FROM audit_event_communities "
                    "WHERE district_id = ? AND community_id = ?)");
    params.emplace_back(query.district_id);
    params.emplace_back(query.community_id);
  }
  if (query.from.has_value()) {
    absl::StrAppend(&sql, " AND time >= ?");
    params.emplace_back(CeilMicros(*query.from));
  }
  if (query.until.has_value()) {
    absl::StrAppend(&sql, " AND time < ?");
    params.emplace_back(CeilMicros(*query.until));
  }
  if (query.after_seq > 0) {
    absl::StrAppend(&sql, " AND seq > ?");
    params.emplace_back(query.after_seq);
  }
  if (query.max_seq > 0) {
    absl::StrAppend(&sql, " AND seq <= ?");
    params.emplace_back(query.max_seq);
  }
  absl::StrAppend(&sql, " ORDER BY seq LIMIT ?");
  params.emplace_back(query.limit == 0 ? int64_t{-1} : int64_t{query.limit});

  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql, params));
  std::vector<StoredEvent> events;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("list events"));
    if (!row) break;
    const std::string what = absl::StrCat("audit event ", stmt.Int(0),
                                          " of district ", query.district_id);
    StoredEvent stored;
    stored.seq = stmt.Int(0);
    stored.canonical = stmt.Bytes(1);
    // Returned exactly as hashed: the event is what `canonical` says, so a
    // verifier recomputing the leaf checks the very value it was given.
    TASKGATE_ASSIGN_OR_RETURN(
        stored.event, Decoded(audit::DecodeAuditEvent(stored.canonical), what));
    const std::string leaf = stmt.Bytes(2);
    if (leaf.size() != stored.leaf_hash.size()) {
      return absl::DataLossError(absl::StrCat(
          "stored ", what, " has a leaf hash of ", leaf.size(),
          " bytes; the database may be damaged: verify it and restore from "
          "a backup"));
    }
    std::copy(leaf.begin(), leaf.end(), stored.leaf_hash.begin());
    events.push_back(std::move(stored));
  }
  return events;
}

absl::StatusOr<int64_t> SqliteStore::Impl::EventCount(
    const std::string& district_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt, Prepare("SELECT COALESCE(MAX(seq), 0) FROM audit_events "
                              "WHERE district_id = ?",
                              {district_id}));
  TASKGATE_RETURN_IF_ERROR(stmt.Step("count events").status());
  return stmt.Int(0);
}

absl::StatusOr<std::vector<audit::Hash>> SqliteStore::Impl::ListLeafHashes(
    const std::string& district_id, int64_t after_seq, int32_t limit) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("SELECT seq, leaf_hash FROM audit_events WHERE district_id = ? "
              "AND seq > ? ORDER BY seq LIMIT ?",
              {district_id, after_seq, NoLimit(limit)}));
  std::vector<audit::Hash> leaves;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("read leaf hashes"));
    if (!row) break;
    const int64_t expected =
        after_seq + static_cast<int64_t>(leaves.size()) + 1;
    const std::string leaf = stmt.Bytes(1);
    if (stmt.Int(0) != expected || leaf.size() != audit::Hash().size()) {
      return absl::DataLossError(
          absl::StrCat("audit log of district ", district_id,
                       " is damaged at seq ", expected,
                       "; run taskgated --verify-db on the file and restore it "
                       "from a backup"));
    }
    std::copy(leaf.begin(), leaf.end(), leaves.emplace_back().begin());
  }
  return leaves;
}

absl::StatusOr<std::vector<AuditRow>> SqliteStore::Impl::ListAuditRows(
    const std::string& district_id, int64_t after_seq, int32_t limit) {
  absl::MutexLock lock(&mu_);
  // One statement, one snapshot: the side table's communities come with
  // their row, in a stable order.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("SELECT seq, time, actor_id, actor_role, action, entity_type, "
              "entity_id, state_before, state_after, reason, request_id, "
              "department_id, canonical, leaf_hash, "
              "(SELECT group_concat(community_id, char(10)) FROM "
              "(SELECT community_id FROM audit_event_communities c WHERE "
              "c.district_id = e.district_id AND c.seq = e.seq "
              "ORDER BY community_id)) "
              "FROM audit_events e WHERE district_id = ? AND seq > ? "
              "ORDER BY seq LIMIT ?",
              {district_id, after_seq, NoLimit(limit)}));
  std::vector<AuditRow> rows;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("read audit rows"));
    if (!row) break;
    AuditRow& r = rows.emplace_back();
    r.seq = stmt.Int(0);
    domain::AuditEvent& c = r.columns;
    c.district_id = district_id;
    c.seq = r.seq;
    c.time = absl::FromUnixMicros(stmt.Int(1));
    c.actor_id = stmt.Text(2);
    // An unknown role name is left to the verifier to report.
    c.actor_role =
        domain::ParseRole(stmt.Text(3)).value_or(domain::Role::kSystem);
    c.action = stmt.Text(4);
    c.entity_type = stmt.Text(5);
    c.entity_id = stmt.Text(6);
    c.state_before = stmt.Text(7);
    c.state_after = stmt.Text(8);
    c.reason = stmt.Text(9);
    c.request_id = stmt.Text(10);
    c.department_id = stmt.Text(11);
    r.canonical = stmt.Bytes(12);
    r.leaf_hash = stmt.Bytes(13);
    if (!stmt.IsNull(14)) {
      c.community_ids = absl::StrSplit(stmt.Text(14), '\n');
    }
  }
  return rows;
}

absl::Status SqliteStore::Impl::AddCheckpoint(const std::string& district_id,
                                              const audit::Checkpoint& c) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("INSERT INTO checkpoints (district_id, tree_size, log_id, "
              "root_hash, time, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, "
              "?) ON CONFLICT DO NOTHING",
              {district_id, c.tree_size, c.log_id,
               Blob{std::string_view(
                   reinterpret_cast<const char*>(c.root_hash.data()),
                   c.root_hash.size())},
               absl::ToUnixMicros(c.time), c.key_id, Blob{c.signature}}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("add checkpoint"));
  if (sqlite3_changes(stmt.db()) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("a checkpoint of tree size ", c.tree_size,
                     " is already kept for district ", district_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<audit::Checkpoint>>
SqliteStore::Impl::ListCheckpoints(const std::string& district_id,
                                   int64_t after_size, int32_t limit,
                                   bool newest_first) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare(absl::StrCat("SELECT tree_size, log_id, root_hash, time, "
                           "key_id, signature FROM checkpoints WHERE "
                           "district_id = ? AND tree_size > ? ORDER BY "
                           "tree_size ",
                           newest_first ? "DESC" : "ASC", " LIMIT ?"),
              {district_id, after_size, NoLimit(limit)}));
  std::vector<audit::Checkpoint> out;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("list checkpoints"));
    if (!row) break;
    audit::Checkpoint& c = out.emplace_back();
    c.tree_size = stmt.Int(0);
    c.log_id = stmt.Text(1);
    const std::string root = stmt.Bytes(2);
    std::copy_n(root.begin(), std::min(root.size(), c.root_hash.size()),
                c.root_hash.begin());
    c.time = absl::FromUnixMicros(stmt.Int(3));
    c.key_id = stmt.Text(4);
    c.signature = stmt.Bytes(5);
  }
  return out;
}

absl::StatusOr<std::string> SqliteStore::Impl::Pragma(const std::string& name) {
  bool readable = false;
  for (std::string_view allowed : kReadablePragmas) readable |= name == allowed;
  if (!readable) {
    return absl::InvalidArgumentError(
        absl::StrCat("pragma ", name, " cannot be read through the store"));
  }
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            Prepare(absl::StrCat("PRAGMA ", name), {}));
  TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("read pragma"));
  if (!row) return std::string();
  return stmt.Text(0);
}

// ------------------------------------------- principals, credentials, §6

namespace {

// Reads the rows of `stmt`, whose column `body_col` holds a JSON body and
// column 0 names the row for messages. The statement's connection must be
// locked.
template <typename T>
absl::StatusOr<std::vector<T>> ReadBodies(
    Statement& stmt, absl::StatusOr<T> (*decode)(std::string_view),
    std::string_view what) {
  std::vector<T> out;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row,
                              stmt.Step(absl::StrCat("list ", Sv(what))));
    if (!row) break;
    TASKGATE_ASSIGN_OR_RETURN(
        T value, Decoded(decode(stmt.Text(1)),
                         absl::StrCat(Sv(what), " ", stmt.Text(0))));
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace

absl::StatusOr<domain::Principal> SqliteStore::Impl::GetPrincipal(
    const std::string& district_id, const std::string& principal_id) {
  return GetBody<domain::Principal>("principals", "principal", district_id,
                                    principal_id, &domain::PrincipalFromJson);
}

absl::StatusOr<std::vector<domain::Principal>>
SqliteStore::Impl::ListPrincipals(const std::string& district_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            Prepare("SELECT id, body FROM principals WHERE "
                                    "district_id = ? ORDER BY id",
                                    {district_id}));
  return ReadBodies<domain::Principal>(stmt, &domain::PrincipalFromJson,
                                       "principal");
}

absl::StatusOr<int64_t> SqliteStore::Impl::CountPrincipals(
    const std::string& district_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("SELECT count(*) FROM principals WHERE district_id = ?",
              {district_id}));
  TASKGATE_RETURN_IF_ERROR(stmt.Step("count principals").status());
  return stmt.Int(0);
}

absl::StatusOr<domain::Credential> SqliteStore::Impl::GetCredential(
    const std::string& district_id, const std::string& credential_id) {
  return GetBody<domain::Credential>("credentials", "credential", district_id,
                                     credential_id,
                                     &domain::CredentialFromJson);
}

absl::StatusOr<std::optional<domain::Credential>>
SqliteStore::Impl::FindCredentialByHash(const std::string& district_id,
                                        const std::string& token_hash) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare("SELECT id, body FROM credentials WHERE district_id = ? AND "
              "token_hash = ?",
              {district_id, token_hash}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("find credential"));
  if (!found) return std::optional<domain::Credential>();
  TASKGATE_ASSIGN_OR_RETURN(domain::Credential credential,
                            Decoded(domain::CredentialFromJson(stmt.Text(1)),
                                    absl::StrCat("credential ", stmt.Text(0))));
  return std::optional<domain::Credential>(std::move(credential));
}

absl::StatusOr<std::vector<domain::Credential>>
SqliteStore::Impl::ListCredentials(const std::string& district_id,
                                   const std::string& principal_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      principal_id.empty()
          ? Prepare("SELECT id, body FROM credentials WHERE district_id = ? "
                    "ORDER BY id",
                    {district_id})
          : Prepare("SELECT id, body FROM credentials WHERE district_id = ? "
                    "AND principal_id = ? ORDER BY id",
                    {district_id, principal_id}));
  return ReadBodies<domain::Credential>(stmt, &domain::CredentialFromJson,
                                        "credential");
}

absl::StatusOr<domain::Complaint> SqliteStore::Impl::GetComplaint(
    const std::string& district_id, const std::string& complaint_id) {
  return GetBody<domain::Complaint>("complaints", "complaint", district_id,
                                    complaint_id, &domain::ComplaintFromJson);
}

absl::StatusOr<std::vector<domain::Complaint>>
SqliteStore::Impl::ListComplaints(
    const std::string& district_id, const std::string& community_id,
    const std::vector<domain::ComplaintState>& states) {
  std::string sql = "SELECT id, body FROM complaints WHERE district_id = ?";
  std::vector<Param> params = {district_id};
  AddFilter(sql, params, "community_id", community_id);
  std::vector<std::string> state_names;
  state_names.reserve(states.size());
  if (!states.empty()) {
    absl::StrAppend(&sql, " AND state IN (");
    for (size_t i = 0; i < states.size(); ++i) {
      absl::StrAppend(&sql, i == 0 ? "?" : ", ?");
      state_names.emplace_back(domain::ComplaintStateName(states[i]));
    }
    absl::StrAppend(&sql, ")");
    for (const std::string& name : state_names) params.emplace_back(name);
  }
  absl::StrAppend(&sql, " ORDER BY id");
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql, params));
  return ReadBodies<domain::Complaint>(stmt, &domain::ComplaintFromJson,
                                       "complaint");
}

absl::StatusOr<std::vector<domain::FundingReport>>
SqliteStore::Impl::ListFundingReports(const std::string& district_id,
                                      const std::string& task_id,
                                      const std::string& community_id) {
  std::string sql =
      "SELECT id, body FROM funding_reports WHERE district_id = ?";
  std::vector<Param> params = {district_id};
  AddFilter(sql, params, "task_id", task_id);
  AddFilter(sql, params, "community_id", community_id);
  absl::StrAppend(&sql, " ORDER BY reported_at, id");
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql, params));
  return ReadBodies<domain::FundingReport>(stmt, &domain::FundingReportFromJson,
                                           "funding report");
}

absl::StatusOr<std::vector<domain::AssignmentAck>> SqliteStore::Impl::ListAcks(
    const std::string& district_id, const std::string& task_id,
    const std::string& community_id) {
  // Column 0 names the row in messages: "<task>/<community>".
  std::string sql =
      "SELECT task_id || '/' || community_id, body FROM assignment_acks "
      "WHERE district_id = ?";
  std::vector<Param> params = {district_id};
  AddFilter(sql, params, "task_id", task_id);
  AddFilter(sql, params, "community_id", community_id);
  absl::StrAppend(&sql, " ORDER BY acknowledged_at, task_id, community_id");
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql, params));
  return ReadBodies<domain::AssignmentAck>(stmt, &domain::AssignmentAckFromJson,
                                           "acknowledgement of task");
}

// ------------------------------------------------------------ SqliteStore

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const std::string& path, Options options) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "database path is empty; use \":memory:\" for a private in-memory "
        "database");
  }
  const std::string synchronous = absl::AsciiStrToUpper(options.synchronous);
  bool known_mode = false;
  for (std::string_view mode : kSynchronousModes)
    known_mode |= synchronous == mode;
  if (!known_mode) {
    return absl::InvalidArgumentError(
        absl::StrCat("synchronous must be FULL or NORMAL, not \"",
                     options.synchronous, "\""));
  }
  options.synchronous = synchronous;
  if (options.busy_timeout_ms < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "busy_timeout_ms ", options.busy_timeout_ms, " is negative"));
  }

  const bool in_memory = path == ":memory:";
  bool has_data = false;
  bool wal_existed = false;
  if (!in_memory) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    has_data = !ec && size > 0;
    wal_existed = std::filesystem::exists(path + "-wal", ec);
  }

  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = FileError(path, raw, rc);
    sqlite3_close_v2(raw);
    return absl::UnavailableError(
        absl::StrCat("cannot open database ", detail));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  auto impl = std::make_unique<Impl>(raw, std::move(options));
  // On error `impl` closes the connection before the status is returned, so
  // a refused file is left exactly as it was found.
  TASKGATE_RETURN_IF_ERROR(
      impl->Initialize(path, in_memory, has_data, wal_existed));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

int SqliteStore::SchemaVersion() { return SqliteMigrations().back().version; }

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

absl::StatusOr<CommitResult> SqliteStore::Commit(const ChangeSet& change) {
  return impl_->Commit(change);
}
absl::StatusOr<std::optional<StoredRequest>> SqliteStore::FindRequest(
    const std::string& district_id, const std::string& request_id) {
  return impl_->FindRequest(district_id, request_id);
}
absl::StatusOr<domain::District> SqliteStore::GetDistrict(
    const std::string& district_id) {
  return impl_->GetDistrict(district_id);
}
absl::StatusOr<domain::CatalogVersion> SqliteStore::GetCatalog(
    const std::string& district_id, int64_t version) {
  return impl_->GetCatalog(district_id, version);
}
absl::StatusOr<domain::Community> SqliteStore::GetCommunity(
    const std::string& district_id, const std::string& community_id) {
  return impl_->GetCommunity(district_id, community_id);
}
absl::StatusOr<std::vector<domain::Community>> SqliteStore::ListCommunities(
    const std::string& district_id, const std::string& street) {
  return impl_->ListCommunities(district_id, street);
}
absl::StatusOr<domain::Task> SqliteStore::GetTask(
    const std::string& district_id, const std::string& task_id) {
  return impl_->GetTask(district_id, task_id);
}
absl::StatusOr<std::vector<domain::Task>> SqliteStore::ListTasks(
    const TaskQuery& query) {
  return impl_->ListTasks(query);
}
absl::StatusOr<std::vector<domain::Task>> SqliteStore::ListTasksDue(
    const std::string& district_id, absl::Time now, int32_t limit) {
  return impl_->ListTasksDue(district_id, now, limit);
}
absl::StatusOr<std::optional<absl::Time>> SqliteStore::NextTimer(
    const std::string& district_id) {
  return impl_->NextTimer(district_id);
}
absl::StatusOr<std::vector<domain::Decision>> SqliteStore::ListDecisions(
    const std::string& district_id, const std::string& task_id) {
  return impl_->ListDecisions(district_id, task_id);
}
absl::StatusOr<std::vector<StoredEvent>> SqliteStore::ListEvents(
    const EventQuery& query) {
  return impl_->ListEvents(query);
}
absl::StatusOr<int64_t> SqliteStore::EventCount(
    const std::string& district_id) {
  return impl_->EventCount(district_id);
}
absl::StatusOr<std::vector<audit::Hash>> SqliteStore::ListLeafHashes(
    const std::string& district_id, int64_t after_seq, int32_t limit) {
  return impl_->ListLeafHashes(district_id, after_seq, limit);
}
absl::StatusOr<std::vector<AuditRow>> SqliteStore::ListAuditRows(
    const std::string& district_id, int64_t after_seq, int32_t limit) {
  return impl_->ListAuditRows(district_id, after_seq, limit);
}
absl::Status SqliteStore::AddCheckpoint(const std::string& district_id,
                                        const audit::Checkpoint& c) {
  return impl_->AddCheckpoint(district_id, c);
}
absl::StatusOr<std::vector<audit::Checkpoint>> SqliteStore::ListCheckpoints(
    const std::string& district_id, int64_t after_size, int32_t limit) {
  return impl_->ListCheckpoints(district_id, after_size, limit, false);
}
absl::StatusOr<std::optional<audit::Checkpoint>> SqliteStore::LatestCheckpoint(
    const std::string& district_id) {
  TASKGATE_ASSIGN_OR_RETURN(std::vector<audit::Checkpoint> newest,
                            impl_->ListCheckpoints(district_id, 0, 1, true));
  if (newest.empty()) return std::nullopt;
  return std::move(newest.front());
}
absl::StatusOr<std::string> SqliteStore::Pragma(const std::string& name) {
  return impl_->Pragma(name);
}
absl::StatusOr<domain::Principal> SqliteStore::GetPrincipal(
    const std::string& district_id, const std::string& principal_id) {
  return impl_->GetPrincipal(district_id, principal_id);
}
absl::StatusOr<std::vector<domain::Principal>> SqliteStore::ListPrincipals(
    const std::string& district_id) {
  return impl_->ListPrincipals(district_id);
}
absl::StatusOr<int64_t> SqliteStore::CountPrincipals(
    const std::string& district_id) {
  return impl_->CountPrincipals(district_id);
}
absl::StatusOr<domain::Credential> SqliteStore::GetCredential(
    const std::string& district_id, const std::string& credential_id) {
  return impl_->GetCredential(district_id, credential_id);
}
absl::StatusOr<std::optional<domain::Credential>>
SqliteStore::FindCredentialByHash(const std::string& district_id,
                                  const std::string& token_hash) {
  return impl_->FindCredentialByHash(district_id, token_hash);
}
absl::StatusOr<std::vector<domain::Credential>> SqliteStore::ListCredentials(
    const std::string& district_id, const std::string& principal_id) {
  return impl_->ListCredentials(district_id, principal_id);
}
absl::StatusOr<domain::Complaint> SqliteStore::GetComplaint(
    const std::string& district_id, const std::string& complaint_id) {
  return impl_->GetComplaint(district_id, complaint_id);
}
absl::StatusOr<std::vector<domain::Complaint>> SqliteStore::ListComplaints(
    const std::string& district_id, const std::string& community_id,
    const std::vector<domain::ComplaintState>& states) {
  return impl_->ListComplaints(district_id, community_id, states);
}
absl::StatusOr<std::vector<domain::FundingReport>>
SqliteStore::ListFundingReports(const std::string& district_id,
                                const std::string& task_id,
                                const std::string& community_id) {
  return impl_->ListFundingReports(district_id, task_id, community_id);
}
absl::StatusOr<std::vector<domain::AssignmentAck>> SqliteStore::ListAcks(
    const std::string& district_id, const std::string& task_id,
    const std::string& community_id) {
  return impl_->ListAcks(district_id, task_id, community_id);
}

}  // namespace taskgate::store
