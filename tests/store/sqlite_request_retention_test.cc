// The SQLite store's bounded idempotency records (schema migration 5):
// each record keeps the time it was answered, `ExpireRequests` drops the
// older ones oldest first and at most its limit, inside a batch step as part
// of that step, and never an audit event; a version-4 file is upgraded in
// place, its records taking the times of their requests' events.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/types.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "tests/testing/scoped_db_path.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::store {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::ScopedDbPath;
using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;

constexpr const char* kD1 = "d1";
constexpr const char* kD2 = "d2";

// 2026-03-02T01:02:03Z plus `seconds`.
absl::Time T(int64_t seconds) {
  return absl::FromUnixSeconds(1772413323) + absl::Seconds(seconds);
}

// A change of one event that stores `request_id`'s answer, made at `at`.
ChangeSet RequestChange(const std::string& district,
                        const std::string& request_id, absl::Time at) {
  domain::AuditEvent e;
  e.district_id = district;
  e.time = at;
  e.actor_id = "clerk-1";
  e.actor_role = domain::Role::kDepartment;
  e.action = "principal.touch";
  e.entity_type = "principal";
  e.entity_id = "clerk-1";
  e.request_id = request_id;
  ChangeSet change;
  change.district_id = district;
  change.request =
      StoredRequest{request_id, "principal.touch", "fp", "answer", at};
  change.events.push_back(e);
  return change;
}

std::unique_ptr<Store> OpenMemory() {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(":memory:");
  EXPECT_THAT(store, IsOk());
  return store.ok() ? *std::move(store) : nullptr;
}

// The ids of `district`'s stored requests among `ids`.
std::vector<std::string> Kept(Store& store, const std::string& district,
                              const std::vector<std::string>& ids) {
  std::vector<std::string> kept;
  for (const std::string& id : ids) {
    absl::StatusOr<std::optional<StoredRequest>> found =
        store.FindRequest(district, id);
    EXPECT_THAT(found, IsOk());
    if (found.ok() && found->has_value()) kept.push_back(id);
  }
  return kept;
}

TEST(SqliteRequestRetentionTest, StoredRequestKeepsItsCreationTime) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(RequestChange(kD1, "r1", T(5))), IsOk());
  ASSERT_OK_AND_ASSIGN(std::optional<StoredRequest> stored,
                       store->FindRequest(kD1, "r1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->created_at, T(5));
}

TEST(SqliteRequestRetentionTest, ExpiresOlderRecordsOldestFirstUpToTheLimit) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> ids = {"r0", "r1", "r2", "r3", "r4"};
  // Committed out of time order: expiry follows the times, not the rows.
  for (int i : {3, 0, 4, 1, 2}) {
    ASSERT_THAT(store->Commit(RequestChange(kD1, ids[i], T(i))), IsOk());
  }
  ASSERT_THAT(store->Commit(RequestChange(kD2, "r0", T(0))), IsOk());

  ASSERT_OK_AND_ASSIGN(int64_t first, store->ExpireRequests(kD1, T(3), 2));
  EXPECT_EQ(first, 2);
  EXPECT_THAT(Kept(*store, kD1, ids), ElementsAre("r2", "r3", "r4"));
  ASSERT_OK_AND_ASSIGN(int64_t second, store->ExpireRequests(kD1, T(3), 2));
  EXPECT_EQ(second, 1);  // fewer than the limit: none older is left
  ASSERT_OK_AND_ASSIGN(int64_t third, store->ExpireRequests(kD1, T(3), 2));
  EXPECT_EQ(third, 0);
  EXPECT_THAT(Kept(*store, kD1, ids), ElementsAre("r3", "r4"));
  // Other districts keep theirs; no event goes.
  EXPECT_THAT(Kept(*store, kD2, {"r0"}), ElementsAre("r0"));
  ASSERT_OK_AND_ASSIGN(int64_t events, store->EventCount(kD1));
  EXPECT_EQ(events, 5);
}

TEST(SqliteRequestRetentionTest, ExpiredRequestIdCanBeStoredAgain) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(RequestChange(kD1, "r1", T(0))), IsOk());
  EXPECT_THAT(store->Commit(RequestChange(kD1, "r1", T(10))),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(int64_t expired, store->ExpireRequests(kD1, T(1), 10));
  EXPECT_EQ(expired, 1);
  ASSERT_THAT(store->Commit(RequestChange(kD1, "r1", T(10))), IsOk());
  ASSERT_OK_AND_ASSIGN(std::optional<StoredRequest> stored,
                       store->FindRequest(kD1, "r1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->created_at, T(10));
}

TEST(SqliteRequestRetentionTest, RefusesANonPositiveLimit) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->ExpireRequests(kD1, T(0), 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->ExpireRequests(kD1, T(0), -1),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SqliteRequestRetentionTest, ExpiryInABatchStepIsUndoneWithTheStep) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(RequestChange(kD1, "r1", T(0))), IsOk());
  ASSERT_THAT(store->Commit(RequestChange(kD1, "r2", T(1))), IsOk());
  const std::vector<BatchStep> steps = {
      {[](Store& tx) -> absl::Status {
        absl::StatusOr<int64_t> n = tx.ExpireRequests(kD1, T(1), 10);
        if (!n.ok()) return n.status();
        return absl::AbortedError("changed my mind");
      }},
      {[](Store& tx) -> absl::Status {
        return tx.ExpireRequests(kD1, T(2), 1).status();
      }},
  };
  ASSERT_OK_AND_ASSIGN(BatchResult result, store->CommitBatch(steps));
  EXPECT_THAT(result.statuses[0], StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(result.statuses[1], IsOk());
  EXPECT_TRUE(result.appended.empty());
  // The first step's delete was undone; the second took the oldest.
  EXPECT_THAT(Kept(*store, kD1, {"r1", "r2"}), ElementsAre("r2"));
}

// ---------------------------------------------------------------- migration

// Runs `sql` on the file at `path` with a plain connection.
void ExecRaw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message != nullptr ? message : "") << "\n"
                           << sql;
  sqlite3_free(message);
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

// An audit row as a schema-4 binary wrote it; only the columns the
// migration reads matter here.
std::string EventRow(const std::string& district, int64_t seq, absl::Time time,
                     const std::string& request_id,
                     const std::string& actor = "clerk-1") {
  return absl::StrCat(
      "INSERT INTO audit_events (district_id, seq, time, actor_id, "
      "actor_role, action, entity_type, entity_id, state_before, "
      "state_after, reason, request_id, department_id, canonical, "
      "leaf_hash) VALUES ('",
      district, "', ", seq, ", ", absl::ToUnixMicros(time), ", '", actor,
      "', 'department', 'x', 'task', 't', '', '', '', '", request_id,
      "', '', x'00', zeroblob(32));");
}

// The SQL that builds a file at schema version `version`.
std::string SchemaAt(int version) {
  std::string sql;
  for (const SqliteMigration& m : SqliteMigrations()) {
    if (m.version > version) break;
    absl::StrAppend(&sql, m.sql, "\nPRAGMA user_version = ", m.version, ";\n");
  }
  return sql;
}

std::string RequestRow(const std::string& district,
                       const std::string& request_id) {
  return absl::StrCat(
      "INSERT INTO requests (district_id, request_id, operation, "
      "fingerprint, response) VALUES ('",
      district, "', '", request_id, "', 'op', 'fp', x'61');");
}

TEST(SqliteRequestRetentionTest, VersionFourFileIsUpgradedWithRequestTimes) {
  const ScopedDbPath scoped;
  {
    // The file as taskgated at schema version 4 left it: r1's request made
    // two events (the first counts), r2 one, r3 none that survives (it
    // takes the district's latest event); d2's r1 is its own.
    std::string sql = "BEGIN;";
    for (const SqliteMigration& m : SqliteMigrations()) {
      if (m.version > 4) break;
      absl::StrAppend(&sql, m.sql, "\nPRAGMA user_version = ", m.version,
                      ";\n");
    }
    absl::StrAppend(&sql, EventRow(kD1, 1, T(10), "r1"),
                    EventRow(kD1, 2, T(11), "r1"), EventRow(kD1, 3, T(20), ""),
                    EventRow(kD1, 4, T(30), "r2"), EventRow(kD1, 5, T(40), ""),
                    EventRow(kD2, 1, T(50), "r1"), RequestRow(kD1, "r1"),
                    RequestRow(kD1, "r2"), RequestRow(kD1, "r3"),
                    RequestRow(kD2, "r1"), "COMMIT;");
    ASSERT_NO_FATAL_FAILURE(ExecRaw(scoped.path(), sql));
  }

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       OpenSqliteStore(scoped.path()));
  const auto created = [&](const std::string& d, const std::string& id) {
    absl::StatusOr<std::optional<StoredRequest>> found =
        store->FindRequest(d, id);
    EXPECT_THAT(found, IsOk());
    return found.ok() && found->has_value() ? (*found)->created_at
                                            : absl::InfinitePast();
  };
  // Migration 10 then keys each by the principal of its first event; r3,
  // with none, keeps its key.
  EXPECT_EQ(created(kD1, "clerk-1/r1"), T(10));
  EXPECT_EQ(created(kD1, "clerk-1/r2"), T(30));
  EXPECT_EQ(created(kD1, "r3"), T(40));
  EXPECT_EQ(created(kD2, "clerk-1/r1"), T(50));
  ASSERT_OK_AND_ASSIGN(std::optional<StoredRequest> r1,
                       store->FindRequest(kD1, "clerk-1/r1"));
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->response, "a");

  // And they expire by those times.
  ASSERT_OK_AND_ASSIGN(int64_t expired, store->ExpireRequests(kD1, T(35), 10));
  EXPECT_EQ(expired, 2);
  EXPECT_THAT(Kept(*store, kD1, {"clerk-1/r1", "clerk-1/r2", "r3"}),
              ElementsAre("r3"));
  ASSERT_OK_AND_ASSIGN(int64_t events, store->EventCount(kD1));
  EXPECT_EQ(events, 5);
}

// Migration 10: a record stored before request ids were kept per principal
// is found under its principal's key afterwards - the actor of its
// request's first event - so that a retry answered before the upgrade gets
// the same answer after it, and no other principal's.
TEST(SqliteRequestRetentionTest,
     VersionNineFileKeepsEachRequestUnderItsPrincipal) {
  const ScopedDbPath scoped;
  ASSERT_NO_FATAL_FAILURE(ExecRaw(
      scoped.path(),
      absl::StrCat("BEGIN;", SchemaAt(9),
                   EventRow(kD1, 1, T(10), "r1", "clerk-1"),
                   EventRow(kD1, 2, T(11), "r1", "clerk-1"),
                   EventRow(kD1, 3, T(20), "r2", "rev-2"),
                   EventRow(kD2, 1, T(30), "r1", "admin"),
                   RequestRow(kD1, "r1"), RequestRow(kD1, "r2"),
                   RequestRow(kD1, "r3"), RequestRow(kD2, "r1"), "COMMIT;")));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       OpenSqliteStore(scoped.path()));
  const auto kept = [&](const std::string& d, const std::string& key) {
    absl::StatusOr<std::optional<StoredRequest>> found =
        store->FindRequest(d, key);
    EXPECT_THAT(found, IsOk());
    return found.ok() && found->has_value();
  };
  EXPECT_TRUE(kept(kD1, "clerk-1/r1"));
  EXPECT_TRUE(kept(kD1, "rev-2/r2"));
  EXPECT_TRUE(kept(kD2, "admin/r1"));
  EXPECT_TRUE(kept(kD1, "r3"));  // no event: nobody's
  for (const char* old_key : {"r1", "r2"}) EXPECT_FALSE(kept(kD1, old_key));
  EXPECT_FALSE(kept(kD1, "rev-2/r1"));
}

}  // namespace
}  // namespace taskgate::store
