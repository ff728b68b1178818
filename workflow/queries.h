// The read side of the workflow: tasks, community workloads,
// acknowledgements, funding reports, complaints, principals and
// credentials of one district, as stored.
//
// Thread-safe when the `Store` is; `store` must outlive it.
#ifndef TASKGATE_WORKFLOW_QUERIES_H_
#define TASKGATE_WORKFLOW_QUERIES_H_

#include <string>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>

#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"

namespace taskgate::workflow {

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

class Queries final {
 public:
  Queries(store::Store& store, EngineOptions options);
  Queries(const Queries&) = delete;
  Queries& operator=(const Queries&) = delete;

  // The workload of `community_id` for the months `from`..`to` (inclusive,
  // at most `kMaxWorkloadMonths`). Allowed for that community's own office,
  // reviewers, auditors and admins. Errors, in the order checked:
  // PERMISSION_DENIED for another role, INVALID_ARGUMENT, PERMISSION_DENIED
  // for another community's office, NOT_FOUND.
  absl::StatusOr<Workload> GetWorkload(const domain::Principal& principal,
                                       const std::string& community_id,
                                       absl::CivilMonth from,
                                       absl::CivilMonth to);

  // Reads, for callers that have already authorized the principal. Empty
  // filters do not filter.
  absl::StatusOr<domain::Task> GetTask(const std::string& task_id);
  absl::StatusOr<domain::Complaint> GetComplaint(
      const std::string& complaint_id);
  absl::StatusOr<std::vector<domain::Complaint>> ListComplaints(
      const std::string& community_id,
      const std::vector<domain::ComplaintState>& states);
  absl::StatusOr<std::vector<domain::FundingReport>> ListFundingReports(
      const std::string& task_id, const std::string& community_id);
  absl::StatusOr<std::vector<domain::AssignmentAck>> ListAcks(
      const std::string& task_id, const std::string& community_id);
  absl::StatusOr<domain::Principal> GetPrincipal(
      const std::string& principal_id);
  absl::StatusOr<std::vector<domain::Principal>> ListPrincipals();
  absl::StatusOr<std::vector<domain::Credential>> ListCredentials(
      const std::string& principal_id);

 private:
  store::Store& store_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_QUERIES_H_
