#include "workflow/event_feed.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>

#include "common/field_violations.h"
#include "common/status_macros.h"
#include "workflow/access.h"
#include "workflow/validation.h"

namespace taskgate::workflow {

EventFeed::EventFeed(store::Store& store, AuditRecorder& recorder,
                     std::string district_id)
    : store_(store),
      recorder_(recorder),
      district_id_(std::move(district_id)) {}

absl::StatusOr<int64_t> EventFeed::Head() {
  return store_.EventCount(district_id_);
}

absl::StatusOr<int64_t> EventFeed::Open(const domain::Principal& principal,
                                        const FollowRequest& request) {
  TASKGATE_RETURN_IF_ERROR(CanFollowEvents(principal));
  std::vector<FieldViolation> violations;
  if (request.after_seq < 0) {
    violations.push_back(
        {"after_seq",
         "must be 0 (from the first event) or the last seq you received"});
  }
  if (!request.task_id.empty()) CheckId("task_id", request.task_id, violations);
  CheckText("action_prefix", request.action_prefix, kMaxIdLength, false,
            violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  // A task's history is read as AuditService/ListEvents reads it.
  if (!request.task_id.empty() && !ReadsEveryTask(principal)) {
    absl::StatusOr<domain::Task> task =
        store_.GetTask(district_id_, request.task_id);
    TASKGATE_RETURN_IF_ERROR(
        HideMissingTask(principal, request.task_id, "read", task.status()));
    TASKGATE_RETURN_IF_ERROR(CanReadTask(principal, *task));
  }
  TASKGATE_ASSIGN_OR_RETURN(const int64_t head, Head());
  if (request.after_seq > head) {
    return InvalidArgumentWithViolations(
        {{"after_seq",
          absl::StrCat("is ", request.after_seq,
                       " but this server's log ends at ", head,
                       "; resume from a seq this server sent, or 0")}});
  }
  if (principal.role == domain::Role::kAuditor ||
      principal.role == domain::Role::kAdmin) {
    std::map<std::string, std::string> details = {
        {"via", "watch"}, {"after_seq", absl::StrCat(request.after_seq)}};
    if (!request.task_id.empty()) details["task_id"] = request.task_id;
    if (!request.action_prefix.empty()) {
      details["action_prefix"] = request.action_prefix;
    }
    TASKGATE_RETURN_IF_ERROR(recorder_.RecordAuditRead(principal, "audit.query",
                                                       std::move(details)));
  }
  return head;
}

absl::StatusOr<FeedPage> EventFeed::Read(const domain::Principal& principal,
                                         const FollowRequest& request,
                                         int64_t after, int32_t limit) {
  store::EventQuery q;
  q.district_id = district_id_;
  q.after_seq = after;
  q.limit = limit;
  // The store narrows what it returns to what the role may follow at most;
  // `MayFollowEvent` decides each event.
  if (principal.role == domain::Role::kDepartment) {
    q.entity_type = "task";
    q.department_id = principal.department_id;
  } else if (principal.role == domain::Role::kCommunity) {
    q.community_id = principal.community_id;
  }
  if (!request.task_id.empty()) {
    q.entity_type = "task";
    q.entity_id = request.task_id;
  }
  TASKGATE_ASSIGN_OR_RETURN(std::vector<store::StoredEvent> read,
                            store_.ListEvents(q));
  FeedPage page;
  page.scanned_to = read.empty() ? after : read.back().seq;
  page.more = limit > 0 && static_cast<int32_t>(read.size()) >= limit;
  for (store::StoredEvent& e : read) {
    if (!MayFollowEvent(principal, e.event)) continue;
    if (!e.event.action.starts_with(request.action_prefix)) continue;
    page.events.push_back(std::move(e));
  }
  return page;
}

}  // namespace taskgate::workflow
