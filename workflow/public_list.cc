#include "workflow/public_list.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>

#include "common/field_violations.h"
#include "common/status_macros.h"
#include "workflow/directory_names.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

// What the page tokens of the two lists bind to. A task page's token binds
// to its community too (length-prefixed, so no two communities share one).
constexpr char kCommunitiesQuery[] = "public-communities";

std::string TasksQuery(const std::string& community_id) {
  return absl::StrCat("public-tasks;", community_id.size(), ":", community_id);
}

// An estimate at least the size of an item's answer, in the proto and in
// its JSON mapping (field names, quotes, numbers and dates included).
constexpr size_t kItemOverheadBytes = 256;

size_t SizeOf(const PublicCommunity& c) {
  return kItemOverheadBytes + c.id.size() + c.name.size() + c.street.size();
}

size_t SizeOf(const PublicTask& t) {
  return kItemOverheadBytes + t.id.size() + t.title.size() +
         t.department_id.size() + t.department_name.size() +
         t.funding_source.size();
}

}  // namespace

PublicCommunity ToPublicCommunity(const domain::Community& community) {
  return {
      .id = community.id, .name = community.name, .street = community.street};
}

PublicTask ToPublicTask(const domain::Task& task) {
  return {.id = task.id,
          .title = task.spec.title,
          .department_id = task.department_id,
          .department_name = {},  // filled by the list from the departments
          .start_date = task.spec.start_date,
          .end_date = task.spec.end_date,
          .hours_per_month = task.spec.hours_per_community_month,
          .funding_per_community_yuan = task.spec.funding_per_community_yuan,
          .funding_source = task.spec.funding_source,
          .provisional = task.state == domain::TaskState::kProvisional};
}

PublicList::PublicList(store::Store& store, EngineOptions options)
    : store_(store), options_(std::move(options)) {}

absl::StatusOr<Page<PublicCommunity>> PublicList::ListCommunities(
    const PageRequest& page) {
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<domain::Community> communities,
      store_.ListCommunities(options_.district_id, /*street_id=*/""));
  TASKGATE_RETURN_IF_ERROR(
      FillStreetNames(store_, options_.district_id, communities));
  std::vector<PublicCommunity> all;
  all.reserve(communities.size());
  for (const domain::Community& c : communities) {
    all.push_back(ToPublicCommunity(c));
  }
  return PageOfList(
      std::move(all), page, kCommunitiesQuery,
      [](const PublicCommunity& c) { return c.id; },
      [](const PublicCommunity& c) { return SizeOf(c); });
}

absl::StatusOr<PublicTaskPage> PublicList::ListTasks(
    const std::string& community_id, const PageRequest& page) {
  std::vector<FieldViolation> violations;
  if (community_id.empty()) {
    violations.push_back(
        {"community_id",
         "is required: name the community whose tasks in force to list (the "
         "communities are listed by ListPublicCommunities, or GET "
         "/public/v1/communities)"});
  } else {
    CheckId("community_id", community_id, violations);
  }
  const int32_t size =
      std::min(PageSize(page.page_size, violations, kPublicTaskPageSize),
               kMaxPublicTaskPageSize);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  const std::string& district = options_.district_id;
  absl::StatusOr<domain::Community> community =
      store_.GetCommunity(district, community_id);
  if (absl::IsNotFound(community.status())) {
    return absl::NotFoundError(absl::StrCat(
        "community ", community_id,
        " is not a community of this district; list the communities with "
        "'taskgate public communities' (or GET /public/v1/communities) and "
        "use one of their ids"));
  }
  TASKGATE_RETURN_IF_ERROR(community.status());
  TASKGATE_RETURN_IF_ERROR(FillStreetName(store_, district, *community));

  const std::string query_key = TasksQuery(community_id);
  store::TaskQuery q;
  q.district_id = district;
  q.community_id = community_id;
  // In force (SPEC §5): assigned to the community and counted in its
  // workload. Every other state stays out of the public list.
  q.states = {domain::TaskState::kActive, domain::TaskState::kProvisional};
  if (!page.page_token.empty()) {
    TASKGATE_ASSIGN_OR_RETURN(q.after_id,
                              DecodePageToken(page.page_token, query_key));
  }
  q.limit = size + 1;  // one more tells whether another page follows
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Task> tasks,
                            store_.ListTasks(q));
  bool more = static_cast<int32_t>(tasks.size()) > size;
  if (more) tasks.resize(size);

  TASKGATE_ASSIGN_OR_RETURN(auto names, DepartmentNames(store_, district));
  PublicTaskPage out;
  out.community = ToPublicCommunity(*community);
  out.tasks.items.reserve(tasks.size());
  for (const domain::Task& t : tasks) {
    PublicTask p = ToPublicTask(t);
    if (auto it = names.find(p.department_id); it != names.end()) {
      p.department_name = it->second;
    }
    out.tasks.items.push_back(std::move(p));
  }
  if (FitPageBytes(out.tasks.items,
                   [](const PublicTask& t) { return SizeOf(t); })) {
    more = true;
  }
  if (more && !out.tasks.items.empty()) {
    out.tasks.next_page_token =
        EncodePageToken(query_key, out.tasks.items.back().id);
  }
  return out;
}

}  // namespace taskgate::workflow
