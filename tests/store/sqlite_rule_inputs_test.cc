// The SQLite store's indexed rule inputs and bounded reads (schema
// migration 4): task_communities follows each task's state, a version-3
// file upgrades in place, the two rule-input lists (a community's tasks in
// force, a department's tasks of an item) go through their indexes, so that
// what they visit does not grow with tasks they do not return, and
// `ListTasksById` returns exactly what it promises.
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/codec.h"
#include "domain/types.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/queries.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "tests/testing/scoped_db_path.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::store {
namespace {

using domain::Task;
using domain::TaskState;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::ScopedDbPath;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kD = "d1";

// A plain sqlite3 connection beside the store's, to look at its tables and
// query plans.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawDb() { EXPECT_EQ(sqlite3_close(db_), SQLITE_OK); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  int Exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << (message != nullptr ? message : "") << "\n"
                             << sql;
    sqlite3_free(message);
    return rc;
  }

  // Every row of `sql`, its columns joined by '|'.
  std::vector<std::string> Rows(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db_);
    std::vector<std::string> rows;
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        absl::StrAppend(
            &row, i == 0 ? "" : "|",
            text == nullptr ? "NULL" : reinterpret_cast<const char*>(text));
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    return rows;
  }

  // The detail lines of `EXPLAIN QUERY PLAN sql`.
  std::vector<std::string> Plan(const std::string& sql) {
    std::vector<std::string> lines;
    for (const std::string& row : Rows("EXPLAIN QUERY PLAN " + sql)) {
      lines.push_back(row.substr(row.rfind('|') + 1));
    }
    return lines;
  }

  // What running `sql` with `params` costs: rows returned, virtual-machine
  // steps, and steps of full scans.
  struct Cost {
    int64_t rows = 0;
    int64_t vm_steps = 0;
    int64_t fullscan_steps = 0;
  };
  Cost Run(const std::string& sql,
           const std::vector<sqlite_internal::Param>& params) {
    sqlite3_stmt* stmt = nullptr;
    Cost cost;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db_);
    if (stmt == nullptr) return cost;
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_EQ(params[i].BindTo(stmt, static_cast<int>(i) + 1), SQLITE_OK);
    }
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) ++cost.rows;
    EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db_);
    cost.vm_steps = sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_VM_STEP, 0);
    cost.fullscan_steps =
        sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
    sqlite3_finalize(stmt);
    return cost;
  }

 private:
  sqlite3* db_ = nullptr;
};

// 2026-03-02T01:02:03Z plus `seconds`.
absl::Time T(int64_t seconds) {
  return absl::FromUnixSeconds(1772413323) + absl::Seconds(seconds);
}

Task MakeTask(const std::string& id, const std::string& department,
              TaskState state, std::vector<std::string> communities,
              const std::string& item_code,
              absl::CivilDay start = absl::CivilDay(2026, 4, 1),
              absl::CivilDay end = absl::CivilDay(2026, 6, 30)) {
  Task t;
  t.district_id = kD;
  t.id = id;
  t.department_id = department;
  t.state = state;
  t.version = 1;
  t.spec.title = "task " + id;
  t.spec.item_code = item_code;
  t.spec.start_date = start;
  t.spec.end_date = end;
  t.spec.target_communities = communities;
  t.spec.hours_per_community_month = 4;
  t.resolved_communities = std::move(communities);
  t.created_at = T(0);
  t.updated_at = T(0);
  return t;
}

domain::AuditEvent MakeEvent(const std::string& action,
                             const std::string& task_id, absl::Time time) {
  domain::AuditEvent e;
  e.district_id = kD;
  e.time = time;
  e.actor_id = "clerk-1";
  e.actor_role = domain::Role::kDepartment;
  e.action = action;
  e.entity_type = "task";
  e.entity_id = task_id;
  e.department_id = "dept-a";
  e.request_id = "req-" + task_id;
  return e;
}

// Writes `task`: creates it (version 1) or replaces version - 1.
absl::Status Put(Store& store, const Task& task, absl::Time time = T(0)) {
  ChangeSet change;
  change.district_id = kD;
  change.tasks.push_back({task, task.version - 1});
  change.events.push_back(MakeEvent(
      task.version == 1 ? "task.create" : "task.update", task.id, time));
  return store.Commit(change).status();
}

std::vector<std::string> Ids(const std::vector<Task>& tasks) {
  std::vector<std::string> ids;
  for (const Task& t : tasks) ids.push_back(t.id);
  return ids;
}

TaskQuery InForce(const std::string& community) {
  TaskQuery q;
  q.district_id = kD;
  q.community_id = community;
  q.states = {TaskState::kActive, TaskState::kProvisional};
  return q;
}

TaskQuery OfItem(const std::string& department, const std::string& item) {
  TaskQuery q;
  q.district_id = kD;
  q.department_id = department;
  q.item_code = item;
  return q;
}

// --------------------------------------------------------------- migration

TEST(SqliteRuleInputsTest, VersionThreeFileIsUpgradedInPlace) {
  const ScopedDbPath scoped;
  const Task active =
      MakeTask("t1", "dept-a", TaskState::kActive, {"c1", "c2"}, "A-001");
  const Task draft = MakeTask("t2", "dept-a", TaskState::kDraft, {"c1"}, "");
  // Long dates, and reversed ones.
  const Task long_task =
      MakeTask("t3", "dept-b", TaskState::kCompleted, {"c2"}, "A-002",
               absl::CivilDay(2024, 1, 1), absl::CivilDay(2027, 1, 31));
  const Task reversed =
      MakeTask("t4", "dept-b", TaskState::kRevoked, {}, "A-002",
               absl::CivilDay(2026, 5, 10), absl::CivilDay(2026, 5, 1));
  {
    // The file as taskgated at schema version 3 left it.
    RawDb raw(scoped.path());
    for (const SqliteMigration& m : SqliteMigrations()) {
      if (m.version > 3) break;
      raw.Exec(m.sql);
      raw.Exec(absl::StrCat("PRAGMA user_version = ", m.version));
    }
    for (const Task& t : {active, draft, long_task, reversed}) {
      raw.Exec(absl::StrCat(
          "INSERT INTO tasks (district_id, id, department_id, state, version, "
          "item_code, start_date, end_date, created_at, updated_at, body) "
          "VALUES ('d1', '",
          t.id, "', '", t.department_id, "', '",
          std::string(domain::TaskStateName(t.state)), "', 1, ",
          t.spec.item_code.empty() ? "NULL"
                                   : absl::StrCat("'", t.spec.item_code, "'"),
          ", '", domain::FormatCivilDay(t.spec.start_date), "', '",
          domain::FormatCivilDay(t.spec.end_date), "', 0, 0, '",
          domain::TaskToJson(t), "')"));
      for (const std::string& c : t.resolved_communities) {
        raw.Exec(absl::StrCat(
            "INSERT INTO task_communities (district_id, task_id, community_id) "
            "VALUES ('d1', '",
            t.id, "', '", c, "')"));
      }
    }
  }

  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(scoped.path()));
  ASSERT_OK_AND_ASSIGN(std::vector<Task> in_force,
                       store->ListTasks(InForce("c1")));
  EXPECT_THAT(Ids(in_force), ElementsAre("t1"));
  RawDb raw(scoped.path());
  EXPECT_THAT(raw.Rows("PRAGMA user_version"),
              ElementsAre(absl::StrCat(SqliteSchemaVersion())));
  EXPECT_THAT(
      raw.Rows("SELECT task_id, community_id, state, department_id, "
               "item_code FROM task_communities ORDER BY task_id, "
               "community_id"),
      ElementsAre("t1|c1|ACTIVE|dept-a|A-001", "t1|c2|ACTIVE|dept-a|A-001",
                  "t2|c1|DRAFT|dept-a|", "t3|c2|COMPLETED|dept-b|A-002"));
  // task_months (migration 4) is gone since migration 7.
  EXPECT_THAT(raw.Rows("SELECT count(*) FROM sqlite_schema WHERE name = "
                       "'task_months'"),
              ElementsAre("0"));
}

// ------------------------------------------------------ side rows follow

TEST(SqliteRuleInputsTest, SideRowsFollowTheTasksState) {
  const ScopedDbPath scoped;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(scoped.path()));
  Task t = MakeTask("t1", "dept-a", TaskState::kDraft, {"c1", "c2"}, "A-001");
  ASSERT_THAT(Put(*store, t), IsOk());
  t.version = 2;
  t.state = TaskState::kActive;
  t.spec.start_date = absl::CivilDay(2026, 12, 1);
  t.spec.end_date = absl::CivilDay(2027, 1, 15);
  t.resolved_communities = {"c2", "c3"};
  ASSERT_THAT(Put(*store, t), IsOk());

  RawDb raw(scoped.path());
  EXPECT_THAT(raw.Rows("SELECT community_id, state FROM task_communities "
                       "ORDER BY community_id"),
              ElementsAre("c2|ACTIVE", "c3|ACTIVE"));
  EXPECT_THAT(raw.Rows("SELECT count(*) FROM task_communities AS c JOIN tasks "
                       "AS t ON t.district_id = c.district_id AND t.id = "
                       "c.task_id WHERE c.state != t.state"),
              ElementsAre("0"));

  ASSERT_OK_AND_ASSIGN(std::vector<Task> in_c2,
                       store->ListTasks(InForce("c2")));
  EXPECT_THAT(Ids(in_c2), ElementsAre("t1"));
  ASSERT_OK_AND_ASSIGN(std::vector<Task> in_c1,
                       store->ListTasks(InForce("c1")));
  EXPECT_THAT(in_c1, IsEmpty());
  t.version = 3;
  t.state = TaskState::kCompleted;
  ASSERT_THAT(Put(*store, t), IsOk());
  ASSERT_OK_AND_ASSIGN(in_c2, store->ListTasks(InForce("c2")));
  EXPECT_THAT(in_c2, IsEmpty());
}

// --------------------------------------------------- rule-input lists

TEST(SqliteRuleInputsTest, CommunityAndItemListsKeepOrderFiltersAndPaging) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(":memory:"));
  for (const Task& t : {
           MakeTask("t5", "dept-a", TaskState::kActive, {"c1"}, "A-001"),
           MakeTask("t1", "dept-a", TaskState::kProvisional, {"c1", "c2"},
                    "A-001"),
           MakeTask("t3", "dept-b", TaskState::kActive, {"c1"}, "A-002"),
           MakeTask("t2", "dept-a", TaskState::kCompleted, {"c1"}, "A-001"),
           MakeTask("t4", "dept-a", TaskState::kDraft, {"c2"}, "A-001"),
           MakeTask("t6", "dept-a", TaskState::kActive, {"c1"}, "A-001"),
       }) {
    ASSERT_THAT(Put(*store, t), IsOk());
  }
  const auto list = [&](TaskQuery q) {
    auto result = store->ListTasks(q);
    EXPECT_THAT(result, IsOk());
    return result.ok() ? Ids(*result) : std::vector<std::string>{"error"};
  };
  EXPECT_THAT(list(InForce("c1")), ElementsAre("t1", "t3", "t5", "t6"));
  TaskQuery page = InForce("c1");
  page.limit = 2;
  EXPECT_THAT(list(page), ElementsAre("t1", "t3"));
  page.after_id = "t3";
  EXPECT_THAT(list(page), ElementsAre("t5", "t6"));
  page.after_id = "t6";
  EXPECT_THAT(list(page), IsEmpty());
  TaskQuery all_of_c1;
  all_of_c1.district_id = kD;
  all_of_c1.community_id = "c1";
  EXPECT_THAT(list(all_of_c1), ElementsAre("t1", "t2", "t3", "t5", "t6"));
  all_of_c1.department_id = "dept-a";
  all_of_c1.item_code = "A-001";
  all_of_c1.after_id = "t1";
  EXPECT_THAT(list(all_of_c1), ElementsAre("t2", "t5", "t6"));

  EXPECT_THAT(list(OfItem("dept-a", "A-001")),
              ElementsAre("t1", "t2", "t4", "t5", "t6"));
  TaskQuery item_page = OfItem("dept-a", "A-001");
  item_page.states = {TaskState::kActive, TaskState::kDraft};
  item_page.after_id = "t4";
  item_page.limit = 1;
  EXPECT_THAT(list(item_page), ElementsAre("t5"));
  EXPECT_THAT(list(OfItem("dept-b", "A-001")), IsEmpty());
}

// That a query did no more work after rows it does not return were added:
// the same rows, no full-scan step, and the same number of virtual-machine
// steps give or take a few (SQLite's seeks may step a row or two more or
// less as pages fill). Had the query visited the added rows, it would have
// taken at least one step for each of the hundreds added.
void ExpectSameWork(const RawDb::Cost& before, const RawDb::Cost& after) {
  EXPECT_EQ(after.rows, before.rows);
  EXPECT_EQ(after.fullscan_steps, 0);
  EXPECT_LE(after.vm_steps, before.vm_steps + 5)
      << "before: " << before.vm_steps;
}

// A store on a file with a raw connection beside it, to read the plans and
// costs of the SQL behind the store's reads.
class RuleInputPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore(scoped_.path()));
    raw_ = std::make_unique<RawDb>(scoped_.path());
  }

  // Adds `n` tasks numbered from `first` as `make(id)` gives them.
  void AddTasks(int first, int n,
                const std::function<Task(const std::string&)>& make) {
    for (int i = first; i < first + n; ++i) {
      ASSERT_THAT(Put(*store_, make(absl::StrCat("x", 10000 + i))), IsOk());
    }
  }

  RawDb::Cost Cost(const TaskQuery& q) {
    const std::unique_ptr<sqlite_internal::FilterQuery> select =
        sqlite_internal::TaskListQuery(q);
    return raw_->Run(select->sql(), select->params());
  }

  std::vector<std::string> Plan(const TaskQuery& q) {
    return raw_->Plan(sqlite_internal::TaskListQuery(q)->sql());
  }

  ScopedDbPath scoped_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<RawDb> raw_;
};

TEST_F(RuleInputPlanTest, InForceListGoesThroughTheCommunityStateIndex) {
  EXPECT_THAT(
      Plan(InForce("c1")),
      AllOf(Contains(HasSubstr("SEARCH c USING COVERING INDEX "
                               "task_communities_by_community_state "
                               "(district_id=? AND community_id=? AND "
                               "state=?)")),
            Contains(HasSubstr("SEARCH t USING INDEX sqlite_autoindex_tasks_1 "
                               "(district_id=? AND id=?)")),
            Not(Contains(HasSubstr("SCAN")))));
}

TEST_F(RuleInputPlanTest, DepartmentItemListGoesThroughItsIndex) {
  for (bool with_states : {false, true}) {
    TaskQuery q = OfItem("dept-a", "A-001");
    if (with_states) q.states = {TaskState::kSubmitted, TaskState::kActive};
    EXPECT_THAT(Plan(q),
                AllOf(Contains(HasSubstr(
                          "SEARCH tasks USING INDEX "
                          "tasks_by_department_item_state (district_id=? AND "
                          "department_id=? AND item_code=?")),
                      Not(Contains(HasSubstr("sqlite_autoindex_tasks_1"))),
                      Not(Contains(HasSubstr("SCAN")))))
        << with_states;
  }
}

TEST_F(RuleInputPlanTest, InForceListDoesNotGrowWithFinishedTasks) {
  ASSERT_THAT(
      Put(*store_, MakeTask("a1", "dept-a", TaskState::kActive, {"c1"}, "")),
      IsOk());
  ASSERT_THAT(Put(*store_, MakeTask("a2", "dept-b", TaskState::kProvisional,
                                    {"c1", "c2"}, "")),
              IsOk());
  const auto finished = [](const std::string& id) {
    return MakeTask(id, "dept-a", TaskState::kCompleted, {"c1", "c2"}, "A-001");
  };
  AddTasks(0, 20, finished);
  const RawDb::Cost before = Cost(InForce("c1"));
  EXPECT_EQ(before.rows, 2);
  EXPECT_EQ(before.fullscan_steps, 0);

  // Ten times as many finished tasks and drafts of the community, and tasks
  // in force elsewhere: the same steps.
  AddTasks(20, 200, finished);
  AddTasks(220, 50, [](const std::string& id) {
    return MakeTask(id, "dept-c", TaskState::kDraft, {"c1"}, "");
  });
  AddTasks(270, 50, [](const std::string& id) {
    return MakeTask(id, "dept-c", TaskState::kActive, {"c3"}, "");
  });
  const RawDb::Cost after = Cost(InForce("c1"));
  EXPECT_EQ(after.rows, 2);
  EXPECT_EQ(after.fullscan_steps, 0);
  ExpectSameWork(before, after);
}

TEST_F(RuleInputPlanTest, DepartmentItemListDoesNotGrowWithOtherTasks) {
  ASSERT_THAT(
      Put(*store_, MakeTask("a1", "dept-a", TaskState::kActive, {"c1"}, "A-1")),
      IsOk());
  ASSERT_THAT(
      Put(*store_, MakeTask("a2", "dept-a", TaskState::kDraft, {"c2"}, "A-1")),
      IsOk());
  AddTasks(0, 20, [](const std::string& id) {
    return MakeTask(id, "dept-a", TaskState::kActive, {"c1"}, "A-2");
  });
  const RawDb::Cost before = Cost(OfItem("dept-a", "A-1"));
  EXPECT_EQ(before.rows, 2);
  EXPECT_EQ(before.fullscan_steps, 0);

  // The department's other items and other departments' tasks of the item.
  AddTasks(20, 200, [](const std::string& id) {
    return MakeTask(id, "dept-a", TaskState::kCompleted, {"c1"}, "A-2");
  });
  AddTasks(220, 100, [](const std::string& id) {
    return MakeTask(id, "dept-b", TaskState::kActive, {"c1"}, "A-1");
  });
  const RawDb::Cost after = Cost(OfItem("dept-a", "A-1"));
  EXPECT_EQ(after.rows, 2);
  EXPECT_EQ(after.fullscan_steps, 0);
  ExpectSameWork(before, after);
}

// R-DUPLICATE's read: a department's open tasks of one item in one
// community, whatever else is in force there.
TEST_F(RuleInputPlanTest, DuplicateCandidatesDoNotGrowWithTheCommunitysLoad) {
  TaskQuery q = InForce("c1");
  q.department_id = "dept-a";
  q.item_code = "A-1";
  EXPECT_THAT(Plan(q),
              AllOf(Contains(HasSubstr("task_communities_by_department_item")),
                    Not(Contains(HasSubstr("SCAN")))));
  ASSERT_THAT(
      Put(*store_, MakeTask("a1", "dept-a", TaskState::kActive, {"c1"}, "A-1")),
      IsOk());
  AddTasks(0, 20, [](const std::string& id) {
    return MakeTask(id, "dept-b", TaskState::kActive, {"c1"}, "A-1");
  });
  const RawDb::Cost before = Cost(q);
  EXPECT_EQ(before.rows, 1);

  // Ten times as much in force in c1: other departments, other items.
  AddTasks(20, 100, [](const std::string& id) {
    return MakeTask(id, "dept-b", TaskState::kActive, {"c1"}, "A-1");
  });
  AddTasks(120, 100, [](const std::string& id) {
    return MakeTask(id, "dept-a", TaskState::kActive, {"c1"}, "A-2");
  });
  const RawDb::Cost after = Cost(q);
  EXPECT_EQ(after.rows, 1);
  EXPECT_EQ(after.fullscan_steps, 0);
  ExpectSameWork(before, after);
}

// ------------------------------------------------ reads for statistics

TEST(SqliteRuleInputsTest, ListTasksByIdReturnsTheStoredOnesInIdOrder) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(":memory:"));
  for (const char* id : {"t1", "t2", "t\"3\\"}) {
    ASSERT_THAT(
        Put(*store, MakeTask(id, "dept-a", TaskState::kDraft, {"c1"}, "")),
        IsOk());
  }
  ASSERT_OK_AND_ASSIGN(
      std::vector<Task> found,
      store->ListTasksById(kD, {"t2", "missing", "t\"3\\", "t1", "t2"}));
  EXPECT_THAT(Ids(found), ElementsAre("t\"3\\", "t1", "t2"));  // '"' < '1'
  ASSERT_OK_AND_ASSIGN(found, store->ListTasksById(kD, {}));
  EXPECT_THAT(found, IsEmpty());
  ASSERT_OK_AND_ASSIGN(found, store->ListTasksById("other", {"t1"}));
  EXPECT_THAT(found, IsEmpty());
}

}  // namespace
}  // namespace taskgate::store
