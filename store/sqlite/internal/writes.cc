#include "store/sqlite/internal/writes.h"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>

#include "audit/encoding.h"
#include "audit/merkle.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "domain/fields.h"
#include "domain/types.h"
#include "store/entity_writes.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/queries.h"
#include "store/store.h"

namespace taskgate::store::sqlite_internal {
namespace {

// Runs `sql`, an INSERT ... ON CONFLICT DO NOTHING, and returns whether it
// inserted its row.
absl::StatusOr<bool> Inserted(Connection& db, const std::string& sql,
                              const std::vector<Param>& params,
                              std::string_view context) {
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql, params));
  TASKGATE_RETURN_IF_ERROR(stmt.Run(context));
  return db.Changes() != 0;
}

// Creates row `id` with `sql`, an INSERT ... ON CONFLICT DO NOTHING:
// ALREADY_EXISTS naming `noun` `id` when the id is taken.
absl::Status CreateRow(Connection& db, std::string_view noun,
                       const std::string& d, const std::string& id,
                       const std::string& sql,
                       const std::vector<Param>& params) {
  TASKGATE_ASSIGN_OR_RETURN(
      const bool inserted,
      Inserted(db, sql, params, absl::StrCat("create ", Sv(noun))));
  if (inserted) return absl::OkStatus();
  return absl::AlreadyExistsError(
      absl::StrCat(Sv(noun), " ", id, " already exists in district ", d));
}

// After an optimistic UPDATE of `id` in `table` changed no row: NOT_FOUND
// when the row is missing, else ABORTED naming the stored version.
absl::Status MissingOrStale(Connection& db, std::string_view table,
                            std::string_view noun, const std::string& d,
                            const std::string& id, int64_t expected_version) {
  TASKGATE_ASSIGN_OR_RETURN(
      Statement current,
      db.Prepare(absl::StrCat("SELECT version FROM ", Sv(table),
                              " WHERE district_id = ? AND id = ?"),
                 {d, id}));
  TASKGATE_ASSIGN_OR_RETURN(
      const bool found,
      current.Step(absl::StrCat("read ", Sv(noun), " version")));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat(Sv(noun), " ", id, " not found in district ", d));
  }
  return absl::AbortedError(absl::StrCat(
      Sv(noun), " ", id, " was changed by someone else (version ",
      current.Int(0), ", expected ", expected_version, "); reload and retry"));
}

// Updates row `id` of `table` with `sql`, an UPDATE of the row whose
// version is `expected_version`; when that changed no row, errors as
// `MissingOrStale`.
absl::Status UpdateRow(Connection& db, std::string_view table,
                       std::string_view noun, const std::string& d,
                       const std::string& id, int64_t expected_version,
                       const std::string& sql,
                       const std::vector<Param>& params) {
  TASKGATE_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql, params));
  TASKGATE_RETURN_IF_ERROR(stmt.Run(absl::StrCat("update ", Sv(noun))));
  if (db.Changes() == 1) return absl::OkStatus();
  return MissingOrStale(db, table, noun, d, id, expected_version);
}

// Whether row (`d`, `id`) of `table` is stored.
absl::StatusOr<bool> RowExists(Connection& db, std::string_view table,
                               const std::string& d, const std::string& id,
                               std::string_view context) {
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare(absl::StrCat("SELECT 1 FROM ", Sv(table),
                              " WHERE district_id = ? AND id = ?"),
                 {d, id}));
  return stmt.Step(context);
}

// NOT_FOUND, naming `referrer`, unless `noun` `id` is stored in `table`.
// Checked for a clear message; the foreign key backs it up.
absl::Status RequireRow(Connection& db, std::string_view table,
                        std::string_view noun, const std::string& d,
                        const std::string& id, std::string_view referrer) {
  TASKGATE_ASSIGN_OR_RETURN(
      const bool found,
      RowExists(db, table, d, id, absl::StrCat("find ", Sv(noun))));
  if (found) return absl::OkStatus();
  return absl::NotFoundError(
      absl::StrCat(Sv(referrer), " refers to ", Sv(noun), " ", id,
                   ", which is not found in district ", d));
}

// The fields of row (`d`, `id`) of `table` as stored before a change that
// updates it; none when there is no such row (the update then fails).
absl::StatusOr<domain::Fields> StoredFields(Connection& db,
                                            std::string_view kind,
                                            std::string_view table,
                                            const std::string& d,
                                            const std::string& id) {
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare(absl::StrCat("SELECT body FROM ", Sv(table),
                              " WHERE district_id = ? AND id = ?"),
                 {d, id}));
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step("read stored body"));
  if (!found) return domain::Fields();
  absl::StatusOr<domain::Fields> fields =
      RecordFieldsOfBody(kind, stmt.Text(0));
  if (!fields.ok()) {
    return absl::DataLossError(absl::StrCat(
        "the stored body of ", Sv(table), " row ", id, " in district ", d,
        " is not readable (", fields.status().message(),
        "); run taskgated --verify-db"));
  }
  return fields;
}

// Adds to `record` the write of entity (`kind`, `id`), now stored as
// `body`, whose fields were `before` (created when `before` is absent).
void Record(std::vector<EntityChange>& record, std::string_view kind,
            const std::string& id, std::optional<domain::Fields> before,
            const std::string& body) {
  absl::StatusOr<domain::Fields> after = RecordFieldsOfBody(kind, body);
  // The codec's own output is always an object.
  if (!after.ok()) std::abort();
  record.push_back({.kind = kind,
                    .id = id,
                    .created = !before.has_value(),
                    .before = before.value_or(domain::Fields()),
                    .after = *std::move(after)});
}

// The fields before an optimistic write: none for a creation.
absl::StatusOr<std::optional<domain::Fields>> FieldsBefore(
    Connection& db, std::string_view kind, std::string_view table,
    const std::string& d, const std::string& id, int64_t expected_version) {
  if (expected_version == 0) return std::optional<domain::Fields>();
  TASKGATE_ASSIGN_OR_RETURN(domain::Fields fields,
                            StoredFields(db, kind, table, d, id));
  return std::optional<domain::Fields>(std::move(fields));
}

// A department or a street (store.h `NamedWrite`) into `table`; a street's
// name is a query column too (unique in the district).
template <typename NamedResource>
absl::Status WriteNamed(Connection& db, const std::string& d,
                        std::string_view kind, std::string_view table,
                        const NamedWrite<NamedResource>& write,
                        const std::string& body,
                        std::vector<EntityChange>& record) {
  const NamedResource& r = write.resource;
  TASKGATE_ASSIGN_OR_RETURN(
      std::optional<domain::Fields> before,
      FieldsBefore(db, kind, table, d, r.id, write.expected_version));
  Record(record, kind, r.id, std::move(before), body);
  const bool with_name = kind == domain::kStreetEntity;
  if (write.expected_version == 0) {
    return CreateRow(
        db, kind, d, r.id,
        with_name
            ? absl::StrCat("INSERT INTO ", Sv(table),
                           " (district_id, id, name, version, body) "
                           "VALUES (?, ?, ?, ?, ?) ON CONFLICT(district_id, "
                           "id) DO NOTHING")
            : absl::StrCat("INSERT INTO ", Sv(table),
                           " (district_id, id, version, body) "
                           "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"),
        with_name ? std::vector<Param>{d, r.id, r.name, r.version, body}
                  : std::vector<Param>{d, r.id, r.version, body});
  }
  return UpdateRow(db, table, kind, d, r.id, write.expected_version,
                   with_name
                       ? absl::StrCat("UPDATE ", Sv(table),
                                      " SET name = ?, version = ?, body = ? "
                                      "WHERE district_id = ? AND id = ? AND "
                                      "version = ?")
                       : absl::StrCat("UPDATE ", Sv(table),
                                      " SET version = ?, body = ? "
                                      "WHERE district_id = ? AND id = ? AND "
                                      "version = ?"),
                   with_name ? std::vector<Param>{r.name, r.version, body, d,
                                                  r.id, write.expected_version}
                             : std::vector<Param>{r.version, body, d, r.id,
                                                  write.expected_version});
}

absl::Status WriteCommunity(Connection& db, const std::string& d,
                            const CommunityWrite& write,
                            std::vector<EntityChange>& record) {
  const domain::Community& c = write.community;
  const std::string body = domain::CommunityToJson(c);
  TASKGATE_ASSIGN_OR_RETURN(
      std::optional<domain::Fields> before,
      FieldsBefore(db, domain::kCommunityEntity, "communities", d, c.id,
                   write.expected_version));
  Record(record, domain::kCommunityEntity, c.id, std::move(before), body);
  if (write.expected_version == 0) {
    return CreateRow(db, "community", d, c.id,
                     "INSERT INTO communities (district_id, id, street, "
                     "street_id, version, body) VALUES (?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT DO NOTHING",
                     {d, c.id, c.street, c.street_id, c.version, body});
  }
  return UpdateRow(
      db, "communities", "community", d, c.id, write.expected_version,
      "UPDATE communities SET street = ?, street_id = ?, version = ?, "
      "body = ? WHERE district_id = ? AND id = ? AND version = ?",
      {c.street, c.street_id, c.version, body, d, c.id,
       write.expected_version});
}

absl::Status WriteTask(Connection& db, const std::string& d,
                       const TaskWrite& write,
                       std::vector<EntityChange>& record) {
  const domain::Task& t = write.task;
  const std::string body = domain::TaskToJson(t);
  TASKGATE_ASSIGN_OR_RETURN(std::optional<domain::Fields> before,
                            FieldsBefore(db, domain::kTaskEntity, "tasks", d,
                                         t.id, write.expected_version));
  Record(record, domain::kTaskEntity, t.id, std::move(before), body);
  const std::string state(domain::TaskStateName(t.state));
  const Param item_code =
      t.spec.item_code.empty() ? Param(std::nullopt) : Param(t.spec.item_code);
  const std::string start = domain::FormatCivilDay(t.spec.start_date);
  const std::string end = domain::FormatCivilDay(t.spec.end_date);
  const std::optional<int64_t> timer_at =
      t.timer_at.has_value() ? std::optional<int64_t>(FloorMicros(*t.timer_at))
                             : std::nullopt;
  if (write.expected_version == 0) {
    TASKGATE_RETURN_IF_ERROR(CreateRow(
        db, "task", d, t.id,
        "INSERT INTO tasks (district_id, id, department_id, state, version, "
        "item_code, start_date, end_date, timer_at, created_at, updated_at, "
        "body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        {d, t.id, t.department_id, state, t.version, item_code, start, end,
         timer_at, FloorMicros(t.created_at), FloorMicros(t.updated_at),
         body}));
  } else {
    TASKGATE_RETURN_IF_ERROR(UpdateRow(
        db, "tasks", "task", d, t.id, write.expected_version,
        "UPDATE tasks SET department_id = ?, state = ?, version = ?, "
        "item_code = ?, start_date = ?, end_date = ?, timer_at = ?, "
        "created_at = ?, updated_at = ?, body = ? "
        "WHERE district_id = ? AND id = ? AND version = ?",
        {t.department_id, state, t.version, item_code, start, end, timer_at,
         FloorMicros(t.created_at), FloorMicros(t.updated_at), body, d, t.id,
         write.expected_version}));
    // The side rows carry the task's state (and its department and item),
    // so they are written afresh with every version of the task.
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
        db.Prepare(
            "INSERT INTO task_communities (district_id, task_id, "
            "community_id, state, department_id, item_code) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            {d, t.id, community_id, state, t.department_id, t.spec.item_code}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("write task communities"));
  }
  return absl::OkStatus();
}

absl::Status WriteDecision(Connection& db, const std::string& d,
                           const domain::Decision& decision,
                           std::vector<EntityChange>& record) {
  TASKGATE_RETURN_IF_ERROR(
      RequireRow(db, "tasks", "task", d, decision.task_id, "decision"));
  const std::string body = domain::DecisionToJson(decision);
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare(
          "INSERT INTO decisions (district_id, task_id, kind, decided_by, "
          "decided_at, body) VALUES (?, ?, ?, ?, ?, ?)",
          {d, decision.task_id,
           std::string(domain::DecisionKindName(decision.kind)),
           decision.decided_by, FloorMicros(decision.decided_at), body}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("write decision"));
  // Decisions have no id: the record names the n-th of the task.
  TASKGATE_ASSIGN_OR_RETURN(
      const int64_t n,
      db.ReadInt("SELECT COUNT(*) FROM decisions WHERE district_id = ? AND "
                 "task_id = ?",
                 {d, decision.task_id}, "count decisions"));
  Record(record, domain::kDecisionEntity,
         domain::DecisionKey(decision.task_id, n), std::nullopt, body);
  return absl::OkStatus();
}

absl::Status WritePrincipal(Connection& db, const std::string& d,
                            const PrincipalWrite& write,
                            std::vector<EntityChange>& record) {
  const domain::Principal& p = write.principal;
  const std::string body = domain::PrincipalToJson(p);
  TASKGATE_ASSIGN_OR_RETURN(
      std::optional<domain::Fields> before,
      FieldsBefore(db, domain::kPrincipalEntity, "principals", d, p.id,
                   write.expected_version));
  Record(record, domain::kPrincipalEntity, p.id, std::move(before), body);
  const std::string role(domain::RoleName(p.role));
  const int64_t disabled = p.disabled ? 1 : 0;
  if (write.expected_version == 0) {
    return CreateRow(db, "principal", d, p.id,
                     "INSERT INTO principals (district_id, id, role, "
                     "department_id, community_id, disabled, version, body) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                     {d, p.id, role, p.department_id, p.community_id, disabled,
                      p.version, body});
  }
  return UpdateRow(db, "principals", "principal", d, p.id,
                   write.expected_version,
                   "UPDATE principals SET role = ?, department_id = ?, "
                   "community_id = ?, disabled = ?, version = ?, body = ? "
                   "WHERE district_id = ? AND id = ? AND version = ?",
                   {role, p.department_id, p.community_id, disabled, p.version,
                    body, d, p.id, write.expected_version});
}

absl::Status WriteCredential(Connection& db, const std::string& d,
                             const CredentialWrite& write,
                             std::vector<EntityChange>& record) {
  const domain::Credential& c = write.credential;
  const std::string body = domain::CredentialToJson(c);
  TASKGATE_ASSIGN_OR_RETURN(
      std::optional<domain::Fields> before,
      FieldsBefore(db, domain::kCredentialEntity, "credentials", d, c.id,
                   write.expected_version));
  Record(record, domain::kCredentialEntity, c.id, std::move(before), body);
  const int64_t revoked = c.revoked ? 1 : 0;
  // A token has a hash and no identity, a certificate binding the reverse
  // (migration 11's CHECK); the empty one is NULL.
  const Param token_hash =
      c.token_hash.empty() ? Param(std::nullopt) : Param(c.token_hash);
  const Param identity = c.certificate_identity.empty()
                             ? Param(std::nullopt)
                             : Param(c.certificate_identity);
  if (write.expected_version == 0) {
    TASKGATE_RETURN_IF_ERROR(RequireRow(db, "principals", "principal", d,
                                        c.principal_id,
                                        absl::StrCat("credential ", c.id)));
    TASKGATE_ASSIGN_OR_RETURN(
        const bool inserted,
        Inserted(db,
                 "INSERT INTO credentials (district_id, id, principal_id, "
                 "token_hash, certificate_identity, revoked, version, body) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                 {d, c.id, c.principal_id, token_hash, identity, revoked,
                  c.version, body},
                 "create credential"));
    if (inserted) return absl::OkStatus();
    TASKGATE_ASSIGN_OR_RETURN(
        const bool id_taken,
        RowExists(db, "credentials", d, c.id, "find credential id"));
    if (id_taken) {
      return absl::AlreadyExistsError(
          absl::StrCat("credential ", c.id, " already exists in district ", d));
    }
    if (!c.certificate_identity.empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat("certificate identity '", c.certificate_identity,
                       "' is already bound to a principal in district ", d,
                       "; revoke that binding first"));
    }
    // The hash itself stays out of the message: it stands for a secret.
    return absl::AlreadyExistsError(absl::StrCat(
        "the token hash of credential ", c.id,
        " is already in use by another credential; generate a new secret"));
  }
  // Who a credential belongs to, which secret or identity it stands for
  // never change: a new secret or identity is a new credential. `IS`
  // compares NULLs as equal.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare("UPDATE credentials SET revoked = ?, version = ?, body = ? "
                 "WHERE district_id = ? AND id = ? AND version = ? AND "
                 "principal_id = ? AND token_hash IS ? AND "
                 "certificate_identity IS ?",
                 {revoked, c.version, body, d, c.id, write.expected_version,
                  c.principal_id, token_hash, identity}));
  TASKGATE_RETURN_IF_ERROR(stmt.Run("update credential"));
  if (db.Changes() == 1) return absl::OkStatus();
  TASKGATE_ASSIGN_OR_RETURN(Statement current,
                            db.Prepare("SELECT version FROM credentials "
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
  return absl::InvalidArgumentError(absl::StrCat(
      "credential ", c.id,
      " cannot change its principal or token hash, nor its certificate "
      "identity; issue a new credential instead"));
}

absl::Status WriteComplaint(Connection& db, const std::string& d,
                            const ComplaintWrite& write,
                            std::vector<EntityChange>& record) {
  const domain::Complaint& c = write.complaint;
  const std::string body = domain::ComplaintToJson(c);
  TASKGATE_ASSIGN_OR_RETURN(
      std::optional<domain::Fields> before,
      FieldsBefore(db, domain::kComplaintEntity, "complaints", d, c.id,
                   write.expected_version));
  Record(record, domain::kComplaintEntity, c.id, std::move(before), body);
  const std::string state(domain::ComplaintStateName(c.state));
  if (write.expected_version == 0) {
    return CreateRow(
        db, "complaint", d, c.id,
        "INSERT INTO complaints (district_id, id, community_id, "
        "department_id, task_id, state, version, filed_at, "
        "updated_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        {d, c.id, c.community_id, c.department_id, c.task_id, state, c.version,
         FloorMicros(c.filed_at), FloorMicros(c.updated_at), body});
  }
  return UpdateRow(
      db, "complaints", "complaint", d, c.id, write.expected_version,
      "UPDATE complaints SET community_id = ?, department_id = ?, "
      "task_id = ?, state = ?, version = ?, filed_at = ?, "
      "updated_at = ?, body = ? "
      "WHERE district_id = ? AND id = ? AND version = ?",
      {c.community_id, c.department_id, c.task_id, state, c.version,
       FloorMicros(c.filed_at), FloorMicros(c.updated_at), body, d, c.id,
       write.expected_version});
}

absl::Status WriteFundingReport(Connection& db, const std::string& d,
                                const domain::FundingReport& report,
                                std::vector<EntityChange>& record) {
  TASKGATE_RETURN_IF_ERROR(
      RequireRow(db, "tasks", "task", d, report.task_id,
                 absl::StrCat("funding report ", report.id)));
  const std::string body = domain::FundingReportToJson(report);
  Record(record, domain::kFundingReportEntity, report.id, std::nullopt, body);
  return CreateRow(db, "funding report", d, report.id,
                   "INSERT INTO funding_reports (district_id, id, task_id, "
                   "community_id, reported_at, body) VALUES (?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT DO NOTHING",
                   {d, report.id, report.task_id, report.community_id,
                    FloorMicros(report.reported_at), body});
}

absl::Status WriteAck(Connection& db, const std::string& d,
                      const domain::AssignmentAck& ack,
                      std::vector<EntityChange>& record) {
  TASKGATE_RETURN_IF_ERROR(RequireRow(
      db, "tasks", "task", d, ack.task_id,
      absl::StrCat("acknowledgement by community ", ack.community_id)));
  const std::string body = domain::AssignmentAckToJson(ack);
  TASKGATE_ASSIGN_OR_RETURN(
      const bool inserted,
      Inserted(db,
               "INSERT INTO assignment_acks (district_id, task_id, "
               "community_id, acknowledged_at, body) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT DO NOTHING",
               {d, ack.task_id, ack.community_id,
                FloorMicros(ack.acknowledged_at), body},
               "write acknowledgement"));
  if (inserted) {
    Record(record, domain::kAckEntity,
           domain::AckKey(ack.task_id, ack.community_id), std::nullopt, body);
    return absl::OkStatus();
  }
  return absl::AlreadyExistsError(
      absl::StrCat("task ", ack.task_id, " was already acknowledged by ",
                   "community ", ack.community_id, " in district ", d));
}

absl::Status WriteAttachment(Connection& db, const std::string& d,
                             const AttachmentWrite& write,
                             std::vector<EntityChange>& record) {
  const domain::Attachment& a = write.attachment;
  TASKGATE_RETURN_IF_ERROR(RequireRow(db, "tasks", "task", d, a.task_id,
                                      absl::StrCat("attachment ", a.sha256)));
  // Kept once per hash: a second attachment of the same bytes refers to it.
  TASKGATE_ASSIGN_OR_RETURN(
      Statement content,
      db.Prepare("INSERT INTO attachment_contents (district_id, sha256, "
                 "size_bytes, content) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT DO NOTHING",
                 {d, a.sha256, a.size_bytes, Blob{write.content}}));
  TASKGATE_RETURN_IF_ERROR(content.Run("keep attachment content"));
  const std::string body = domain::AttachmentToJson(a);
  TASKGATE_ASSIGN_OR_RETURN(
      const bool inserted,
      Inserted(db,
               "INSERT INTO attachments (district_id, task_id, sha256, name, "
               "media_type, size_bytes, added_at, body) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
               {d, a.task_id, a.sha256, a.name, a.media_type, a.size_bytes,
                FloorMicros(a.added_at), body},
               "write attachment"));
  if (!inserted) {
    return absl::AlreadyExistsError(absl::StrCat(
        "task ", a.task_id, " already has an attachment with sha256 ", a.sha256,
        " or named '", a.name, "' in district ", d));
  }
  Record(record, domain::kAttachmentEntity,
         domain::AttachmentKey(a.task_id, a.sha256), std::nullopt, body);
  return absl::OkStatus();
}

absl::Status AppendEvents(Connection& db, const std::string& d,
                          const std::vector<domain::AuditEvent>& events,
                          CommitResult& result) {
  TASKGATE_ASSIGN_OR_RETURN(int64_t seq,
                            db.ReadInt("SELECT COALESCE(MAX(seq), 0) FROM "
                                       "audit_events WHERE district_id = ?",
                                       {d}, "read last seq"));

  result.seqs.reserve(events.size());
  result.leaf_hashes.reserve(events.size());
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
    result.seqs.push_back(event.seq);
    result.leaf_hashes.push_back(leaf);
  }
  return absl::OkStatus();
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
  std::vector<EntityChange> record;

  if (change.request.has_value()) {
    const StoredRequest& r = *change.request;
    TASKGATE_ASSIGN_OR_RETURN(
        const bool inserted,
        Inserted(db,
                 "INSERT INTO requests (district_id, request_id, operation, "
                 "fingerprint, response, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT DO NOTHING",
                 {d, r.request_id, r.operation, r.fingerprint, Blob{r.response},
                  FloorMicros(r.created_at)},
                 "store request"));
    if (!inserted) {
      return absl::AlreadyExistsError(absl::StrCat(
          "request_id ", r.request_id, " was already used in district ", d,
          "; its first answer stands"));
    }
  }

  if (change.district.has_value()) {
    const std::string body = domain::DistrictToJson(*change.district);
    TASKGATE_ASSIGN_OR_RETURN(
        const bool inserted,
        Inserted(db,
                 "INSERT INTO districts (id, body) VALUES (?, ?) "
                 "ON CONFLICT DO NOTHING",
                 {d, body}, "create district"));
    if (!inserted) {
      return absl::AlreadyExistsError(
          absl::StrCat("district ", d, " already exists"));
    }
    Record(record, domain::kDistrictEntity, d, std::nullopt, body);
  }

  if (change.catalog.has_value()) {
    const domain::CatalogVersion& catalog = *change.catalog;
    TASKGATE_ASSIGN_OR_RETURN(
        const int64_t latest,
        db.ReadInt("SELECT COALESCE(MAX(version), 0) FROM catalog_versions "
                   "WHERE district_id = ?",
                   {d}, "read latest catalog"));
    if (catalog.version != latest + 1) {
      return absl::AbortedError(
          absl::StrCat("catalog version ", catalog.version, " of district ", d,
                       " is not the next version (latest is ", latest,
                       "); reload and retry"));
    }
    const std::string body = domain::CatalogToJson(catalog);
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare(
            "INSERT INTO catalog_versions (district_id, version, "
            "published_at, body) VALUES (?, ?, ?, ?)",
            {d, catalog.version, FloorMicros(catalog.published_at), body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("publish catalog"));
    Record(record, domain::kCatalogEntity, absl::StrCat(catalog.version),
           std::nullopt, body);
  }

  for (const domain::CalendarYear& calendar : change.calendars) {
    TASKGATE_ASSIGN_OR_RETURN(
        const int64_t latest,
        db.ReadInt("SELECT COALESCE(MAX(version), 0) FROM calendar_years "
                   "WHERE district_id = ? AND year = ?",
                   {d, int64_t{calendar.year}}, "read latest calendar"));
    if (calendar.version != latest + 1) {
      return absl::AbortedError(absl::StrCat(
          "calendar version ", calendar.version, " of ", calendar.year,
          " in district ", d, " is not the next version (latest is ", latest,
          "); reload and retry"));
    }
    const std::string body = domain::CalendarYearToJson(calendar);
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO calendar_years (district_id, year, version, "
                   "published_at, body) VALUES (?, ?, ?, ?, ?)",
                   {d, int64_t{calendar.year}, calendar.version,
                    FloorMicros(calendar.published_at), body}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("publish calendar"));
    Record(record, domain::kCalendarEntity,
           domain::CalendarKey(calendar.year, calendar.version), std::nullopt,
           body);
  }

  // Departments and streets before the communities that refer to them.
  for (const DepartmentWrite& write : change.departments) {
    TASKGATE_RETURN_IF_ERROR(
        WriteNamed(db, d, domain::kDepartmentEntity, "departments", write,
                   domain::DepartmentToJson(write.resource), record));
  }
  for (const StreetWrite& write : change.streets) {
    TASKGATE_RETURN_IF_ERROR(
        WriteNamed(db, d, domain::kStreetEntity, "streets", write,
                   domain::StreetToJson(write.resource), record));
  }
  for (const CommunityWrite& write : change.communities) {
    TASKGATE_RETURN_IF_ERROR(WriteCommunity(db, d, write, record));
  }
  for (const TaskWrite& write : change.tasks) {
    TASKGATE_RETURN_IF_ERROR(WriteTask(db, d, write, record));
  }
  for (const domain::Decision& decision : change.decisions) {
    TASKGATE_RETURN_IF_ERROR(WriteDecision(db, d, decision, record));
  }
  // Principals before the credentials that refer to them.
  for (const PrincipalWrite& write : change.principals) {
    TASKGATE_RETURN_IF_ERROR(WritePrincipal(db, d, write, record));
  }
  for (const CredentialWrite& write : change.credentials) {
    TASKGATE_RETURN_IF_ERROR(WriteCredential(db, d, write, record));
  }
  for (const ComplaintWrite& write : change.complaints) {
    TASKGATE_RETURN_IF_ERROR(WriteComplaint(db, d, write, record));
  }
  for (const domain::FundingReport& report : change.funding_reports) {
    TASKGATE_RETURN_IF_ERROR(WriteFundingReport(db, d, report, record));
  }
  for (const domain::AssignmentAck& ack : change.acks) {
    TASKGATE_RETURN_IF_ERROR(WriteAck(db, d, ack, record));
  }
  for (const AttachmentWrite& write : change.attachments) {
    TASKGATE_RETURN_IF_ERROR(WriteAttachment(db, d, write, record));
  }
  for (const CounterAdd& add : change.counters) {
    TASKGATE_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO counters (district_id, bucket, name, subject, "
                   "value) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                   "value = value + excluded.value",
                   {d, add.bucket, add.name, add.subject, add.amount}));
    TASKGATE_RETURN_IF_ERROR(stmt.Run("add to counter"));
  }
  TASKGATE_RETURN_IF_ERROR(RunFaultHook(hook, "after_change"));

  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::AuditEvent> events,
                            AttachWrites(change.events, std::move(record)));
  CommitResult result;
  TASKGATE_RETURN_IF_ERROR(AppendEvents(db, d, events, result));
  return result;
}

}  // namespace taskgate::store::sqlite_internal
