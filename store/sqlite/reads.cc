// The entity reads of `SqliteStore`: stored requests, districts, catalog
// versions, communities, tasks, decisions, principals, credentials,
// complaints, funding reports and acknowledgements.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
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

// Adds " AND `column` = ?" to a filter query when `value` is set; `value`
// must outlive the statement built from `params`.
void AddFilter(std::string& sql, std::vector<Param>& params, const char* column,
               const std::string& value) {
  if (value.empty()) return;
  absl::StrAppend(&sql, " AND ", column, " = ?");
  params.emplace_back(value);
}

// Reads (id, body) rows of tasks. The statement's connection must be locked.
absl::StatusOr<std::vector<domain::Task>> ReadTasks(Statement& stmt) {
  std::vector<domain::Task> tasks;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("list tasks"));
    if (!row) break;
    TASKGATE_ASSIGN_OR_RETURN(domain::Task task,
                              Decoded(domain::TaskFromJson(stmt.Text(1)),
                                      absl::StrCat("task ", stmt.Text(0))));
    tasks.push_back(std::move(task));
  }
  return tasks;
}

// Reads the rows of `stmt`, whose column `body_col` holds a JSON body and
// column 0 names the row for messages. The statement's connection must be
// locked.
template <typename T>
absl::StatusOr<std::vector<T>> ReadBodies(
    Statement& stmt, absl::StatusOr<T> (*decode)(std::string_view),
    std::string_view what) {
  std::vector<T> out;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row,
                              stmt.Step(absl::StrCat("list ", Sv(what))));
    if (!row) break;
    TASKGATE_ASSIGN_OR_RETURN(
        T value, Decoded(decode(stmt.Text(1)),
                         absl::StrCat(Sv(what), " ", stmt.Text(0))));
    out.push_back(std::move(value));
  }
  return out;
}

// Reads and decodes the JSON body of row (`district_id`, `id`) of `table`;
// `noun` names the resource in errors (NOT_FOUND, DATA_LOSS).
template <typename T>
absl::StatusOr<T> GetBody(Connection& db, const std::string& table,
                          const std::string& noun,
                          const std::string& district_id, const std::string& id,
                          absl::StatusOr<T> (*decode)(std::string_view)) {
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare(absl::StrCat("SELECT body FROM ", table,
                              " WHERE district_id = ? AND id = ?"),
                 {district_id, id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("get " + noun));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat(noun, " ", id, " not found in district ", district_id));
  }
  return Decoded(decode(stmt.Text(0)), absl::StrCat(noun, " ", id));
}

}  // namespace

absl::StatusOr<std::optional<StoredRequest>> SqliteStore::FindRequest(
    const std::string& district_id, const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT operation, fingerprint, response FROM requests "
                   "WHERE district_id = ? AND request_id = ?",
                   {district_id, request_id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("find request"));
  if (!found) return std::optional<StoredRequest>();
  StoredRequest request;
  request.request_id = request_id;
  request.operation = stmt.Text(0);
  request.fingerprint = stmt.Text(1);
  request.response = stmt.Bytes(2);
  return std::optional<StoredRequest>(std::move(request));
}

absl::StatusOr<domain::District> SqliteStore::GetDistrict(
    const std::string& district_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT body FROM districts WHERE id = ?", {district_id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("get district"));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("district ", district_id, " not found"));
  }
  return Decoded(domain::DistrictFromJson(stmt.Text(0)),
                 absl::StrCat("district ", district_id));
}

absl::StatusOr<domain::CatalogVersion> SqliteStore::GetCatalog(
    const std::string& district_id, int64_t version) {
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "catalog version ", version, " is negative; use 0 for the latest"));
  }
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      version == 0
          ? db_->Prepare(
                "SELECT body FROM catalog_versions WHERE district_id = ? "
                "ORDER BY version DESC LIMIT 1",
                {district_id})
          : db_->Prepare(
                "SELECT body FROM catalog_versions WHERE district_id = ? "
                "AND version = ?",
                {district_id, version}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("get catalog"));
  if (!found) {
    if (version == 0) {
      return absl::NotFoundError(absl::StrCat("district ", district_id,
                                              " has no published catalog yet"));
    }
    return absl::NotFoundError(absl::StrCat(
        "catalog version ", version, " not found in district ", district_id));
  }
  return Decoded(domain::CatalogFromJson(stmt.Text(0)),
                 absl::StrCat("catalog of district ", district_id));
}

absl::StatusOr<domain::Community> SqliteStore::GetCommunity(
    const std::string& district_id, const std::string& community_id) {
  absl::MutexLock lock(&mu_);
  return GetBody<domain::Community>(*db_, "communities", "community",
                                    district_id, community_id,
                                    &domain::CommunityFromJson);
}

absl::StatusOr<std::vector<domain::Community>> SqliteStore::ListCommunities(
    const std::string& district_id, const std::string& street) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      street.empty()
          ? db_->Prepare(
                "SELECT id, body FROM communities WHERE district_id = ? "
                "ORDER BY id",
                {district_id})
          : db_->Prepare(
                "SELECT id, body FROM communities WHERE district_id = ? "
                "AND street = ? ORDER BY id",
                {district_id, street}));
  std::vector<domain::Community> communities;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("list communities"));
    if (!row) break;
    TASKGATE_ASSIGN_OR_RETURN(
        domain::Community community,
        Decoded(domain::CommunityFromJson(stmt.Text(1)),
                absl::StrCat("community ", stmt.Text(0))));
    communities.push_back(std::move(community));
  }
  return communities;
}

absl::StatusOr<domain::Task> SqliteStore::GetTask(
    const std::string& district_id, const std::string& task_id) {
  absl::MutexLock lock(&mu_);
  return GetBody<domain::Task>(*db_, "tasks", "task", district_id, task_id,
                               &domain::TaskFromJson);
}

absl::StatusOr<std::vector<domain::Task>> SqliteStore::ListTasks(
    const TaskQuery& query) {
  if (query.limit < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limit ", query.limit, " is negative; use 0 for no limit"));
  }
  std::string sql = "SELECT id, body FROM tasks WHERE district_id = ?";
  std::vector<Param> params = {query.district_id};
  AddFilter(sql, params, "department_id", query.department_id);
  std::vector<std::string> state_names;
  state_names.reserve(query.states.size());
  if (!query.states.empty()) {
    absl::StrAppend(&sql, " AND state IN (");
    for (size_t i = 0; i < query.states.size(); ++i) {
      absl::StrAppend(&sql, i == 0 ? "?" : ", ?");
      state_names.emplace_back(domain::TaskStateName(query.states[i]));
    }
    absl::StrAppend(&sql, ")");
    for (const std::string& name : state_names) params.emplace_back(name);
  }
  AddFilter(sql, params, "item_code", query.item_code);
  if (!query.community_id.empty()) {
    absl::StrAppend(&sql,
                    " AND id IN (SELECT task_id FROM task_communities "
                    "WHERE district_id = ? AND community_id = ?)");
    params.emplace_back(query.district_id);
    params.emplace_back(query.community_id);
  }
  if (!query.after_id.empty()) {
    absl::StrAppend(&sql, " AND id > ?");
    params.emplace_back(query.after_id);
  }
  absl::StrAppend(&sql, " ORDER BY id LIMIT ?");
  params.emplace_back(query.limit == 0 ? int64_t{-1} : int64_t{query.limit});

  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql, params));
  return ReadTasks(stmt);
}

absl::StatusOr<std::vector<domain::Task>> SqliteStore::ListTasksDue(
    const std::string& district_id, absl::Time now, int32_t limit) {
  if (limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is negative; use 0 for no limit"));
  }
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT id, body FROM tasks WHERE district_id = ? AND "
                   "timer_at IS NOT NULL AND timer_at <= ? "
                   "ORDER BY timer_at, id LIMIT ?",
                   {district_id, FloorMicros(now),
                    limit == 0 ? int64_t{-1} : int64_t{limit}}));
  return ReadTasks(stmt);
}

absl::StatusOr<std::optional<absl::Time>> SqliteStore::NextTimer(
    const std::string& district_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT MIN(timer_at) FROM tasks WHERE district_id = ? AND "
                   "timer_at IS NOT NULL",
                   {district_id}));
  TASKGATE_RETURN_IF_ERROR(stmt.Step("read next timer").status());
  if (stmt.IsNull(0)) return std::optional<absl::Time>();
  return std::optional<absl::Time>(absl::FromUnixMicros(stmt.Int(0)));
}

absl::StatusOr<std::vector<domain::Decision>> SqliteStore::ListDecisions(
    const std::string& district_id, const std::string& task_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT body FROM decisions WHERE district_id = ? AND "
                   "task_id = ? ORDER BY id",
                   {district_id, task_id}));
  std::vector<domain::Decision> decisions;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step("list decisions"));
    if (!row) break;
    TASKGATE_ASSIGN_OR_RETURN(
        domain::Decision decision,
        Decoded(domain::DecisionFromJson(stmt.Text(0)),
                absl::StrCat("decision on task ", task_id)));
    decisions.push_back(std::move(decision));
  }
  return decisions;
}

absl::StatusOr<domain::Principal> SqliteStore::GetPrincipal(
    const std::string& district_id, const std::string& principal_id) {
  absl::MutexLock lock(&mu_);
  return GetBody<domain::Principal>(*db_, "principals", "principal",
                                    district_id, principal_id,
                                    &domain::PrincipalFromJson);
}

absl::StatusOr<std::vector<domain::Principal>> SqliteStore::ListPrincipals(
    const std::string& district_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt, db_->Prepare("SELECT id, body FROM principals WHERE "
                                   "district_id = ? ORDER BY id",
                                   {district_id}));
  return ReadBodies<domain::Principal>(stmt, &domain::PrincipalFromJson,
                                       "principal");
}

absl::StatusOr<int64_t> SqliteStore::CountPrincipals(
    const std::string& district_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT count(*) FROM principals WHERE district_id = ?",
                   {district_id}));
  TASKGATE_RETURN_IF_ERROR(stmt.Step("count principals").status());
  return stmt.Int(0);
}

absl::StatusOr<domain::Credential> SqliteStore::GetCredential(
    const std::string& district_id, const std::string& credential_id) {
  absl::MutexLock lock(&mu_);
  return GetBody<domain::Credential>(*db_, "credentials", "credential",
                                     district_id, credential_id,
                                     &domain::CredentialFromJson);
}

absl::StatusOr<std::optional<domain::Credential>>
SqliteStore::FindCredentialByHash(const std::string& district_id,
                                  const std::string& token_hash) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT id, body FROM credentials WHERE district_id = ? AND "
                   "token_hash = ?",
                   {district_id, token_hash}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("find credential"));
  if (!found) return std::optional<domain::Credential>();
  TASKGATE_ASSIGN_OR_RETURN(domain::Credential credential,
                            Decoded(domain::CredentialFromJson(stmt.Text(1)),
                                    absl::StrCat("credential ", stmt.Text(0))));
  return std::optional<domain::Credential>(std::move(credential));
}

absl::StatusOr<std::vector<domain::Credential>> SqliteStore::ListCredentials(
    const std::string& district_id, const std::string& principal_id) {
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      principal_id.empty()
          ? db_->Prepare(
                "SELECT id, body FROM credentials WHERE district_id = ? "
                "ORDER BY id",
                {district_id})
          : db_->Prepare(
                "SELECT id, body FROM credentials WHERE district_id = ? "
                "AND principal_id = ? ORDER BY id",
                {district_id, principal_id}));
  return ReadBodies<domain::Credential>(stmt, &domain::CredentialFromJson,
                                        "credential");
}

absl::StatusOr<domain::Complaint> SqliteStore::GetComplaint(
    const std::string& district_id, const std::string& complaint_id) {
  absl::MutexLock lock(&mu_);
  return GetBody<domain::Complaint>(*db_, "complaints", "complaint",
                                    district_id, complaint_id,
                                    &domain::ComplaintFromJson);
}

absl::StatusOr<std::vector<domain::Complaint>> SqliteStore::ListComplaints(
    const std::string& district_id, const std::string& community_id,
    const std::vector<domain::ComplaintState>& states) {
  std::string sql = "SELECT id, body FROM complaints WHERE district_id = ?";
  std::vector<Param> params = {district_id};
  AddFilter(sql, params, "community_id", community_id);
  std::vector<std::string> state_names;
  state_names.reserve(states.size());
  if (!states.empty()) {
    absl::StrAppend(&sql, " AND state IN (");
    for (size_t i = 0; i < states.size(); ++i) {
      absl::StrAppend(&sql, i == 0 ? "?" : ", ?");
      state_names.emplace_back(domain::ComplaintStateName(states[i]));
    }
    absl::StrAppend(&sql, ")");
    for (const std::string& name : state_names) params.emplace_back(name);
  }
  absl::StrAppend(&sql, " ORDER BY id");
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql, params));
  return ReadBodies<domain::Complaint>(stmt, &domain::ComplaintFromJson,
                                       "complaint");
}

absl::StatusOr<std::vector<domain::FundingReport>>
SqliteStore::ListFundingReports(const std::string& district_id,
                                const std::string& task_id,
                                const std::string& community_id) {
  std::string sql =
      "SELECT id, body FROM funding_reports WHERE district_id = ?";
  std::vector<Param> params = {district_id};
  AddFilter(sql, params, "task_id", task_id);
  AddFilter(sql, params, "community_id", community_id);
  absl::StrAppend(&sql, " ORDER BY reported_at, id");
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql, params));
  return ReadBodies<domain::FundingReport>(stmt, &domain::FundingReportFromJson,
                                           "funding report");
}

absl::StatusOr<std::vector<domain::AssignmentAck>> SqliteStore::ListAcks(
    const std::string& district_id, const std::string& task_id,
    const std::string& community_id) {
  // Column 0 names the row in messages: "<task>/<community>".
  std::string sql =
      "SELECT task_id || '/' || community_id, body FROM assignment_acks "
      "WHERE district_id = ?";
  std::vector<Param> params = {district_id};
  AddFilter(sql, params, "task_id", task_id);
  AddFilter(sql, params, "community_id", community_id);
  absl::StrAppend(&sql, " ORDER BY acknowledged_at, task_id, community_id");
  absl::MutexLock lock(&mu_);
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql, params));
  return ReadBodies<domain::AssignmentAck>(stmt, &domain::AssignmentAckFromJson,
                                           "acknowledgement of task");
}

}  // namespace taskgate::store::sqlite_internal
