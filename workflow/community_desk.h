// The community's desk (SPEC §6): what a community office does with the
// tasks that reach it - acknowledge an assignment, report that its funding
// did not arrive (费随事转), file a complaint about a task pushed down
// without admission - and the reviewers' handling of those complaints
// (OPEN -> VERIFIED | UNFOUNDED -> RESOLVED, one table).
//
// Mutations are audited `ChangeSet`s, idempotent by a non-empty
// `request_id`. Errors, in the order checked: PERMISSION_DENIED for a role
// that may never make the call (workflow/access.h), INVALID_ARGUMENT (with
// field violations) for bad input, NOT_FOUND, PERMISSION_DENIED for a scope
// the principal lacks, ABORTED for a stale `expected_version` (0: not
// checked), FAILED_PRECONDITION for a move the current state forbids.
//
// Thread-safe when the `Store` is; holds no mutable state of its own.
// `store` and `clock` must outlive it.
#ifndef TASKGATE_WORKFLOW_COMMUNITY_DESK_H_
#define TASKGATE_WORKFLOW_COMMUNITY_DESK_H_

#include <cstdint>
#include <string>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/writer.h"

namespace taskgate::workflow {

class CommunityDesk final {
 public:
  CommunityDesk(store::Store& store, Writer& writer, const Clock& clock,
                EngineOptions options);
  CommunityDesk(const CommunityDesk&) = delete;
  CommunityDesk& operator=(const CommunityDesk&) = delete;

  // The principal's community acknowledges that ACTIVE or PROVISIONAL task
  // `task_id` reached it. Community role only; PERMISSION_DENIED when the
  // task does not target the community; FAILED_PRECONDITION in any other
  // state; ALREADY_EXISTS when already acknowledged. Event
  // "assignment.acknowledge".
  absl::StatusOr<domain::AssignmentAck> AcknowledgeAssignment(
      const domain::Principal& principal, const std::string& request_id,
      const std::string& task_id);

  // The principal's community reports that the funding of task `task_id`
  // did not arrive (费随事转). Same scope as acknowledging; allowed while the
  // task is ACTIVE or PROVISIONAL and after it COMPLETED; `note` required.
  // Event "funding.report_missing".
  absl::StatusOr<domain::FundingReport> ReportFundingMissing(
      const domain::Principal& principal, const std::string& request_id,
      const std::string& task_id, const std::string& report_id,
      const std::string& note);

  // The principal's community files a complaint that a task reached it
  // without admission. `complaint.id` is chosen by the caller; its
  // community is the principal's; title and description are required; a
  // `task_id`, when given, must exist, and its department is taken as the
  // accused one when none is named. Event "complaint.file".
  absl::StatusOr<domain::Complaint> FileComplaint(
      const domain::Principal& principal, const std::string& request_id,
      domain::Complaint complaint);

  // A reviewer moves a complaint: OPEN -> VERIFIED | UNFOUNDED, and either
  // of those -> RESOLVED, with a required `resolution` text. A reviewer of
  // the accused department may not handle it (PERMISSION_DENIED); any other
  // move is FAILED_PRECONDITION naming both states. Events
  // "complaint.verify", "complaint.mark_unfounded", "complaint.resolve".
  absl::StatusOr<domain::Complaint> HandleComplaint(
      const domain::Principal& principal, const std::string& request_id,
      const std::string& complaint_id, int64_t expected_version,
      domain::ComplaintState to, std::string resolution);

 private:
  store::Store& store_;  // reads outside the writer
  Writer& writer_;
  const Clock& clock_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_COMMUNITY_DESK_H_
