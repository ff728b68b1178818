// The SQLite store through the `Store` interface: opening (schema, refusal
// of foreign, newer or damaged files, pragmas), commits with their audit
// events all-or-nothing, optimistic versions, idempotency records, every
// read and filter, the audit log's rows, leaf hashes and checkpoints, faults
// injected mid-commit and concurrent writers. One piece: each test opens the
// same in-memory or temporary store through one set of helpers, and the
// people side (principals, credentials, complaints) has its own file.
#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/encoding.h"
#include "audit/merkle.h"
#include "domain/codec.h"
#include "domain/types.h"
#include "store/change_validation.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/sqlite_store.h"
#include "store/sqlite/migrations.h"
#include "store/store.h"
#include "tests/testing/fault_injecting_store.h"
#include "tests/testing/scoped_db_path.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::store {
namespace {

using domain::AuditEvent;
using domain::Task;
using domain::TaskState;
using ::taskgate::testing::FaultInjectingStore;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::ScopedDbPath;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Matches an OK `StatusOr` whose value matches `matcher`.
MATCHER_P(IsOkAndHolds, matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(matcher, *arg, result_listener);
}

// ------------------------------------------------------------------ files

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

// A plain sqlite3 connection, to prepare files behind the store's back.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawDb() { EXPECT_EQ(sqlite3_close(db_), SQLITE_OK); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Returns the SQLite result code, and the error message in `error`.
  int Exec(const std::string& sql, std::string* error = nullptr) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (error != nullptr && message != nullptr) *error = message;
    sqlite3_free(message);
    return rc;
  }

  // The first column of the first row of `sql`, as text.
  std::string Query(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db_);
    std::string result;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) result = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    return result;
  }

 private:
  sqlite3* db_ = nullptr;
};

// ----------------------------------------------------------------- values

constexpr const char* kD1 = "d1";
constexpr const char* kD2 = "d2";

// 2026-03-02T01:02:03.000004Z plus `seconds`.
absl::Time T(int64_t seconds) {
  return absl::FromUnixMicros(1772413323000004) + absl::Seconds(seconds);
}

Task MakeTask(const std::string& district, const std::string& id,
              const std::string& department = "dept-a",
              TaskState state = TaskState::kSubmitted,
              std::vector<std::string> communities = {"c1"},
              const std::string& item_code = "A-001") {
  Task t;
  t.district_id = district;
  t.id = id;
  t.department_id = department;
  t.state = state;
  t.version = 1;
  t.spec.title = "task " + id;
  t.spec.item_code = item_code;
  t.spec.start_date = absl::CivilDay(2026, 4, 1);
  t.spec.end_date = absl::CivilDay(2026, 6, 30);
  t.spec.target_communities = communities;
  t.spec.hours_per_community_month = 4;
  t.resolved_communities = std::move(communities);
  t.created_at = T(0);
  t.updated_at = T(0);
  return t;
}

AuditEvent MakeEvent(const std::string& district, const std::string& action,
                     const std::string& entity_id, absl::Time time = T(0)) {
  AuditEvent e;
  e.district_id = district;
  e.time = time;
  e.actor_id = "clerk-1";
  e.actor_role = domain::Role::kDepartment;
  e.action = action;
  e.entity_type = "task";
  e.entity_id = entity_id;
  e.department_id = "dept-a";
  e.request_id = "req-" + entity_id;
  return e;
}

ChangeSet CreateTaskChange(const Task& task) {
  ChangeSet change;
  change.district_id = task.district_id;
  change.tasks.push_back({task, 0});
  change.events.push_back(MakeEvent(task.district_id, "task.create", task.id));
  return change;
}

ChangeSet UpdateTaskChange(const Task& task, int64_t expected_version) {
  ChangeSet change;
  change.district_id = task.district_id;
  change.tasks.push_back({task, expected_version});
  change.events.push_back(MakeEvent(task.district_id, "task.update", task.id));
  return change;
}

// A change that only appends `events` (a principal change, say).
ChangeSet EventsChange(const std::string& district,
                       std::vector<AuditEvent> events) {
  ChangeSet change;
  change.district_id = district;
  change.events = std::move(events);
  return change;
}

// Queries built field by field: designated initializers that skip members
// trip -Wmissing-field-initializers.
TaskQuery MakeTaskQuery(const std::string& district,
                        const std::function<void(TaskQuery&)>& set) {
  TaskQuery q;
  q.district_id = district;
  set(q);
  return q;
}
EventQuery MakeEventQuery(const std::string& district,
                          const std::function<void(EventQuery&)>& set) {
  EventQuery q;
  q.district_id = district;
  set(q);
  return q;
}
TaskQuery AllTasks(const std::string& district) {
  return MakeTaskQuery(district, [](TaskQuery&) {});
}
EventQuery AllEvents(const std::string& district) {
  return MakeEventQuery(district, [](EventQuery&) {});
}

// A setting of the store's own connection, read through the class behind
// `OpenSqliteStore` (white-box: `synchronous`, `foreign_keys` and
// `busy_timeout` are invisible to any other connection).
absl::StatusOr<std::string> Pragma(Store& store, const std::string& name) {
  auto* sqlite = dynamic_cast<sqlite_internal::SqliteStore*>(&store);
  if (sqlite == nullptr) {
    return absl::InvalidArgumentError("not a store from OpenSqliteStore");
  }
  return sqlite->Pragma(name);
}

std::unique_ptr<Store> OpenMemory(SqliteStoreOptions options = {}) {
  auto store = OpenSqliteStore(":memory:", std::move(options));
  EXPECT_THAT(store, IsOk());
  return store.ok() ? *std::move(store) : nullptr;
}

std::vector<std::string> Ids(const std::vector<Task>& tasks) {
  std::vector<std::string> ids;
  ids.reserve(tasks.size());
  for (const Task& t : tasks) ids.push_back(t.id);
  return ids;
}

std::vector<int64_t> Seqs(const std::vector<StoredEvent>& events) {
  std::vector<int64_t> seqs;
  seqs.reserve(events.size());
  for (const StoredEvent& e : events) seqs.push_back(e.event.seq);
  return seqs;
}

// What a refused open must leave: the same bytes and no WAL files.
void ExpectUntouched(const std::string& path, const std::string& before) {
  EXPECT_EQ(ReadBytes(path), before);
  EXPECT_FALSE(Exists(path + "-wal"));
  EXPECT_FALSE(Exists(path + "-shm"));
  EXPECT_FALSE(Exists(path + "-journal"));
}

// ------------------------------------------------------------------- open

TEST(SqliteStoreTest, OpenOfFreshPathCreatesSchema) {
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(path));
    EXPECT_THAT(Pragma(*store, "user_version"),
                IsOkAndHolds(absl::StrCat(SqliteSchemaVersion())));
    EXPECT_THAT(Pragma(*store, "application_id"),
                IsOkAndHolds(absl::StrCat(kSqliteApplicationId)));
    EXPECT_THAT(Pragma(*store, "journal_mode"), IsOkAndHolds("wal"));
    EXPECT_THAT(Pragma(*store, "synchronous"), IsOkAndHolds("2"));
    EXPECT_THAT(Pragma(*store, "foreign_keys"), IsOkAndHolds("1"));
    EXPECT_THAT(Pragma(*store, "busy_timeout"), IsOkAndHolds("5000"));
  }
  // The persistent settings are in the file for any other reader too.
  RawDb raw(path);
  EXPECT_EQ(raw.Query("PRAGMA user_version"),
            absl::StrCat(SqliteSchemaVersion()));
  EXPECT_EQ(raw.Query("PRAGMA application_id"),
            absl::StrCat(kSqliteApplicationId));
  EXPECT_EQ(raw.Query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.Query("SELECT group_concat(name, ',') FROM (SELECT name FROM "
                      "sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                      "'sqlite_%' ORDER BY name)"),
            "assignment_acks,attachment_contents,attachments,"
            "audit_event_communities,audit_events,"
            "calendar_years,catalog_versions,checkpoints,communities,"
            "complaints,counters,"
            "credentials,decisions,departments,districts,funding_reports,"
            "principals,requests,streets,task_communities,"
            "tasks");
}

TEST(SqliteStoreTest, SchemaVersionIsFifteen) {
  EXPECT_EQ(SqliteSchemaVersion(), 15);
}

// Attachments (migration 14): metadata per task, content once per hash,
// read back in pieces; a change whose metadata is not its content's is
// refused whole.
ChangeSet AttachChange(const std::string& task_id, const std::string& name,
                       const std::string& content) {
  ChangeSet change;
  change.district_id = kD1;
  domain::Attachment a;
  a.district_id = kD1;
  a.task_id = task_id;
  a.name = name;
  a.media_type = "application/pdf";
  a.size_bytes = static_cast<int64_t>(content.size());
  a.sha256 = audit::ToHex(audit::Sha256(content));
  a.added_by = "clerk";
  a.added_at = absl::FromUnixSeconds(1'780'000'000);
  change.attachments.push_back({a, content});
  change.events.push_back(MakeEvent(kD1, "task.attach", task_id));
  return change;
}

TEST(SqliteStoreTest, AttachmentsRoundTripWithTheirContentKeptOnce) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(CreateTaskChange(MakeTask(kD1, "t1"))), IsOk());
  ASSERT_THAT(store->Commit(CreateTaskChange(MakeTask(kD1, "t2"))), IsOk());
  const std::string doc = "关于开展社区减负工作的通知";
  ASSERT_THAT(store->Commit(AttachChange("t1", "通知.pdf", doc)), IsOk());
  ASSERT_THAT(store->Commit(AttachChange("t2", "通知.pdf", doc)), IsOk());
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Attachment> listed,
                       store->ListAttachments(kD1, "t1"));
  ASSERT_THAT(listed, SizeIs(1));
  EXPECT_EQ(domain::AttachmentToJson(listed[0]),
            domain::AttachmentToJson(
                AttachChange("t1", "通知.pdf", doc).attachments[0].attachment));
  const std::string sha = listed[0].sha256;
  EXPECT_THAT(store->ReadAttachmentContent(kD1, sha, 0, 1 << 20),
              IsOkAndHolds(doc));
  EXPECT_THAT(store->ReadAttachmentContent(kD1, sha, 3, 3),
              IsOkAndHolds(doc.substr(3, 3)));
  EXPECT_THAT(store->ReadAttachmentContent(kD1, sha, 1000, 3),
              IsOkAndHolds(""));
  EXPECT_THAT(store->ReadAttachmentContent(kD2, sha, 0, 3),
              StatusIs(absl::StatusCode::kNotFound));
  // The same bytes or the same name twice on one task.
  EXPECT_THAT(store->Commit(AttachChange("t1", "again.pdf", doc)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store->Commit(AttachChange("t1", "通知.pdf", "other")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Metadata that is not the content's, or a missing task: nothing written.
  ChangeSet lying = AttachChange("t1", "lie.pdf", "abc");
  lying.attachments[0].content = "abd";
  EXPECT_THAT(store->Commit(lying),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->Commit(AttachChange("t9", "x.pdf", "x")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->ListAttachments(kD1, "t1"), IsOkAndHolds(SizeIs(1)));
}

// A download reads a document in 64 KiB pieces (services/task_service.cc):
// pieces that cross many database pages, and a last one shorter than asked,
// put the bytes back together exactly.
TEST(SqliteStoreTest, AttachmentContentReadInPiecesIsTheWholeDocument) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(CreateTaskChange(MakeTask(kD1, "t1"))), IsOk());
  std::string doc(3 * (1 << 20) + 12'345, '\0');
  for (size_t i = 0; i < doc.size(); ++i) {
    doc[i] = static_cast<char>((i * 2'654'435'761u) >> 13);
  }
  ChangeSet change = AttachChange("t1", "台账.pdf", doc);
  const std::string sha = change.attachments[0].attachment.sha256;
  ASSERT_THAT(store->Commit(std::move(change)), IsOk());
  constexpr int64_t kPiece = 64 * 1024;
  std::string joined;
  int pieces = 0;
  for (int64_t offset = 0;; offset += kPiece) {
    ASSERT_OK_AND_ASSIGN(std::string piece, store->ReadAttachmentContent(
                                                kD1, sha, offset, kPiece));
    if (piece.empty()) break;
    ASSERT_LE(piece.size(), static_cast<size_t>(kPiece));
    joined += piece;
    ++pieces;
  }
  EXPECT_EQ(pieces, 49);  // 48 whole pieces and 12,345 bytes
  EXPECT_TRUE(joined == doc);
}

// A full disk is a passing outage the operator can fix, not a defect of
// the server (issue 15): UNAVAILABLE, saying what to do.
TEST(SqliteStoreTest, AFullDiskIsUnavailableAndSaysWhatToDo) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<sqlite_internal::Connection> db,
                       sqlite_internal::Connection::Open(":memory:", 0));
  ASSERT_THAT(db->Exec("CREATE TABLE t (x BLOB)", "create"), IsOk());
  // The file may not grow past what it has: as a disk with no space left.
  ASSERT_THAT(db->Exec("PRAGMA max_page_count = 2", "limit"), IsOk());
  EXPECT_THAT(
      db->Exec("INSERT INTO t VALUES (zeroblob(100000))", "write event"),
      StatusIs(absl::StatusCode::kUnavailable,
               AllOf(HasSubstr("disk holding the database is full"),
                     HasSubstr("write event"), HasSubstr("free disk space"))));
}

TEST(SqliteStoreTest, OpenAppliesSynchronousNormalAndBusyTimeout) {
  SqliteStoreOptions options;
  options.synchronous = "normal";
  options.busy_timeout_ms = 1234;
  auto store = OpenMemory(options);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Pragma(*store, "synchronous"), IsOkAndHolds("1"));
  EXPECT_THAT(Pragma(*store, "busy_timeout"), IsOkAndHolds("1234"));
}

TEST(SqliteStoreTest, OpenRejectsUnknownSynchronousMode) {
  SqliteStoreOptions options;
  options.synchronous = "OFF";
  EXPECT_THAT(OpenSqliteStore(":memory:", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("synchronous must be FULL or NORMAL")));
}

TEST(SqliteStoreTest, PragmaOutsideTheAllowListIsInvalidArgument) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Pragma(*store, "writable_schema"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SqliteStoreTest, OpenMigratesEmptyFile) {
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  WriteBytes(path, "");
  ASSERT_EQ(std::filesystem::file_size(path), 0U);
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(path));
    EXPECT_THAT(Pragma(*store, "user_version"),
                IsOkAndHolds(absl::StrCat(SqliteSchemaVersion())));
    ASSERT_OK_AND_ASSIGN(CommitResult result,
                         store->Commit(CreateTaskChange(MakeTask(kD1, "t1"))));
    EXPECT_THAT(result.seqs, ElementsAre(1));
  }
  RawDb raw(path);
  EXPECT_EQ(raw.Query("PRAGMA application_id"),
            absl::StrCat(kSqliteApplicationId));
}

TEST(SqliteStoreTest, OpenAdoptsSqliteFileWithEmptySchema) {
  // What a first start leaves when it stops right after switching to WAL.
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  {
    RawDb raw(path);
    EXPECT_EQ(raw.Query("PRAGMA journal_mode = WAL"), "wal");
  }
  ASSERT_GT(std::filesystem::file_size(path), 0U);
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(path));
  EXPECT_THAT(Pragma(*store, "application_id"),
              IsOkAndHolds(absl::StrCat(kSqliteApplicationId)));
}

TEST(SqliteStoreTest, ReopenKeepsData) {
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  const Task task = MakeTask(kD1, "t1");
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(path));
    ASSERT_THAT(store->Commit(CreateTaskChange(task)), IsOk());
  }
  EXPECT_FALSE(Exists(path + "-wal"));  // a clean close checkpoints
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(path));
  ASSERT_OK_AND_ASSIGN(Task stored, store->GetTask(kD1, "t1"));
  EXPECT_EQ(domain::TaskToJson(stored), domain::TaskToJson(task));
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(1));
  ASSERT_OK_AND_ASSIGN(
      CommitResult next,
      store->Commit(EventsChange(kD1, {MakeEvent(kD1, "x", "t1")})));
  EXPECT_THAT(next.seqs, ElementsAre(2));
}

TEST(SqliteStoreTest, OpenRefusesPlainTextFile) {
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  WriteBytes(path, "district,task\nd1,t1\nthis is not a database at all\n");
  const std::string before = ReadBytes(path);
  EXPECT_THAT(OpenSqliteStore(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is not a TaskGate database")));
  ExpectUntouched(path, before);
}

TEST(SqliteStoreTest, OpenRefusesForeignSqliteDatabase) {
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec("CREATE TABLE photos (id INTEGER PRIMARY KEY, name "
                       "TEXT); INSERT INTO photos (name) VALUES ('cat');"),
              SQLITE_OK);
  }
  const std::string before = ReadBytes(path);
  ASSERT_FALSE(before.empty());
  EXPECT_THAT(OpenSqliteStore(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is not a TaskGate database")));
  ExpectUntouched(path, before);
}

TEST(SqliteStoreTest, OpenRefusesForeignWalDatabaseWithoutLeavingWalFiles) {
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Query("PRAGMA journal_mode = WAL"), "wal");
    ASSERT_EQ(raw.Exec("PRAGMA application_id = 7; CREATE TABLE notes (t "
                       "TEXT); INSERT INTO notes VALUES ('x');"),
              SQLITE_OK);
  }
  const std::string before = ReadBytes(path);
  EXPECT_THAT(OpenSqliteStore(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("application_id is 7")));
  ExpectUntouched(path, before);
}

TEST(SqliteStoreTest, OpenRefusesNewerSchema) {
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(path));
    ASSERT_THAT(store->Commit(CreateTaskChange(MakeTask(kD1, "t1"))), IsOk());
  }
  const int newer = SqliteSchemaVersion() + 1;
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec(absl::StrCat("PRAGMA user_version = ", newer)),
              SQLITE_OK);
  }
  const std::string before = ReadBytes(path);
  EXPECT_THAT(
      OpenSqliteStore(path),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(absl::StrCat("schema version ", newer)),
                     HasSubstr(absl::StrCat("version ", SqliteSchemaVersion())),
                     HasSubstr("upgrade taskgated"))));
  ExpectUntouched(path, before);
}

// Writes a TaskGate file holding `tasks` tasks with long titles, closes it,
// and returns its page size and the page numbers of the `tasks` table for
// which `where` holds (a condition on the dbstat columns).
std::vector<int64_t> TaskPages(const std::string& path, int tasks,
                               const std::string& where, int64_t* page_size) {
  {
    auto store = OpenSqliteStore(path);
    EXPECT_THAT(store, IsOk());
    if (!store.ok()) return {};
    for (int i = 0; i < tasks; ++i) {
      Task task = MakeTask(kD1, absl::StrCat("t", 100 + i));
      task.spec.title = std::string(100, 'x');
      EXPECT_THAT((*store)->Commit(CreateTaskChange(task)), IsOk());
    }
  }
  RawDb raw(path);
  *page_size = std::stoll(raw.Query("PRAGMA page_size"));
  std::vector<int64_t> pages;
  for (absl::string_view page :
       absl::StrSplit(raw.Query(absl::StrCat(
                          "SELECT group_concat(pageno) FROM dbstat WHERE "
                          "name = 'tasks' AND ",
                          where)),
                      ',', absl::SkipEmpty())) {
    pages.push_back(std::stoll(std::string(page)));
  }
  return pages;
}

TEST(SqliteStoreTest, OpenRefusesFileWithDamagedRowsNamingTheProblem) {
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  int64_t page_size = 0;
  const std::vector<int64_t> leaves =
      TaskPages(path, 60, "pagetype = 'leaf'", &page_size);
  ASSERT_GE(leaves.size(), 2U);
  const int64_t page = leaves[1];
  ASSERT_GE(page, 3);
  // Zero the middle half of a page full of task rows.
  std::string bytes = ReadBytes(path);
  ASSERT_GE(static_cast<int64_t>(bytes.size()), page * page_size);
  const int64_t offset = (page - 1) * page_size + page_size / 4;
  for (int64_t i = 0; i < page_size / 2; ++i) bytes[offset + i] = '\0';
  WriteBytes(path, bytes);

  EXPECT_THAT(OpenSqliteStore(path),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(absl::StrCat(path,
                                                    " failed the integrity "
                                                    "check (On tree page ",
                                                    page)),
                             HasSubstr("restore the database from a backup"))));
  ExpectUntouched(path, bytes);
}

TEST(SqliteStoreTest, OpenRefusesFileWithDamagedPageHeader) {
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  int64_t page_size = 0;
  const std::vector<int64_t> roots =
      TaskPages(path, 3, "path = '/'", &page_size);
  ASSERT_EQ(roots.size(), 1U);
  const int64_t page = roots[0];
  ASSERT_GE(page, 3);
  // Overwrite the page holding the task rows from its b-tree header on.
  std::string bytes = ReadBytes(path);
  ASSERT_GE(static_cast<int64_t>(bytes.size()), page * page_size);
  const int64_t offset = (page - 1) * page_size;
  for (int64_t i = 0; i < page_size / 2; ++i) bytes[offset + i] = '\xff';
  WriteBytes(path, bytes);

  EXPECT_THAT(OpenSqliteStore(path),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(path), HasSubstr("integrity check"),
                             HasSubstr("restore the database from a backup"))));
  ExpectUntouched(path, bytes);
}

TEST(SqliteStoreTest, RefusedOpenLeavesAnExistingWalAsItWas) {
  // A crash leaves committed data in the -wal file; a refused open must not
  // fold it into the main file (or delete it).
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  const std::string copy = path + ".copy";
  { ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(path)); }
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec(absl::StrCat("PRAGMA user_version = ",
                                    SqliteSchemaVersion() + 1)),
              SQLITE_OK);
    // Copy while the change is only in the WAL, as after a kill -9.
    std::filesystem::copy_file(path, copy);
    std::filesystem::copy_file(path + "-wal", copy + "-wal");
  }
  const std::string main_before = ReadBytes(copy);
  const std::string wal_before = ReadBytes(copy + "-wal");
  ASSERT_FALSE(wal_before.empty());
  EXPECT_THAT(OpenSqliteStore(copy),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("upgrade taskgated")));
  EXPECT_EQ(ReadBytes(copy), main_before);
  EXPECT_EQ(ReadBytes(copy + "-wal"), wal_before);
}

TEST(SqliteStoreTest, OpenOfUnopenablePathIsUnavailable) {
  const ScopedDbPath scoped;
  const std::string dir = scoped.path() + ".dir";
  std::filesystem::create_directories(dir);
  EXPECT_THAT(OpenSqliteStore(dir + "/missing/sub/x.db"),
              StatusIs(absl::StatusCode::kUnavailable));
}

// ----------------------------------------------------------------- commit

TEST(SqliteStoreTest, CommitWritesTaskAndEventsAtomically) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  const Task task = MakeTask(kD1, "t1");
  ChangeSet change = CreateTaskChange(task);
  change.events.push_back(MakeEvent(kD1, "task.submit", "t1"));
  ASSERT_OK_AND_ASSIGN(CommitResult result, store->Commit(change));
  EXPECT_THAT(result.seqs, ElementsAre(1, 2));
  ASSERT_OK_AND_ASSIGN(Task stored, store->GetTask(kD1, "t1"));
  EXPECT_EQ(domain::TaskToJson(stored), domain::TaskToJson(task));
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(2));
  ASSERT_OK_AND_ASSIGN(auto events, store->ListEvents(AllEvents(kD1)));
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].event.action, "task.create");
  EXPECT_EQ(events[1].event.action, "task.submit");
}

TEST(SqliteStoreTest, CounterAddsSumAndAreListedByBucketRange) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet first = EventsChange(kD1, {MakeEvent(kD1, "task.submit", "t1")});
  first.counters = {{"d:2026-03-02", "submitted", "civil", 1},
                    {"d:2026-03-02", "submitted", "civil", 1},
                    {"m:2026-03", "task_hours", "c1", 7.5}};
  ASSERT_THAT(store->Commit(first), IsOk());
  ChangeSet second = EventsChange(kD1, {MakeEvent(kD1, "task.revoke", "t1")});
  second.counters = {{"m:2026-03", "task_hours", "c1", -7.5},
                     {"d:2026-03-05", "revoked", "civil", 1}};
  ASSERT_THAT(store->Commit(second), IsOk());
  // Another district's counters stay its own.
  ChangeSet other = EventsChange(kD2, {MakeEvent(kD2, "task.submit", "t9")});
  other.counters = {{"d:2026-03-02", "submitted", "civil", 5}};
  ASSERT_THAT(store->Commit(other), IsOk());

  EXPECT_THAT(store->ListCounters(kD1, "d:2026-03-01", "d:2026-03-04", 0),
              IsOkAndHolds(ElementsAre(
                  Counter{"d:2026-03-02", "submitted", "civil", 2})));
  EXPECT_THAT(
      store->ListCounters(kD1, "m:2026-03", "m:2026-03", 0),
      IsOkAndHolds(ElementsAre(Counter{"m:2026-03", "task_hours", "c1", 0})));
  ASSERT_OK_AND_ASSIGN(std::vector<Counter> all,
                       store->ListCounters(kD1, "", "\xff", 0));
  EXPECT_EQ(all.size(), 3u);
  EXPECT_THAT(store->ListCounters(kD1, "", "\xff", 1),
              IsOkAndHolds(ElementsAre(
                  Counter{"d:2026-03-02", "submitted", "civil", 2})));
}

TEST(SqliteStoreTest, CounterAddWithoutNameOrWithInfiniteAmountIsRefused) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet unnamed = EventsChange(kD1, {MakeEvent(kD1, "task.submit", "t1")});
  unnamed.counters = {{"d:2026-03-02", "", "civil", 1}};
  EXPECT_THAT(store->Commit(unnamed),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ChangeSet infinite = EventsChange(kD1, {MakeEvent(kD1, "task.submit", "t1")});
  infinite.counters = {{"d:2026-03-02", "submitted", "civil",
                        std::numeric_limits<double>::infinity()}};
  EXPECT_THAT(store->Commit(infinite),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(0));
}

TEST(SqliteStoreTest, ChangeWithoutEventsIsInvalidArgument) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet change = CreateTaskChange(MakeTask(kD1, "t1"));
  change.events.clear();
  EXPECT_THAT(store->Commit(change),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no audit events")));
  EXPECT_THAT(store->GetTask(kD1, "t1"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SqliteStoreTest, ChangeNamingAnotherDistrictIsInvalidArgument) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);

  ChangeSet wrong_task = CreateTaskChange(MakeTask(kD2, "t1"));
  wrong_task.district_id = kD1;
  wrong_task.events[0].district_id = kD1;
  EXPECT_THAT(store->Commit(wrong_task),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("task t1 has district_id \"d2\"")));

  ChangeSet wrong_event = CreateTaskChange(MakeTask(kD1, "t1"));
  wrong_event.events.push_back(MakeEvent(kD2, "task.submit", "t1"));
  EXPECT_THAT(store->Commit(wrong_event),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("audit event \"task.submit\"")));

  ChangeSet wrong_decision = CreateTaskChange(MakeTask(kD1, "t1"));
  domain::Decision decision;
  decision.district_id = kD2;
  decision.task_id = "t1";
  wrong_decision.decisions.push_back(decision);
  EXPECT_THAT(store->Commit(wrong_decision),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("decision on task t1")));

  ChangeSet wrong_community = EventsChange(kD1, {MakeEvent(kD1, "c", "c1")});
  domain::Community community;
  community.district_id = kD2;
  community.id = "c1";
  community.version = 1;
  wrong_community.communities.push_back({community, 0});
  EXPECT_THAT(
      store->Commit(wrong_community),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("community c1")));

  ChangeSet wrong_catalog = EventsChange(kD1, {MakeEvent(kD1, "c", "v1")});
  wrong_catalog.catalog.emplace();
  wrong_catalog.catalog->district_id = kD2;
  wrong_catalog.catalog->version = 1;
  EXPECT_THAT(store->Commit(wrong_catalog),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("catalog version 1")));

  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(0));
  EXPECT_THAT(store->EventCount(kD2), IsOkAndHolds(0));
}

// An event is held to its size limit with the writes the store attaches
// (store/change_validation.h): a task whose complete write would carry it
// over is refused, and neither the task nor its event nor the request is
// stored, while the same change one byte smaller commits.
TEST(SqliteStoreTest, ChangeWhoseEventWithItsWritesIsTooLargeWritesNothing) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  Task task = MakeTask(kD1, "t1");
  task.spec.description = std::string(kMaxAuditEventBytes, 'x');
  ChangeSet change = CreateTaskChange(task);
  change.request = StoredRequest{"r1", "task.create", "fp", "answer", T(0)};
  // The event as given is small: only the attached write makes it large.
  ASSERT_THAT(ValidateChangeSet(change), IsOk());
  const absl::StatusOr<CommitResult> refused = store->Commit(change);
  EXPECT_THAT(refused,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("largest part is field spec.description of "
                                 "task t1 as written (after)")));
  EXPECT_THAT(store->GetTask(kD1, "t1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(0));
  EXPECT_THAT(store->FindRequest(kD1, "r1"), IsOkAndHolds(Eq(std::nullopt)));

  task.spec.description = "short";
  ASSERT_OK_AND_ASSIGN(CommitResult result,
                       store->Commit(CreateTaskChange(task)));
  EXPECT_THAT(result.seqs, ElementsAre(1));
}

TEST(SqliteStoreTest, FaultAfterChangeLeavesNothing) {
  const absl::Status injected = absl::UnavailableError("injected");
  SqliteStoreOptions options;
  bool armed = false;
  options.fault_hook = [&](std::string_view point) {
    return armed && point == "after_change" ? injected : absl::OkStatus();
  };
  auto store = OpenMemory(options);
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(EventsChange(kD1, {MakeEvent(kD1, "x", "e")})),
              IsOk());

  armed = true;
  EXPECT_EQ(store->Commit(CreateTaskChange(MakeTask(kD1, "t1"))).status(),
            injected);
  EXPECT_THAT(store->GetTask(kD1, "t1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(1));
  EXPECT_THAT(store->ListTasks(AllTasks(kD1)), IsOkAndHolds(IsEmpty()));

  armed = false;
  ASSERT_OK_AND_ASSIGN(CommitResult result,
                       store->Commit(CreateTaskChange(MakeTask(kD1, "t1"))));
  EXPECT_THAT(result.seqs, ElementsAre(2));
}

TEST(SqliteStoreTest, FaultBeforeCommitLeavesNothing) {
  const absl::Status injected = absl::InternalError("disk on fire");
  std::vector<std::string> points;
  SqliteStoreOptions options;
  options.fault_hook = [&](std::string_view point) {
    points.emplace_back(point);
    return point == "before_commit" ? injected : absl::OkStatus();
  };
  auto store = OpenMemory(options);
  ASSERT_NE(store, nullptr);
  ChangeSet change = CreateTaskChange(MakeTask(kD1, "t1"));
  change.request = StoredRequest{"r1", "task.create", "fp", "answer", T(0)};
  change.events.push_back(MakeEvent(kD1, "task.submit", "t1"));

  EXPECT_EQ(store->Commit(change).status(), injected);
  EXPECT_THAT(points, ElementsAre("after_change", "before_commit"));
  EXPECT_THAT(store->GetTask(kD1, "t1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(0));
  EXPECT_THAT(store->FindRequest(kD1, "r1"), IsOkAndHolds(Eq(std::nullopt)));
  EXPECT_THAT(store->ListEvents(AllEvents(kD1)), IsOkAndHolds(IsEmpty()));
}

TEST(SqliteStoreTest, RetryWithSameRequestIdWritesNothing) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet first = CreateTaskChange(MakeTask(kD1, "t1"));
  first.request =
      StoredRequest{"r1", "task.create", "fp-1", "first answer", T(0)};
  ASSERT_THAT(store->Commit(first), IsOk());

  ChangeSet retry = CreateTaskChange(MakeTask(kD1, "t2"));
  retry.request =
      StoredRequest{"r1", "task.create", "fp-2", "second answer", T(0)};
  EXPECT_THAT(store->Commit(retry),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("request_id r1 was already used")));
  EXPECT_THAT(store->GetTask(kD1, "t2"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(1));

  ASSERT_OK_AND_ASSIGN(std::optional<StoredRequest> stored,
                       store->FindRequest(kD1, "r1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->request_id, "r1");
  EXPECT_EQ(stored->operation, "task.create");
  EXPECT_EQ(stored->fingerprint, "fp-1");
  EXPECT_EQ(stored->response, "first answer");
  EXPECT_THAT(store->FindRequest(kD1, "r2"), IsOkAndHolds(Eq(std::nullopt)));
  // Request ids are per district.
  EXPECT_THAT(store->FindRequest(kD2, "r1"), IsOkAndHolds(Eq(std::nullopt)));
}

TEST(SqliteStoreTest, StoredResponseKeepsBinaryBytes) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  const std::string response("\x00\x01\xff\n\x00z", 6);
  ChangeSet change = EventsChange(kD1, {MakeEvent(kD1, "x", "e")});
  change.request = StoredRequest{"r1", "op", "", response, T(0)};
  ASSERT_THAT(store->Commit(change), IsOk());
  ASSERT_OK_AND_ASSIGN(auto stored, store->FindRequest(kD1, "r1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->response, response);
}

TEST(SqliteStoreTest, StaleVersionIsAbortedAndWritesNothing) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  Task task = MakeTask(kD1, "t1");
  ASSERT_THAT(store->Commit(CreateTaskChange(task)), IsOk());
  Task v2 = task;
  v2.version = 2;
  v2.state = TaskState::kInReview;
  ASSERT_THAT(store->Commit(UpdateTaskChange(v2, 1)), IsOk());

  Task stale = task;
  stale.version = 2;
  stale.state = TaskState::kWithdrawn;
  EXPECT_THAT(
      store->Commit(UpdateTaskChange(stale, 1)),
      StatusIs(absl::StatusCode::kAborted,
               HasSubstr("task t1 was changed by someone else (version 2, "
                         "expected 1); reload and retry")));
  ASSERT_OK_AND_ASSIGN(Task stored, store->GetTask(kD1, "t1"));
  EXPECT_EQ(stored.state, TaskState::kInReview);
  EXPECT_EQ(stored.version, 2);
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(2));
}

TEST(SqliteStoreTest, UpdateOfMissingTaskIsNotFound) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  Task task = MakeTask(kD1, "t9");
  task.version = 4;
  EXPECT_THAT(store->Commit(UpdateTaskChange(task, 3)),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("task t9 not found in district d1")));
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(0));
}

TEST(SqliteStoreTest, CreateOfExistingTaskIsAlreadyExists) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(CreateTaskChange(MakeTask(kD1, "t1"))), IsOk());
  Task again = MakeTask(kD1, "t1", "dept-b");
  EXPECT_THAT(store->Commit(CreateTaskChange(again)),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("task t1 already exists in district d1")));
  ASSERT_OK_AND_ASSIGN(Task stored, store->GetTask(kD1, "t1"));
  EXPECT_EQ(stored.department_id, "dept-a");
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(1));
  // The same id in another district is another task.
  EXPECT_THAT(store->Commit(CreateTaskChange(MakeTask(kD2, "t1"))), IsOk());
}

TEST(SqliteStoreTest, VersionThatIsNotExpectedPlusOneIsInvalidArgument) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  Task task = MakeTask(kD1, "t1");
  task.version = 3;
  EXPECT_THAT(store->Commit(CreateTaskChange(task)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("task t1 has version 3 but must be 1")));
  EXPECT_THAT(store->GetTask(kD1, "t1"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SqliteStoreTest, GetTaskOfMissingTaskNamesTaskAndDistrict) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->GetTask(kD1, "nope"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("task nope not found in district d1")));
}

TEST(SqliteStoreTest, SeqsAreConsecutivePerDistrict) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(
      CommitResult a,
      store->Commit(EventsChange(
          kD1, {MakeEvent(kD1, "a", "1"), MakeEvent(kD1, "b", "2")})));
  ASSERT_OK_AND_ASSIGN(CommitResult b, store->Commit(EventsChange(
                                           kD2, {MakeEvent(kD2, "a", "1")})));
  ASSERT_OK_AND_ASSIGN(CommitResult c, store->Commit(EventsChange(
                                           kD1, {MakeEvent(kD1, "c", "3")})));
  EXPECT_THAT(a.seqs, ElementsAre(1, 2));
  EXPECT_THAT(b.seqs, ElementsAre(1));
  EXPECT_THAT(c.seqs, ElementsAre(3));
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(3));
  EXPECT_THAT(store->EventCount(kD2), IsOkAndHolds(1));
  ASSERT_OK_AND_ASSIGN(auto d1, store->ListEvents(AllEvents(kD1)));
  EXPECT_THAT(Seqs(d1), ElementsAre(1, 2, 3));
}

TEST(SqliteStoreTest, ConcurrentCommitsGetDistinctConsecutiveSeqs) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4;
  constexpr int kCommitsPerThread = 25;
  std::mutex mu;  // the test's own; the store brings its own locking
  std::vector<int64_t> seqs;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommitsPerThread; ++i) {
        auto result = store->Commit(
            EventsChange(kD1, {MakeEvent(kD1, "x", absl::StrCat(t, "-", i))}));
        std::lock_guard<std::mutex> lock(mu);
        EXPECT_THAT(result, IsOk());
        if (result.ok()) seqs.push_back(result->seqs.at(0));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::set<int64_t> distinct(seqs.begin(), seqs.end());
  ASSERT_EQ(distinct.size(), static_cast<size_t>(kThreads * kCommitsPerThread));
  EXPECT_EQ(*distinct.begin(), 1);
  EXPECT_EQ(*distinct.rbegin(), kThreads * kCommitsPerThread);
}

TEST(SqliteStoreTest, CommitWhileAnotherWriterHoldsTheLockIsUnavailable) {
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  SqliteStoreOptions options;
  options.busy_timeout_ms = 0;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(path, options));
  RawDb other(path);
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  EXPECT_THAT(store->Commit(CreateTaskChange(MakeTask(kD1, "t1"))),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("retry")));
  ASSERT_EQ(other.Exec("ROLLBACK"), SQLITE_OK);
  ASSERT_OK_AND_ASSIGN(CommitResult result,
                       store->Commit(CreateTaskChange(MakeTask(kD1, "t1"))));
  EXPECT_THAT(result.seqs, ElementsAre(1));
}

// ------------------------------------------------------------------ tasks

TEST(SqliteStoreTest, ListTasksAppliesEveryFilter) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  const std::vector<Task> tasks = {
      MakeTask(kD1, "t1", "dept-a", TaskState::kSubmitted, {"c1", "c2"},
               "A-001"),
      MakeTask(kD1, "t2", "dept-a", TaskState::kActive, {"c2"}, "A-002"),
      MakeTask(kD1, "t3", "dept-b", TaskState::kActive, {"c1"}, "A-001"),
      MakeTask(kD1, "t4", "dept-b", TaskState::kDraft, {}, ""),
      MakeTask(kD1, "t5", "dept-a", TaskState::kRejected, {"c3"}, "A-001"),
      MakeTask(kD2, "t6", "dept-a", TaskState::kActive, {"c1"}, "A-001"),
  };
  for (const Task& t : tasks) {
    ASSERT_THAT(store->Commit(CreateTaskChange(t)), IsOk());
  }
  const auto list = [&](const std::function<void(TaskQuery&)>& set) {
    TaskQuery q;
    q.district_id = kD1;
    set(q);
    auto result = store->ListTasks(q);
    EXPECT_THAT(result, IsOk());
    return result.ok() ? Ids(*result) : std::vector<std::string>{"error"};
  };
  EXPECT_THAT(list([](TaskQuery&) {}),
              ElementsAre("t1", "t2", "t3", "t4", "t5"));
  EXPECT_THAT(list([](TaskQuery& q) { q.department_id = "dept-a"; }),
              ElementsAre("t1", "t2", "t5"));
  EXPECT_THAT(list([](TaskQuery& q) { q.states = {TaskState::kActive}; }),
              ElementsAre("t2", "t3"));
  EXPECT_THAT(list([](TaskQuery& q) {
                q.states = {TaskState::kDraft, TaskState::kRejected};
              }),
              ElementsAre("t4", "t5"));
  EXPECT_THAT(list([](TaskQuery& q) { q.community_id = "c1"; }),
              ElementsAre("t1", "t3"));
  EXPECT_THAT(list([](TaskQuery& q) { q.community_id = "c9"; }), IsEmpty());
  EXPECT_THAT(list([](TaskQuery& q) { q.item_code = "A-001"; }),
              ElementsAre("t1", "t3", "t5"));
  EXPECT_THAT(list([](TaskQuery& q) {
                q.department_id = "dept-a";
                q.states = {TaskState::kSubmitted, TaskState::kActive};
                q.community_id = "c2";
                q.item_code = "A-002";
              }),
              ElementsAre("t2"));
  // Paging: ordered by id, `after_id` exclusive.
  EXPECT_THAT(list([](TaskQuery& q) { q.limit = 2; }), ElementsAre("t1", "t2"));
  EXPECT_THAT(list([](TaskQuery& q) {
                q.after_id = "t2";
                q.limit = 2;
              }),
              ElementsAre("t3", "t4"));
  EXPECT_THAT(list([](TaskQuery& q) {
                q.after_id = "t4";
                q.limit = 2;
              }),
              ElementsAre("t5"));
  EXPECT_THAT(list([](TaskQuery& q) {
                q.after_id = "t5";
                q.limit = 2;
              }),
              IsEmpty());
  EXPECT_THAT(
      store->ListTasks(MakeTaskQuery(kD1, [](TaskQuery& q) { q.limit = -1; })),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

// The filter `awaiting_second_approval` in SQL selects what
// domain::AwaitsSecondApproval says, for every state and count of
// approvals, with or without the community join; a task that needs one
// approval never awaits a second.
TEST(SqliteStoreTest, ListTasksFiltersAsAwaitsSecondApprovalDefines) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  std::vector<Task> tasks;
  int n = 0;
  for (TaskState state :
       {TaskState::kDraft, TaskState::kSubmitted, TaskState::kInReview,
        TaskState::kReturned, TaskState::kProvisional, TaskState::kActive,
        TaskState::kRejected, TaskState::kWithdrawn, TaskState::kRevoked,
        TaskState::kCompleted}) {
    for (bool two : {false, true}) {
      for (size_t approvals : {0u, 1u, 2u}) {
        Task t = MakeTask(kD1, absl::StrCat("t", 100 + n++), "dept-a", state);
        t.needs_two_approvals = two;
        for (size_t i = 0; i < approvals; ++i) {
          t.approvals.push_back({absl::StrCat("r", i), T(10)});
        }
        ASSERT_THAT(store->Commit(CreateTaskChange(t)), IsOk());
        tasks.push_back(std::move(t));
      }
    }
  }
  std::vector<std::string> awaiting;
  std::vector<std::string> not_awaiting;
  for (const Task& t : tasks) {
    (domain::AwaitsSecondApproval(t) ? awaiting : not_awaiting).push_back(t.id);
  }
  ASSERT_EQ(awaiting.size(), 3u);  // SUBMITTED, IN_REVIEW, PROVISIONAL
  for (const std::string& community : {std::string(), std::string("c1")}) {
    for (bool value : {true, false}) {
      ASSERT_OK_AND_ASSIGN(
          std::vector<Task> found,
          store->ListTasks(MakeTaskQuery(kD1, [&](TaskQuery& q) {
            q.community_id = community;
            q.awaiting_second_approval = value;
          })));
      EXPECT_EQ(Ids(found), value ? awaiting : not_awaiting)
          << "community '" << community << "'";
    }
  }
}

TEST(SqliteStoreTest, TaskCommunitiesFollowTheTask) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  Task task = MakeTask(kD1, "t1", "dept-a", TaskState::kDraft, {"c1", "c2"});
  ASSERT_THAT(store->Commit(CreateTaskChange(task)), IsOk());
  task.version = 2;
  task.resolved_communities = {"c2", "c3"};
  ASSERT_THAT(store->Commit(UpdateTaskChange(task, 1)), IsOk());
  EXPECT_THAT(store->ListTasks(MakeTaskQuery(
                  kD1, [](TaskQuery& q) { q.community_id = "c1"; })),
              IsOkAndHolds(IsEmpty()));
  for (const char* c : {"c2", "c3"}) {
    ASSERT_OK_AND_ASSIGN(auto found,
                         store->ListTasks(MakeTaskQuery(
                             kD1, [c](TaskQuery& q) { q.community_id = c; })));
    EXPECT_THAT(Ids(found), ElementsAre("t1")) << c;
  }
}

TEST(SqliteStoreTest, ListTasksDueAndNextTimer) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->NextTimer(kD1), IsOkAndHolds(std::optional<absl::Time>()));
  Task late = MakeTask(kD1, "a-late");
  late.timer_at = T(300);
  Task early = MakeTask(kD1, "b-early");
  early.timer_at = T(100);
  Task middle = MakeTask(kD1, "c-middle");
  middle.timer_at = T(200);
  Task none = MakeTask(kD1, "d-none");
  Task other = MakeTask(kD2, "e-other");
  other.timer_at = T(50);
  for (const Task& t : {late, early, middle, none, other}) {
    ASSERT_THAT(store->Commit(CreateTaskChange(t)), IsOk());
  }
  EXPECT_THAT(store->NextTimer(kD1),
              IsOkAndHolds(std::optional<absl::Time>(T(100))));

  ASSERT_OK_AND_ASSIGN(auto due, store->ListTasksDue(kD1, T(200), 0));
  EXPECT_THAT(Ids(due), ElementsAre("b-early", "c-middle"));  // at or before
  ASSERT_OK_AND_ASSIGN(due, store->ListTasksDue(kD1, T(199), 0));
  EXPECT_THAT(Ids(due), ElementsAre("b-early"));
  ASSERT_OK_AND_ASSIGN(due, store->ListTasksDue(kD1, T(1000), 2));
  EXPECT_THAT(Ids(due), ElementsAre("b-early", "c-middle"));
  ASSERT_OK_AND_ASSIGN(due, store->ListTasksDue(kD1, T(1000), 0));
  EXPECT_THAT(Ids(due), ElementsAre("b-early", "c-middle", "a-late"));
  ASSERT_OK_AND_ASSIGN(due, store->ListTasksDue(kD1, T(99), 0));
  EXPECT_THAT(due, IsEmpty());

  // Clearing a timer takes the task out of both.
  early.version = 2;
  early.timer_at.reset();
  ASSERT_THAT(store->Commit(UpdateTaskChange(early, 1)), IsOk());
  EXPECT_THAT(store->NextTimer(kD1),
              IsOkAndHolds(std::optional<absl::Time>(T(200))));
  ASSERT_OK_AND_ASSIGN(due, store->ListTasksDue(kD1, T(1000), 0));
  EXPECT_THAT(Ids(due), ElementsAre("c-middle", "a-late"));
}

// ---------------------------------------------------- catalog, communities

domain::CatalogVersion MakeCatalog(int64_t version) {
  domain::CatalogVersion catalog;
  catalog.district_id = kD1;
  catalog.version = version;
  catalog.published_at = T(version);
  catalog.published_by = "admin";
  catalog.note = absl::StrCat("v", version);
  catalog.items.push_back(
      {"N-1", domain::ListKind::kNegative, "招商引资", "", {"招商"}});
  return catalog;
}

ChangeSet PublishChange(int64_t version) {
  ChangeSet change = EventsChange(
      kD1, {MakeEvent(kD1, "catalog.publish", absl::StrCat(version))});
  change.catalog = MakeCatalog(version);
  return change;
}

TEST(SqliteStoreTest, CatalogVersionMustBeLatestPlusOne) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->GetCatalog(kD1, 0), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->Commit(PublishChange(2)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("latest is 0")));
  ASSERT_THAT(store->Commit(PublishChange(1)), IsOk());
  EXPECT_THAT(store->Commit(PublishChange(1)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("latest is 1")));
  EXPECT_THAT(store->Commit(PublishChange(3)),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_THAT(store->Commit(PublishChange(2)), IsOk());
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(2));

  ASSERT_OK_AND_ASSIGN(domain::CatalogVersion latest,
                       store->GetCatalog(kD1, 0));
  EXPECT_EQ(latest.version, 2);
  EXPECT_EQ(latest.note, "v2");
  ASSERT_OK_AND_ASSIGN(domain::CatalogVersion first, store->GetCatalog(kD1, 1));
  EXPECT_EQ(domain::CatalogToJson(first),
            domain::CatalogToJson(MakeCatalog(1)));
  EXPECT_THAT(
      store->GetCatalog(kD1, 3),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("catalog version 3")));
  EXPECT_THAT(store->GetCatalog(kD2, 0), StatusIs(absl::StatusCode::kNotFound));
}

// ------------------------------------------------------------ calendar

domain::CalendarYear MakeCalendar(int32_t year, int64_t version) {
  domain::CalendarYear c;
  c.district_id = kD1;
  c.year = year;
  c.version = version;
  c.holidays = {absl::CivilDay(year, 10, 1), absl::CivilDay(year, 10, 2)};
  c.makeup_workdays = {absl::CivilDay(year, 9, 27)};
  c.note = absl::StrCat(year, " v", version);
  c.published_at = T(version);
  c.published_by = "admin";
  return c;
}

ChangeSet CalendarChange(int32_t year, int64_t version) {
  ChangeSet change = EventsChange(
      kD1, {MakeEvent(kD1, "calendar.publish", absl::StrCat(year))});
  change.calendars.push_back(MakeCalendar(year, version));
  return change;
}

TEST(SqliteStoreTest, CalendarVersionsStepPerYearAndTheLatestOfEachIsListed) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->GetCalendarYear(kD1, 2026, 0),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("2026")));
  EXPECT_THAT(store->Commit(CalendarChange(2026, 2)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("latest is 0")));
  ASSERT_THAT(store->Commit(CalendarChange(2026, 1)), IsOk());
  EXPECT_THAT(store->Commit(CalendarChange(2026, 1)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("latest is 1")));
  ASSERT_THAT(store->Commit(CalendarChange(2026, 2)), IsOk());
  // Each year counts its own versions.
  ASSERT_THAT(store->Commit(CalendarChange(2027, 1)), IsOk());
  ASSERT_THAT(store->Commit(CalendarChange(2025, 1)), IsOk());

  ASSERT_OK_AND_ASSIGN(domain::CalendarYear latest,
                       store->GetCalendarYear(kD1, 2026, 0));
  EXPECT_EQ(latest.version, 2);
  ASSERT_OK_AND_ASSIGN(domain::CalendarYear first,
                       store->GetCalendarYear(kD1, 2026, 1));
  EXPECT_EQ(domain::CalendarYearToJson(first),
            domain::CalendarYearToJson(MakeCalendar(2026, 1)));
  EXPECT_THAT(store->GetCalendarYear(kD1, 2026, 3),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("calendar version 3 of 2026")));
  EXPECT_THAT(store->GetCalendarYear(kD1, 2026, -1),
              StatusIs(absl::StatusCode::kInvalidArgument));

  ASSERT_OK_AND_ASSIGN(std::vector<domain::CalendarYear> all,
                       store->ListCalendarYears(kD1, 0));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].year, 2025);
  EXPECT_EQ(all[1].year, 2026);
  EXPECT_EQ(all[1].version, 2);
  EXPECT_EQ(all[2].year, 2027);
  ASSERT_OK_AND_ASSIGN(std::vector<domain::CalendarYear> from_2026,
                       store->ListCalendarYears(kD1, 2026));
  ASSERT_EQ(from_2026.size(), 2u);
  EXPECT_EQ(from_2026[0].year, 2026);
  EXPECT_THAT(store->ListCalendarYears(kD2, 0), IsOkAndHolds(IsEmpty()));
}

// Migration 12 adds the calendar table to a database of schema 11: no
// calendar is stored, so the next start seeds the configured holidays
// (workflow/calendars.h), and publishing works at once.
TEST(SqliteStoreTest, MigrationTwelveAddsAnEmptyCalendarToAnOlderDatabase) {
  const ScopedDbPath scoped;
  {
    RawDb raw(scoped.path());
    std::string sql = "BEGIN;";
    for (const SqliteMigration& m : SqliteMigrations()) {
      if (m.version > 11) break;
      absl::StrAppend(&sql, m.sql, "\nPRAGMA user_version = ", m.version,
                      ";\n");
    }
    absl::StrAppend(&sql, "COMMIT;");
    std::string error;
    ASSERT_EQ(raw.Exec(sql, &error), SQLITE_OK) << error;
  }
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(scoped.path()));
  // Brought to the latest schema, migration 12 among the rest.
  EXPECT_THAT(Pragma(*store, "user_version"),
              IsOkAndHolds(absl::StrCat(SqliteSchemaVersion())));
  EXPECT_THAT(store->ListCalendarYears(kD1, 0), IsOkAndHolds(IsEmpty()));
  ASSERT_THAT(store->Commit(CalendarChange(2026, 1)), IsOk());
  EXPECT_THAT(store->GetCalendarYear(kD1, 2026, 0), IsOk());
}

TEST(SqliteStoreTest, AChangeSetPublishesAYearOnce) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet twice = CalendarChange(2026, 1);
  twice.calendars.push_back(MakeCalendar(2026, 2));
  EXPECT_THAT(store->Commit(twice),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("calendar of 2026 twice")));
  ChangeSet elsewhere = CalendarChange(2026, 1);
  elsewhere.calendars[0].district_id = kD2;
  EXPECT_THAT(store->Commit(elsewhere),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->ListCalendarYears(kD1, 0), IsOkAndHolds(IsEmpty()));
}

domain::Community MakeCommunity(const std::string& id,
                                const std::string& street,
                                int64_t version = 1) {
  domain::Community c;
  c.district_id = kD1;
  c.id = id;
  c.name = "community " + id;
  c.street_id = street;  // the store filters by street id
  c.street = street;
  c.staff_count = 6;
  c.monthly_capacity_hours = 120;
  c.version = version;
  return c;
}

ChangeSet CommunityChange(const domain::Community& c,
                          int64_t expected_version) {
  ChangeSet change =
      EventsChange(kD1, {MakeEvent(kD1, "community.write", c.id)});
  change.communities.push_back({c, expected_version});
  return change;
}

TEST(SqliteStoreTest, CommunitiesUseOptimisticVersions) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(CommunityChange(MakeCommunity("c2", "east"), 0)),
              IsOk());
  ASSERT_THAT(store->Commit(CommunityChange(MakeCommunity("c1", "east"), 0)),
              IsOk());
  ASSERT_THAT(store->Commit(CommunityChange(MakeCommunity("c3", "west"), 0)),
              IsOk());
  EXPECT_THAT(store->Commit(CommunityChange(MakeCommunity("c1", "west"), 0)),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("community c1 already exists")));

  ASSERT_THAT(store->Commit(CommunityChange(MakeCommunity("c1", "west", 2), 1)),
              IsOk());
  EXPECT_THAT(
      store->Commit(CommunityChange(MakeCommunity("c1", "north", 2), 1)),
      StatusIs(absl::StatusCode::kAborted,
               HasSubstr("community c1 was changed by someone else (version "
                         "2, expected 1); reload and retry")));
  EXPECT_THAT(store->Commit(CommunityChange(MakeCommunity("c9", "west", 2), 1)),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("community c9 not found in district d1")));
  EXPECT_THAT(store->Commit(CommunityChange(MakeCommunity("c1", "west", 5), 2)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("community c1 has version 5 but must be 3")));

  ASSERT_OK_AND_ASSIGN(domain::Community c1, store->GetCommunity(kD1, "c1"));
  EXPECT_EQ(c1.street, "west");
  EXPECT_EQ(c1.version, 2);
  EXPECT_THAT(store->GetCommunity(kD1, "c9"),
              StatusIs(absl::StatusCode::kNotFound));

  const auto ids = [](const std::vector<domain::Community>& cs) {
    std::vector<std::string> out;
    out.reserve(cs.size());
    for (const auto& c : cs) out.push_back(c.id);
    return out;
  };
  ASSERT_OK_AND_ASSIGN(auto all, store->ListCommunities(kD1, ""));
  EXPECT_THAT(ids(all), ElementsAre("c1", "c2", "c3"));
  ASSERT_OK_AND_ASSIGN(auto west, store->ListCommunities(kD1, "west"));
  EXPECT_THAT(ids(west), ElementsAre("c1", "c3"));
  ASSERT_OK_AND_ASSIGN(auto none, store->ListCommunities(kD2, ""));
  EXPECT_THAT(none, IsEmpty());
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(4));
}

TEST(SqliteStoreTest, DistrictIsCreatedOnce) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->GetDistrict(kD1),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("district d1 not found")));
  ChangeSet change =
      EventsChange(kD1, {MakeEvent(kD1, "district.create", kD1)});
  change.district = domain::District{kD1, "Riverside", "Asia/Shanghai"};
  ASSERT_THAT(store->Commit(change), IsOk());
  EXPECT_THAT(store->Commit(change),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("district d1 already exists")));
  ASSERT_OK_AND_ASSIGN(domain::District district, store->GetDistrict(kD1));
  EXPECT_EQ(district.name, "Riverside");
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(1));

  ChangeSet mismatched = change;
  mismatched.district->id = kD2;
  EXPECT_THAT(store->Commit(mismatched),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SqliteStoreTest, DecisionsListOldestFirst) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(CreateTaskChange(MakeTask(kD1, "t1"))), IsOk());
  for (auto [kind, reviewer] :
       {std::pair{domain::DecisionKind::kReturn, "r-2"},
        std::pair{domain::DecisionKind::kApprove, "r-1"}}) {
    domain::Decision decision;
    decision.district_id = kD1;
    decision.task_id = "t1";
    decision.kind = kind;
    decision.decided_by = reviewer;
    decision.decided_at = T(10);
    ChangeSet change = EventsChange(kD1, {MakeEvent(kD1, "task.decide", "t1")});
    change.decisions.push_back(decision);
    ASSERT_THAT(store->Commit(change), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(auto decisions, store->ListDecisions(kD1, "t1"));
  ASSERT_EQ(decisions.size(), 2U);
  EXPECT_EQ(decisions[0].kind, domain::DecisionKind::kReturn);
  EXPECT_EQ(decisions[0].decided_by, "r-2");
  EXPECT_EQ(decisions[1].kind, domain::DecisionKind::kApprove);
  EXPECT_THAT(store->ListDecisions(kD1, "t2"), IsOkAndHolds(IsEmpty()));
}

TEST(SqliteStoreTest, DecisionOnMissingTaskIsNotFoundAndWritesNothing) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  domain::Decision decision;
  decision.district_id = kD1;
  decision.task_id = "ghost";
  ChangeSet change = EventsChange(kD1, {MakeEvent(kD1, "task.decide", "x")});
  change.decisions.push_back(decision);
  EXPECT_THAT(store->Commit(change),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("task ghost")));
  EXPECT_THAT(store->EventCount(kD1), IsOkAndHolds(0));
}

// ----------------------------------------------------------------- events

TEST(SqliteStoreTest, EventRoundTripEqualsCommitted) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(EventsChange(kD1, {MakeEvent(kD1, "x", "0")})),
              IsOk());
  AuditEvent event = MakeEvent(kD1, "task.approve", "t1");
  event.seq = 99;                               // ignored: the store assigns
  event.time = T(5) + absl::Nanoseconds(1789);  // sub-microsecond part
  event.actor_role = domain::Role::kReviewer;
  event.state_before = "in_review";
  event.state_after = "active";
  event.reason = "符合准入条件";
  event.community_ids = {"c2", "c1"};
  event.details = {{"catalog_version", "3"}, {"hours", "4.5"}};
  ASSERT_OK_AND_ASSIGN(CommitResult result,
                       store->Commit(EventsChange(kD1, {event})));
  ASSERT_THAT(result.seqs, ElementsAre(2));

  AuditEvent expected = event;
  expected.seq = 2;
  expected.time = T(5) + absl::Microseconds(1);  // 1789 ns truncated
  ASSERT_OK_AND_ASSIGN(auto events,
                       store->ListEvents(MakeEventQuery(
                           kD1, [](EventQuery& q) { q.after_seq = 1; })));
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].event, expected);
  EXPECT_EQ(events[0].seq, 2);
  EXPECT_EQ(events[0].canonical, audit::EncodeAuditEvent(expected));
  EXPECT_EQ(events[0].leaf_hash, audit::LeafHash(events[0].canonical));
}

TEST(SqliteStoreTest, ListEventsAppliesEveryFilter) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  // seq: action, entity, actor, department, communities, time
  const auto event = [](const std::string& action, const std::string& type,
                        const std::string& id, const std::string& actor,
                        const std::string& department,
                        std::vector<std::string> communities, int64_t seconds) {
    AuditEvent e = MakeEvent(kD1, action, id, T(seconds));
    e.entity_type = type;
    e.actor_id = actor;
    e.department_id = department;
    e.community_ids = std::move(communities);
    return e;
  };
  ASSERT_THAT(
      store->Commit(EventsChange(
          kD1,
          {
              event("task.create", "task", "t1", "u1", "dept-a", {"c1"}, 10),
              event("task.submit", "task", "t1", "u1", "dept-a", {"c1", "c2"},
                    20),
              event("task.claim", "task", "t1", "r1", "", {}, 30),
              event("task.create", "task", "t2", "u2", "dept-b", {"c2"}, 40),
              event("community.update", "community", "c1", "admin", "", {"c1"},
                    50),
          })),
      IsOk());
  ASSERT_THAT(store->Commit(EventsChange(
                  kD2, {MakeEvent(kD2, "task.create", "t1", T(10))})),
              IsOk());

  const auto seqs = [&](const std::function<void(EventQuery&)>& set) {
    EventQuery q;
    q.district_id = kD1;
    set(q);
    auto result = store->ListEvents(q);
    EXPECT_THAT(result, IsOk());
    return result.ok() ? Seqs(*result) : std::vector<int64_t>{-1};
  };
  EXPECT_THAT(seqs([](EventQuery&) {}), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(seqs([](EventQuery& q) {
                q.entity_type = "task";
                q.entity_id = "t1";
              }),
              ElementsAre(1, 2, 3));
  EXPECT_THAT(seqs([](EventQuery& q) { q.entity_type = "community"; }),
              ElementsAre(5));
  EXPECT_THAT(seqs([](EventQuery& q) { q.actor_id = "u1"; }),
              ElementsAre(1, 2));
  EXPECT_THAT(seqs([](EventQuery& q) { q.action = "task.create"; }),
              ElementsAre(1, 4));
  EXPECT_THAT(seqs([](EventQuery& q) { q.department_id = "dept-b"; }),
              ElementsAre(4));
  EXPECT_THAT(seqs([](EventQuery& q) { q.community_id = "c1"; }),
              ElementsAre(1, 2, 5));
  EXPECT_THAT(seqs([](EventQuery& q) { q.community_id = "c2"; }),
              ElementsAre(2, 4));
  // `from` inclusive, `until` exclusive.
  EXPECT_THAT(seqs([](EventQuery& q) {
                q.from = T(20);
                q.until = T(40);
              }),
              ElementsAre(2, 3));
  EXPECT_THAT(
      seqs([](EventQuery& q) { q.from = T(20) + absl::Nanoseconds(1); }),
      ElementsAre(3, 4, 5));
  EXPECT_THAT(
      seqs([](EventQuery& q) { q.until = T(10) + absl::Nanoseconds(1); }),
      ElementsAre(1));
  EXPECT_THAT(seqs([](EventQuery& q) {
                q.after_seq = 1;
                q.limit = 2;
              }),
              ElementsAre(2, 3));
  EXPECT_THAT(seqs([](EventQuery& q) {
                q.after_seq = 3;
                q.limit = 2;
              }),
              ElementsAre(4, 5));
  EXPECT_THAT(seqs([](EventQuery& q) {
                q.after_seq = 5;
                q.limit = 2;
              }),
              IsEmpty());
  EXPECT_THAT(seqs([](EventQuery& q) {
                q.action = "task.create";
                q.community_id = "c2";
              }),
              ElementsAre(4));
  EXPECT_THAT(seqs([](EventQuery& q) {
                q.after_seq = 1;
                q.max_seq = 3;
              }),
              ElementsAre(2, 3));
  EXPECT_THAT(store->ListEvents(
                  MakeEventQuery(kD1, [](EventQuery& q) { q.limit = -3; })),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SqliteStoreTest, ListEventsFiltersByTheStateEntered) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  const auto moved = [](const std::string& before, const std::string& after) {
    AuditEvent e = MakeEvent(kD1, "task.x", "t1");
    e.state_before = before;
    e.state_after = after;
    return e;
  };
  ASSERT_THAT(store->Commit(EventsChange(
                  kD1, {moved("DRAFT", "SUBMITTED"),
                        moved("SUBMITTED", "REJECTED"), moved("", "")})),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto rejected,
                       store->ListEvents(MakeEventQuery(kD1, [](EventQuery& q) {
                         q.state_after = "REJECTED";
                       })));
  EXPECT_THAT(Seqs(rejected), ElementsAre(2));
}

TEST(SqliteStoreTest, LeafHashesAndRawRowsComeBackAsStored) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  AuditEvent e = MakeEvent(kD1, "task.submit", "t1", T(7));
  e.community_ids = {"c2", "c1"};
  e.details = {{"k", "v"}};
  ASSERT_THAT(store->Commit(EventsChange(kD1, {MakeEvent(kD1, "x", "0"), e})),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto events, store->ListEvents(AllEvents(kD1)));
  ASSERT_OK_AND_ASSIGN(auto leaves, store->ListLeafHashes(kD1, 0, 0));
  ASSERT_EQ(leaves.size(), 2U);
  EXPECT_EQ(leaves[1], events[1].leaf_hash);
  EXPECT_THAT(store->ListLeafHashes(kD1, 1, 0),
              IsOkAndHolds(ElementsAre(events[1].leaf_hash)));
  EXPECT_THAT(store->ListLeafHashes(kD1, 0, 1),
              IsOkAndHolds(ElementsAre(events[0].leaf_hash)));

  ASSERT_OK_AND_ASSIGN(auto rows, store->ListAuditRows(kD1, 1, 0));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].seq, 2);
  EXPECT_EQ(rows[0].canonical, events[1].canonical);
  EXPECT_EQ(rows[0].leaf_hash, std::string(events[1].leaf_hash.begin(),
                                           events[1].leaf_hash.end()));
  AuditEvent columns = events[1].event;
  columns.details.clear();
  columns.community_ids = {"c1", "c2"};  // the side table, sorted
  EXPECT_EQ(rows[0].columns, columns);
}

audit::Checkpoint MakeCheckpoint(int64_t size) {
  audit::Checkpoint c;
  c.log_id = "taskgate/d1";
  c.tree_size = size;
  c.root_hash = audit::Sha256(absl::StrCat(size));
  c.time = T(size);
  c.key_id = "0123456789abcdef";
  c.signature = std::string(64, static_cast<char>(size));
  return c;
}

TEST(SqliteStoreTest, CheckpointsAreKeptInSizeOrderAndOncePerSize) {
  const ScopedDbPath scoped;
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(scoped.path()));
    EXPECT_THAT(store->LatestCheckpoint(kD1), IsOkAndHolds(std::nullopt));
    for (int64_t size : {5, 2, 9}) {
      ASSERT_THAT(store->AddCheckpoint(kD1, MakeCheckpoint(size)), IsOk());
    }
    EXPECT_THAT(store->AddCheckpoint(kD1, MakeCheckpoint(5)),
                StatusIs(absl::StatusCode::kAlreadyExists,
                         HasSubstr("tree size 5 is already kept")));
    ASSERT_THAT(store->AddCheckpoint(kD2, MakeCheckpoint(5)), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(scoped.path()));
  EXPECT_THAT(store->ListCheckpoints(kD1, 0, 0),
              IsOkAndHolds(ElementsAre(MakeCheckpoint(2), MakeCheckpoint(5),
                                       MakeCheckpoint(9))));
  EXPECT_THAT(store->ListCheckpoints(kD1, 2, 1),
              IsOkAndHolds(ElementsAre(MakeCheckpoint(5))));
  EXPECT_THAT(store->LatestCheckpoint(kD1),
              IsOkAndHolds(std::optional(MakeCheckpoint(9))));
  RawDb raw(scoped.path());
  std::string error;
  EXPECT_NE(raw.Exec("DELETE FROM checkpoints WHERE tree_size = 9", &error),
            SQLITE_OK);
  EXPECT_THAT(error, HasSubstr("checkpoints are append-only"));
}

TEST(SqliteStoreTest, LeafHashesGiveTheRootOfEveryPrefix) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 5; ++i) {
    AuditEvent e = MakeEvent(kD1, "x", absl::StrCat(i), T(i));
    e.details = {{"i", absl::StrCat(i)}};
    ASSERT_THAT(store->Commit(EventsChange(kD1, {e})), IsOk());
  }
  ASSERT_THAT(store->Commit(EventsChange(kD2, {MakeEvent(kD2, "y", "z")})),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto events, store->ListEvents(AllEvents(kD1)));
  ASSERT_OK_AND_ASSIGN(auto leaves, store->ListLeafHashes(kD1, 0, 0));
  ASSERT_EQ(leaves.size(), 5U);
  for (size_t n = 0; n < 5; ++n) {
    // Recomputed here from the event, not taken from the store.
    EXPECT_EQ(leaves[n],
              audit::LeafHash(audit::EncodeAuditEvent(events[n].event)))
        << n;
  }
  EXPECT_THAT(store->ListLeafHashes(kD2, 0, 0), IsOkAndHolds(SizeIs(1)));
  EXPECT_THAT(store->ListLeafHashes(kD1, 5, 0), IsOkAndHolds(IsEmpty()));
}

TEST(SqliteStoreTest, LeafHashesRefuseALogWithAGap) {
  const ScopedDbPath scoped;
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(scoped.path()));
    for (int i = 0; i < 3; ++i) {
      ASSERT_THAT(store->Commit(EventsChange(
                      kD1, {MakeEvent(kD1, "x", absl::StrCat(i))})),
                  IsOk());
    }
  }
  {
    RawDb raw(scoped.path());
    ASSERT_EQ(raw.Exec("DROP TRIGGER audit_events_no_delete; "
                       "DELETE FROM audit_events WHERE seq = 2"),
              SQLITE_OK);
  }
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(scoped.path()));
  EXPECT_THAT(
      store->ListLeafHashes(kD1, 0, 0),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged at seq 2")));
}

TEST(SqliteStoreTest, StoredAuditEventsCannotBeRewrittenThroughSql) {
  const ScopedDbPath scoped;
  const std::string& path = scoped.path();
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(path));
    ASSERT_THAT(store->Commit(EventsChange(kD1, {MakeEvent(kD1, "x", "e")})),
                IsOk());
  }
  RawDb raw(path);
  std::string error;
  EXPECT_NE(raw.Exec("UPDATE audit_events SET reason = 'edited'", &error),
            SQLITE_OK);
  EXPECT_THAT(error, HasSubstr("append-only"));
  EXPECT_NE(raw.Exec("DELETE FROM audit_events", &error), SQLITE_OK);
  EXPECT_EQ(raw.Query("SELECT count(*) FROM audit_events"), "1");
}

// ------------------------------------------------------ FaultInjectingStore

TEST(FaultInjectingStoreTest, FailNextCommitWritesNothingOnce) {
  auto sqlite = OpenMemory();
  ASSERT_NE(sqlite, nullptr);
  FaultInjectingStore store(*sqlite);
  store.FailNextCommit(absl::UnavailableError("injected"));
  EXPECT_THAT(store.Commit(CreateTaskChange(MakeTask(kD1, "t1"))),
              StatusIs(absl::StatusCode::kUnavailable, "injected"));
  EXPECT_EQ(store.commits_forwarded(), 0);
  EXPECT_THAT(store.GetTask(kD1, "t1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.EventCount(kD1), IsOkAndHolds(0));

  ASSERT_OK_AND_ASSIGN(CommitResult result,
                       store.Commit(CreateTaskChange(MakeTask(kD1, "t1"))));
  EXPECT_THAT(result.seqs, ElementsAre(1));
  EXPECT_EQ(store.commits_forwarded(), 1);
  EXPECT_THAT(store.GetTask(kD1, "t1"), IsOk());
}

TEST(FaultInjectingStoreTest, FailCommitAfterWriteLosesOnlyTheReply) {
  auto sqlite = OpenMemory();
  ASSERT_NE(sqlite, nullptr);
  FaultInjectingStore store(*sqlite);
  store.FailCommitAfterWrite(absl::DeadlineExceededError("reply lost"));
  ChangeSet change = CreateTaskChange(MakeTask(kD1, "t1"));
  change.request = StoredRequest{"r1", "task.create", "fp", "answer", T(0)};
  EXPECT_THAT(store.Commit(change),
              StatusIs(absl::StatusCode::kDeadlineExceeded, "reply lost"));
  EXPECT_EQ(store.commits_forwarded(), 1);
  EXPECT_THAT(store.GetTask(kD1, "t1"), IsOk());
  EXPECT_THAT(store.EventCount(kD1), IsOkAndHolds(1));
  ASSERT_OK_AND_ASSIGN(auto stored, store.FindRequest(kD1, "r1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->response, "answer");
  // The fault was used up: a retry reaches the store, which refuses it.
  EXPECT_THAT(store.Commit(change), StatusIs(absl::StatusCode::kAlreadyExists));
}

}  // namespace
}  // namespace taskgate::store
