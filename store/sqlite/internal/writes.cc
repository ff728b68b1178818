#include "store/sqlite/internal/writes.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>

#include "audit/encoding.h"
#include "audit/merkle.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "domain/types.h"
#include "store/sqlite/internal/connection.h"
#include "store/store.h"

namespace taskgate::store::sqlite_internal {
namespace {

// After an optimistic UPDATE of `id` in `table` changed no row: NOT_FOUND
// when the row is missing, else ABORTED naming the stored version.
absl::Status MissingOrStale(Connection& db, std::string_view table,
                            std::string_view what, const std::string& d,
                            const std::string& id, int64_t expected_version) {
  TASKGATE_ASSIGN_OR_RETURN(
      Statement current,
      db.Prepare(absl::StrCat("SELECT version FROM ", Sv(table),
                              " WHERE district_id = ? AND id = ?"),
                 {d, id}));
  TASKGATE_ASSIGN_OR_RETURN(
      const bool found,
      current.Step(absl::StrCat("read ", Sv(what), " version")));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat(Sv(what), " ", id, " not found in district ", d));
  }
  return absl::AbortedError(absl::StrCat(
      Sv(what), " ", id, " was changed by someone else (version ",
      current.Int(0), ", expected ", expected_version, "); reload and retry"));
}

// NOT_FOUND, naming `what`, unless task `task_id` is stored.
absl::Status RequireTask(Connection& db, const std::string& d,
                         const std::string& task_id, std::string_view what) {
  // Checked here for a clear message; the foreign key backs it up.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement task,
      db.Prepare("SELECT 1 FROM tasks WHERE district_id = ? AND id = ?",
                 {d, task_id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, task.Step("find task"));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat(Sv(what), " refers to task ", task_id,
                     ", which is not found in district ", d));
  }
  return absl::OkStatus();
}

absl::Status WriteCommunity(Connection& db, const std::string& d,
                            const CommunityWrite& write) {
  const domain::Community& c = write.community;
  const std::string body = domain::CommunityToJson(c);
  if (write.expected_version == 0) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO communities (district_id, id, street, version, "
                   "body) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                   {d, c.id, c.street, c.version, body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create community"));
    if (db.Changes() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("community ", c.id, " already exists in district ", d));
    }
    return absl::OkStatus();
  }
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare("UPDATE communities SET street = ?, version = ?, body = ? "
                 "WHERE district_id = ? AND id = ? AND version = ?",
                 {c.street, c.version, body, d, c.id, write.expected_version}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("update community"));
  if (db.Changes() == 1) return absl::OkStatus();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement current,
      db.Prepare("SELECT version FROM communities WHERE district_id = ? AND "
                 "id = ?",
                 {d, c.id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found,
                            current.Step("read community version"));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("community ", c.id, " not found in district ", d));
  }
  return absl::AbortedError(
      absl::StrCat("community ", c.id, " was changed by someone else (version ",
                   current.Int(0), ", expected ", write.expected_version,
                   "); reload and retry"));
}

absl::Status WriteTask(Connection& db, const std::string& d,
                       const TaskWrite& write) {
  const domain::Task& t = write.task;
  const std::string body = domain::TaskToJson(t);
  const std::string state(domain::TaskStateName(t.state));
  const Param item_code =
      t.spec.item_code.empty() ? Param(std::nullopt) : Param(t.spec.item_code);
  const std::string start = domain::FormatCivilDay(t.spec.start_date);
  const std::string end = domain::FormatCivilDay(t.spec.end_date);
  const std::optional<int64_t> timer_at =
      t.timer_at.has_value() ? std::optional<int64_t>(FloorMicros(*t.timer_at))
                             : std::nullopt;
  if (write.expected_version == 0) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO tasks (district_id, id, department_id, state, "
                   "version, item_code, start_date, end_date, timer_at, "
                   "created_at, updated_at, body) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT DO NOTHING",
                   {d, t.id, t.department_id, state, t.version, item_code,
                    start, end, timer_at, FloorMicros(t.created_at),
                    FloorMicros(t.updated_at), body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create task"));
    if (db.Changes() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("task ", t.id, " already exists in district ", d));
    }
  } else {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare(
            "UPDATE tasks SET department_id = ?, state = ?, version = ?, "
            "item_code = ?, start_date = ?, end_date = ?, timer_at = ?, "
            "created_at = ?, updated_at = ?, body = ? "
            "WHERE district_id = ? AND id = ? AND version = ?",
            {t.department_id, state, t.version, item_code, start, end, timer_at,
             FloorMicros(t.created_at), FloorMicros(t.updated_at), body, d,
             t.id, write.expected_version}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("update task"));
    if (db.Changes() != 1) {
      TASKGATE_ASSIGN_OR_RETURN(
          Statement current,
          db.Prepare(
              "SELECT version FROM tasks WHERE district_id = ? AND id = ?",
              {d, t.id}));
      TASKGATE_ASSIGN_OR_RETURN(const bool found,
                                current.Step("read task version"));
      if (!found) {
        return absl::NotFoundError(
            absl::StrCat("task ", t.id, " not found in district ", d));
      }
      return absl::AbortedError(
          absl::StrCat("task ", t.id, " was changed by someone else (version ",
                       current.Int(0), ", expected ", write.expected_version,
                       "); reload and retry"));
    }
    TASKGATE_ASSIGN_OR_RETURN(
        Statement clear,
        db.Prepare("DELETE FROM task_communities WHERE district_id = ? AND "
                   "task_id = ?",
                   {d, t.id}));
    TASKGATE_RETURN_IF_ERROR(clear.Run("clear task communities"));
  }
  for (const std::string& community_id : t.resolved_communities) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO task_communities (district_id, task_id, "
                   "community_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                   {d, t.id, community_id}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("write task communities"));
  }
  return absl::OkStatus();
}

absl::Status WriteDecision(Connection& db, const std::string& d,
                           const domain::Decision& decision) {
  // Checked here for a clear message; the foreign key backs it up.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement task,
      db.Prepare("SELECT 1 FROM tasks WHERE district_id = ? AND id = ?",
                 {d, decision.task_id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, task.Step("find decided task"));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("decision refers to task ", decision.task_id,
                     ", which is not found in district ", d));
  }
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare(
          "INSERT INTO decisions (district_id, task_id, kind, decided_by, "
          "decided_at, body) VALUES (?, ?, ?, ?, ?, ?)",
          {d, decision.task_id,
           std::string(domain::DecisionKindName(decision.kind)),
           decision.decided_by, FloorMicros(decision.decided_at),
           domain::DecisionToJson(decision)}));
  return stmt.Run("write decision");
}

absl::Status WritePrincipal(Connection& db, const std::string& d,
                            const PrincipalWrite& write) {
  const domain::Principal& p = write.principal;
  const std::string body = domain::PrincipalToJson(p);
  const std::string role(domain::RoleName(p.role));
  const int64_t disabled = p.disabled ? 1 : 0;
  if (write.expected_version == 0) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO principals (district_id, id, role, "
                   "department_id, community_id, disabled, version, body) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                   {d, p.id, role, p.department_id, p.community_id, disabled,
                    p.version, body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create principal"));
    if (db.Changes() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("principal ", p.id, " already exists in district ", d));
    }
    return absl::OkStatus();
  }
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare("UPDATE principals SET role = ?, department_id = ?, "
                 "community_id = ?, disabled = ?, version = ?, body = ? "
                 "WHERE district_id = ? AND id = ? AND version = ?",
                 {role, p.department_id, p.community_id, disabled, p.version,
                  body, d, p.id, write.expected_version}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("update principal"));
  if (db.Changes() == 1) return absl::OkStatus();
  return MissingOrStale(db, "principals", "principal", d, p.id,
                        write.expected_version);
}

absl::Status WriteCredential(Connection& db, const std::string& d,
                             const CredentialWrite& write) {
  const domain::Credential& c = write.credential;
  const std::string body = domain::CredentialToJson(c);
  const int64_t revoked = c.revoked ? 1 : 0;
  if (write.expected_version == 0) {
    // Checked here for a clear message; the foreign key backs it up.
    TASKGATE_ASSIGN_OR_RETURN(
        Statement owner,
        db.Prepare("SELECT 1 FROM principals WHERE district_id = ? AND id = ?",
                   {d, c.principal_id}));
    TASKGATE_ASSIGN_OR_RETURN(const bool found,
                              owner.Step("find credential principal"));
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("credential ", c.id, " refers to principal ",
                       c.principal_id, ", which is not found in district ", d));
    }
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare(
            "INSERT INTO credentials (district_id, id, principal_id, "
            "token_hash, revoked, version, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            {d, c.id, c.principal_id, c.token_hash, revoked, c.version, body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create credential"));
    if (db.Changes() == 1) return absl::OkStatus();
    TASKGATE_ASSIGN_OR_RETURN(
        Statement same_id,
        db.Prepare("SELECT 1 FROM credentials WHERE district_id = ? AND id = ?",
                   {d, c.id}));
    TASKGATE_ASSIGN_OR_RETURN(const bool id_taken,
                              same_id.Step("find credential id"));
    if (id_taken) {
      return absl::AlreadyExistsError(
          absl::StrCat("credential ", c.id, " already exists in district ", d));
    }
    // The hash itself stays out of the message: it stands for a secret.
    return absl::AlreadyExistsError(absl::StrCat(
        "the token hash of credential ", c.id,
        " is already in use by another credential; generate a new secret"));
  }
  // Who a token belongs to and which secret it stands for never change: a
  // new secret is a new credential.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare("UPDATE credentials SET revoked = ?, version = ?, body = ? "
                 "WHERE district_id = ? AND id = ? AND version = ? AND "
                 "principal_id = ? AND token_hash = ?",
                 {revoked, c.version, body, d, c.id, write.expected_version,
                  c.principal_id, c.token_hash}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("update credential"));
  if (db.Changes() == 1) return absl::OkStatus();
  TASKGATE_ASSIGN_OR_RETURN(
      Statement current,
      db.Prepare("SELECT version, principal_id, token_hash FROM credentials "
                 "WHERE district_id = ? AND id = ?",
                 {d, c.id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found,
                            current.Step("read credential version"));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("credential ", c.id, " not found in district ", d));
  }
  if (current.Int(0) != write.expected_version) {
    return absl::AbortedError(absl::StrCat(
        "credential ", c.id, " was changed by someone else (version ",
        current.Int(0), ", expected ", write.expected_version,
        "); reload and retry"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("credential ", c.id,
                   " cannot change its principal or token hash; issue a new "
                   "token instead"));
}

absl::Status WriteComplaint(Connection& db, const std::string& d,
                            const ComplaintWrite& write) {
  const domain::Complaint& c = write.complaint;
  const std::string body = domain::ComplaintToJson(c);
  const std::string state(domain::ComplaintStateName(c.state));
  if (write.expected_version == 0) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO complaints (district_id, id, community_id, "
                   "department_id, task_id, state, version, filed_at, "
                   "updated_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT DO NOTHING",
                   {d, c.id, c.community_id, c.department_id, c.task_id, state,
                    c.version, FloorMicros(c.filed_at),
                    FloorMicros(c.updated_at), body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create complaint"));
    if (db.Changes() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("complaint ", c.id, " already exists in district ", d));
    }
    return absl::OkStatus();
  }
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare("UPDATE complaints SET community_id = ?, department_id = ?, "
                 "task_id = ?, state = ?, version = ?, filed_at = ?, "
                 "updated_at = ?, body = ? "
                 "WHERE district_id = ? AND id = ? AND version = ?",
                 {c.community_id, c.department_id, c.task_id, state, c.version,
                  FloorMicros(c.filed_at), FloorMicros(c.updated_at), body, d,
                  c.id, write.expected_version}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("update complaint"));
  if (db.Changes() == 1) return absl::OkStatus();
  return MissingOrStale(db, "complaints", "complaint", d, c.id,
                        write.expected_version);
}

absl::Status WriteFundingReport(Connection& db, const std::string& d,
                                const domain::FundingReport& report) {
  TASKGATE_RETURN_IF_ERROR(RequireTask(
      db, d, report.task_id, absl::StrCat("funding report ", report.id)));
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare("INSERT INTO funding_reports (district_id, id, task_id, "
                 "community_id, reported_at, body) VALUES (?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT DO NOTHING",
                 {d, report.id, report.task_id, report.community_id,
                  FloorMicros(report.reported_at),
                  domain::FundingReportToJson(report)}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("write funding report"));
  if (db.Changes() == 0) {
    return absl::AlreadyExistsError(absl::StrCat(
        "funding report ", report.id, " already exists in district ", d));
  }
  return absl::OkStatus();
}

absl::Status WriteAck(Connection& db, const std::string& d,
                      const domain::AssignmentAck& ack) {
  TASKGATE_RETURN_IF_ERROR(RequireTask(
      db, d, ack.task_id,
      absl::StrCat("acknowledgement by community ", ack.community_id)));
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare(
          "INSERT INTO assignment_acks (district_id, task_id, "
          "community_id, acknowledged_at, body) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT DO NOTHING",
          {d, ack.task_id, ack.community_id, FloorMicros(ack.acknowledged_at),
           domain::AssignmentAckToJson(ack)}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("write acknowledgement"));
  if (db.Changes() == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("task ", ack.task_id, " was already acknowledged by ",
                     "community ", ack.community_id, " in district ", d));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> AppendEvents(
    Connection& db, const std::string& d,
    const std::vector<domain::AuditEvent>& events) {
  TASKGATE_ASSIGN_OR_RETURN(
      Statement last,
      db.Prepare("SELECT COALESCE(MAX(seq), 0) FROM audit_events "
                 "WHERE district_id = ?",
                 {d}));
  TASKGATE_RETURN_IF_ERROR(last.Step("read last seq").status());
  int64_t seq = last.Int(0);

  std::vector<int64_t> seqs;
  seqs.reserve(events.size());
  for (const domain::AuditEvent& original : events) {
    domain::AuditEvent event = original;
    event.seq = ++seq;
    // The encoding keeps whole microseconds; normalising first makes what is
    // hashed, stored and later returned one and the same value.
    event.time = absl::FromUnixMicros(FloorMicros(event.time));
    const std::string canonical = audit::EncodeAuditEvent(event);
    const audit::Hash leaf = audit::LeafHash(canonical);
    const std::string_view leaf_bytes(
        reinterpret_cast<const char*>(leaf.data()), leaf.size());
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare(
            "INSERT INTO audit_events (district_id, seq, time, actor_id, "
            "actor_role, action, entity_type, entity_id, state_before, "
            "state_after, reason, request_id, department_id, canonical, "
            "leaf_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {d, event.seq, FloorMicros(event.time), event.actor_id,
             std::string(domain::RoleName(event.actor_role)), event.action,
             event.entity_type, event.entity_id, event.state_before,
             event.state_after, event.reason, event.request_id,
             event.department_id, Blob{canonical}, Blob{leaf_bytes}}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("append audit event"));
    for (const std::string& community_id : event.community_ids) {
      TASKGATE_ASSIGN_OR_RETURN(
          Statement link,
          db.Prepare("INSERT INTO audit_event_communities (district_id, seq, "
                     "community_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                     {d, event.seq, community_id}));
      TASKGATE_RETURN_IF_ERROR(link.Run("append audit event communities"));
    }
    seqs.push_back(event.seq);
  }
  return seqs;
}

}  // namespace

absl::Status RunFaultHook(const FaultHook& hook, std::string_view point) {
  if (!hook) return absl::OkStatus();
  return hook(point);
}

absl::StatusOr<CommitResult> ApplyChange(Connection& db,
                                         const ChangeSet& change,
                                         const FaultHook& hook) {
  const std::string& d = change.district_id;

  if (change.request.has_value()) {
    const StoredRequest& r = *change.request;
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare(
            "INSERT INTO requests (district_id, request_id, operation, "
            "fingerprint, response) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            {d, r.request_id, r.operation, r.fingerprint, Blob{r.response}}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("store request"));
    if (db.Changes() == 0) {
      return absl::AlreadyExistsError(absl::StrCat(
          "request_id ", r.request_id, " was already used in district ", d,
          "; its first answer stands"));
    }
  }

  if (change.district.has_value()) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO districts (id, body) VALUES (?, ?) "
                   "ON CONFLICT DO NOTHING",
                   {d, domain::DistrictToJson(*change.district)}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("create district"));
    if (db.Changes() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("district ", d, " already exists"));
    }
  }

  if (change.catalog.has_value()) {
    const domain::CatalogVersion& catalog = *change.catalog;
    TASKGATE_ASSIGN_OR_RETURN(
        Statement latest_stmt,
        db.Prepare("SELECT COALESCE(MAX(version), 0) FROM catalog_versions "
                   "WHERE district_id = ?",
                   {d}));
    TASKGATE_RETURN_IF_ERROR(latest_stmt.Step("read latest catalog").status());
    const int64_t latest = latest_stmt.Int(0);
    if (catalog.version != latest + 1) {
      return absl::AbortedError(
          absl::StrCat("catalog version ", catalog.version, " of district ", d,
                       " is not the next version (latest is ", latest,
                       "); reload and retry"));
    }
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO catalog_versions (district_id, version, "
                   "published_at, body) VALUES (?, ?, ?, ?)",
                   {d, catalog.version, FloorMicros(catalog.published_at),
                    domain::CatalogToJson(catalog)}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("publish catalog"));
  }

  for (const CommunityWrite& write : change.communities) {
    TASKGATE_RETURN_IF_ERROR(WriteCommunity(db, d, write));
  }
  for (const TaskWrite& write : change.tasks) {
    TASKGATE_RETURN_IF_ERROR(WriteTask(db, d, write));
  }
  for (const domain::Decision& decision : change.decisions) {
    TASKGATE_RETURN_IF_ERROR(WriteDecision(db, d, decision));
  }
  // Principals before the credentials that refer to them.
  for (const PrincipalWrite& write : change.principals) {
    TASKGATE_RETURN_IF_ERROR(WritePrincipal(db, d, write));
  }
  for (const CredentialWrite& write : change.credentials) {
    TASKGATE_RETURN_IF_ERROR(WriteCredential(db, d, write));
  }
  for (const ComplaintWrite& write : change.complaints) {
    TASKGATE_RETURN_IF_ERROR(WriteComplaint(db, d, write));
  }
  for (const domain::FundingReport& report : change.funding_reports) {
    TASKGATE_RETURN_IF_ERROR(WriteFundingReport(db, d, report));
  }
  for (const domain::AssignmentAck& ack : change.acks) {
    TASKGATE_RETURN_IF_ERROR(WriteAck(db, d, ack));
  }
  TASKGATE_RETURN_IF_ERROR(RunFaultHook(hook, "after_change"));

  CommitResult result;
  TASKGATE_ASSIGN_OR_RETURN(result.seqs, AppendEvents(db, d, change.events));
  return result;
}

}  // namespace taskgate::store::sqlite_internal
