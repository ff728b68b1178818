// The entity reads of `SqliteStore`: stored requests, districts, catalog
// versions, calendar years, communities, tasks (by filter, by ids, by dates),
// decisions, principals, credentials, complaints, funding reports and
// acknowledgements.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "common/status_macros.h"
#include "domain/codec.h"
#include "domain/types.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/queries.h"
#include "store/sqlite/internal/sqlite_store.h"
#include "store/store.h"

namespace taskgate::store::sqlite_internal {
namespace {

// Reads row (`district_id`, `id`) of `table` and decodes its body; `noun`
// names the row in errors: NOT_FOUND when it is missing, DATA_LOSS when its
// body cannot be read.
template <typename T>
absl::StatusOr<T> GetKeyed(Connection& db, std::string_view table,
                           std::string_view noun,
                           const std::string& district_id,
                           const std::string& id, BodyDecoder<T> decode) {
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare(absl::StrCat("SELECT id, body FROM ", Sv(table),
                              " WHERE district_id = ? AND id = ?"),
                 {district_id, id}));
  TASKGATE_ASSIGN_OR_RETURN(
      std::optional<T> value,
      ReadFirstBody<T>(stmt, decode, absl::StrCat("get ", Sv(noun)), noun));
  if (!value.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        Sv(noun), " ", id, " not found in district ", district_id));
  }
  return *std::move(value);
}

}  // namespace

absl::StatusOr<std::optional<StoredRequest>> SqliteStore::FindRequest(
    const std::string& district_id, const std::string& request_id) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT operation, fingerprint, response, created_at "
                  "FROM requests WHERE district_id = ? AND request_id = ?",
                  {district_id, request_id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("find request"));
  if (!found) return std::optional<StoredRequest>();
  StoredRequest request;
  request.request_id = request_id;
  request.operation = stmt.Text(0);
  request.fingerprint = stmt.Text(1);
  request.response = stmt.Bytes(2);
  request.created_at = absl::FromUnixMicros(stmt.Int(3));
  return std::optional<StoredRequest>(std::move(request));
}

absl::StatusOr<domain::District> SqliteStore::GetDistrict(
    const std::string& district_id) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt, db->Prepare("SELECT id, body FROM districts WHERE id = ?",
                                  {district_id}));
  TASKGATE_ASSIGN_OR_RETURN(
      std::optional<domain::District> district,
      ReadFirstBody<domain::District>(stmt, &domain::DistrictFromJson,
                                      "get district", "district"));
  if (!district.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("district ", district_id, " not found"));
  }
  return *std::move(district);
}

absl::StatusOr<domain::CatalogVersion> SqliteStore::GetCatalog(
    const std::string& district_id, int64_t version) {
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "catalog version ", version, " is negative; use 0 for the latest"));
  }
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      version == 0
          ? db->Prepare("SELECT district_id, body FROM catalog_versions "
                        "WHERE district_id = ? ORDER BY version DESC LIMIT 1",
                        {district_id})
          : db->Prepare("SELECT district_id, body FROM catalog_versions "
                        "WHERE district_id = ? AND version = ?",
                        {district_id, version}));
  TASKGATE_ASSIGN_OR_RETURN(std::optional<domain::CatalogVersion> catalog,
                            ReadFirstBody<domain::CatalogVersion>(
                                stmt, &domain::CatalogFromJson, "get catalog",
                                "catalog of district"));
  if (catalog.has_value()) return *std::move(catalog);
  if (version == 0) {
    return absl::NotFoundError(absl::StrCat("district ", district_id,
                                            " has no published catalog yet"));
  }
  return absl::NotFoundError(absl::StrCat(
      "catalog version ", version, " not found in district ", district_id));
}

absl::StatusOr<domain::CalendarYear> SqliteStore::GetCalendarYear(
    const std::string& district_id, int32_t year, int64_t version) {
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "calendar version ", version, " is negative; use 0 for the latest"));
  }
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      version == 0
          ? db->Prepare("SELECT year || '/' || version, body "
                        "FROM calendar_years WHERE district_id = ? AND "
                        "year = ? ORDER BY version DESC LIMIT 1",
                        {district_id, int64_t{year}})
          : db->Prepare("SELECT year || '/' || version, body "
                        "FROM calendar_years WHERE district_id = ? AND "
                        "year = ? AND version = ?",
                        {district_id, int64_t{year}, version}));
  TASKGATE_ASSIGN_OR_RETURN(
      std::optional<domain::CalendarYear> calendar,
      ReadFirstBody<domain::CalendarYear>(stmt, &domain::CalendarYearFromJson,
                                          "get calendar", "calendar"));
  if (calendar.has_value()) return *std::move(calendar);
  if (version == 0) {
    return absl::NotFoundError(absl::StrCat(
        "no calendar of ", year, " is published in district ", district_id));
  }
  return absl::NotFoundError(absl::StrCat("calendar version ", version, " of ",
                                          year, " not found in district ",
                                          district_id));
}

absl::StatusOr<std::vector<domain::CalendarYear>>
SqliteStore::ListCalendarYears(const std::string& district_id,
                               int32_t first_year) {
  Lease db = Reader();
  // The primary key (district_id, year, version) answers the inner MAX.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT c.year || '/' || c.version, c.body "
                  "FROM calendar_years AS c "
                  "WHERE c.district_id = ? AND c.year >= ? AND c.version = ("
                  "SELECT MAX(l.version) FROM calendar_years AS l "
                  "WHERE l.district_id = c.district_id AND l.year = c.year) "
                  "ORDER BY c.year",
                  {district_id, int64_t{first_year}}));
  return ReadBodies<domain::CalendarYear>(stmt, &domain::CalendarYearFromJson,
                                          "list calendars", "calendar");
}

absl::StatusOr<domain::Department> SqliteStore::GetDepartment(
    const std::string& district_id, const std::string& department_id) {
  Lease db = Reader();
  return GetKeyed<domain::Department>(*db, "departments", "department",
                                      district_id, department_id,
                                      &domain::DepartmentFromJson);
}

absl::StatusOr<std::vector<domain::Department>> SqliteStore::ListDepartments(
    const std::string& district_id) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT id, body FROM departments WHERE district_id = ? "
                  "ORDER BY id",
                  {district_id}));
  return ReadBodies<domain::Department>(stmt, &domain::DepartmentFromJson,
                                        "list departments", "department");
}

absl::StatusOr<domain::Street> SqliteStore::GetStreet(
    const std::string& district_id, const std::string& street_id) {
  Lease db = Reader();
  return GetKeyed<domain::Street>(*db, "streets", "street", district_id,
                                  street_id, &domain::StreetFromJson);
}

absl::StatusOr<std::vector<domain::Street>> SqliteStore::ListStreets(
    const std::string& district_id) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT id, body FROM streets WHERE district_id = ? "
                  "ORDER BY id",
                  {district_id}));
  return ReadBodies<domain::Street>(stmt, &domain::StreetFromJson,
                                    "list streets", "street");
}

absl::StatusOr<std::vector<std::string>> SqliteStore::ListTaskDepartmentIds(
    const std::string& district_id) {
  Lease db = Reader();
  // tasks_by_department_state answers it without reading the tasks.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT DISTINCT department_id FROM tasks "
                  "WHERE district_id = ? ORDER BY department_id",
                  {district_id}));
  std::vector<std::string> ids;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row,
                              stmt.Step("list task departments"));
    if (!row) break;
    ids.push_back(stmt.Text(0));
  }
  return ids;
}

absl::StatusOr<domain::Community> SqliteStore::GetCommunity(
    const std::string& district_id, const std::string& community_id) {
  Lease db = Reader();
  return GetKeyed<domain::Community>(*db, "communities", "community",
                                     district_id, community_id,
                                     &domain::CommunityFromJson);
}

absl::StatusOr<std::vector<domain::Community>> SqliteStore::ListCommunities(
    const std::string& district_id, const std::string& street_id) {
  FilterQuery query("SELECT id, body FROM communities", district_id);
  query.Equal("street_id", street_id);
  query.Append(" ORDER BY id");
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            db->Prepare(query.sql(), query.params()));
  return ReadBodies<domain::Community>(stmt, &domain::CommunityFromJson,
                                       "list communities", "community");
}

absl::StatusOr<domain::Task> SqliteStore::GetTask(
    const std::string& district_id, const std::string& task_id) {
  Lease db = Reader();
  return GetKeyed<domain::Task>(*db, "tasks", "task", district_id, task_id,
                                &domain::TaskFromJson);
}

absl::StatusOr<std::vector<domain::Task>> SqliteStore::ListTasks(
    const TaskQuery& query) {
  TASKGATE_RETURN_IF_ERROR(CheckLimit(query.limit));
  const std::unique_ptr<FilterQuery> select = TaskListQuery(query);

  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            db->Prepare(select->sql(), select->params()));
  return ReadBodies<domain::Task>(stmt, &domain::TaskFromJson, "list tasks",
                                  "task");
}

absl::StatusOr<std::vector<domain::Task>> SqliteStore::ListTasksDue(
    const std::string& district_id, absl::Time now, int32_t limit) {
  TASKGATE_RETURN_IF_ERROR(CheckLimit(limit));
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT id, body FROM tasks WHERE district_id = ? AND "
                  "timer_at IS NOT NULL AND timer_at <= ? "
                  "ORDER BY timer_at, id LIMIT ?",
                  {district_id, FloorMicros(now), NoLimit(limit)}));
  return ReadBodies<domain::Task>(stmt, &domain::TaskFromJson, "list tasks",
                                  "task");
}

absl::StatusOr<std::optional<absl::Time>> SqliteStore::NextTimer(
    const std::string& district_id) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT MIN(timer_at) FROM tasks WHERE district_id = ? AND "
                  "timer_at IS NOT NULL",
                  {district_id}));
  TASKGATE_RETURN_IF_ERROR(stmt.Step("read next timer").status());
  if (stmt.IsNull(0)) return std::optional<absl::Time>();
  return std::optional<absl::Time>(absl::FromUnixMicros(stmt.Int(0)));
}

absl::StatusOr<std::vector<domain::Decision>> SqliteStore::ListDecisions(
    const std::string& district_id, const std::string& task_id) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT task_id, body FROM decisions WHERE district_id = ? "
                  "AND task_id = ? ORDER BY id",
                  {district_id, task_id}));
  return ReadBodies<domain::Decision>(stmt, &domain::DecisionFromJson,
                                      "list decisions", "decision on task");
}

absl::StatusOr<domain::Principal> SqliteStore::GetPrincipal(
    const std::string& district_id, const std::string& principal_id) {
  Lease db = Reader();
  return GetKeyed<domain::Principal>(*db, "principals", "principal",
                                     district_id, principal_id,
                                     &domain::PrincipalFromJson);
}

absl::StatusOr<std::vector<domain::Principal>> SqliteStore::ListPrincipals(
    const std::string& district_id) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            db->Prepare("SELECT id, body FROM principals WHERE "
                                        "district_id = ? ORDER BY id",
                                        {district_id}));
  return ReadBodies<domain::Principal>(stmt, &domain::PrincipalFromJson,
                                       "list principal", "principal");
}

absl::StatusOr<int64_t> SqliteStore::CountPrincipals(
    const std::string& district_id) {
  Lease db = Reader();
  return db->ReadInt("SELECT count(*) FROM principals WHERE district_id = ?",
                     {district_id}, "count principals");
}

absl::StatusOr<domain::Credential> SqliteStore::GetCredential(
    const std::string& district_id, const std::string& credential_id) {
  Lease db = Reader();
  return GetKeyed<domain::Credential>(*db, "credentials", "credential",
                                      district_id, credential_id,
                                      &domain::CredentialFromJson);
}

absl::StatusOr<std::optional<domain::Credential>>
SqliteStore::FindCredentialByHash(const std::string& district_id,
                                  const std::string& token_hash) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT id, body FROM credentials WHERE district_id = ? AND "
                  "token_hash = ?",
                  {district_id, token_hash}));
  return ReadFirstBody<domain::Credential>(stmt, &domain::CredentialFromJson,
                                           "find credential", "credential");
}

absl::StatusOr<std::optional<domain::Credential>>
SqliteStore::FindActiveCertificateBinding(
    const std::string& district_id, const std::string& certificate_identity) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT id, body FROM credentials WHERE district_id = ? AND "
                  "certificate_identity = ? AND revoked = 0",
                  {district_id, certificate_identity}));
  return ReadFirstBody<domain::Credential>(stmt, &domain::CredentialFromJson,
                                           "find certificate binding",
                                           "credential");
}

absl::StatusOr<std::vector<domain::Credential>> SqliteStore::ListCredentials(
    const std::string& district_id, const std::string& principal_id) {
  FilterQuery query("SELECT id, body FROM credentials", district_id);
  query.Equal("principal_id", principal_id);
  query.Append(" ORDER BY id");
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            db->Prepare(query.sql(), query.params()));
  return ReadBodies<domain::Credential>(stmt, &domain::CredentialFromJson,
                                        "list credential", "credential");
}

absl::StatusOr<domain::Complaint> SqliteStore::GetComplaint(
    const std::string& district_id, const std::string& complaint_id) {
  Lease db = Reader();
  return GetKeyed<domain::Complaint>(*db, "complaints", "complaint",
                                     district_id, complaint_id,
                                     &domain::ComplaintFromJson);
}

absl::StatusOr<std::vector<domain::Complaint>> SqliteStore::ListComplaints(
    const std::string& district_id, const std::string& community_id,
    const std::vector<domain::ComplaintState>& states) {
  FilterQuery query("SELECT id, body FROM complaints", district_id);
  query.Equal("community_id", community_id);
  std::vector<std::string> state_names;
  state_names.reserve(states.size());
  for (domain::ComplaintState state : states) {
    state_names.emplace_back(domain::ComplaintStateName(state));
  }
  query.In("state", std::move(state_names));
  query.Append(" ORDER BY id");
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            db->Prepare(query.sql(), query.params()));
  return ReadBodies<domain::Complaint>(stmt, &domain::ComplaintFromJson,
                                       "list complaint", "complaint");
}

absl::StatusOr<std::vector<domain::Attachment>> SqliteStore::ListAttachments(
    const std::string& district_id, const std::string& task_id) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT sha256, body FROM attachments WHERE district_id = ? "
                  "AND task_id = ? ORDER BY added_at, name",
                  {district_id, task_id}));
  return ReadBodies<domain::Attachment>(stmt, &domain::AttachmentFromJson,
                                        "list attachment", "attachment");
}

absl::StatusOr<std::string> SqliteStore::ReadAttachmentContent(
    const std::string& district_id, const std::string& sha256, int64_t offset,
    int64_t limit) {
  if (offset < 0 || limit <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("reading attachment content needs offset >= 0 and "
                     "limit > 0, not ",
                     offset, " and ", limit));
  }
  Lease db = Reader();
  // The row, then its piece through SQLite's incremental blob I/O: a
  // substr() of the column loads the whole value for every piece, which
  // made a download quadratic in the file's size (20 MiB took 5 s).
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            db->Prepare("SELECT rowid FROM attachment_contents "
                                        "WHERE district_id = ? AND sha256 = ?",
                                        {district_id, sha256}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found,
                            stmt.Step("read attachment content"));
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no attachment content ", sha256,
                                            " in district ", district_id));
  }
  const int64_t rowid = stmt.Int(0);
  sqlite3_blob* blob = nullptr;
  const int rc = sqlite3_blob_open(db->get(), "main", "attachment_contents",
                                   "content", rowid, /*flags=*/0, &blob);
  // Closed on every path; a blob handle pins the row's read.
  const std::unique_ptr<sqlite3_blob, int (*)(sqlite3_blob*)> closer(
      blob, &sqlite3_blob_close);
  if (rc != SQLITE_OK) {
    return SqliteError(db->get(), rc, "open attachment content");
  }
  const int64_t size = sqlite3_blob_bytes(blob);
  if (offset >= size) return std::string();
  std::string piece(static_cast<size_t>(std::min(limit, size - offset)), '\0');
  const int read_rc =
      sqlite3_blob_read(blob, piece.data(), static_cast<int>(piece.size()),
                        static_cast<int>(offset));
  if (read_rc != SQLITE_OK) {
    return SqliteError(db->get(), read_rc, "read attachment content");
  }
  return piece;
}

absl::StatusOr<std::vector<domain::FundingReport>>
SqliteStore::ListFundingReports(const std::string& district_id,
                                const std::string& task_id,
                                const std::string& community_id) {
  FilterQuery query("SELECT id, body FROM funding_reports", district_id);
  query.Equal("task_id", task_id);
  query.Equal("community_id", community_id);
  query.Append(" ORDER BY reported_at, id");
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            db->Prepare(query.sql(), query.params()));
  return ReadBodies<domain::FundingReport>(stmt, &domain::FundingReportFromJson,
                                           "list funding report",
                                           "funding report");
}

absl::StatusOr<std::vector<domain::AssignmentAck>> SqliteStore::ListAcks(
    const std::string& district_id, const std::string& task_id,
    const std::string& community_id) {
  // Column 0 names the row in messages: "<task>/<community>".
  FilterQuery query(
      "SELECT task_id || '/' || community_id, body FROM assignment_acks",
      district_id);
  query.Equal("task_id", task_id);
  query.Equal("community_id", community_id);
  query.Append(" ORDER BY acknowledged_at, task_id, community_id");
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt,
                            db->Prepare(query.sql(), query.params()));
  return ReadBodies<domain::AssignmentAck>(stmt, &domain::AssignmentAckFromJson,
                                           "list acknowledgement of task",
                                           "acknowledgement of task");
}

absl::StatusOr<std::vector<domain::Task>> SqliteStore::ListTasksById(
    const std::string& district_id, const std::vector<std::string>& task_ids) {
  if (task_ids.empty()) return std::vector<domain::Task>();
  const std::string ids = JsonStringArray(task_ids);
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT id, body FROM tasks WHERE district_id = ? AND id IN "
                  "(SELECT value FROM json_each(?)) ORDER BY +id",
                  {district_id, ids}));
  return ReadBodies<domain::Task>(stmt, &domain::TaskFromJson, "list tasks",
                                  "task");
}

absl::StatusOr<std::vector<Counter>> SqliteStore::ListCounters(
    const std::string& district_id, const std::string& first_bucket,
    const std::string& last_bucket, int32_t limit) {
  Lease db = Reader();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db->Prepare("SELECT bucket, name, subject, value FROM counters "
                  "WHERE district_id = ? AND bucket BETWEEN ? AND ? "
                  "ORDER BY bucket, name, subject LIMIT ?",
                  {district_id, first_bucket, last_bucket,
                   limit > 0 ? int64_t{limit} : int64_t{-1}}));
  std::vector<Counter> out;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("list counters"));
    if (!row) break;
    out.push_back(
        Counter{stmt.Text(0), stmt.Text(1), stmt.Text(2), stmt.Real(3)});
  }
  return out;
}

}  // namespace taskgate::store::sqlite_internal
