// The read side of the workflow for callers: tasks and their decisions,
// the review queue, community workloads, funding reports and complaints,
// principals and credentials, the catalog and the communities of one
// district. Each read takes the calling `Principal` and authorizes it
// inside (workflow/access.h) before it returns anything; lists are paged
// where they can grow (workflow/paging.h).
//
// Errors, in the order checked, unless a method says otherwise:
// INVALID_ARGUMENT (with field violations) for bad input, NOT_FOUND,
// PERMISSION_DENIED; the store's errors.
//
// Thread-safe when the `Store` is; holds no mutable state. `store` must
// outlive it.
#ifndef TASKGATE_WORKFLOW_QUERIES_H_
#define TASKGATE_WORKFLOW_QUERIES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>

#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/paging.h"

namespace taskgate::workflow {

// Task `task_id` of `district_id` for a principal who may read it: the
// check of `Queries::GetTask`, for every read that hangs off a task (its
// attachments, ...). INVALID_ARGUMENT for a bad id; NOT_FOUND or
// PERMISSION_DENIED as access.h `HideMissingTask` and `CanReadTask` decide.
absl::StatusOr<domain::Task> ReadTask(store::Store& store,
                                      const std::string& district_id,
                                      const domain::Principal& principal,
                                      const std::string& task_id);

// A community's workload (SPEC §6), as `Queries::GetWorkload` reports it.
struct Workload {
  domain::Community community;
  // ACTIVE or PROVISIONAL tasks reaching the community, ordered by id.
  std::vector<domain::Task> assignments;
  // Baseline + assignments for each month of the range asked for, in order
  // (see `MonthlyLoad` in rules.h).
  std::vector<std::pair<absl::CivilMonth, double>> monthly_load;
  // The community's acknowledgements, oldest first.
  std::vector<domain::AssignmentAck> acks;
};

// The review queue's size, for the server's gauges.
struct ReviewQueueStats {
  int64_t depth = 0;    // SUBMITTED, IN_REVIEW or PROVISIONAL tasks
  int64_t overdue = 0;  // of those, past their SLA
};

class Queries final {
 public:
  Queries(store::Store& store, EngineOptions options);
  Queries(const Queries&) = delete;
  Queries& operator=(const Queries&) = delete;

  // Task `task_id`, for those who may read it (`CanReadTask`).
  absl::StatusOr<domain::Task> GetTask(const domain::Principal& principal,
                                       const std::string& task_id);

  // The decisions on task `task_id`, oldest first, for those who may read
  // the task.
  absl::StatusOr<std::vector<domain::Decision>> ListDecisions(
      const domain::Principal& principal, const std::string& task_id);

  // One page of tasks ordered by id (default 50). `filter` is `key=value`
  // terms joined by " AND ", keys state (repeatable), department,
  // community, item_code and awaiting_second_approval (true or false, at
  // most once; domain::AwaitsSecondApproval); a department sees only its
  // own tasks and a community only those reaching it (`ScopeTaskListing`).
  // Errors, in the order checked: INVALID_ARGUMENT for the page size, then
  // the filter (field "filter", naming the key or value); PERMISSION_DENIED
  // for a filter outside the scope; INVALID_ARGUMENT for a page token of
  // another filter.
  absl::StatusOr<Page<domain::Task>> ListTasks(
      const domain::Principal& principal, const std::string& filter,
      const PageRequest& page);

  // One page of the review queue (SUBMITTED, IN_REVIEW and PROVISIONAL
  // tasks, by id; default 50), for reviewers and auditors, filtered by
  // `filter` in the grammar of `ListTasks` with states of the queue only;
  // e.g. "awaiting_second_approval=true" for the tasks a second reviewer
  // may take. Errors, in the order checked: PERMISSION_DENIED;
  // INVALID_ARGUMENT for the page size, then the filter (field "filter":
  // an unknown key, a bad value, a state never in the queue), then a page
  // token of another filter.
  absl::StatusOr<Page<domain::Task>> ListReviewQueue(
      const domain::Principal& principal, const std::string& filter,
      const PageRequest& page);

  // The workload of `community_id` for the months `from`..`to` (inclusive,
  // at most `kMaxWorkloadMonths`). Allowed for that community's own office,
  // reviewers, auditors and admins. Errors, in the order checked:
  // PERMISSION_DENIED for another role, INVALID_ARGUMENT, PERMISSION_DENIED
  // for another community's office, NOT_FOUND.
  absl::StatusOr<Workload> GetWorkload(const domain::Principal& principal,
                                       const std::string& community_id,
                                       absl::CivilMonth from,
                                       absl::CivilMonth to);

  // Funding reports and complaints, filtered by the non-empty arguments
  // (`states` empty: every state), for those `CanReadCommunityReports`
  // admits for `community_id`. PERMISSION_DENIED is checked first.
  // Paged like every list (workflow/paging.h): funding reports oldest
  // first, complaints by id.
  absl::StatusOr<Page<domain::FundingReport>> ListFundingReports(
      const domain::Principal& principal, const std::string& task_id,
      const std::string& community_id, const PageRequest& page);
  absl::StatusOr<Page<domain::Complaint>> ListComplaints(
      const domain::Principal& principal, const std::string& community_id,
      const std::vector<domain::ComplaintState>& states,
      const PageRequest& page);

  // Principals, and the credentials of `principal_id` (empty: of all), for
  // admins and auditors, by id, paged. PERMISSION_DENIED is checked first.
  absl::StatusOr<Page<domain::Principal>> ListPrincipals(
      const domain::Principal& principal, const PageRequest& page);
  absl::StatusOr<Page<domain::Credential>> ListCredentials(
      const domain::Principal& principal, const std::string& principal_id,
      const PageRequest& page);

  // Catalog version `version` (0: the latest). The lists and the
  // communities are public to every signed-in principal. INVALID_ARGUMENT
  // for a negative version, NOT_FOUND.
  absl::StatusOr<domain::CatalogVersion> GetCatalog(
      const domain::Principal& principal, int64_t version);

  // The communities, of street `street_id` when it is not empty, else of
  // the street named exactly `street` when that is not empty (NOT_FOUND
  // when no street has the name), by id, paged; each with its street's
  // name. INVALID_ARGUMENT for a malformed id or name.
  absl::StatusOr<Page<domain::Community>> ListCommunities(
      const domain::Principal& principal, const std::string& street,
      const PageRequest& page, const std::string& street_id = "");

  // Departments and streets (SPEC §1), public to every signed-in
  // principal like the communities: by id, paged. Get: INVALID_ARGUMENT
  // for a malformed id, NOT_FOUND.
  absl::StatusOr<domain::Department> GetDepartment(
      const domain::Principal& principal, const std::string& id);
  absl::StatusOr<Page<domain::Department>> ListDepartments(
      const domain::Principal& principal, const PageRequest& page);
  absl::StatusOr<domain::Street> GetStreet(const domain::Principal& principal,
                                           const std::string& id);
  absl::StatusOr<Page<domain::Street>> ListStreets(
      const domain::Principal& principal, const PageRequest& page);

  // The review queue's size, for the server's own gauges (no caller).
  absl::StatusOr<ReviewQueueStats> GetReviewQueueStats();

 private:
  // One page of `q` (whose `limit` is the page size) after the position in
  // `page_token`, which binds to `query_key`.
  absl::StatusOr<Page<domain::Task>> TaskPage(store::TaskQuery q,
                                              const std::string& query_key,
                                              const std::string& page_token);

  store::Store& store_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_QUERIES_H_
