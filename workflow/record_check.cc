#include "workflow/record_check.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include "audit/encoding.h"
#include "audit/state.h"
#include "common/safe_text.h"
#include "common/status_macros.h"
#include "domain/types.h"
#include "workflow/internal/changes.h"

namespace taskgate::workflow {
namespace {

// Rows read per store call: bounded memory per step.
constexpr int32_t kPage = 10000;
// Rows that differ from the log whose field is looked for (the second
// reading of the log); the rest are named without it.
constexpr size_t kMaxNamedFields = 50;
// Baseline events per change.
constexpr size_t kBaselineBatch = 500;

void TableProblem(audit::VerifyReport& report, std::string message) {
  ++report.table_problem_count;
  if (report.table_problems.size() < audit::LogVerifier::kMaxProblems) {
    report.table_problems.push_back(std::move(message));
  }
}

// Replays the whole log with fields kept, for `keys` only.
absl::StatusOr<audit::StateReplay> ReplayFields(
    store::Store& store, const std::string& district_id,
    absl::flat_hash_set<std::string> keys) {
  audit::StateReplay replay({.keep_fields = true, .only = std::move(keys)});
  audit::AuditEventView view;
  int64_t after = 0;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(std::vector<store::AuditRow> rows,
                              store.ListAuditRows(district_id, after, kPage));
    for (const store::AuditRow& row : rows) {
      // Undecodable events are the log verifier's to report.
      if (audit::DecodeAuditEventView(row.canonical, view).ok()) {
        replay.Apply(row.seq, view.writes);
      }
    }
    if (static_cast<int32_t>(rows.size()) < kPage) break;
    after = rows.back().seq;
  }
  return replay;
}

// The first field where `stored` and `logged` differ, as a message.
std::string FieldDifference(const std::string& name,
                            const domain::Fields& stored,
                            const audit::StateReplay::Entity& logged) {
  if (!logged.fields_known) {
    return absl::StrCat(name, " differs from its latest write (seq ",
                        logged.seq,
                        "); it was created before the log carried entity "
                        "states, so the field cannot be named");
  }
  auto s = stored.begin();
  auto l = logged.fields.begin();
  while (s != stored.end() || l != logged.fields.end()) {
    if (l == logged.fields.end() ||
        (s != stored.end() && s->first < l->first)) {
      return absl::StrCat(name, " field ", s->first, " is ",
                          QuotedForLog(s->second),
                          " in the tables, but the log (seq ", logged.seq,
                          ") says it is empty");
    }
    if (s == stored.end() || l->first < s->first) {
      return absl::StrCat(name, " field ", l->first,
                          " is empty in the tables, but the log (seq ",
                          logged.seq, ") says ", QuotedForLog(l->second));
    }
    if (s->second != l->second) {
      return absl::StrCat(name, " field ", s->first, " is ",
                          QuotedForLog(s->second),
                          " in the tables, but the log (seq ", logged.seq,
                          ") says ", QuotedForLog(l->second));
    }
    ++s;
    ++l;
  }
  return absl::StrCat(name, " differs from its latest write (seq ", logged.seq,
                      "), which does not hash its own fields");
}

}  // namespace

absl::StatusOr<std::vector<StoredState>> ReadStoredStates(
    store::Store& store, const std::string& district_id) {
  std::vector<StoredState> stored;
  TASKGATE_RETURN_IF_ERROR(store.ScanEntities(
      district_id, [&](store::StoredEntity entity) -> absl::Status {
        stored.push_back(
            {.key = audit::EntityKey(entity.kind, entity.id),
             .digest =
                 audit::StateDigest(entity.kind, entity.id, entity.fields),
             .column_problems = std::move(entity.column_problems)});
        return absl::OkStatus();
      }));
  return stored;
}

absl::Status CompareTablesWithLog(store::Store& store,
                                  const std::string& district_id,
                                  const std::vector<StoredState>& stored,
                                  const audit::StateReplay& replay,
                                  int64_t v1_events,
                                  audit::VerifyReport& report,
                                  std::vector<std::string>* uncovered) {
  absl::flat_hash_set<std::string_view> seen;
  // Keys of the rows whose digest differs, in order.
  std::set<std::string> differing;
  int64_t not_covered = 0;
  for (const StoredState& entity : stored) {
    const std::string name = audit::EntityName(entity.key);
    for (const std::string& problem : entity.column_problems) {
      TableProblem(report, absl::StrCat(name, ": ", problem));
    }
    const auto it = replay.entities().find(entity.key);
    if (it == replay.entities().end()) {
      if (v1_events > 0) {
        ++not_covered;
        if (uncovered != nullptr) uncovered->push_back(entity.key);
      } else {
        TableProblem(report, absl::StrCat(name,
                                          " is in the tables, but no event of "
                                          "the log wrote it"));
      }
      continue;
    }
    seen.insert(entity.key);
    if (it->second.digest != entity.digest) differing.insert(entity.key);
  }
  for (const auto& [key, entity] : replay.entities()) {
    if (!seen.contains(key)) {
      TableProblem(report, absl::StrCat("the log (seq ", entity.seq,
                                        ") records ", audit::EntityName(key),
                                        ", but the tables have no such row"));
    }
  }
  if (!differing.empty()) {
    // Only a bounded number are named with their field: their rows and
    // their history are read again.
    absl::flat_hash_set<std::string> keys;
    for (const std::string& key : differing) {
      if (keys.size() == kMaxNamedFields) break;
      keys.insert(key);
    }
    std::map<std::string, domain::Fields> rows;
    TASKGATE_RETURN_IF_ERROR(store.ScanEntities(
        district_id, [&](store::StoredEntity entity) -> absl::Status {
          std::string key = audit::EntityKey(entity.kind, entity.id);
          if (keys.contains(key)) {
            rows.emplace(std::move(key), std::move(entity.fields));
          }
          return absl::OkStatus();
        }));
    TASKGATE_ASSIGN_OR_RETURN(audit::StateReplay fields,
                              ReplayFields(store, district_id, keys));
    for (const std::string& key : differing) {
      const std::string name = audit::EntityName(key);
      const auto logged = fields.entities().find(key);
      const auto row = rows.find(key);
      if (logged == fields.entities().end() || row == rows.end()) {
        TableProblem(report, absl::StrCat(name,
                                          " differs from its latest "
                                          "write in the log"));
        continue;
      }
      TableProblem(report, FieldDifference(name, row->second, logged->second));
    }
  }
  report.checked.push_back(absl::StrCat(
      "tables: ", static_cast<int64_t>(stored.size()) - not_covered,
      " stored entities against the state "
      "the log's latest write of each says they hold"));
  if (not_covered > 0) {
    report.notes.push_back(absl::StrCat(
        not_covered,
        " stored entities were last written before the log carried entity "
        "states (",
        v1_events,
        " events in encoding 1); the server records their state once at "
        "its next start, and they are checked from then on"));
  }
  return absl::OkStatus();
}

absl::Status RecordBaseline(store::Store& store, const Clock& clock,
                            const std::string& district_id,
                            const std::vector<std::string>& keys) {
  if (keys.empty()) return absl::OkStatus();
  const absl::flat_hash_set<std::string> wanted(keys.begin(), keys.end());
  const domain::Principal system = domain::SystemPrincipal(district_id);
  store::ChangeSet change;
  auto flush = [&]() -> absl::Status {
    if (change.events.empty()) return absl::OkStatus();
    change.district_id = district_id;
    TASKGATE_RETURN_IF_ERROR(store.Commit(change).status());
    change = store::ChangeSet();
    return absl::OkStatus();
  };
  // The scan reads one snapshot; the commits wait until it is done.
  std::vector<domain::AuditEvent> events;
  TASKGATE_RETURN_IF_ERROR(store.ScanEntities(
      district_id, [&](store::StoredEntity entity) -> absl::Status {
        if (!wanted.contains(audit::EntityKey(entity.kind, entity.id))) {
          return absl::OkStatus();
        }
        domain::AuditEvent e =
            internal::NewEvent(district_id, system, "record.baseline",
                               entity.kind, entity.id, clock.Now(), "");
        e.reason =
            "its state as stored when the log began to carry entity states";
        e.writes.push_back(
            audit::MakeWrite(entity.kind, entity.id, {}, entity.fields, true));
        events.push_back(std::move(e));
        return absl::OkStatus();
      }));
  for (domain::AuditEvent& e : events) {
    change.events.push_back(std::move(e));
    if (change.events.size() == kBaselineBatch) {
      TASKGATE_RETURN_IF_ERROR(flush());
    }
  }
  return flush();
}

}  // namespace taskgate::workflow
