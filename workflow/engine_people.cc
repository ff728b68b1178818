// The `Engine` operations on people and on the community side of the rule:
// principals and their bearer tokens (SPEC §1, §8), community workloads,
// acknowledgements and funding reports, and complaints (SPEC §6). Each
// mutation is one audited `ChangeSet`, like the task operations in
// engine.cc.
#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "audit/merkle.h"
#include "common/field_violations.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "domain/types.h"
#include "workflow/access.h"
#include "workflow/engine.h"
#include "workflow/internal/commit_once.h"
#include "workflow/rules.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

using internal::CommitOnce;
using internal::Fingerprint;
using internal::Outcome;

std::string Str(std::string_view s) { return std::string(s); }

domain::AuditEvent Event(const std::string& district_id,
                         const domain::Principal& actor,
                         std::string_view action, std::string_view entity_type,
                         const std::string& entity_id, absl::Time now,
                         const std::string& request_id) {
  domain::AuditEvent e;
  e.district_id = district_id;
  e.time = now;
  e.actor_id = actor.id;
  e.actor_role = actor.role;
  e.action = Str(action);
  e.entity_type = Str(entity_type);
  e.entity_id = entity_id;
  e.request_id = request_id;
  return e;
}

std::string_view EnabledName(bool disabled) {
  return disabled ? "disabled" : "enabled";
}

template <typename T>
absl::Status CheckVersion(std::string_view what, const std::string& id,
                          const T& current, int64_t expected_version) {
  if (expected_version != 0 && expected_version != current.version) {
    return absl::AbortedError(
        absl::StrCat(Str(what), " ", id, " is at version ", current.version,
                     ", not ", expected_version,
                     "; it was changed by someone else: reload it and retry"));
  }
  return absl::OkStatus();
}

// The complaint lifecycle of SPEC §6 as one table.
struct ComplaintMove {
  domain::ComplaintState from;
  domain::ComplaintState to;
  std::string_view action;  // audit action after "complaint."
};
constexpr ComplaintMove kComplaintMoves[] = {
    {domain::ComplaintState::kOpen, domain::ComplaintState::kVerified,
     "verify"},
    {domain::ComplaintState::kOpen, domain::ComplaintState::kUnfounded,
     "mark_unfounded"},
    {domain::ComplaintState::kVerified, domain::ComplaintState::kResolved,
     "resolve"},
    {domain::ComplaintState::kUnfounded, domain::ComplaintState::kResolved,
     "resolve"},
};

const ComplaintMove* FindComplaintMove(domain::ComplaintState from,
                                       domain::ComplaintState to) {
  for (const ComplaintMove& m : kComplaintMoves) {
    if (m.from == from && m.to == to) return &m;
  }
  return nullptr;
}

absl::Status IllegalComplaintMove(const domain::Complaint& c,
                                  domain::ComplaintState to) {
  std::vector<std::string> allowed;
  for (const ComplaintMove& m : kComplaintMoves) {
    if (m.from == c.state)
      allowed.push_back(Str(domain::ComplaintStateName(m.to)));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "complaint ", c.id, " cannot move from ",
      Str(domain::ComplaintStateName(c.state)), " to ",
      Str(domain::ComplaintStateName(to)),
      allowed.empty()
          ? std::string("; it is closed")
          : absl::StrCat("; from ", Str(domain::ComplaintStateName(c.state)),
                         " it may move to ", absl::StrJoin(allowed, " or "))));
}

// Loads a task and checks that the principal's community is among its
// targets: NOT_FOUND, then PERMISSION_DENIED whatever the task's state.
absl::StatusOr<domain::Task> LoadTargetedTask(store::Store& store,
                                              const std::string& district_id,
                                              const domain::Principal& p,
                                              const std::string& task_id) {
  TASKGATE_ASSIGN_OR_RETURN(domain::Task task,
                            store.GetTask(district_id, task_id));
  std::optional<std::string> own_street;
  if (AssignmentScopeNeedsStreet(p, task)) {
    absl::StatusOr<domain::Community> own =
        store.GetCommunity(task.district_id, p.community_id);
    if (own.ok()) {
      own_street = own->street;
    } else if (!absl::IsNotFound(own.status())) {
      return own.status();
    }
  }
  TASKGATE_RETURN_IF_ERROR(CanActOnAssignment(p, task, own_street));
  return task;
}

const absl::Status& UnknownToken() {
  static const absl::Status* const kStatus =
      new absl::Status(absl::UnauthenticatedError(
          "unknown or revoked token; ask the district administrator for a "
          "valid token"));
  return *kStatus;
}

// Audit text must be UTF-8 of bounded size; a refused caller's reason is
// cut rather than refused, so the refusal is always recorded.
std::string AuditText(const std::string& text) {
  if (!IsValidUtf8(text)) return "(not valid UTF-8)";
  if (Utf8Length(text) <= kMaxTextLength) return text;
  size_t chars = 0;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 &&
        ++chars > kMaxTextLength) {
      break;
    }
  }
  return text.substr(0, i);
}

}  // namespace

// ------------------------------------------------------------ principals

absl::StatusOr<domain::Principal> Engine::CreatePrincipal(
    const domain::Principal& admin, const std::string& request_id,
    domain::Principal principal) {
  TASKGATE_RETURN_IF_ERROR(CanCreatePrincipal(admin));
  principal.district_id = options_.district_id;
  std::vector<FieldViolation> violations =
      ValidatePrincipal(principal, "principal.");
  if (violations.empty() && principal.role == domain::Role::kCommunity) {
    absl::StatusOr<domain::Community> community =
        store_.GetCommunity(options_.district_id, principal.community_id);
    if (absl::IsNotFound(community.status())) {
      violations.push_back(
          {"principal.community_id",
           absl::StrCat("community '", principal.community_id,
                        "' does not exist in district ", options_.district_id,
                        "; create the community first")});
    } else {
      TASKGATE_RETURN_IF_ERROR(community.status());
    }
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  principal.version = 1;
  principal.created_at = absl::Time();  // set at commit time
  const std::string fingerprint =
      Fingerprint({admin.id, "create", domain::PrincipalToJson(principal)});
  return CommitOnce<domain::Principal>(
      store_, options_.district_id, request_id, "principal.create", fingerprint,
      &domain::PrincipalToJson, &domain::PrincipalFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::Principal>> {
        Outcome<domain::Principal> out;
        out.value = principal;
        out.value.created_at = clock_.Now();
        domain::AuditEvent e =
            Event(options_.district_id, admin, "principal.create", "principal",
                  principal.id, out.value.created_at, request_id);
        e.state_after = Str(EnabledName(principal.disabled));
        e.department_id = principal.department_id;
        if (!principal.community_id.empty()) {
          e.community_ids = {principal.community_id};
        }
        e.details["role"] = Str(domain::RoleName(principal.role));
        e.details["display_name"] = principal.display_name;
        if (!principal.home_department_id.empty()) {
          e.details["home_department_id"] = principal.home_department_id;
        }
        out.change.district_id = options_.district_id;
        out.change.principals.push_back({out.value, 0});
        out.change.events.push_back(std::move(e));
        return out;
      });
}

absl::StatusOr<domain::Principal> Engine::SetPrincipalDisabled(
    const domain::Principal& admin, const std::string& request_id,
    const std::string& principal_id, bool disabled, int64_t expected_version) {
  TASKGATE_RETURN_IF_ERROR(CanSetPrincipalDisabled(admin));
  std::vector<FieldViolation> violations;
  CheckId("principal_id", principal_id, violations);
  if (expected_version < 0) {
    violations.push_back({"expected_version", "must not be negative"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  if (disabled && principal_id == admin.id) {
    // Would lock the caller out, and possibly every admin with it.
    return absl::FailedPreconditionError(
        absl::StrCat("admin ", admin.id,
                     " cannot disable their own principal; ask another "
                     "admin"));
  }
  const std::string fingerprint =
      Fingerprint({admin.id, principal_id, disabled ? "disable" : "enable",
                   absl::StrCat(expected_version)});
  return CommitOnce<domain::Principal>(
      store_, options_.district_id, request_id,
      disabled ? "principal.disable" : "principal.enable", fingerprint,
      &domain::PrincipalToJson, &domain::PrincipalFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::Principal>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Principal p,
            store_.GetPrincipal(options_.district_id, principal_id));
        TASKGATE_RETURN_IF_ERROR(
            CheckVersion("principal", principal_id, p, expected_version));
        Outcome<domain::Principal> out;
        if (p.disabled == disabled) {
          // Nothing changes, so nothing is recorded; the answer still is.
          out.value = std::move(p);
          return out;
        }
        const std::string_view before = EnabledName(p.disabled);
        p.disabled = disabled;
        ++p.version;
        domain::AuditEvent e =
            Event(options_.district_id, admin,
                  disabled ? "principal.disable" : "principal.enable",
                  "principal", p.id, clock_.Now(), request_id);
        e.state_before = Str(before);
        e.state_after = Str(EnabledName(p.disabled));
        e.department_id = p.department_id;
        if (!p.community_id.empty()) e.community_ids = {p.community_id};
        e.details["version"] = absl::StrCat(p.version);
        out.change.district_id = options_.district_id;
        out.change.principals.push_back({p, p.version - 1});
        out.change.events.push_back(std::move(e));
        out.value = std::move(p);
        return out;
      });
}

absl::StatusOr<domain::Credential> Engine::IssueToken(
    const domain::Principal& admin, const std::string& request_id,
    const std::string& principal_id, std::string token_id,
    std::string token_hash, std::string description) {
  TASKGATE_RETURN_IF_ERROR(CanIssueToken(admin));
  std::vector<FieldViolation> violations;
  CheckId("principal_id", principal_id, violations);
  CheckId("token_id", token_id, violations);
  CheckTokenHash("token_hash", token_hash, violations);
  CheckText("description", description, kMaxTitleLength, false, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string fingerprint =
      // Not the token id or hash: the server draws them afresh on every
      // attempt, and a retry must still match the first attempt.
      Fingerprint({admin.id, principal_id, description});
  return CommitOnce<domain::Credential>(
      store_, options_.district_id, request_id, "credential.issue", fingerprint,
      &domain::CredentialToJson, &domain::CredentialFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::Credential>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Principal owner,
            store_.GetPrincipal(options_.district_id, principal_id));
        if (owner.disabled) {
          return absl::FailedPreconditionError(absl::StrCat(
              "principal ", principal_id,
              " is disabled; enable it before issuing it a token"));
        }
        Outcome<domain::Credential> out;
        domain::Credential& c = out.value;
        c.district_id = options_.district_id;
        c.id = token_id;
        c.principal_id = principal_id;
        c.token_hash = token_hash;
        c.description = description;
        c.created_at = clock_.Now();
        c.created_by = admin.id;
        c.version = 1;
        // The hash stays out of the log: the log is exported to inspectors.
        domain::AuditEvent e =
            Event(options_.district_id, admin, "credential.issue", "credential",
                  c.id, c.created_at, request_id);
        e.state_after = "active";
        e.department_id = owner.department_id;
        if (!owner.community_id.empty()) {
          e.community_ids = {owner.community_id};
        }
        e.details["principal_id"] = principal_id;
        e.details["description"] = description;
        out.change.district_id = options_.district_id;
        out.change.credentials.push_back({c, 0});
        out.change.events.push_back(std::move(e));
        return out;
      });
}

absl::StatusOr<domain::Credential> Engine::RevokeToken(
    const domain::Principal& admin, const std::string& request_id,
    const std::string& token_id) {
  TASKGATE_RETURN_IF_ERROR(CanRevokeToken(admin));
  std::vector<FieldViolation> violations;
  CheckId("token_id", token_id, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string fingerprint = Fingerprint({admin.id, "revoke", token_id});
  return CommitOnce<domain::Credential>(
      store_, options_.district_id, request_id, "credential.revoke",
      fingerprint, &domain::CredentialToJson, &domain::CredentialFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::Credential>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Credential c,
            store_.GetCredential(options_.district_id, token_id));
        Outcome<domain::Credential> out;
        if (c.revoked) {
          out.value = std::move(c);
          return out;
        }
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Principal owner,
            store_.GetPrincipal(options_.district_id, c.principal_id));
        c.revoked = true;
        c.revoked_at = clock_.Now();
        ++c.version;
        domain::AuditEvent e =
            Event(options_.district_id, admin, "credential.revoke",
                  "credential", c.id, *c.revoked_at, request_id);
        e.state_before = "active";
        e.state_after = "revoked";
        e.department_id = owner.department_id;
        if (!owner.community_id.empty()) {
          e.community_ids = {owner.community_id};
        }
        e.details["principal_id"] = c.principal_id;
        out.change.district_id = options_.district_id;
        out.change.credentials.push_back({c, c.version - 1});
        out.change.events.push_back(std::move(e));
        out.value = std::move(c);
        return out;
      });
}

absl::StatusOr<domain::Principal> Engine::Authenticate(
    const std::string& token_hash) {
  if (!IsValidTokenHash(token_hash)) return UnknownToken();
  TASKGATE_ASSIGN_OR_RETURN(
      std::optional<domain::Credential> credential,
      store_.FindCredentialByHash(options_.district_id, token_hash));
  if (!credential.has_value() || credential->revoked) return UnknownToken();
  absl::StatusOr<domain::Principal> principal =
      store_.GetPrincipal(options_.district_id, credential->principal_id);
  if (absl::IsNotFound(principal.status())) return UnknownToken();
  TASKGATE_RETURN_IF_ERROR(principal.status());
  if (principal->disabled) return UnknownToken();
  return principal;
}

absl::StatusOr<std::optional<domain::Credential>> Engine::BootstrapAdmin(
    std::string token_id, std::string token_hash) {
  std::vector<FieldViolation> violations;
  CheckId("token_id", token_id, violations);
  CheckTokenHash("token_hash", token_hash, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string& district = options_.district_id;
  TASKGATE_ASSIGN_OR_RETURN(const int64_t principals,
                            store_.CountPrincipals(district));
  if (principals > 0) return std::optional<domain::Credential>();

  const domain::Principal system = domain::SystemPrincipal(district);
  const absl::Time now = clock_.Now();
  domain::Principal admin;
  admin.id = "admin";
  admin.role = domain::Role::kAdmin;
  admin.district_id = district;
  admin.display_name = "District administrator";
  admin.version = 1;
  admin.created_at = now;
  domain::Credential credential;
  credential.district_id = district;
  credential.id = std::move(token_id);
  credential.principal_id = admin.id;
  credential.token_hash = std::move(token_hash);
  credential.description = "bootstrap token of the first administrator";
  credential.created_at = now;
  credential.created_by = system.id;
  credential.version = 1;

  store::ChangeSet change;
  change.district_id = district;
  change.principals.push_back({admin, 0});
  change.credentials.push_back({credential, 0});
  domain::AuditEvent created = Event(district, system, "principal.create",
                                     "principal", admin.id, now, "");
  created.state_after = Str(EnabledName(false));
  created.reason = "bootstrap: the district had no principal";
  created.details["role"] = Str(domain::RoleName(admin.role));
  created.details["display_name"] = admin.display_name;
  change.events.push_back(std::move(created));
  domain::AuditEvent issued = Event(district, system, "credential.issue",
                                    "credential", credential.id, now, "");
  issued.state_after = "active";
  issued.reason = "bootstrap: the district had no principal";
  issued.details["principal_id"] = admin.id;
  issued.details["description"] = credential.description;
  change.events.push_back(std::move(issued));

  absl::StatusOr<store::CommitResult> committed = store_.Commit(change);
  if (committed.ok())
    return std::optional<domain::Credential>(std::move(credential));
  // A concurrent bootstrap won: principals exist now, so this one is moot.
  if (absl::IsAlreadyExists(committed.status())) {
    TASKGATE_ASSIGN_OR_RETURN(const int64_t now_principals,
                              store_.CountPrincipals(district));
    if (now_principals > 0) return std::optional<domain::Credential>();
  }
  return committed.status();
}

absl::Status Engine::RecordAccessDenied(const domain::Principal& who,
                                        const std::string& method,
                                        absl::StatusCode code,
                                        const std::string& reason) {
  std::string_view action;
  if (code == absl::StatusCode::kUnauthenticated) {
    action = "access.unauthenticated";
  } else if (code == absl::StatusCode::kPermissionDenied) {
    action = "access.denied";
  } else {
    return InvalidArgumentWithViolations(
        {{"code", absl::StrCat("must be UNAUTHENTICATED or PERMISSION_DENIED, "
                               "not ",
                               absl::StatusCodeToString(code))}});
  }
  std::vector<FieldViolation> violations;
  CheckText("method", method, kMaxTitleLength, true, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  domain::Principal actor = who;
  if (actor.id.empty()) actor.id = "anonymous";
  domain::AuditEvent e = Event(options_.district_id, actor, action, "rpc",
                               method, clock_.Now(), "");
  e.reason = AuditText(reason);
  e.department_id = AuditText(who.department_id);
  if (!who.community_id.empty()) {
    e.community_ids = {AuditText(who.community_id)};
  }
  e.details["code"] = absl::StatusCodeToString(code);
  store::ChangeSet change;
  change.district_id = options_.district_id;
  change.events.push_back(std::move(e));
  return store_.Commit(change).status();
}

absl::Status Engine::RecordAuditRead(
    const domain::Principal& who, const std::string& action,
    std::map<std::string, std::string> details) {
  if (action != "audit.query" && action != "audit.export" &&
      action != "audit.stats") {
    return InvalidArgumentWithViolations(
        {{"action", "must be audit.query, audit.export or audit.stats"}});
  }
  domain::AuditEvent e = Event(options_.district_id, who, action, "audit_log",
                               options_.district_id, clock_.Now(), "");
  for (auto& [key, value] : details) {
    e.details[key] = AuditText(std::move(value));
  }
  store::ChangeSet change;
  change.district_id = options_.district_id;
  change.events.push_back(std::move(e));
  return store_.Commit(change).status();
}

// ----------------------------------------------------- community workload

absl::StatusOr<Workload> Engine::GetWorkload(const domain::Principal& principal,
                                             const std::string& community_id,
                                             absl::CivilMonth from,
                                             absl::CivilMonth to) {
  TASKGATE_RETURN_IF_ERROR(CanReadWorkloads(principal));
  std::vector<FieldViolation> violations;
  CheckId("community_id", community_id, violations);
  if (to < from) {
    violations.push_back({"to", "is before from"});
  } else if (to - from + 1 > kMaxWorkloadMonths) {
    violations.push_back(
        {"to", absl::StrCat("the range spans ", to - from + 1,
                            " months; ask for at most ", kMaxWorkloadMonths)});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  TASKGATE_RETURN_IF_ERROR(CanReadWorkloadOf(principal, community_id));

  const std::string& district = options_.district_id;
  Workload workload;
  TASKGATE_ASSIGN_OR_RETURN(workload.community,
                            store_.GetCommunity(district, community_id));
  store::TaskQuery q;
  q.district_id = district;
  q.community_id = community_id;
  q.states = {domain::TaskState::kActive, domain::TaskState::kProvisional};
  TASKGATE_ASSIGN_OR_RETURN(workload.assignments, store_.ListTasks(q));
  for (absl::CivilMonth m = from; m <= to; ++m) {
    workload.monthly_load.emplace_back(
        m, MonthlyLoad(workload.community, m, workload.assignments));
  }
  TASKGATE_ASSIGN_OR_RETURN(workload.acks,
                            store_.ListAcks(district, "", community_id));
  return workload;
}

absl::StatusOr<domain::AssignmentAck> Engine::AcknowledgeAssignment(
    const domain::Principal& principal, const std::string& request_id,
    const std::string& task_id) {
  TASKGATE_RETURN_IF_ERROR(CanAcknowledgeAssignment(principal));
  std::vector<FieldViolation> violations;
  CheckId("task_id", task_id, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string fingerprint =
      Fingerprint({principal.id, principal.community_id, task_id});
  return CommitOnce<domain::AssignmentAck>(
      store_, options_.district_id, request_id, "assignment.acknowledge",
      fingerprint, &domain::AssignmentAckToJson, &domain::AssignmentAckFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::AssignmentAck>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Task task,
            LoadTargetedTask(store_, options_.district_id, principal, task_id));
        if (!domain::CountsInWorkload(task.state)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "task ", task_id, " is ", Str(domain::TaskStateName(task.state)),
              "; only ACTIVE or PROVISIONAL assignments can be "
              "acknowledged"));
        }
        Outcome<domain::AssignmentAck> out;
        domain::AssignmentAck& ack = out.value;
        ack.district_id = options_.district_id;
        ack.task_id = task_id;
        ack.community_id = principal.community_id;
        ack.acknowledged_by = principal.id;
        ack.acknowledged_at = clock_.Now();
        domain::AuditEvent e =
            Event(options_.district_id, principal, "assignment.acknowledge",
                  "task", task_id, ack.acknowledged_at, request_id);
        e.department_id = task.department_id;
        e.community_ids = {principal.community_id};
        e.details["task_state"] = Str(domain::TaskStateName(task.state));
        e.details["task_version"] = absl::StrCat(task.version);
        out.change.district_id = options_.district_id;
        out.change.acks.push_back(ack);
        out.change.events.push_back(std::move(e));
        return out;
      });
}

absl::StatusOr<domain::FundingReport> Engine::ReportFundingMissing(
    const domain::Principal& principal, const std::string& request_id,
    const std::string& task_id, const std::string& report_id,
    const std::string& note) {
  TASKGATE_RETURN_IF_ERROR(CanReportFundingMissing(principal));
  std::vector<FieldViolation> violations;
  CheckId("task_id", task_id, violations);
  CheckId("report_id", report_id, violations);
  CheckText("note", note, kMaxTextLength, true, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string fingerprint = Fingerprint(
      {principal.id, principal.community_id, task_id, report_id, note});
  return CommitOnce<domain::FundingReport>(
      store_, options_.district_id, request_id, "funding.report_missing",
      fingerprint, &domain::FundingReportToJson, &domain::FundingReportFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::FundingReport>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Task task,
            LoadTargetedTask(store_, options_.district_id, principal, task_id));
        // Funding that never arrived may come to light after the end date.
        if (!domain::CountsInWorkload(task.state) &&
            task.state != domain::TaskState::kCompleted) {
          return absl::FailedPreconditionError(absl::StrCat(
              "task ", task_id, " is ", Str(domain::TaskStateName(task.state)),
              "; missing funding can be reported for ACTIVE, PROVISIONAL "
              "or COMPLETED tasks"));
        }
        Outcome<domain::FundingReport> out;
        domain::FundingReport& r = out.value;
        r.district_id = options_.district_id;
        r.id = report_id;
        r.task_id = task_id;
        r.community_id = principal.community_id;
        r.note = note;
        r.reported_by = principal.id;
        r.reported_at = clock_.Now();
        domain::AuditEvent e =
            Event(options_.district_id, principal, "funding.report_missing",
                  "task", task_id, r.reported_at, request_id);
        e.reason = note;
        e.department_id = task.department_id;
        e.community_ids = {principal.community_id};
        e.details["report_id"] = report_id;
        e.details["funding_per_community_yuan"] =
            absl::StrCat(task.spec.funding_per_community_yuan);
        out.change.district_id = options_.district_id;
        out.change.funding_reports.push_back(r);
        out.change.events.push_back(std::move(e));
        return out;
      });
}

// ------------------------------------------------------------ complaints

absl::StatusOr<domain::Complaint> Engine::FileComplaint(
    const domain::Principal& principal, const std::string& request_id,
    domain::Complaint complaint) {
  TASKGATE_RETURN_IF_ERROR(CanFileComplaint(principal));
  complaint.district_id = options_.district_id;
  complaint.community_id = principal.community_id;
  complaint.state = domain::ComplaintState::kOpen;
  complaint.filed_by = principal.id;
  complaint.handled_by.clear();
  complaint.resolution.clear();
  complaint.version = 1;
  complaint.filed_at = absl::Time();  // set at commit time
  complaint.updated_at = absl::Time();
  std::vector<FieldViolation> violations =
      ValidateComplaint(complaint, "complaint.");
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string fingerprint =
      Fingerprint({principal.id, domain::ComplaintToJson(complaint)});
  return CommitOnce<domain::Complaint>(
      store_, options_.district_id, request_id, "complaint.file", fingerprint,
      &domain::ComplaintToJson, &domain::ComplaintFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::Complaint>> {
        Outcome<domain::Complaint> out;
        domain::Complaint& c = out.value;
        c = complaint;
        if (!c.task_id.empty()) {
          absl::StatusOr<domain::Task> task =
              store_.GetTask(options_.district_id, c.task_id);
          if (absl::IsNotFound(task.status())) {
            return InvalidArgumentWithViolations(
                {{"complaint.task_id",
                  absl::StrCat("task '", c.task_id,
                               "' does not exist in district ",
                               options_.district_id,
                               "; leave it empty for a task pushed down "
                               "outside TaskGate")}});
          }
          TASKGATE_RETURN_IF_ERROR(task.status());
          if (c.department_id.empty()) c.department_id = task->department_id;
        }
        c.filed_at = clock_.Now();
        c.updated_at = c.filed_at;
        domain::AuditEvent e =
            Event(options_.district_id, principal, "complaint.file",
                  "complaint", c.id, c.filed_at, request_id);
        e.state_after = Str(domain::ComplaintStateName(c.state));
        e.department_id = c.department_id;
        e.community_ids = {c.community_id};
        e.details["title"] = c.title;
        if (!c.task_id.empty()) e.details["task_id"] = c.task_id;
        out.change.district_id = options_.district_id;
        out.change.complaints.push_back({c, 0});
        out.change.events.push_back(std::move(e));
        return out;
      });
}

absl::StatusOr<domain::Complaint> Engine::HandleComplaint(
    const domain::Principal& principal, const std::string& request_id,
    const std::string& complaint_id, int64_t expected_version,
    domain::ComplaintState to, std::string resolution) {
  TASKGATE_RETURN_IF_ERROR(CanHandleComplaints(principal));
  std::vector<FieldViolation> violations;
  CheckId("complaint_id", complaint_id, violations);
  CheckText("resolution", resolution, kMaxTextLength, true, violations);
  if (expected_version < 0) {
    violations.push_back({"expected_version", "must not be negative"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string fingerprint =
      Fingerprint({principal.id, complaint_id, absl::StrCat(expected_version),
                   domain::ComplaintStateName(to), resolution});
  return CommitOnce<domain::Complaint>(
      store_, options_.district_id, request_id, "complaint.handle", fingerprint,
      &domain::ComplaintToJson, &domain::ComplaintFromJson,
      [&]() -> absl::StatusOr<Outcome<domain::Complaint>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Complaint c,
            store_.GetComplaint(options_.district_id, complaint_id));
        TASKGATE_RETURN_IF_ERROR(CanHandleComplaint(principal, c));
        TASKGATE_RETURN_IF_ERROR(
            CheckVersion("complaint", complaint_id, c, expected_version));
        const ComplaintMove* move = FindComplaintMove(c.state, to);
        if (move == nullptr) return IllegalComplaintMove(c, to);
        const domain::ComplaintState before = c.state;
        c.state = to;
        c.handled_by = principal.id;
        c.resolution = resolution;
        c.updated_at = clock_.Now();
        ++c.version;
        domain::AuditEvent e =
            Event(options_.district_id, principal,
                  absl::StrCat("complaint.", Str(move->action)), "complaint",
                  c.id, c.updated_at, request_id);
        e.state_before = Str(domain::ComplaintStateName(before));
        e.state_after = Str(domain::ComplaintStateName(c.state));
        e.reason = resolution;
        e.department_id = c.department_id;
        e.community_ids = {c.community_id};
        e.details["version"] = absl::StrCat(c.version);
        if (!c.task_id.empty()) e.details["task_id"] = c.task_id;
        Outcome<domain::Complaint> out;
        out.change.district_id = options_.district_id;
        out.change.complaints.push_back({c, c.version - 1});
        out.change.events.push_back(std::move(e));
        out.value = std::move(c);
        return out;
      });
}

// ----------------------------------------------------------------- reads

absl::StatusOr<domain::Complaint> Engine::GetComplaint(
    const std::string& complaint_id) {
  return store_.GetComplaint(options_.district_id, complaint_id);
}

absl::StatusOr<std::vector<domain::Complaint>> Engine::ListComplaints(
    const std::string& community_id,
    const std::vector<domain::ComplaintState>& states) {
  return store_.ListComplaints(options_.district_id, community_id, states);
}

absl::StatusOr<std::vector<domain::FundingReport>> Engine::ListFundingReports(
    const std::string& task_id, const std::string& community_id) {
  return store_.ListFundingReports(options_.district_id, task_id, community_id);
}

absl::StatusOr<std::vector<domain::AssignmentAck>> Engine::ListAcks(
    const std::string& task_id, const std::string& community_id) {
  return store_.ListAcks(options_.district_id, task_id, community_id);
}

absl::StatusOr<domain::Principal> Engine::GetPrincipal(
    const std::string& principal_id) {
  return store_.GetPrincipal(options_.district_id, principal_id);
}

absl::StatusOr<std::vector<domain::Principal>> Engine::ListPrincipals() {
  return store_.ListPrincipals(options_.district_id);
}

absl::StatusOr<std::vector<domain::Credential>> Engine::ListCredentials(
    const std::string& principal_id) {
  return store_.ListCredentials(options_.district_id, principal_id);
}

}  // namespace taskgate::workflow
