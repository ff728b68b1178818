// Opening the SQLite store, and `Commit`'s transaction control.
#include "store/sqlite/sqlite_store.h"

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>

#include "common/status_macros.h"
#include "store/change_validation.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/schema.h"
#include "store/sqlite/internal/sqlite_store.h"
#include "store/sqlite/internal/writes.h"
#include "store/store.h"

namespace taskgate::store {
namespace {

constexpr std::array<std::string_view, 2> kSynchronousModes = {"FULL",
                                                               "NORMAL"};

// Pragmas that `SqliteStore::Pragma` may read.
constexpr std::array<std::string_view, 7> kReadablePragmas = {
    "application_id", "busy_timeout", "foreign_keys", "journal_mode",
    "page_size",      "synchronous",  "user_version"};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(
    const std::string& path, SqliteStoreOptions options) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "database path is empty; use \":memory:\" for a private in-memory "
        "database");
  }
  const std::string synchronous = absl::AsciiStrToUpper(options.synchronous);
  bool known_mode = false;
  for (std::string_view mode : kSynchronousModes) {
    known_mode |= synchronous == mode;
  }
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

  // Looked at before opening: opening creates the file.
  const sqlite_internal::FileState file = sqlite_internal::InspectFile(path);
  TASKGATE_ASSIGN_OR_RETURN(
      std::unique_ptr<sqlite_internal::Connection> db,
      sqlite_internal::Connection::Open(path, options.busy_timeout_ms));
  // On error `db` is closed before the status is returned, so a refused file
  // is left exactly as it was found.
  TASKGATE_RETURN_IF_ERROR(
      sqlite_internal::PrepareDatabase(*db, path, file, options.synchronous));
  return std::make_unique<sqlite_internal::SqliteStore>(std::move(db),
                                                        std::move(options));
}

namespace sqlite_internal {

absl::StatusOr<CommitResult> SqliteStore::Commit(const ChangeSet& change) {
  TASKGATE_RETURN_IF_ERROR(ValidateChangeSet(change));
  absl::MutexLock lock(&mu_);
  TASKGATE_RETURN_IF_ERROR(db_->Begin("begin commit"));
  absl::StatusOr<CommitResult> result =
      ApplyChange(*db_, change, options_.fault_hook);
  if (result.ok()) {
    absl::Status status = RunFaultHook(options_.fault_hook, "before_commit");
    if (status.ok()) status = db_->Commit("commit");
    if (status.ok()) return result;
    result = status;
  }
  db_->Rollback();
  return result;
}

absl::StatusOr<std::string> SqliteStore::Pragma(const std::string& name) {
  bool readable = false;
  for (std::string_view allowed : kReadablePragmas) readable |= name == allowed;
  if (!readable) {
    return absl::InvalidArgumentError(
        absl::StrCat("pragma ", name, " cannot be read through the store"));
  }
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            db_->Prepare(absl::StrCat("PRAGMA ", name), {}));
  TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("read pragma"));
  if (!row) return std::string();
  return stmt.Text(0);
}

}  // namespace sqlite_internal
}  // namespace taskgate::store
