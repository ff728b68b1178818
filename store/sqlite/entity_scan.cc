// `SqliteStore::ScanEntities`: every entity row of a district with the
// fields of its body, and whatever its query columns (and a task's side
// rows) say differently from that body. The columns are what the store's
// queries filter on, so an edit of a column alone changes what the server
// does as surely as an edit of the body.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <nlohmann/json.hpp>

#include "audit/merkle.h"
#include "common/safe_text.h"
#include "common/status_macros.h"
#include "domain/fields.h"
#include "store/entity_writes.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/sqlite_store.h"
#include "store/store.h"

namespace taskgate::store::sqlite_internal {
namespace {

// How a query column holds the body field it copies.
enum class Copy {
  kText,             // the same text
  kNullableText,     // the same text, NULL for ""
  kInteger,          // the field's decimal text; absent is 0
  kNullableInteger,  // absent is NULL
  kBoolean,          // 1 for "true", 0 for absent
};

struct Column {
  const char* column;
  const char* field;
  Copy copy = Copy::kText;
};

// An entity table: how its rows are keyed, and the columns that copy a
// field of the body.
struct Table {
  std::string_view kind;
  const char* name;
  const char* key;       // SQL giving the entity's key
  const char* order_by;  // SQL
  std::vector<Column> columns;
};

const std::vector<Table>& Tables() {
  static const auto* const kTables = new std::vector<Table>{
      {domain::kCatalogEntity,
       "catalog_versions",
       "CAST(version AS TEXT)",
       "version",
       {{"version", "version", Copy::kInteger},
        {"published_at", "published_at", Copy::kInteger}}},
      {domain::kCalendarEntity,
       "calendar_years",
       "CAST(year AS TEXT) || '/' || CAST(version AS TEXT)",
       "year, version",
       {{"year", "year", Copy::kInteger},
        {"version", "version", Copy::kInteger},
        {"published_at", "published_at", Copy::kInteger}}},
      {domain::kDepartmentEntity,
       "departments",
       "id",
       "id",
       {{"id", "id"}, {"version", "version", Copy::kInteger}}},
      {domain::kStreetEntity,
       "streets",
       "id",
       "id",
       {{"id", "id"},
        {"name", "name"},
        {"version", "version", Copy::kInteger}}},
      {domain::kCommunityEntity,
       "communities",
       "id",
       "id",
       {{"id", "id"},
        {"street", "street"},
        {"street_id", "street_id"},
        {"version", "version", Copy::kInteger}}},
      {domain::kTaskEntity,
       "tasks",
       "id",
       "id",
       {{"id", "id"},
        {"department_id", "department_id"},
        {"state", "state"},
        {"version", "version", Copy::kInteger},
        {"item_code", "spec.item_code", Copy::kNullableText},
        {"start_date", "spec.start_date"},
        {"end_date", "spec.end_date"},
        {"timer_at", "timer_at", Copy::kNullableInteger},
        {"created_at", "created_at", Copy::kInteger},
        {"updated_at", "updated_at", Copy::kInteger}}},
      {domain::kDecisionEntity,
       "decisions",
       // The n-th decision of its task, oldest first (domain::DecisionKey).
       "task_id || '/' || ROW_NUMBER() OVER (PARTITION BY task_id ORDER BY id)",
       "task_id, id",
       {{"task_id", "task_id"},
        {"kind", "kind"},
        {"decided_by", "decided_by"},
        {"decided_at", "decided_at", Copy::kInteger}}},
      {domain::kPrincipalEntity,
       "principals",
       "id",
       "id",
       {{"id", "id"},
        {"role", "role"},
        {"department_id", "department_id"},
        {"community_id", "community_id"},
        {"disabled", "disabled", Copy::kBoolean},
        {"version", "version", Copy::kInteger}}},
      {domain::kCredentialEntity,
       "credentials",
       "id",
       "id",
       {{"id", "id"},
        {"principal_id", "principal_id"},
        {"token_hash", "token_hash", Copy::kNullableText},
        {"certificate_identity", "certificate_identity", Copy::kNullableText},
        {"revoked", "revoked", Copy::kBoolean},
        {"version", "version", Copy::kInteger}}},
      {domain::kComplaintEntity,
       "complaints",
       "id",
       "id",
       {{"id", "id"},
        {"community_id", "community_id"},
        {"department_id", "department_id"},
        {"task_id", "task_id"},
        {"state", "state"},
        {"version", "version", Copy::kInteger},
        {"filed_at", "filed_at", Copy::kInteger},
        {"updated_at", "updated_at", Copy::kInteger}}},
      {domain::kFundingReportEntity,
       "funding_reports",
       "id",
       "id",
       {{"id", "id"},
        {"task_id", "task_id"},
        {"community_id", "community_id"},
        {"reported_at", "reported_at", Copy::kInteger}}},
      {domain::kAckEntity,
       "assignment_acks",
       "task_id || '/' || community_id",
       "task_id, community_id",
       {{"task_id", "task_id"},
        {"community_id", "community_id"},
        {"acknowledged_at", "acknowledged_at", Copy::kInteger}}},
      {domain::kAttachmentEntity,
       "attachments",
       "task_id || '/' || sha256",
       "task_id, sha256",
       {{"task_id", "task_id"},
        {"sha256", "sha256"},
        {"name", "name"},
        {"media_type", "media_type"},
        {"size_bytes", "size_bytes", Copy::kInteger},
        {"added_at", "added_at", Copy::kInteger}}},
  };
  return *kTables;
}

// What column `c` must hold for `fields`, and whether it does; the
// column's value as read is at `col` of `row`.
void CheckColumn(const Statement& row, int col, const Column& c,
                 const domain::Fields& fields,
                 std::vector<std::string>& problems) {
  const auto it = fields.find(c.field);
  const std::string field = it == fields.end() ? "" : it->second;
  const bool is_null = row.IsNull(col);
  const std::string stored = is_null ? "NULL" : row.Text(col);
  // What stands for an absent field in the column.
  std::string_view absent;
  switch (c.copy) {
    case Copy::kText:
      break;
    case Copy::kNullableText:
    case Copy::kNullableInteger:
      absent = "NULL";
      break;
    case Copy::kInteger:
      absent = "0";
      break;
    case Copy::kBoolean:
      absent = "0";
      break;
  }
  std::string_view want = field.empty() ? absent : std::string_view(field);
  if (c.copy == Copy::kBoolean && field == "true") want = "1";
  const std::string expected(want);
  if (stored != expected) {
    problems.push_back(absl::StrCat("column ", c.column, " is ",
                                    QuotedForLog(stored), " but the body's ",
                                    c.field, " says ", QuotedForLog(expected)));
  }
}

// The side rows of task `task_id`, read in step with the tasks: each
// task's communities with the task's state, department and item copied.
class TaskCommunities {
 public:
  static absl::StatusOr<TaskCommunities> Open(Connection& db,
                                              const std::string& d) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("SELECT task_id, community_id, state, department_id, "
                   "item_code FROM task_communities WHERE district_id = ? "
                   "ORDER BY task_id, community_id",
                   {d}));
    TaskCommunities rows(std::move(stmt));
    TASKGATE_RETURN_IF_ERROR(rows.Next());
    return rows;
  }

  // Compares the side rows of `task_id` (skipping any of earlier tasks,
  // which the foreign key rules out) with the task's fields.
  absl::Status Check(const std::string& task_id, const domain::Fields& fields,
                     std::vector<std::string>& problems) {
    std::vector<std::string> communities;
    while (has_row_ && stmt_.Text(0) <= task_id) {
      if (stmt_.Text(0) == task_id) {
        communities.push_back(stmt_.Text(1));
        for (const auto& [col, field] :
             {std::pair{2, "state"}, std::pair{3, "department_id"},
              std::pair{4, "spec.item_code"}}) {
          const auto it = fields.find(field);
          const std::string expected = it == fields.end() ? "" : it->second;
          if (stmt_.Text(col) != expected) {
            problems.push_back(absl::StrCat(
                "the task_communities row of community ", stmt_.Text(1),
                " says ", field, " ", QuotedForLog(stmt_.Text(col)),
                " but the body says ", QuotedForLog(expected)));
          }
        }
      }
      TASKGATE_RETURN_IF_ERROR(Next());
    }
    const auto it = fields.find("resolved_communities");
    std::vector<std::string> resolved;
    if (it != fields.end()) {
      const nlohmann::json list =
          nlohmann::json::parse(it->second, nullptr, false);
      if (list.is_array()) {
        for (const nlohmann::json& id : list) {
          if (id.is_string()) resolved.push_back(id.get<std::string>());
        }
      }
    }
    std::sort(resolved.begin(), resolved.end());
    resolved.erase(std::unique(resolved.begin(), resolved.end()),
                   resolved.end());
    if (resolved != communities) {
      problems.push_back(
          absl::StrCat("the task_communities rows list communities [",
                       EscapeForLog(absl::StrJoin(communities, ","), 200),
                       "] but the body's resolved_communities are [",
                       EscapeForLog(absl::StrJoin(resolved, ","), 200), "]"));
    }
    return absl::OkStatus();
  }

 private:
  explicit TaskCommunities(Statement stmt) : stmt_(std::move(stmt)) {}
  absl::Status Next() {
    TASKGATE_ASSIGN_OR_RETURN(has_row_, stmt_.Step("read task communities"));
    return absl::OkStatus();
  }

  Statement stmt_;
  bool has_row_ = false;
};

// The kept bytes of an attachment must be what its row (and so the log)
// says: their SHA-256 is the body's sha256 and their length its size.
// The bytes are hashed here, so a scan costs a read of every kept content.
absl::Status CheckAttachmentContent(Connection& db, const std::string& d,
                                    const domain::Fields& fields,
                                    std::vector<std::string>& problems) {
  const auto sha = fields.find("sha256");
  const auto size = fields.find("size_bytes");
  const std::string sha256 = sha == fields.end() ? "" : sha->second;
  const std::string size_bytes = size == fields.end() ? "0" : size->second;
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare("SELECT content, size_bytes FROM attachment_contents "
                 "WHERE district_id = ? AND sha256 = ?",
                 {d, sha256}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found,
                            stmt.Step("read attachment content"));
  if (!found) {
    problems.push_back("its content is not kept (no attachment_contents row)");
    return absl::OkStatus();
  }
  const std::string content = stmt.Bytes(0);
  const std::string actual = audit::ToHex(audit::Sha256(content));
  if (actual != sha256) {
    problems.push_back(absl::StrCat("its kept content hashes to sha256 ",
                                    actual, " but the body says ",
                                    QuotedForLog(sha256)));
  }
  if (absl::StrCat(content.size()) != size_bytes ||
      absl::StrCat(stmt.Int(1)) != size_bytes) {
    problems.push_back(absl::StrCat(
        "its kept content is ", content.size(), " bytes (column ", stmt.Int(1),
        ") but the body's size_bytes says ", QuotedForLog(size_bytes)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SqliteStore::ScanEntities(
    const std::string& district_id,
    const std::function<absl::Status(StoredEntity)>& visit) {
  Lease db = Reader();
  // One read transaction: the tables as of one commit.
  TASKGATE_RETURN_IF_ERROR(db->Exec("BEGIN", "begin entity scan"));
  absl::Status status = [&]() -> absl::Status {
    {
      TASKGATE_ASSIGN_OR_RETURN(
          Statement stmt,
          db->Prepare("SELECT id, body FROM districts WHERE id = ?",
                      {district_id}));
      TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("read district"));
      if (found) {
        StoredEntity entity;
        entity.kind = domain::kDistrictEntity;
        entity.id = stmt.Text(0);
        absl::StatusOr<domain::Fields> fields =
            domain::FieldsOfJson(stmt.Text(1));
        if (fields.ok()) {
          entity.fields = *std::move(fields);
          CheckColumn(stmt, 0, {"id", "id"}, entity.fields,
                      entity.column_problems);
        } else {
          entity.column_problems.push_back("its body is not a JSON object");
        }
        TASKGATE_RETURN_IF_ERROR(visit(std::move(entity)));
      }
    }
    for (const Table& table : Tables()) {
      std::string sql = absl::StrCat("SELECT ", table.key);
      for (const Column& c : table.columns)
        absl::StrAppend(&sql, ", ", c.column);
      absl::StrAppend(&sql, ", district_id, body FROM ", table.name,
                      " WHERE district_id = ? ORDER BY ", table.order_by);
      TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                                db->Prepare(sql, {district_id}));
      std::optional<TaskCommunities> side;
      if (table.kind == domain::kTaskEntity) {
        absl::StatusOr<TaskCommunities> opened =
            TaskCommunities::Open(*db, district_id);
        if (!opened.ok()) return opened.status();
        side.emplace(*std::move(opened));
      }
      const int n = static_cast<int>(table.columns.size());
      while (true) {
        TASKGATE_ASSIGN_OR_RETURN(const bool found,
                                  stmt.Step(absl::StrCat("scan ", table.name)));
        if (!found) break;
        StoredEntity entity;
        entity.kind = table.kind;
        entity.id = stmt.Text(0);
        absl::StatusOr<domain::Fields> fields =
            domain::FieldsOfJson(stmt.Text(n + 2));
        if (!fields.ok()) {
          entity.column_problems.push_back("its body is not a JSON object");
        } else {
          entity.fields = *std::move(fields);
          for (int i = 0; i < n; ++i) {
            CheckColumn(stmt, i + 1, table.columns[i], entity.fields,
                        entity.column_problems);
          }
          CheckColumn(stmt, n + 1, {"district_id", "district_id"},
                      entity.fields, entity.column_problems);
          MaskSecrets(entity.kind, entity.fields);
        }
        if (side.has_value()) {
          TASKGATE_RETURN_IF_ERROR(
              side->Check(entity.id, entity.fields, entity.column_problems));
        }
        if (table.kind == domain::kAttachmentEntity) {
          TASKGATE_RETURN_IF_ERROR(CheckAttachmentContent(
              *db, district_id, entity.fields, entity.column_problems));
        }
        TASKGATE_RETURN_IF_ERROR(visit(std::move(entity)));
      }
    }
    return absl::OkStatus();
  }();
  db->Rollback();
  return status;
}

}  // namespace taskgate::store::sqlite_internal
