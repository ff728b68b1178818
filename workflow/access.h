// Who may read what. Together with the transition table (for task changes)
// and the engine's own role checks (catalog, communities, principals,
// complaints), this is the one place that decides who may do what; the gRPC
// services and any later console only ask. Pure functions; thread-safe.
//
// Every function returns OK or PERMISSION_DENIED with a message naming the
// role and what it may do instead.
#ifndef TASKGATE_WORKFLOW_ACCESS_H_
#define TASKGATE_WORKFLOW_ACCESS_H_

#include <string>

#include <absl/status/status.h>

#include "domain/types.h"

namespace taskgate::workflow {

// A department reads its own tasks; a community the tasks that reach it;
// reviewers, auditors and admins every task.
absl::Status CanReadTask(const domain::Principal& p, const domain::Task& task);

// Scope of a task listing. Departments are limited to their own department,
// communities to their own community; others may list everything. Fills the
// forced filter values (empty when unrestricted) or returns
// PERMISSION_DENIED when the requested value contradicts the scope.
absl::Status ScopeTaskListing(const domain::Principal& p,
                              std::string& department_id,
                              std::string& community_id);

// The review queue: reviewers and auditors.
absl::Status CanReadReviewQueue(const domain::Principal& p);

// The whole audit log, tree heads: auditors, admins and reviewers.
// (A department may read its own task's history: use CanReadTask.)
absl::Status CanReadAuditLog(const domain::Principal& p);

// Funding reports and complaints of every community: reviewers, auditors.
// A community may read its own (pass its id).
absl::Status CanReadCommunityReports(const domain::Principal& p,
                                     const std::string& community_id);

// Principals and credentials: admins and auditors.
absl::Status CanReadPrincipals(const domain::Principal& p);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_ACCESS_H_
