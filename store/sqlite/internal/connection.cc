#include "store/sqlite/internal/connection.h"

#include <sqlite3.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>

#include "common/status_macros.h"

namespace taskgate::store::sqlite_internal {
namespace {

// Filter queries are built from optional parts; their shapes are few, but
// the cache stays bounded whatever callers do.
constexpr size_t kMaxCachedStatements = 256;

}  // namespace

int64_t FloorMicros(absl::Time t) { return absl::ToUnixMicros(t); }

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

absl::Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  const std::string detail =
      db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (IsBusy(rc)) {
    return absl::UnavailableError(absl::StrCat(
        "database is busy (", Sv(context), ": ", detail, "); retry the call"));
  }
  if ((rc & 0xff) == SQLITE_FULL) {
    // Nothing of the transaction stays; the operator frees space and the
    // caller retries, as for any passing outage.
    return absl::UnavailableError(absl::StrCat(
        "the disk holding the database is full (", Sv(context), ": ", detail,
        "); nothing was written: free disk space, then retry the call"));
  }
  return absl::InternalError(absl::StrCat("sqlite error in ", Sv(context), ": ",
                                          detail, " (code ", rc, ")"));
}

std::string FileError(const std::string& path, sqlite3* db, int rc) {
  return absl::StrCat(path, ": ",
                      db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

// ------------------------------------------------------------------ Param

int Param::BindTo(sqlite3_stmt* stmt, int index) const {
  if (const auto* i = std::get_if<int64_t>(&value_)) {
    return sqlite3_bind_int64(stmt, index, *i);
  }
  if (const auto* r = std::get_if<double>(&value_)) {
    return sqlite3_bind_double(stmt, index, *r);
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

// -------------------------------------------------------------- Statement

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      cache_in_use_(std::exchange(other.cache_in_use_, nullptr)) {}

sqlite3* Statement::db() const { return sqlite3_db_handle(stmt_); }

absl::Status Statement::Bind(const std::vector<Param>& params,
                             std::string_view sql) {
  for (size_t i = 0; i < params.size(); ++i) {
    const int rc = params[i].BindTo(stmt_, static_cast<int>(i) + 1);
    if (rc != SQLITE_OK) {
      return SqliteError(db(), rc, absl::StrCat("bind ", Sv(sql)));
    }
  }
  return absl::OkStatus();
}

int Statement::StepRaw() { return sqlite3_step(stmt_); }

absl::StatusOr<bool> Statement::Step(std::string_view context) {
  const int rc = StepRaw();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db(), rc, context);
}

absl::Status Statement::Run(std::string_view context) {
  TASKGATE_ASSIGN_OR_RETURN(const bool row, Step(context));
  if (row) {
    return absl::InternalError(
        absl::StrCat("statement in ", Sv(context), " returned a row"));
  }
  return absl::OkStatus();
}

bool Statement::IsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int64_t Statement::Int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

double Statement::Real(int col) const {
  return sqlite3_column_double(stmt_, col);
}

std::string Statement::Text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  const int size = sqlite3_column_bytes(stmt_, col);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(size)};
}

std::string Statement::Bytes(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  const int size = sqlite3_column_bytes(stmt_, col);
  if (data == nullptr) return {};
  return {static_cast<const char*>(data), static_cast<size_t>(size)};
}

void Statement::Release() {
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

// ------------------------------------------------------------- Connection

Connection::CachedStatement::~CachedStatement() { sqlite3_finalize(stmt); }

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const std::string& path, int busy_timeout_ms) {
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
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return std::unique_ptr<Connection>(new Connection(raw));
}

Connection::~Connection() {
  // Statements first: the connection closes once the last one is finalized.
  cache_.clear();
  sqlite3_close_v2(db_);
}

absl::Status Connection::Exec(const std::string& sql,
                              std::string_view context) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, context);
  return absl::OkStatus();
}

absl::StatusOr<Statement> Connection::Prepare(
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
        db_, sql.data(), static_cast<int>(sql.size()),
        cacheable ? SQLITE_PREPARE_PERSISTENT : 0, &raw, nullptr);
    if (rc != SQLITE_OK) {
      return SqliteError(db_, rc, absl::StrCat("prepare ", sql));
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

int64_t Connection::Changes() const { return sqlite3_changes(db_); }

absl::StatusOr<int64_t> Connection::ReadInt(const std::string& sql,
                                            const std::vector<Param>& params,
                                            std::string_view context) {
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql, params));
  TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step(context));
  if (!row || stmt.IsNull(0)) return int64_t{0};
  return stmt.Int(0);
}

int Connection::QueryFirstColumn(const char* sql, int max_rows,
                                 std::vector<std::string>* rows) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return rc;
  Statement stmt(raw, nullptr);
  while ((rc = stmt.StepRaw()) == SQLITE_ROW) {
    if (static_cast<int>(rows->size()) < max_rows) {
      rows->push_back(stmt.Text(0));
    }
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void Connection::SetCheckpointOnClose(bool checkpoint) {
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, checkpoint ? 0 : 1,
                    nullptr);
}

absl::Status Connection::Begin(std::string_view context) {
  return Exec("BEGIN IMMEDIATE", context);
}

absl::Status Connection::Commit(std::string_view context) {
  return Exec("COMMIT", context);
}

void Connection::Rollback() {
  if (sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

}  // namespace taskgate::store::sqlite_internal
