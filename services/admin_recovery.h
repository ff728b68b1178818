// The recovery of a lost admin credential, run on the host while no server
// runs (`taskgated --issue-admin-token PRINCIPAL --out FILE`): a new token
// for an enabled admin of the district, issued through the workflow's
// `Principals` like any issue, so that it is one audited "credential.issue"
// event by the system (workflow/principals.h), and its secret written to a
// file only the caller can read. The next server start signs the event
// into the log like any other.
//
// It holds the database's `DatabaseLock` (services/db_lock.h) for the
// whole run, so it refuses to run beside a live server, and a server
// cannot start while it runs. Not thread-safe: one call per process.
#ifndef TASKGATE_SERVICES_ADMIN_RECOVERY_H_
#define TASKGATE_SERVICES_ADMIN_RECOVERY_H_

#include <cstdint>
#include <string>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "services/config.h"

namespace taskgate::services {

struct RecoveredToken {
  std::string token_id;
  std::string principal_id;
  // The sequence number of its "credential.issue" event.
  int64_t seq = 0;
};

// Issues admin `principal_id` of `config.district_id`, in the existing
// database `config.db_path`, a new token whose secret alone (one line) is
// written to `out_path` with mode 0600 before the database records its
// hash, so that no failure leaves a token nobody has. The secret is never
// logged or returned. Errors: FAILED_PRECONDITION when a server holds the
// database (stop it first), when `out_path` exists already (nothing is
// overwritten) or cannot be written, and for a principal that is not an
// enabled admin; NOT_FOUND for a missing database file, district or
// principal; the store's errors. On error nothing is issued and `out_path`
// is left absent.
absl::StatusOr<RecoveredToken> IssueAdminTokenOffline(
    const ServerConfig& config, const std::string& principal_id,
    const std::string& out_path, const Clock& clock);

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_ADMIN_RECOVERY_H_
