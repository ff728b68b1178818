// The district's directory: what the workflow knows about before any task
// moves. The district itself (created on first start), the catalog of lists
// (准入清单, SPEC §2), the departments and streets (SPEC §1) and the
// communities with their capacity. Who may call, with their credentials,
// is workflow/principals.h.
//
// Mutations are audited `ChangeSet`s, idempotent by a non-empty
// `request_id`. Errors, in the order checked: PERMISSION_DENIED for a role
// that may never make the call (workflow/access.h), INVALID_ARGUMENT (with
// field violations) for bad input, NOT_FOUND, ABORTED for a stale
// `expected_version` (0: not checked), FAILED_PRECONDITION for a move the
// current state forbids.
//
// Thread-safe when the `Store` is; holds no mutable state of its own.
// `store` and `clock` must outlive it.
#ifndef TASKGATE_WORKFLOW_DIRECTORY_H_
#define TASKGATE_WORKFLOW_DIRECTORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/writer.h"

namespace taskgate::workflow {

class Directory final {
 public:
  Directory(store::Store& store, Writer& writer, const Clock& clock,
            EngineOptions options);
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  // Creates the district on first start (an audited system event); returns
  // the stored district when it exists.
  absl::StatusOr<domain::District> EnsureDistrict(const std::string& name);

  // Publishes a new catalog version (准入清单) holding `items` and the
  // controlled limits: `limits` for the buckets it names, the previous
  // version's for the others (the first version: the initial limits of
  // `EngineOptions::rules`). Admin only. INVALID_ARGUMENT lists bad items
  // and limits.
  absl::StatusOr<domain::CatalogVersion> PublishCatalog(
      const domain::Principal& principal, const std::string& request_id,
      std::vector<domain::CatalogItem> items, const std::string& note,
      const std::map<domain::ControlledBucket, int32_t>& limits = {});

  // Creates (`expected_version` 0) or renames a department (职能部门, SPEC
  // §1). Admin only. INVALID_ARGUMENT for a bad id or an empty name;
  // ALREADY_EXISTS creating an id in use. Events "department.create" /
  // "department.rename".
  absl::StatusOr<domain::Department> PutDepartment(
      const domain::Principal& principal, const std::string& request_id,
      domain::Department department, int64_t expected_version);

  // Creates (`expected_version` 0) or renames a street (街道, SPEC §1).
  // Admin only. As `PutDepartment`, and ALREADY_EXISTS for a name another
  // street has (a name resolves to one street). Events "street.create" /
  // "street.rename".
  absl::StatusOr<domain::Street> PutStreet(const domain::Principal& principal,
                                           const std::string& request_id,
                                           domain::Street street,
                                           int64_t expected_version);

  // On the first start after departments and streets became resources
  // (store migration 15): creates a department for each department id that
  // a stored principal (`department_id`, `home_department_id`) or task
  // names and no department has, named by its id until the admin renames
  // it; a street for each street text of a stored community that has no
  // `street_id` (id "street-<n>", n counting the texts in byte order from
  // the first free number; named by the text); and sets those communities'
  // `street_id`. One change of the system, one event per entity written
  // ("department.create", "street.create", "community.update", reason
  // "migration 15"), so that replaying the log reproduces the migrated
  // rows. Changes nothing, and returns 0, when nothing lacks; otherwise
  // returns how many entities it wrote.
  absl::StatusOr<int64_t> MigrateReferences();

  // Creates (`expected_version` 0) or updates a community. Admin only. A
  // capacity of 0 defaults to staff × 20 hours. The street is named by
  // `street_id`, which must name a stored street (INVALID_ARGUMENT
  // "street_id" otherwise); a community with no `street_id` but a `street`
  // text is put in the street of exactly that name (for clients written
  // before streets had ids), INVALID_ARGUMENT "street" when none has it.
  // The community is stored with its street's id only; the answer carries
  // the street's name too.
  absl::StatusOr<domain::Community> PutCommunity(
      const domain::Principal& principal, const std::string& request_id,
      domain::Community community, int64_t expected_version);

 private:
  store::Store& store_;  // reads outside the writer
  Writer& writer_;
  const Clock& clock_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_DIRECTORY_H_
