// The public list (公示, SPEC §6): what the district admitted into each
// community's workload, readable by anyone without credentials, so that
// residents and community staff can see what was admitted and, by its
// absence, what was not.
//
// The list is a projection, not a filtered view of the stored records: a
// `PublicTask` holds the fields SPEC §6 names (title, department, period,
// hours per month, funding: 费随事转 makes the amount as public as the
// source) and the task id, and nothing else can reach a reader through it:
// no description, findings, reasons, decisions, approvals, claims or
// acknowledgements, no principal of any kind. Only tasks in force appear:
// ACTIVE, and PROVISIONAL (an emergency task counted in the workload while
// its review is due), marked as such. No method takes a caller: nobody's
// credential can widen (or narrow) what the list shows.
//
// Reads go to the store's read side (`Store` reads, which never wait for
// the district's writer) and record nothing: a public read is not an audit
// event, so an anonymous reader cannot grow the log. Rate limits belong to
// whoever serves the list (services/public_list.h).
//
// Thread-safe when the `Store` is; holds no mutable state. `store` must
// outlive it.
#ifndef TASKGATE_WORKFLOW_PUBLIC_LIST_H_
#define TASKGATE_WORKFLOW_PUBLIC_LIST_H_

#include <cstdint>
#include <string>

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>

#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/paging.h"

namespace taskgate::workflow {

// A community as the public list shows it.
struct PublicCommunity {
  std::string id;
  std::string name;
  std::string street;  // 街道
  bool operator==(const PublicCommunity&) const = default;
};

// A task in force in one community, as the public list shows it.
struct PublicTask {
  std::string id;
  std::string title;
  std::string department_id;
  // The department's current name (SPEC §1); empty for an id no
  // department has.
  std::string department_name;
  absl::CivilDay start_date;
  absl::CivilDay end_date;  // inclusive
  double hours_per_month = 0;
  int64_t funding_per_community_yuan = 0;
  std::string funding_source;
  // PROVISIONAL (an emergency task whose review is still due) rather than
  // ACTIVE.
  bool provisional = false;
  bool operator==(const PublicTask&) const = default;
};

// One page of a community's tasks in force.
struct PublicTaskPage {
  PublicCommunity community;
  Page<PublicTask> tasks;
};

// The public fields of `community` / `task`, and only those.
PublicCommunity ToPublicCommunity(const domain::Community& community);
PublicTask ToPublicTask(const domain::Task& task);

// A public task page's default size, and the largest: smaller than other
// lists', since an anonymous caller's page reads whole stored tasks.
inline constexpr int32_t kPublicTaskPageSize = 50;
inline constexpr int32_t kMaxPublicTaskPageSize = 100;

class PublicList final {
 public:
  PublicList(store::Store& store, EngineOptions options);
  PublicList(const PublicList&) = delete;
  PublicList& operator=(const PublicList&) = delete;

  // One page of the district's communities by id (default 100, at most
  // `kMaxPageSize`; at most `kMaxPageBytes`). INVALID_ARGUMENT (field
  // "page_size" or "page_token"); the store's errors.
  absl::StatusOr<Page<PublicCommunity>> ListCommunities(
      const PageRequest& page);

  // Community `community_id` and one page of its tasks in force, by task
  // id (default `kPublicTaskPageSize`, at most `kMaxPublicTaskPageSize`; at
  // most `kMaxPageBytes`). Errors, in the order checked: INVALID_ARGUMENT
  // (fields "community_id", "page_size"); NOT_FOUND, saying where the
  // communities are listed, for a community the district does not have;
  // INVALID_ARGUMENT (field "page_token") for a token of another list or
  // community; the store's errors.
  absl::StatusOr<PublicTaskPage> ListTasks(const std::string& community_id,
                                           const PageRequest& page);

 private:
  store::Store& store_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_PUBLIC_LIST_H_
