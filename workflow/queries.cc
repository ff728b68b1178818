#include "workflow/queries.h"

#include <string>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>

#include "common/field_violations.h"
#include "common/status_macros.h"
#include "workflow/access.h"
#include "workflow/rules.h"
#include "workflow/validation.h"

namespace taskgate::workflow {

Queries::Queries(store::Store& store, EngineOptions options)
    : store_(store), options_(std::move(options)) {}

absl::StatusOr<Workload> Queries::GetWorkload(
    const domain::Principal& principal, const std::string& community_id,
    absl::CivilMonth from, absl::CivilMonth to) {
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

absl::StatusOr<domain::Complaint> Queries::GetComplaint(
    const std::string& complaint_id) {
  return store_.GetComplaint(options_.district_id, complaint_id);
}

absl::StatusOr<std::vector<domain::Complaint>> Queries::ListComplaints(
    const std::string& community_id,
    const std::vector<domain::ComplaintState>& states) {
  return store_.ListComplaints(options_.district_id, community_id, states);
}

absl::StatusOr<std::vector<domain::FundingReport>> Queries::ListFundingReports(
    const std::string& task_id, const std::string& community_id) {
  return store_.ListFundingReports(options_.district_id, task_id, community_id);
}

absl::StatusOr<std::vector<domain::AssignmentAck>> Queries::ListAcks(
    const std::string& task_id, const std::string& community_id) {
  return store_.ListAcks(options_.district_id, task_id, community_id);
}

absl::StatusOr<domain::Principal> Queries::GetPrincipal(
    const std::string& principal_id) {
  return store_.GetPrincipal(options_.district_id, principal_id);
}

absl::StatusOr<std::vector<domain::Principal>> Queries::ListPrincipals() {
  return store_.ListPrincipals(options_.district_id);
}

absl::StatusOr<std::vector<domain::Credential>> Queries::ListCredentials(
    const std::string& principal_id) {
  return store_.ListCredentials(options_.district_id, principal_id);
}

absl::StatusOr<domain::Task> Queries::GetTask(const std::string& task_id) {
  return store_.GetTask(options_.district_id, task_id);
}

}  // namespace taskgate::workflow
