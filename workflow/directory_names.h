// Departments and streets by name (SPEC §1): the reads that put a
// department's or a street's name beside its id, and the resolution of a
// street's exact name to its id for clients that still name streets.
//
// Stored communities hold their street by id (`Community::street_id`); their
// `street` (the name) is filled here from the `Street`, so that a renamed
// street is renamed everywhere. Communities stored before streets were
// resources, and not yet migrated, keep the name they were stored with.
//
// Stateless functions over the `Store` interface; thread-safe when it is.
#ifndef TASKGATE_WORKFLOW_DIRECTORY_NAMES_H_
#define TASKGATE_WORKFLOW_DIRECTORY_NAMES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "domain/types.h"
#include "store/store.h"

namespace taskgate::workflow {

// Sets each community's `street` to the name of its street (`street_id`).
// A street id that names no street leaves the stored name. The store's
// errors.
absl::Status FillStreetNames(store::Store& store,
                             const std::string& district_id,
                             std::vector<domain::Community>& communities);
absl::Status FillStreetName(store::Store& store, const std::string& district_id,
                            domain::Community& community);

// The district's department names by id. The store's errors.
absl::StatusOr<std::map<std::string, std::string>> DepartmentNames(
    store::Store& store, const std::string& district_id);

// The street named exactly `name`, or nullopt (names are unique in a
// district). The store's errors.
absl::StatusOr<std::optional<domain::Street>> FindStreetByName(
    store::Store& store, const std::string& district_id,
    const std::string& name);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_DIRECTORY_NAMES_H_
