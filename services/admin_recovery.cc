#include "services/admin_recovery.h"

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include "common/status_macros.h"
#include "services/auth.h"
#include "services/db_lock.h"
#include "services/server.h"
#include "store/sqlite/sqlite_store.h"
#include "workflow/engine.h"

namespace taskgate::services {

absl::StatusOr<RecoveredToken> IssueAdminTokenOffline(
    const ServerConfig& config, const std::string& principal_id,
    const std::string& out_path, const Clock& clock) {
  TASKGATE_ASSIGN_OR_RETURN(workflow::EngineOptions options,
                            ToEngineOptions(config));
  const std::string& db = config.db_path;
  std::error_code ec;
  // Recovery never creates a district: a mistyped path is an error.
  if (db == ":memory:" || !std::filesystem::exists(db, ec)) {
    return absl::NotFoundError(absl::StrCat(
        "no database file '", db, "'; give the server's --db or --config"));
  }
  if (std::filesystem::exists(out_path, ec) || ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--out ", out_path,
        " exists already; give a new file, so that no token is overwritten"));
  }
  // Held until the end, so that no server starts meanwhile either.
  TASKGATE_ASSIGN_OR_RETURN(std::unique_ptr<DatabaseLock> lock,
                            DatabaseLock::Acquire(db));
  store::SqliteStoreOptions store_options;
  store_options.synchronous = config.synchronous;
  TASKGATE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                            store::OpenSqliteStore(db, store_options));
  if (absl::StatusOr<domain::District> district =
          store->GetDistrict(config.district_id);
      absl::IsNotFound(district.status())) {
    return absl::NotFoundError(
        absl::StrCat("district '", config.district_id, "' is not in ", db,
                     "; give the server's --district-id or --config"));
  } else if (!district.ok()) {
    return district.status();
  }

  TASKGATE_ASSIGN_OR_RETURN(std::string secret, NewTokenSecret());
  TASKGATE_ASSIGN_OR_RETURN(std::string token_id, NewTokenId());
  // The secret reaches the disk before the database knows its hash (as at
  // the first start): a failure in between never leaves a token nobody
  // has. Written aside, so that `out_path` appears only for a token that
  // was issued.
  const std::string staging = out_path + ".new";
  TASKGATE_RETURN_IF_ERROR(WriteSecretFile(staging, secret + "\n"));
  absl::StatusOr<domain::Credential> issued;
  {
    // Destroyed (its writer joined) before the store closes.
    workflow::Engine engine(*store, clock, std::move(options));
    issued = engine.principals().IssueRecoveryToken(principal_id, token_id,
                                                    HashToken(secret));
  }
  if (!issued.ok()) {
    std::filesystem::remove(staging, ec);
    return issued.status();
  }
  std::filesystem::rename(staging, out_path, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "token ", token_id, " was issued but could not be moved from '",
        staging, "' to '", out_path, "' (", ec.message(),
        "); take it from the former"));
  }
  TASKGATE_ASSIGN_OR_RETURN(const int64_t seq,
                            store->EventCount(config.district_id));
  return RecoveredToken{std::move(token_id), principal_id, seq};
}

}  // namespace taskgate::services
