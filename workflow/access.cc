#include "workflow/access.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/strings/str_cat.h>

#include "common/safe_text.h"
#include "common/status_macros.h"

namespace taskgate::workflow {
namespace {

std::string RoleText(const domain::Principal& p) {
  return std::string(domain::RoleName(p.role));
}

bool IsOneOf(const domain::Principal& p,
             std::initializer_list<domain::Role> roles) {
  return std::find(roles.begin(), roles.end(), p.role) != roles.end();
}

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

absl::Status RoleDenied(const domain::Principal& p, std::string_view what,
                        std::string_view who_may) {
  return absl::PermissionDeniedError(
      absl::StrCat("role ", RoleText(p), " may not ", std::string(what), "; ",
                   std::string(who_may)));
}

absl::Status AdminOnly(const domain::Principal& p, std::string_view what) {
  if (p.role == domain::Role::kAdmin) return absl::OkStatus();
  return RoleDenied(p, what, "an admin does");
}

// A community office acts for exactly one community.
absl::Status CommunityOfficeOnly(const domain::Principal& p,
                                 std::string_view what) {
  if (p.role != domain::Role::kCommunity) {
    return RoleDenied(p, what, "a community office does");
  }
  if (p.community_id.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("community principal ", p.id,
                     " is bound to no community; an admin must set its "
                     "community_id"));
  }
  return absl::OkStatus();
}

}  // namespace

bool ReadsEveryTask(const domain::Principal& p) {
  return IsOneOf(p, {domain::Role::kReviewer, domain::Role::kAuditor,
                     domain::Role::kAdmin, domain::Role::kSystem});
}

absl::Status TaskOutOfScope(const domain::Principal& p,
                            std::string_view task_id, std::string_view what) {
  const std::string task = absl::StrCat("task '", EchoValue(task_id), "'");
  switch (p.role) {
    case domain::Role::kDepartment:
      return absl::PermissionDeniedError(absl::StrCat(
          "department ", p.department_id, " may ", std::string(what),
          " only its own tasks; ", task, " is not one of them"));
    case domain::Role::kCommunity:
      return absl::PermissionDeniedError(absl::StrCat(
          "community ", p.community_id, " may ", std::string(what),
          " only the tasks that reach it; ", task, " is not one of them"));
    default:
      return absl::PermissionDeniedError(absl::StrCat(
          "role ", RoleText(p), " may not ", std::string(what), " ", task));
  }
}

absl::Status HideMissingTask(const domain::Principal& p,
                             std::string_view task_id, std::string_view what,
                             const absl::Status& lookup) {
  if (absl::IsNotFound(lookup) && !ReadsEveryTask(p)) {
    return TaskOutOfScope(p, task_id, what);
  }
  return lookup;
}

absl::Status CanReadTask(const domain::Principal& p, const domain::Task& task) {
  if (ReadsEveryTask(p)) return absl::OkStatus();
  const bool in_scope =
      p.role == domain::Role::kDepartment
          ? p.department_id == task.department_id
          : p.role == domain::Role::kCommunity &&
                Contains(task.resolved_communities, p.community_id);
  return in_scope ? absl::OkStatus() : TaskOutOfScope(p, task.id, "read");
}

absl::Status ScopeTaskListing(const domain::Principal& p,
                              std::string& department_id,
                              std::string& community_id) {
  if (p.role == domain::Role::kDepartment) {
    if (!department_id.empty() && department_id != p.department_id) {
      return absl::PermissionDeniedError(
          absl::StrCat("department ", p.department_id,
                       " may list only its own tasks, not "
                       "those of ",
                       EchoValue(department_id)));
    }
    department_id = p.department_id;
  } else if (p.role == domain::Role::kCommunity) {
    if (!community_id.empty() && community_id != p.community_id) {
      return absl::PermissionDeniedError(
          absl::StrCat("community ", p.community_id,
                       " may list only the tasks that reach it"));
    }
    community_id = p.community_id;
  }
  return absl::OkStatus();
}

absl::Status CanReadReviewQueue(const domain::Principal& p) {
  if (IsOneOf(p, {domain::Role::kReviewer, domain::Role::kAuditor}))
    return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", RoleText(p),
      " may not read the review queue; reviewers and auditors may"));
}

absl::Status CanReadAuditLog(const domain::Principal& p) {
  if (IsOneOf(p, {domain::Role::kAuditor, domain::Role::kAdmin,
                  domain::Role::kReviewer})) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", RoleText(p),
      " may not read the whole audit log; ask for one task's history "
      "instead"));
}

absl::Status CanReadCommunityReports(const domain::Principal& p,
                                     const std::string& community_id) {
  if (IsOneOf(p, {domain::Role::kReviewer, domain::Role::kAuditor}))
    return absl::OkStatus();
  if (p.role == domain::Role::kCommunity && !community_id.empty() &&
      community_id == p.community_id) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("role ", RoleText(p),
                   " may not read communities' reports and complaints"));
}

absl::Status CanReadPrincipals(const domain::Principal& p) {
  if (IsOneOf(p, {domain::Role::kAdmin, domain::Role::kAuditor}))
    return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", RoleText(p), " may not read principals and credentials"));
}

absl::Status CanReadWorkloads(const domain::Principal& p) {
  switch (p.role) {
    case domain::Role::kCommunity:
    case domain::Role::kReviewer:
    case domain::Role::kAuditor:
    case domain::Role::kAdmin:
      return absl::OkStatus();
    default:
      return RoleDenied(p, "see community workloads",
                        "the community itself, reviewers, auditors and "
                        "admins do");
  }
}

absl::Status CanReadWorkloadOf(const domain::Principal& p,
                               const std::string& community_id) {
  TASKGATE_RETURN_IF_ERROR(CanReadWorkloads(p));
  if (p.role == domain::Role::kCommunity && p.community_id != community_id) {
    return absl::PermissionDeniedError(absl::StrCat(
        "community principal ", p.id, " acts for community ", p.community_id,
        " and may not see the workload of community ",
        EchoValue(community_id)));
  }
  return absl::OkStatus();
}

namespace {

// The states a task holds while it is, or once was, in communities'
// workloads: an event into or out of one concerns the assignment.
bool IsAssignmentState(std::string_view state) {
  return state == "PROVISIONAL" || state == "ACTIVE" || state == "REVOKED" ||
         state == "COMPLETED";
}

bool IsRefusal(const domain::AuditEvent& e) {
  return e.action.starts_with("access.");
}

}  // namespace

absl::Status CanFollowEvents(const domain::Principal& p) {
  switch (p.role) {
    case domain::Role::kAuditor:
    case domain::Role::kAdmin:
    case domain::Role::kReviewer:
      return absl::OkStatus();
    case domain::Role::kDepartment:
      if (!p.department_id.empty()) return absl::OkStatus();
      return absl::PermissionDeniedError(
          absl::StrCat("department principal ", p.id,
                       " is bound to no department and so has no tasks to "
                       "follow; an admin must set its department_id"));
    case domain::Role::kCommunity:
      return CommunityOfficeOnly(p, "follow events");
    default:
      return RoleDenied(p, "follow events",
                        "departments, communities, reviewers, auditors and "
                        "admins do");
  }
}

bool MayFollowEvent(const domain::Principal& p, const domain::AuditEvent& e) {
  if (!CanFollowEvents(p).ok()) return false;
  const bool task = e.entity_type == "task";
  switch (p.role) {
    case domain::Role::kAuditor:
      return true;
    case domain::Role::kAdmin:
      return !IsRefusal(e);
    case domain::Role::kReviewer:
      if (e.entity_type == "complaint") return true;
      // A draft's life (created, edited, withdrawn unsubmitted) is its
      // department's; the queue starts at submit.
      return task && e.state_after != "DRAFT" &&
             !(e.state_before == "DRAFT" && e.state_after == "WITHDRAWN");
    case domain::Role::kDepartment:
      return task && e.department_id == p.department_id;
    case domain::Role::kCommunity: {
      if (!Contains(e.community_ids, p.community_id)) return false;
      if (e.entity_type == "complaint") return true;
      if (!task) return false;
      // Acknowledgements and funding reports carry no state and are the
      // community's own (their community_ids is the community alone).
      if (e.action == "assignment.acknowledge" ||
          e.action == "funding.report_missing") {
        return e.community_ids.size() == 1;
      }
      return IsAssignmentState(e.state_before) ||
             IsAssignmentState(e.state_after);
    }
    default:
      return false;
  }
}

absl::Status CanPublishCatalog(const domain::Principal& p) {
  if (p.role == domain::Role::kAdmin) return absl::OkStatus();
  return RoleDenied(p, "publish the catalog", "an admin publishes it");
}

absl::Status CanPublishCalendar(const domain::Principal& p) {
  if (p.role == domain::Role::kAdmin) return absl::OkStatus();
  return RoleDenied(p, "publish the working-day calendar",
                    "an admin publishes it; every role may read it");
}

absl::Status CanPutCommunity(const domain::Principal& p) {
  return AdminOnly(p, "change communities");
}

absl::Status CanPutDepartment(const domain::Principal& p) {
  return AdminOnly(p, "create or rename departments");
}

absl::Status CanPutStreet(const domain::Principal& p) {
  return AdminOnly(p, "create or rename streets");
}

absl::Status CanCreateTask(const domain::Principal& p) {
  if (p.role == domain::Role::kDepartment) return absl::OkStatus();
  return RoleDenied(p, "create tasks", "a department clerk does");
}

absl::Status CanCreatePrincipal(const domain::Principal& p) {
  return AdminOnly(p, "create principals");
}

absl::Status CanSetPrincipalDisabled(const domain::Principal& p) {
  return AdminOnly(p, "disable or enable principals");
}

absl::Status CanIssueToken(const domain::Principal& p) {
  return AdminOnly(p, "issue tokens");
}

absl::Status CanRevokeToken(const domain::Principal& p) {
  return AdminOnly(p, "revoke tokens");
}

absl::Status CanBindCertificate(const domain::Principal& p) {
  return AdminOnly(p, "bind client certificates");
}

absl::Status CanAcknowledgeAssignment(const domain::Principal& p) {
  return CommunityOfficeOnly(p, "acknowledge assignments");
}

absl::Status CanReportFundingMissing(const domain::Principal& p) {
  return CommunityOfficeOnly(p, "report missing funding");
}

absl::Status CanFileComplaint(const domain::Principal& p) {
  return CommunityOfficeOnly(p, "file complaints");
}

bool AssignmentScopeNeedsStreet(const domain::Principal& p,
                                const domain::Task& task) {
  return task.resolved_communities.empty() &&
         !Contains(task.spec.target_communities, p.community_id) &&
         (!task.spec.target_streets.empty() ||
          !task.spec.target_street_ids.empty());
}

absl::Status CanActOnAssignment(const domain::Principal& p,
                                const domain::Task& task,
                                const std::optional<std::string>& own_street,
                                const std::string& own_street_id) {
  bool reaches = false;
  if (!task.resolved_communities.empty()) {
    reaches = Contains(task.resolved_communities, p.community_id);
  } else if (Contains(task.spec.target_communities, p.community_id)) {
    reaches = true;
  } else if (own_street.has_value()) {
    reaches = Contains(task.spec.target_streets, *own_street) ||
              (!own_street_id.empty() &&
               Contains(task.spec.target_street_ids, own_street_id));
  }
  if (reaches) return absl::OkStatus();
  return TaskOutOfScope(p, task.id, "act on");
}

absl::Status CanHandleComplaints(const domain::Principal& p) {
  if (p.role == domain::Role::kReviewer) return absl::OkStatus();
  return RoleDenied(p, "handle complaints", "a reviewer does");
}

absl::Status CanHandleComplaint(const domain::Principal& p,
                                const domain::Complaint& complaint) {
  TASKGATE_RETURN_IF_ERROR(CanHandleComplaints(p));
  // Like a task of their own department, a complaint against it is never
  // theirs to judge.
  if (!complaint.department_id.empty() &&
      complaint.department_id == p.home_department_id) {
    return absl::PermissionDeniedError(absl::StrCat(
        "reviewer ", p.id, " belongs to department ", complaint.department_id,
        ", which complaint ", complaint.id,
        " accuses; another reviewer must handle it"));
  }
  return absl::OkStatus();
}

}  // namespace taskgate::workflow
