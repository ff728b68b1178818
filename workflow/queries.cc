#include "workflow/queries.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_split.h>

#include "common/field_violations.h"
#include "common/safe_text.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "workflow/access.h"
#include "workflow/directory_names.h"
#include "workflow/rules.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

// What a page token of a whole-list read binds to: the list and its
// filters, each length-prefixed so that no two filter sets share a key.
std::string QueryKey(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (std::string_view part : parts) {
    absl::StrAppend(&key, part.size(), ":", std::string(part), ";");
  }
  return key;
}

template <typename T>
std::string IdOf(const T& item) {
  return item.id;
}

// The review queue: tasks waiting for, or under, a reviewer's decision.
const std::vector<domain::TaskState>& ReviewQueueStates() {
  static const std::vector<domain::TaskState>* const kStates =
      new std::vector<domain::TaskState>{domain::TaskState::kSubmitted,
                                         domain::TaskState::kInReview,
                                         domain::TaskState::kProvisional};
  return *kStates;
}

// Which list a filter is for: the review queue takes the keys of ListTasks,
// but only states of the queue.
enum class FilterOf { kTasks, kReviewQueue };

// The filter grammar of ListTasks and of the review queue: `key=value`
// terms joined by " AND ", keys state (repeatable), department, community,
// item_code and awaiting_second_approval (true or false, once).
absl::Status ParseTaskFilter(const std::string& filter, FilterOf list,
                             store::TaskQuery& q) {
  if (filter.empty()) return absl::OkStatus();
  if (filter.size() > kMaxFilterLength) {
    return InvalidArgumentWithViolations(
        {{"filter", absl::StrCat("is ", filter.size(), " bytes long; at most ",
                                 kMaxFilterLength,
                                 " are allowed (a few key=value terms)")}});
  }
  for (absl::string_view term : absl::StrSplit(filter, " AND ")) {
    const std::vector<std::string> kv = absl::StrSplit(term, '=');
    if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
      return InvalidArgumentWithViolations(
          {{"filter",
            absl::StrCat(
                "'", EchoValue(std::string_view(term.data(), term.size())),
                "' is not key=value; e.g. ",
                list == FilterOf::kTasks ? "state=SUBMITTED AND community=c1"
                                         : "awaiting_second_approval=true")}});
    }
    const std::string& key = kv[0];
    const std::string& value = kv[1];
    if (key == "state") {
      std::optional<domain::TaskState> state = domain::ParseTaskState(value);
      if (!state.has_value()) {
        return InvalidArgumentWithViolations(
            {{"filter", absl::StrCat("'", EchoValue(value),
                                     "' is not a task state; use e.g. "
                                     "SUBMITTED, ACTIVE")}});
      }
      const std::vector<domain::TaskState>& queue = ReviewQueueStates();
      if (list == FilterOf::kReviewQueue &&
          std::find(queue.begin(), queue.end(), *state) == queue.end()) {
        return InvalidArgumentWithViolations(
            {{"filter",
              absl::StrCat("state ", EchoValue(value),
                           " is never in the review queue; use SUBMITTED, "
                           "IN_REVIEW or PROVISIONAL, or list tasks")}});
      }
      q.states.push_back(*state);
    } else if (key == "department" || key == "community") {
      std::vector<FieldViolation> bad;
      CheckId("filter", value, bad);
      if (!bad.empty()) return InvalidArgumentWithViolations(bad);
      (key == "department" ? q.department_id : q.community_id) = value;
    } else if (key == "item_code") {
      std::vector<FieldViolation> bad;
      CheckCode("filter", value, bad);
      if (!bad.empty()) return InvalidArgumentWithViolations(bad);
      q.item_code = value;
    } else if (key == "awaiting_second_approval") {
      if (value != "true" && value != "false") {
        return InvalidArgumentWithViolations(
            {{"filter",
              absl::StrCat("awaiting_second_approval '", EchoValue(value),
                           "' is not a boolean; use true or "
                           "false")}});
      }
      if (q.awaiting_second_approval.has_value()) {
        return InvalidArgumentWithViolations(
            {{"filter",
              "awaiting_second_approval is given twice; give it once"}});
      }
      q.awaiting_second_approval = value == "true";
    } else {
      return InvalidArgumentWithViolations(
          {{"filter", absl::StrCat("unknown key '", EchoValue(key),
                                   "'; use state, department, community, "
                                   "item_code or awaiting_second_approval")}});
    }
  }
  return absl::OkStatus();
}

}  // namespace

Queries::Queries(store::Store& store, EngineOptions options)
    : store_(store), options_(std::move(options)) {}

absl::StatusOr<domain::Task> ReadTask(store::Store& store,
                                      const std::string& district_id,
                                      const domain::Principal& principal,
                                      const std::string& task_id) {
  std::vector<FieldViolation> violations;
  CheckId("task_id", task_id, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  absl::StatusOr<domain::Task> task = store.GetTask(district_id, task_id);
  TASKGATE_RETURN_IF_ERROR(
      HideMissingTask(principal, task_id, "read", task.status()));
  TASKGATE_RETURN_IF_ERROR(CanReadTask(principal, *task));
  return task;
}

absl::StatusOr<domain::Task> Queries::GetTask(
    const domain::Principal& principal, const std::string& task_id) {
  return ReadTask(store_, options_.district_id, principal, task_id);
}

absl::StatusOr<std::vector<domain::Decision>> Queries::ListDecisions(
    const domain::Principal& principal, const std::string& task_id) {
  TASKGATE_ASSIGN_OR_RETURN(domain::Task task, GetTask(principal, task_id));
  return store_.ListDecisions(options_.district_id, task.id);
}

absl::StatusOr<Page<domain::Task>> Queries::ListTasks(
    const domain::Principal& principal, const std::string& filter,
    const PageRequest& page) {
  std::vector<FieldViolation> violations;
  store::TaskQuery q;
  q.district_id = options_.district_id;
  q.limit = PageSize(page.page_size, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  TASKGATE_RETURN_IF_ERROR(ParseTaskFilter(filter, FilterOf::kTasks, q));
  TASKGATE_RETURN_IF_ERROR(
      ScopeTaskListing(principal, q.department_id, q.community_id));
  return TaskPage(std::move(q), filter, page.page_token);
}

absl::StatusOr<Page<domain::Task>> Queries::ListReviewQueue(
    const domain::Principal& principal, const std::string& filter,
    const PageRequest& page) {
  TASKGATE_RETURN_IF_ERROR(CanReadReviewQueue(principal));
  std::vector<FieldViolation> violations;
  store::TaskQuery q;
  q.district_id = options_.district_id;
  q.limit = PageSize(page.page_size, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  TASKGATE_RETURN_IF_ERROR(ParseTaskFilter(filter, FilterOf::kReviewQueue, q));
  // The filter's states are queue states (checked); none: all of them.
  if (q.states.empty()) q.states = ReviewQueueStates();
  // A page token binds to the queue and its filter; the unfiltered queue
  // keeps the key it always had.
  return TaskPage(std::move(q),
                  filter.empty() ? "queue" : QueryKey({"queue", filter}),
                  page.page_token);
}

absl::StatusOr<Page<domain::Task>> Queries::TaskPage(
    store::TaskQuery q, const std::string& query_key,
    const std::string& page_token) {
  if (!page_token.empty()) {
    TASKGATE_ASSIGN_OR_RETURN(q.after_id,
                              DecodePageToken(page_token, query_key));
  }
  const int32_t size = q.limit;
  q.limit = size + 1;  // one more tells whether another page follows
  Page<domain::Task> page;
  TASKGATE_ASSIGN_OR_RETURN(page.items, store_.ListTasks(q));
  bool more = static_cast<int32_t>(page.items.size()) > size;
  if (more) page.items.resize(size);
  // Tasks of maximal text fill a message long before the count does.
  if (FitPageBytes(page.items, [](const domain::Task& t) {
        return domain::TaskToJson(t).size();
      })) {
    more = true;
  }
  if (more && !page.items.empty()) {
    page.next_page_token = EncodePageToken(query_key, page.items.back().id);
  }
  return page;
}

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
  TASKGATE_RETURN_IF_ERROR(
      FillStreetName(store_, district, workload.community));
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

absl::StatusOr<Page<domain::FundingReport>> Queries::ListFundingReports(
    const domain::Principal& principal, const std::string& task_id,
    const std::string& community_id, const PageRequest& page) {
  TASKGATE_RETURN_IF_ERROR(CanReadCommunityReports(principal, community_id));
  std::vector<FieldViolation> violations;
  if (!task_id.empty()) CheckId("task_id", task_id, violations);
  if (!community_id.empty()) CheckId("community_id", community_id, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<domain::FundingReport> all,
      store_.ListFundingReports(options_.district_id, task_id, community_id));
  // Oldest first: the time, fixed-width so that text order is time order.
  return PageOfList(
      std::move(all), page, QueryKey({"funding", task_id, community_id}),
      [](const domain::FundingReport& r) {
        return absl::StrCat(
            absl::StrFormat("%020d", absl::ToUnixMicros(r.reported_at)), "/",
            r.id);
      },
      [](const domain::FundingReport& r) {
        return domain::FundingReportToJson(r).size();
      });
}

absl::StatusOr<Page<domain::Complaint>> Queries::ListComplaints(
    const domain::Principal& principal, const std::string& community_id,
    const std::vector<domain::ComplaintState>& states,
    const PageRequest& page) {
  TASKGATE_RETURN_IF_ERROR(CanReadCommunityReports(principal, community_id));
  std::vector<FieldViolation> violations;
  if (!community_id.empty()) CheckId("community_id", community_id, violations);
  if (states.size() > kMaxComplaintStates) {
    violations.push_back(
        {"states",
         absl::StrCat("lists ", states.size(), " states; there are ",
                      kMaxComplaintStates, ": list each at most once")});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<domain::Complaint> all,
      store_.ListComplaints(options_.district_id, community_id, states));
  std::string filter = "complaints";
  for (domain::ComplaintState st : states) {
    absl::StrAppend(&filter, ",", std::string(domain::ComplaintStateName(st)));
  }
  return PageOfList(std::move(all), page, QueryKey({filter, community_id}),
                    IdOf<domain::Complaint>, [](const domain::Complaint& c) {
                      return domain::ComplaintToJson(c).size();
                    });
}

absl::StatusOr<Page<domain::Principal>> Queries::ListPrincipals(
    const domain::Principal& principal, const PageRequest& page) {
  TASKGATE_RETURN_IF_ERROR(CanReadPrincipals(principal));
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Principal> all,
                            store_.ListPrincipals(options_.district_id));
  return PageOfList(std::move(all), page, QueryKey({"principals"}),
                    IdOf<domain::Principal>, [](const domain::Principal& p) {
                      return domain::PrincipalToJson(p).size();
                    });
}

absl::StatusOr<Page<domain::Credential>> Queries::ListCredentials(
    const domain::Principal& principal, const std::string& principal_id,
    const PageRequest& page) {
  TASKGATE_RETURN_IF_ERROR(CanReadPrincipals(principal));
  std::vector<FieldViolation> violations;
  if (!principal_id.empty()) CheckId("principal_id", principal_id, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<domain::Credential> all,
      store_.ListCredentials(options_.district_id, principal_id));
  return PageOfList(std::move(all), page,
                    QueryKey({"credentials", principal_id}),
                    IdOf<domain::Credential>, [](const domain::Credential& c) {
                      return domain::CredentialToJson(c).size();
                    });
}

absl::StatusOr<domain::CatalogVersion> Queries::GetCatalog(
    const domain::Principal& /*principal*/, int64_t version) {
  if (version < 0) {
    return InvalidArgumentWithViolations(
        {{"version", "must be 0 (latest) or a version"}});
  }
  return store_.GetCatalog(options_.district_id, version);
}

absl::StatusOr<Page<domain::Community>> Queries::ListCommunities(
    const domain::Principal& /*principal*/, const std::string& street,
    const PageRequest& page, const std::string& street_id) {
  std::vector<FieldViolation> violations;
  CheckText("street", street, kMaxTitleLength, false, violations);
  if (!street_id.empty()) CheckId("street_id", street_id, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  std::string of_street = street_id;
  if (of_street.empty() && !street.empty()) {
    TASKGATE_ASSIGN_OR_RETURN(
        std::optional<domain::Street> named,
        FindStreetByName(store_, options_.district_id, street));
    if (!named.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("no street is named '", street, "' in district ",
                       options_.district_id,
                       "; list the streets with taskgate admin street list"));
    }
    of_street = named->id;
  }
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<domain::Community> all,
      store_.ListCommunities(options_.district_id, of_street));
  TASKGATE_RETURN_IF_ERROR(FillStreetNames(store_, options_.district_id, all));
  return PageOfList(std::move(all), page,
                    QueryKey({"communities", street, street_id}),
                    IdOf<domain::Community>, [](const domain::Community& c) {
                      return domain::CommunityToJson(c).size();
                    });
}

absl::StatusOr<domain::Department> Queries::GetDepartment(
    const domain::Principal& /*principal*/, const std::string& id) {
  std::vector<FieldViolation> violations;
  CheckId("id", id, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  return store_.GetDepartment(options_.district_id, id);
}

absl::StatusOr<Page<domain::Department>> Queries::ListDepartments(
    const domain::Principal& /*principal*/, const PageRequest& page) {
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Department> all,
                            store_.ListDepartments(options_.district_id));
  return PageOfList(std::move(all), page, QueryKey({"departments"}),
                    IdOf<domain::Department>, [](const domain::Department& d) {
                      return domain::DepartmentToJson(d).size();
                    });
}

absl::StatusOr<domain::Street> Queries::GetStreet(
    const domain::Principal& /*principal*/, const std::string& id) {
  std::vector<FieldViolation> violations;
  CheckId("id", id, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  return store_.GetStreet(options_.district_id, id);
}

absl::StatusOr<Page<domain::Street>> Queries::ListStreets(
    const domain::Principal& /*principal*/, const PageRequest& page) {
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Street> all,
                            store_.ListStreets(options_.district_id));
  return PageOfList(
      std::move(all), page, QueryKey({"streets"}), IdOf<domain::Street>,
      [](const domain::Street& s) { return domain::StreetToJson(s).size(); });
}

absl::StatusOr<ReviewQueueStats> Queries::GetReviewQueueStats() {
  store::TaskQuery query;
  query.district_id = options_.district_id;
  query.states = ReviewQueueStates();
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Task> queue,
                            store_.ListTasks(query));
  ReviewQueueStats stats;
  stats.depth = static_cast<int64_t>(queue.size());
  stats.overdue =
      std::count_if(queue.begin(), queue.end(),
                    [](const domain::Task& t) { return t.sla.overdue; });
  return stats;
}

}  // namespace taskgate::workflow
