// The SQLite store's write batches (`Store::CommitBatch`): a savepoint per
// step, one commit for all, what a step reads inside the batch, what other
// threads read meanwhile, and what a failed commit leaves.
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/notification.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/types.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "tests/testing/scoped_db_path.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::store {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr const char* kD = "d1";

domain::Task MakeTask(const std::string& id) {
  domain::Task t;
  t.district_id = kD;
  t.id = id;
  t.department_id = "dept-a";
  t.state = domain::TaskState::kDraft;
  t.version = 1;
  t.spec.title = "task " + id;
  t.spec.start_date = absl::CivilDay(2026, 4, 1);
  t.spec.end_date = absl::CivilDay(2026, 6, 30);
  t.created_at = absl::FromUnixSeconds(1772413323);
  t.updated_at = t.created_at;
  return t;
}

ChangeSet Create(const std::string& id) {
  ChangeSet change;
  change.district_id = kD;
  change.tasks.push_back({MakeTask(id), 0});
  domain::AuditEvent e;
  e.district_id = kD;
  e.time = absl::FromUnixSeconds(1772413323);
  e.actor_id = "clerk-1";
  e.actor_role = domain::Role::kDepartment;
  e.action = "task.create";
  e.entity_type = "task";
  e.entity_id = id;
  change.events.push_back(std::move(e));
  return change;
}

BatchStep Writes(const std::string& id) {
  return {[id](Store& tx) { return tx.Commit(Create(id)).status(); }};
}

// A database file of its own, removed at the end.
class SqliteBatchTest : public ::testing::Test {
 protected:
  void TearDown() override { store_.reset(); }

  Store& Open(SqliteStoreOptions options = {}) {
    auto opened = OpenSqliteStore(db_.path(), std::move(options));
    EXPECT_THAT(opened, IsOk());
    store_ = *std::move(opened);
    return *store_;
  }

  bool Stored(const std::string& id) { return store_->GetTask(kD, id).ok(); }

  const ::taskgate::testing::ScopedDbPath db_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteBatchTest, AFailedStepLeavesNothingAndTheOthersCommit) {
  Store& store = Open();
  const std::vector<BatchStep> steps = {
      Writes("a"),
      {[](Store& tx) {
        // Writes, then fails: its savepoint must take the write back.
        absl::Status s = tx.Commit(Create("b")).status();
        if (!s.ok()) return s;
        return absl::FailedPreconditionError("b refused after writing");
      }},
      Writes("c"),
  };
  ASSERT_OK_AND_ASSIGN(BatchResult result, store.CommitBatch(steps));
  ASSERT_THAT(result.statuses, SizeIs(3));
  EXPECT_THAT(result.statuses[0], IsOk());
  EXPECT_THAT(result.statuses[1],
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(result.statuses[2], IsOk());
  EXPECT_TRUE(Stored("a"));
  EXPECT_FALSE(Stored("b"));
  EXPECT_TRUE(Stored("c"));

  // The log has no hole where b's event was, and the batch reports exactly
  // what it kept, with the leaf hashes the store holds.
  ASSERT_OK_AND_ASSIGN(std::vector<audit::Hash> leaves,
                       store.ListLeafHashes(kD, 0, 0));
  ASSERT_THAT(result.appended, SizeIs(2));
  EXPECT_EQ(result.appended[0].seq, 1);
  EXPECT_EQ(result.appended[1].seq, 2);
  EXPECT_EQ(result.appended[0].district_id, kD);
  ASSERT_THAT(leaves, SizeIs(2));
  EXPECT_EQ(result.appended[0].leaf_hash, leaves[0]);
  EXPECT_EQ(result.appended[1].leaf_hash, leaves[1]);
}

TEST_F(SqliteBatchTest, AStepReadsWhatEarlierStepsOfTheBatchWrote) {
  Store& store = Open();
  absl::StatusOr<domain::Task> seen = absl::UnknownError("not read");
  const std::vector<BatchStep> steps = {
      Writes("a"),
      {[&seen](Store& tx) {
        seen = tx.GetTask(kD, "a");
        return absl::OkStatus();
      }},
  };
  ASSERT_OK_AND_ASSIGN(BatchResult result, store.CommitBatch(steps));
  EXPECT_THAT(result.statuses, ElementsAre(IsOk(), IsOk()));
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->id, "a");
}

TEST_F(SqliteBatchTest, AStepWhoseChangeIsRefusedKeepsNothingOfThatChange) {
  Store& store = Open();
  ASSERT_THAT(store.Commit(Create("taken")), IsOk());
  const std::vector<BatchStep> steps = {
      {[](Store& tx) {
        // "fresh" is written before "taken" is refused; the step then goes
        // on (as a replay after ALREADY_EXISTS does) and succeeds.
        ChangeSet both = Create("fresh");
        both.tasks.push_back({MakeTask("taken"), 0});
        EXPECT_THAT(tx.Commit(both),
                    StatusIs(absl::StatusCode::kAlreadyExists));
        return absl::OkStatus();
      }},
  };
  ASSERT_OK_AND_ASSIGN(BatchResult result, store.CommitBatch(steps));
  EXPECT_THAT(result.statuses, ElementsAre(IsOk()));
  EXPECT_FALSE(Stored("fresh"));
  EXPECT_THAT(result.appended, SizeIs(0));
  EXPECT_EQ(store.EventCount(kD).value_or(-1), 1);
}

TEST_F(SqliteBatchTest,
       ReadsOnOtherThreadsDoNotWaitForABatchAndSeeOnlyCommits) {
  Store& store = Open();
  ASSERT_THAT(store.Commit(Create("before")), IsOk());
  absl::Notification read_done;
  absl::StatusOr<domain::Task> committed = absl::UnknownError("not read");
  absl::StatusOr<domain::Task> uncommitted = absl::UnknownError("not read");
  bool reader_finished_inside_batch = false;
  const std::vector<BatchStep> steps = {
      {[&](Store& tx) {
        absl::Status s = tx.Commit(Create("inside")).status();
        // The batch is open and holds the write lock: a reader that had to
        // wait for it would never finish, and this wait would time out.
        std::thread reader([&] {
          committed = store.GetTask(kD, "before");
          uncommitted = store.GetTask(kD, "inside");
          read_done.Notify();
        });
        reader_finished_inside_batch =
            read_done.WaitForNotificationWithTimeout(absl::Seconds(60));
        reader.join();
        return s;
      }},
  };
  ASSERT_OK_AND_ASSIGN(BatchResult result, store.CommitBatch(steps));
  EXPECT_THAT(result.statuses, ElementsAre(IsOk()));
  EXPECT_TRUE(reader_finished_inside_batch);
  EXPECT_THAT(committed, IsOk());
  EXPECT_THAT(uncommitted, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(Stored("inside"));
}

TEST_F(SqliteBatchTest, AFailedCommitWritesNothingOfTheBatch) {
  SqliteStoreOptions options;
  bool fail = false;
  options.fault_hook = [&fail](std::string_view point) {
    return fail && point == "before_commit"
               ? absl::UnavailableError("disk full")
               : absl::OkStatus();
  };
  Store& store = Open(options);
  fail = true;
  const std::vector<BatchStep> steps = {Writes("a"), Writes("b")};
  EXPECT_THAT(store.CommitBatch(steps),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("disk full")));
  EXPECT_FALSE(Stored("a"));
  EXPECT_FALSE(Stored("b"));
  EXPECT_EQ(store.EventCount(kD).value_or(-1), 0);
  fail = false;
  ASSERT_OK_AND_ASSIGN(BatchResult again, store.CommitBatch(steps));
  EXPECT_THAT(again.statuses, ElementsAre(IsOk(), IsOk()));
  EXPECT_EQ(again.appended.front().seq, 1);
}

TEST_F(SqliteBatchTest, ABatchInsideAStepIsRefused) {
  Store& store = Open();
  absl::Status nested;
  const std::vector<BatchStep> inner = {Writes("x")};
  const std::vector<BatchStep> steps = {{[&](Store& tx) {
    nested = tx.CommitBatch(inner).status();
    return absl::OkStatus();
  }}};
  ASSERT_THAT(store.CommitBatch(steps), IsOk());
  EXPECT_THAT(nested, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(Stored("x"));
}

TEST_F(SqliteBatchTest, AnEmptyBatchOrAStepWithoutWorkIsInvalid) {
  Store& store = Open();
  EXPECT_THAT(store.CommitBatch({}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const std::vector<BatchStep> empty_step = {BatchStep{}};
  EXPECT_THAT(store.CommitBatch(empty_step),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace taskgate::store
