#include "workflow/community_desk.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "common/field_violations.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "workflow/access.h"
#include "workflow/directory_names.h"
#include "workflow/internal/changes.h"
#include "workflow/internal/commit_once.h"
#include "workflow/statistics_counters.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

using internal::CheckVersion;
using internal::CommitOnce;
using internal::Fingerprint;
using internal::NewEvent;
using internal::Outcome;
using internal::Str;

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
// targets: PERMISSION_DENIED whatever the task's state, and for a task that
// does not exist the same (access.h `HideMissingTask`). Callers check it
// against the last commit before anything is replayed or queued
// (workflow/internal/commit_once.h), and again inside the batch.
absl::StatusOr<domain::Task> LoadTargetedTask(store::Store& store,
                                              const std::string& district_id,
                                              const domain::Principal& p,
                                              const std::string& task_id) {
  absl::StatusOr<domain::Task> read = store.GetTask(district_id, task_id);
  TASKGATE_RETURN_IF_ERROR(
      HideMissingTask(p, task_id, "act on", read.status()));
  domain::Task task = *std::move(read);
  std::optional<std::string> own_street;
  std::string own_street_id;
  if (AssignmentScopeNeedsStreet(p, task)) {
    absl::StatusOr<domain::Community> own =
        store.GetCommunity(task.district_id, p.community_id);
    if (own.ok()) {
      TASKGATE_RETURN_IF_ERROR(FillStreetName(store, task.district_id, *own));
      own_street = own->street;
      own_street_id = own->street_id;
    } else if (!absl::IsNotFound(own.status())) {
      return own.status();
    }
  }
  TASKGATE_RETURN_IF_ERROR(
      CanActOnAssignment(p, task, own_street, own_street_id));
  return task;
}

}  // namespace

CommunityDesk::CommunityDesk(store::Store& store, Writer& writer,
                             const Clock& clock, EngineOptions options)
    : store_(store),
      writer_(writer),
      clock_(clock),
      options_(std::move(options)) {}

absl::StatusOr<domain::AssignmentAck> CommunityDesk::AcknowledgeAssignment(
    const domain::Principal& principal, const std::string& request_id,
    const std::string& task_id) {
  TASKGATE_RETURN_IF_ERROR(CanAcknowledgeAssignment(principal));
  std::vector<FieldViolation> violations;
  CheckId("task_id", task_id, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  TASKGATE_RETURN_IF_ERROR(
      LoadTargetedTask(store_, options_.district_id, principal, task_id)
          .status());
  const std::string fingerprint =
      Fingerprint({principal.id, principal.community_id, task_id});
  return CommitOnce<domain::AssignmentAck>(
      writer_, store_,
      {options_.district_id, principal.id, request_id, "assignment.acknowledge",
       fingerprint, &domain::AssignmentAckToJson,
       &domain::AssignmentAckFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::AssignmentAck>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Task task,
            LoadTargetedTask(tx, options_.district_id, principal, task_id));
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
            NewEvent(options_.district_id, principal, "assignment.acknowledge",
                     "task", task_id, ack.acknowledged_at, request_id);
        e.department_id = task.department_id;
        e.community_ids = {principal.community_id};
        e.details["task_state"] = Str(domain::TaskStateName(task.state));
        e.details["task_version"] = absl::StrCat(task.version);
        out.change.district_id = options_.district_id;
        out.change.acks.push_back(ack);
        out.change.events.push_back(std::move(e));
        TASKGATE_RETURN_IF_ERROR(KeepCounters(out.change, options_, tx));
        return out;
      });
}

absl::StatusOr<domain::FundingReport> CommunityDesk::ReportFundingMissing(
    const domain::Principal& principal, const std::string& request_id,
    const std::string& task_id, const std::string& report_id,
    const std::string& note) {
  TASKGATE_RETURN_IF_ERROR(CanReportFundingMissing(principal));
  std::vector<FieldViolation> violations;
  CheckId("task_id", task_id, violations);
  CheckId("report_id", report_id, violations);
  CheckText("note", note, kMaxTextLength, true, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  TASKGATE_RETURN_IF_ERROR(
      LoadTargetedTask(store_, options_.district_id, principal, task_id)
          .status());
  const std::string fingerprint = Fingerprint(
      {principal.id, principal.community_id, task_id, report_id, note});
  return CommitOnce<domain::FundingReport>(
      writer_, store_,
      {options_.district_id, principal.id, request_id, "funding.report_missing",
       fingerprint, &domain::FundingReportToJson,
       &domain::FundingReportFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::FundingReport>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Task task,
            LoadTargetedTask(tx, options_.district_id, principal, task_id));
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
            NewEvent(options_.district_id, principal, "funding.report_missing",
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
        TASKGATE_RETURN_IF_ERROR(KeepCounters(out.change, options_, tx));
        return out;
      });
}

absl::StatusOr<domain::Complaint> CommunityDesk::FileComplaint(
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
      writer_, store_,
      {options_.district_id, principal.id, request_id, "complaint.file",
       fingerprint, &domain::ComplaintToJson, &domain::ComplaintFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::Complaint>> {
        Outcome<domain::Complaint> out;
        domain::Complaint& c = out.value;
        c = complaint;
        if (!c.task_id.empty()) {
          absl::StatusOr<domain::Task> task =
              tx.GetTask(options_.district_id, c.task_id);
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
            NewEvent(options_.district_id, principal, "complaint.file",
                     "complaint", c.id, c.filed_at, request_id);
        e.state_after = Str(domain::ComplaintStateName(c.state));
        e.department_id = c.department_id;
        e.community_ids = {c.community_id};
        e.details["title"] = c.title;
        if (!c.task_id.empty()) e.details["task_id"] = c.task_id;
        out.change.district_id = options_.district_id;
        out.change.complaints.push_back({c, 0});
        out.change.events.push_back(std::move(e));
        TASKGATE_RETURN_IF_ERROR(KeepCounters(out.change, options_, tx));
        return out;
      });
}

absl::StatusOr<domain::Complaint> CommunityDesk::HandleComplaint(
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
      writer_, store_,
      {options_.district_id, principal.id, request_id, "complaint.handle",
       fingerprint, &domain::ComplaintToJson, &domain::ComplaintFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::Complaint>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Complaint c,
            tx.GetComplaint(options_.district_id, complaint_id));
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
            NewEvent(options_.district_id, principal,
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

}  // namespace taskgate::workflow
