// The audit log's side of `SqliteStore`: listing events (by filter, or the
// histories of several entities), leaf hashes and raw rows, and the signed
// checkpoints kept beside the log. Appending events is part of `Commit`
// (internal/writes.cc).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include "audit/checkpoint.h"
#include "audit/encoding.h"
#include "audit/merkle.h"
#include "common/status_macros.h"
#include "domain/types.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/queries.h"
#include "store/sqlite/internal/sqlite_store.h"
#include "store/store.h"

namespace taskgate::store::sqlite_internal {
namespace {

// Reads every `(seq, canonical, leaf_hash)` row of `stmt` as a stored event
// of `district_id`: DATA_LOSS when a row cannot be decoded or its leaf hash
// has the wrong size.
absl::StatusOr<std::vector<StoredEvent>> ReadStoredEvents(
    Statement& stmt, const std::string& district_id) {
  std::vector<StoredEvent> events;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("list events"));
    if (!row) break;
    const std::string what =
        absl::StrCat("audit event ", stmt.Int(0), " of district ", district_id);
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

}  // namespace

absl::StatusOr<std::vector<StoredEvent>> SqliteStore::ListEvents(
    const EventQuery& query) {
  TASKGATE_RETURN_IF_ERROR(CheckLimit(query.limit));
  FilterQuery select("SELECT seq, canonical, leaf_hash FROM audit_events",
                     query.district_id);
  select.Equal("entity_type", query.entity_type);
  select.Equal("entity_id", query.entity_id);
  select.Equal("actor_id", query.actor_id);
  select.Equal("action", query.action);
  select.Equal("department_id", query.department_id);
  select.Equal("state_after", query.state_after);
  if (!query.community_id.empty()) {
    select.Where(
        "seq IN (SELECT seq FROM audit_event_communities "
        "WHERE district_id = ? AND community_id = ?)",
        {query.district_id, query.community_id});
  }
  if (query.from.has_value()) {
    select.Where("time >= ?", {CeilMicros(*query.from)});
  }
  if (query.until.has_value()) {
    select.Where("time < ?", {CeilMicros(*query.until)});
  }
  if (query.after_seq > 0) select.Where("seq > ?", {query.after_seq});
  if (query.max_seq > 0) select.Where("seq <= ?", {query.max_seq});
  select.Append(" ORDER BY seq LIMIT ?", {NoLimit(query.limit)});

  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            db->Prepare(select.sql(), select.params()));
  return ReadStoredEvents(stmt, query.district_id);
}

absl::StatusOr<int64_t> SqliteStore::EventCount(
    const std::string& district_id) {
  Lease db = Reader();
  return db->ReadInt(
      "SELECT COALESCE(MAX(seq), 0) FROM audit_events WHERE district_id = ?",
      {district_id}, "count events");
}

absl::StatusOr<std::vector<audit::Hash>> SqliteStore::ListLeafHashes(
    const std::string& district_id, int64_t after_seq, int32_t limit) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare(
          "SELECT seq, leaf_hash FROM audit_events WHERE district_id = ? "
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

absl::StatusOr<std::vector<AuditRow>> SqliteStore::ListAuditRows(
    const std::string& district_id, int64_t after_seq, int32_t limit) {
  Lease db = Reader();
  // One statement, one snapshot: the side table's communities come with
  // their row, in a stable order.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare(
          "SELECT seq, time, actor_id, actor_role, action, entity_type, "
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

absl::Status SqliteStore::AddCheckpoint(const std::string& district_id,
                                        const audit::Checkpoint& c) {
  Lease db = Writer();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare(
          "INSERT INTO checkpoints (district_id, tree_size, log_id, "
          "root_hash, time, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, "
          "?) ON CONFLICT DO NOTHING",
          {district_id, c.tree_size, c.log_id,
           Blob{std::string_view(
               reinterpret_cast<const char*>(c.root_hash.data()),
               c.root_hash.size())},
           absl::ToUnixMicros(c.time), c.key_id, Blob{c.signature}}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("add checkpoint"));
  if (db->Changes() == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("a checkpoint of tree size ", c.tree_size,
                     " is already kept for district ", district_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<audit::Checkpoint>> SqliteStore::ReadCheckpoints(
    const std::string& district_id, int64_t after_size, int32_t limit,
    bool newest_first) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare(absl::StrCat("SELECT tree_size, log_id, root_hash, time, "
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

absl::StatusOr<std::vector<audit::Checkpoint>> SqliteStore::ListCheckpoints(
    const std::string& district_id, int64_t after_size, int32_t limit) {
  return ReadCheckpoints(district_id, after_size, limit,
                         /*newest_first=*/false);
}

absl::StatusOr<std::optional<audit::Checkpoint>> SqliteStore::LatestCheckpoint(
    const std::string& district_id) {
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<audit::Checkpoint> newest,
      ReadCheckpoints(district_id, 0, 1, /*newest_first=*/true));
  if (newest.empty()) return std::nullopt;
  return std::move(newest.front());
}

}  // namespace taskgate::store::sqlite_internal
