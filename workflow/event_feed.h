// The read side of following events (SPEC §8, `EventService/WatchEvents`):
// what a principal may follow, read from the store in log order, a page at
// a time. The stream itself (subscribing to commits, heartbeats, limits)
// is services/event_hub.h; this part decides and reads, and keeps no state
// between calls, so a follower's whole state is the last seq it scanned.
//
// Each event is shown by `MayFollowEvent` (workflow/access.h), a pure
// function of the principal and the event, so a replay of the log and the
// live tail show the same events. A department's and a community's pages
// are read with the store's department and community filters, so replaying
// a long log for them reads only their own events.
//
// Thread-safe when the `Store` is. `store` and `recorder` must outlive it.
#ifndef TASKGATE_WORKFLOW_EVENT_FEED_H_
#define TASKGATE_WORKFLOW_EVENT_FEED_H_

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "domain/types.h"
#include "store/store.h"
#include "workflow/audit_recorder.h"

namespace taskgate::workflow {

// What a follower asked for; empty fields do not filter.
struct FollowRequest {
  // Resume after this seq (0: from the log's first event).
  int64_t after_seq = 0;
  // Only the events of this task.
  std::string task_id;
  // Only actions starting with this text ("task.", "task.approve").
  std::string action_prefix;
};

// One page of a follower's events.
struct FeedPage {
  // The events after the page's start that the follower may follow and
  // asked for, in seq order.
  std::vector<store::StoredEvent> events;
  // The last seq the page looked at (its start when it found nothing): the
  // next page starts after it. Events the follower may not see are passed
  // over, never sent.
  int64_t scanned_to = 0;
  // True when the page was full: more may follow at once.
  bool more = false;
};

class EventFeed final {
 public:
  EventFeed(store::Store& store, AuditRecorder& recorder,
            std::string district_id);
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // Checks a new follower before its first page; returns the log's head
  // (its last seq). Errors, in the order checked: PERMISSION_DENIED as
  // `CanFollowEvents`; INVALID_ARGUMENT naming after_seq (negative, or
  // beyond the head: the log this server holds is shorter than the one the
  // client followed), task_id or action_prefix; for a task filter, what
  // `AuditService/ListEvents` answers for that task's history (a
  // department or community that may not read it gets PERMISSION_DENIED,
  // whether or not it exists). A follower that reads the whole log (an
  // auditor or admin) is recorded as audit.query, as its other reads are.
  absl::StatusOr<int64_t> Open(const domain::Principal& principal,
                               const FollowRequest& request);

  // The next page after `after`: at most `limit` stored events looked at.
  // The store's errors (UNAVAILABLE when busy).
  absl::StatusOr<FeedPage> Read(const domain::Principal& principal,
                                const FollowRequest& request, int64_t after,
                                int32_t limit);

  // The log's last seq (0 when empty).
  absl::StatusOr<int64_t> Head();

 private:
  store::Store& store_;
  AuditRecorder& recorder_;
  const std::string district_id_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_EVENT_FEED_H_
