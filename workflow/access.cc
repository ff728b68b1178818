#include "workflow/access.h"

#include <algorithm>
#include <string>

#include <absl/strings/str_cat.h>

namespace taskgate::workflow {
namespace {

std::string RoleText(const domain::Principal& p) {
  return std::string(domain::RoleName(p.role));
}

bool IsOneOf(const domain::Principal& p,
             std::initializer_list<domain::Role> roles) {
  return std::find(roles.begin(), roles.end(), p.role) != roles.end();
}

}  // namespace

absl::Status CanReadTask(const domain::Principal& p, const domain::Task& task) {
  switch (p.role) {
    case domain::Role::kReviewer:
    case domain::Role::kAuditor:
    case domain::Role::kAdmin:
    case domain::Role::kSystem:
      return absl::OkStatus();
    case domain::Role::kDepartment:
      if (p.department_id == task.department_id) return absl::OkStatus();
      return absl::PermissionDeniedError(
          absl::StrCat("task ", task.id,
                       " belongs to another department; "
                       "department ",
                       p.department_id, " sees only its own tasks"));
    case domain::Role::kCommunity: {
      const auto& reached = task.resolved_communities;
      if (std::find(reached.begin(), reached.end(), p.community_id) !=
          reached.end()) {
        return absl::OkStatus();
      }
      return absl::PermissionDeniedError(absl::StrCat(
          "task ", task.id, " does not reach community ", p.community_id));
    }
  }
  return absl::PermissionDeniedError("unknown role");
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
                       department_id));
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

}  // namespace taskgate::workflow
