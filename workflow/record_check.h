// Proof that the tables are what the audit log says (SPEC §7): every event
// since audit encoding 2 carries what its change wrote to each entity, with
// the digest of the entity's new state, so the latest write of an entity
// says what its row must hold. `taskgated --verify-db` and the server at
// start (workflow/audit_ledger.h) compare every stored row with it; a row
// edited outside TaskGate is named with the field that differs.
//
// Entities last written before encoding 2 carry no state in the log; the
// server records each such entity's stored state once, at its first start
// on the database (`RecordBaseline`), and the log covers them from then on.
//
// Thread-safe when the store is.
#ifndef TASKGATE_WORKFLOW_RECORD_CHECK_H_
#define TASKGATE_WORKFLOW_RECORD_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/status.h>

#include "audit/log_verifier.h"
#include "audit/state.h"
#include "common/clock.h"
#include "store/store.h"

namespace taskgate::workflow {

// What one stored entity holds, read apart from the log so that reading
// the tables and reading the log can run side by side.
struct StoredState {
  std::string key;                           // audit::EntityKey
  audit::Hash digest{};                      // audit::StateDigest of its row
  std::vector<std::string> column_problems;  // store::StoredEntity's
};

// Every stored entity of the district, in the store's scan order. The
// store's errors.
absl::StatusOr<std::vector<StoredState>> ReadStoredStates(
    store::Store& store, const std::string& district_id);

// Compares `stored` (ReadStoredStates) with `replay`, a digest-only replay
// of the district's whole log. Rows that differ, rows no event wrote and
// entities the log records without a row go to `report.table_problems`,
// each naming the entity and, for a row that differs, the first field that
// does (the rows and the log are read again, for those entities only, to
// find it). When the log holds version-1 events, entities no version-2
// event wrote are not problems but are listed in `uncovered` (keys,
// audit::EntityKey) when given. The store's errors.
absl::Status CompareTablesWithLog(store::Store& store,
                                  const std::string& district_id,
                                  const std::vector<StoredState>& stored,
                                  const audit::StateReplay& replay,
                                  int64_t v1_events,
                                  audit::VerifyReport& report,
                                  std::vector<std::string>* uncovered);

// Records the stored state of the entities `keys` (from `uncovered`), each
// in one "record.baseline" event of the system with a complete write, in
// changes of a bounded size. Only for a log that verified: it makes the
// stored rows the log's word.
absl::Status RecordBaseline(store::Store& store, const Clock& clock,
                            const std::string& district_id,
                            const std::vector<std::string>& keys);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_RECORD_CHECK_H_
