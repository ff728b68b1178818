#include "workflow/directory_names.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status_macros.h"

namespace taskgate::workflow {

absl::Status FillStreetNames(store::Store& store,
                             const std::string& district_id,
                             std::vector<domain::Community>& communities) {
  bool any = false;
  for (const domain::Community& c : communities) any |= !c.street_id.empty();
  if (!any) return absl::OkStatus();
  // A district has a handful of streets: one read serves every community.
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Street> streets,
                            store.ListStreets(district_id));
  std::map<std::string, std::string> names;
  for (domain::Street& s : streets) names[s.id] = std::move(s.name);
  for (domain::Community& c : communities) {
    const auto it = names.find(c.street_id);
    if (it != names.end()) c.street = it->second;
  }
  return absl::OkStatus();
}

absl::Status FillStreetName(store::Store& store, const std::string& district_id,
                            domain::Community& community) {
  if (community.street_id.empty()) return absl::OkStatus();
  absl::StatusOr<domain::Street> street =
      store.GetStreet(district_id, community.street_id);
  if (street.ok()) {
    community.street = street->name;
  } else if (!absl::IsNotFound(street.status())) {
    return street.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> DepartmentNames(
    store::Store& store, const std::string& district_id) {
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Department> departments,
                            store.ListDepartments(district_id));
  std::map<std::string, std::string> names;
  for (domain::Department& d : departments) names[d.id] = std::move(d.name);
  return names;
}

absl::StatusOr<std::optional<domain::Street>> FindStreetByName(
    store::Store& store, const std::string& district_id,
    const std::string& name) {
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Street> streets,
                            store.ListStreets(district_id));
  for (domain::Street& s : streets) {
    if (s.name == name) return std::optional<domain::Street>(std::move(s));
  }
  return std::optional<domain::Street>();
}

}  // namespace taskgate::workflow
