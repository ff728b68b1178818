#include "workflow/directory.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "common/field_violations.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "workflow/access.h"
#include "workflow/directory_names.h"
#include "workflow/internal/changes.h"
#include "workflow/internal/commit_once.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

using internal::CommitOnce;
using internal::Fingerprint;
using internal::NewEvent;
using internal::Outcome;

// The change of a department or a street put by `actor`: the resource
// stamped with its new version, and its event.
template <typename NamedResource>
Outcome<NamedResource> NamedPut(const std::string& district,
                                const domain::Principal& actor,
                                std::string_view kind, NamedResource resource,
                                int64_t expected_version, absl::Time now,
                                const std::string& request_id,
                                std::string reason = "") {
  resource.district_id = district;
  resource.version = expected_version + 1;
  domain::AuditEvent e =
      NewEvent(district, actor,
               absl::StrCat(std::string(kind),
                            expected_version == 0 ? ".create" : ".rename"),
               kind, resource.id, now, request_id);
  e.reason = std::move(reason);
  e.details["name"] = resource.name;
  if (kind == domain::kDepartmentEntity) e.department_id = resource.id;
  Outcome<NamedResource> out;
  out.change.district_id = district;
  if constexpr (std::is_same_v<NamedResource, domain::Department>) {
    out.change.departments.push_back({resource, expected_version});
  } else {
    out.change.streets.push_back({resource, expected_version});
  }
  out.change.events.push_back(std::move(e));
  out.value = std::move(resource);
  return out;
}

}  // namespace

Directory::Directory(store::Store& store, Writer& writer, const Clock& clock,
                     EngineOptions options)
    : store_(store),
      writer_(writer),
      clock_(clock),
      options_(std::move(options)) {}

absl::StatusOr<domain::District> Directory::EnsureDistrict(
    const std::string& name) {
  absl::StatusOr<domain::District> existing =
      store_.GetDistrict(options_.district_id);
  if (existing.ok() || !absl::IsNotFound(existing.status())) return existing;
  domain::District district{options_.district_id, name, "Asia/Shanghai"};
  store::ChangeSet change;
  change.district_id = district.id;
  change.district = district;
  domain::AuditEvent e;
  e.district_id = district.id;
  e.time = clock_.Now();
  e.actor_id = "system";
  e.actor_role = domain::Role::kSystem;
  e.action = "district.create";
  e.entity_type = "district";
  e.entity_id = district.id;
  e.details["name"] = name;
  change.events.push_back(std::move(e));
  absl::Status committed = internal::CommitThrough(writer_, change);
  if (!committed.ok() && !absl::IsAlreadyExists(committed)) return committed;
  return store_.GetDistrict(district.id);
}

absl::StatusOr<domain::CatalogVersion> Directory::PublishCatalog(
    const domain::Principal& principal, const std::string& request_id,
    std::vector<domain::CatalogItem> items, const std::string& note,
    const std::map<domain::ControlledBucket, int32_t>& limits) {
  TASKGATE_RETURN_IF_ERROR(CanPublishCatalog(principal));
  std::vector<FieldViolation> violations = ValidateCatalogItems(items);
  CheckText("note", note, kMaxTextLength, false, violations);
  for (const auto& [bucket, limit] : limits) {
    if (limit < 0 || limit > kMaxUnits) {
      violations.push_back(
          {absl::StrCat("controlled_limits.",
                        std::string(domain::ControlledBucketName(bucket))),
           absl::StrCat("is ", limit, "; give a limit from 0 to ", kMaxUnits,
                        " units per community")});
    }
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  domain::CatalogVersion draft;
  draft.district_id = options_.district_id;
  draft.items = std::move(items);
  draft.note = note;
  draft.controlled_limits = limits;  // the fingerprint holds what was asked
  const std::string fingerprint =
      Fingerprint({principal.id, domain::CatalogToJson(draft)});
  return CommitOnce<domain::CatalogVersion>(
      writer_, store_,
      {options_.district_id, principal.id, request_id, "catalog.publish",
       fingerprint, &domain::CatalogToJson, &domain::CatalogFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::CatalogVersion>> {
        int64_t latest = 0;
        absl::StatusOr<domain::CatalogVersion> current =
            tx.GetCatalog(options_.district_id, 0);
        if (current.ok()) {
          latest = current->version;
        } else if (!absl::IsNotFound(current.status())) {
          return current.status();
        }
        Outcome<domain::CatalogVersion> out;
        out.value = draft;
        out.value.version = latest + 1;
        const std::map<domain::ControlledBucket, int32_t> previous =
            current.ok() ? ControlledLimitsOf(*current, options_.rules)
                         : options_.rules.controlled_limits;
        out.value.controlled_limits = previous;
        for (const auto& [bucket, limit] : limits) {
          out.value.controlled_limits[bucket] = limit;
        }
        out.value.published_at = clock_.Now();
        out.value.published_by = principal.id;
        std::map<domain::ListKind, int> counts;
        for (const domain::CatalogItem& item : out.value.items)
          ++counts[item.kind];
        domain::AuditEvent e;
        e.district_id = options_.district_id;
        e.time = out.value.published_at;
        e.actor_id = principal.id;
        e.actor_role = principal.role;
        e.action = "catalog.publish";
        e.entity_type = "catalog";
        e.entity_id = absl::StrCat(out.value.version);
        e.reason = note;
        e.request_id = request_id;
        e.details["duty_items"] = absl::StrCat(counts[domain::ListKind::kDuty]);
        e.details["assist_items"] =
            absl::StrCat(counts[domain::ListKind::kAssist]);
        e.details["negative_items"] =
            absl::StrCat(counts[domain::ListKind::kNegative]);
        e.details["previous_version"] = absl::StrCat(latest);
        e.details["controlled_limits"] = absl::StrJoin(
            out.value.controlled_limits, ", ", [](std::string* text, auto& l) {
              absl::StrAppend(
                  text, std::string(domain::ControlledBucketName(l.first)), "=",
                  l.second);
            });
        std::vector<std::string> changed;
        for (const auto& [bucket, limit] : out.value.controlled_limits) {
          const auto was = previous.find(bucket);
          if (was == previous.end() || was->second != limit) {
            changed.push_back(absl::StrCat(
                std::string(domain::ControlledBucketName(bucket)), " ",
                was == previous.end() ? "none" : absl::StrCat(was->second),
                " -> ", limit));
          }
        }
        if (!changed.empty()) {
          e.details["controlled_limits_changed"] = absl::StrJoin(changed, ", ");
        }
        out.change.district_id = options_.district_id;
        out.change.catalog = out.value;
        out.change.events.push_back(std::move(e));
        return out;
      });
}

absl::StatusOr<domain::Department> Directory::PutDepartment(
    const domain::Principal& principal, const std::string& request_id,
    domain::Department department, int64_t expected_version) {
  TASKGATE_RETURN_IF_ERROR(CanPutDepartment(principal));
  std::vector<FieldViolation> violations =
      ValidateNamedResource(department.id, department.name);
  if (expected_version < 0) {
    violations.push_back({"expected_version", "must not be negative"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  department.district_id = options_.district_id;
  department.version = expected_version + 1;
  const std::string fingerprint =
      Fingerprint({principal.id, domain::DepartmentToJson(department)});
  return CommitOnce<domain::Department>(
      writer_, store_,
      {options_.district_id, principal.id, request_id, "department.put",
       fingerprint, &domain::DepartmentToJson, &domain::DepartmentFromJson},
      [&](store::Store& /*tx*/) -> absl::StatusOr<Outcome<domain::Department>> {
        return NamedPut(options_.district_id, principal,
                        domain::kDepartmentEntity, department, expected_version,
                        clock_.Now(), request_id);
      });
}

absl::StatusOr<domain::Street> Directory::PutStreet(
    const domain::Principal& principal, const std::string& request_id,
    domain::Street street, int64_t expected_version) {
  TASKGATE_RETURN_IF_ERROR(CanPutStreet(principal));
  std::vector<FieldViolation> violations =
      ValidateNamedResource(street.id, street.name);
  if (expected_version < 0) {
    violations.push_back({"expected_version", "must not be negative"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  street.district_id = options_.district_id;
  street.version = expected_version + 1;
  const std::string fingerprint =
      Fingerprint({principal.id, domain::StreetToJson(street)});
  return CommitOnce<domain::Street>(
      writer_, store_,
      {options_.district_id, principal.id, request_id, "street.put",
       fingerprint, &domain::StreetToJson, &domain::StreetFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::Street>> {
        TASKGATE_ASSIGN_OR_RETURN(
            std::optional<domain::Street> same_name,
            FindStreetByName(tx, options_.district_id, street.name));
        if (same_name.has_value() && same_name->id != street.id) {
          return absl::AlreadyExistsError(absl::StrCat(
              "street ", same_name->id, " is already named '", street.name,
              "' in district ", options_.district_id,
              "; a street's name must be unique (tasks may name streets by "
              "name): choose another name or rename that street first"));
        }
        return NamedPut(options_.district_id, principal, domain::kStreetEntity,
                        street, expected_version, clock_.Now(), request_id);
      });
}

absl::StatusOr<int64_t> Directory::MigrateReferences() {
  const std::string& d = options_.district_id;
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Department> departments,
                            store_.ListDepartments(d));
  std::set<std::string> known_departments;
  for (const domain::Department& x : departments) {
    known_departments.insert(x.id);
  }
  std::set<std::string> missing_departments;
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Principal> principals,
                            store_.ListPrincipals(d));
  for (const domain::Principal& p : principals) {
    for (const std::string* id : {&p.department_id, &p.home_department_id}) {
      if (!id->empty() && !known_departments.contains(*id)) {
        missing_departments.insert(*id);
      }
    }
  }
  TASKGATE_ASSIGN_OR_RETURN(std::vector<std::string> task_departments,
                            store_.ListTaskDepartmentIds(d));
  for (const std::string& id : task_departments) {
    if (!id.empty() && !known_departments.contains(id)) {
      missing_departments.insert(id);
    }
  }
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Community> communities,
                            store_.ListCommunities(d, ""));
  std::vector<domain::Community> unlinked;
  for (domain::Community& c : communities) {
    if (c.street_id.empty()) unlinked.push_back(std::move(c));
  }
  if (missing_departments.empty() && unlinked.empty()) return 0;

  const domain::Principal system = domain::SystemPrincipal(d);
  const absl::Time now = clock_.Now();
  const std::string reason =
      "migration 15: departments and streets became resources; created from "
      "the ids and street names already stored";
  store::ChangeSet change;
  change.district_id = d;
  const auto take = [&change](auto out) {
    for (auto& w : out.change.departments) change.departments.push_back(w);
    for (auto& w : out.change.streets) change.streets.push_back(w);
    for (auto& e : out.change.events) change.events.push_back(std::move(e));
  };
  for (const std::string& id : missing_departments) {
    // Named by its id until the admin renames it.
    take(NamedPut(d, system, domain::kDepartmentEntity,
                  domain::Department{.district_id = d, .id = id, .name = id}, 0,
                  now, "", reason));
  }
  // Streets by text, in byte order; a text that already names a street
  // (the admin may have put it) takes that street.
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Street> streets,
                            store_.ListStreets(d));
  std::map<std::string, std::string> street_of_name;
  std::set<std::string> street_ids;
  for (const domain::Street& s : streets) {
    street_of_name[s.name] = s.id;
    street_ids.insert(s.id);
  }
  std::set<std::string> texts;
  for (const domain::Community& c : unlinked) texts.insert(c.street);
  int64_t n = 0;
  for (const std::string& text : texts) {
    if (street_of_name.contains(text)) continue;
    std::string id;
    do {
      id = absl::StrCat("street-", ++n);
    } while (street_ids.contains(id));
    street_ids.insert(id);
    street_of_name[text] = id;
    // An empty text (possible only in data written outside TaskGate) gets
    // a name the admin can see and correct.
    take(NamedPut(
        d, system, domain::kStreetEntity,
        domain::Street{
            .district_id = d, .id = id, .name = text.empty() ? id : text},
        0, now, "", reason));
  }
  for (domain::Community& c : unlinked) {
    domain::AuditEvent e =
        NewEvent(d, system, "community.update", "community", c.id, now, "");
    e.reason = reason;
    e.community_ids = {c.id};
    e.details["street_id"] = street_of_name[c.street];
    e.details["street"] = c.street;
    const int64_t expected = c.version;
    c.street_id = street_of_name[c.street];
    c.street.clear();  // the name is the street's now
    c.version = expected + 1;
    change.communities.push_back({c, expected});
    change.events.push_back(std::move(e));
  }
  const auto written = static_cast<int64_t>(change.events.size());
  TASKGATE_RETURN_IF_ERROR(internal::CommitThrough(writer_, change));
  return written;
}

absl::StatusOr<domain::Community> Directory::PutCommunity(
    const domain::Principal& principal, const std::string& request_id,
    domain::Community community, int64_t expected_version) {
  TASKGATE_RETURN_IF_ERROR(CanPutCommunity(principal));
  community.district_id = options_.district_id;
  if (community.monthly_capacity_hours == 0) {
    community.monthly_capacity_hours = community.staff_count * 20.0;
  }
  std::vector<FieldViolation> violations;
  if (community.street_id.empty() && !community.street.empty()) {
    // A client that names the street: resolved by exact name.
    CheckText("street", community.street, kMaxTitleLength, true, violations);
    if (violations.empty()) {
      TASKGATE_ASSIGN_OR_RETURN(
          std::optional<domain::Street> named,
          FindStreetByName(store_, options_.district_id, community.street));
      if (named.has_value()) {
        community.street_id = named->id;
      } else {
        violations.push_back(
            {"street", absl::StrCat("no street is named '", community.street,
                                    "' in district ", options_.district_id,
                                    "; give street_id, or put the street "
                                    "first (taskgate admin street put)")});
      }
    }
  }
  std::vector<FieldViolation> more = ValidateCommunity(community);
  if (!violations.empty()) {
    // The name was wrong; street_id's own complaint would only repeat it.
    std::erase_if(
        more, [](const FieldViolation& v) { return v.field == "street_id"; });
  }
  violations.insert(violations.end(), more.begin(), more.end());
  if (expected_version < 0) {
    violations.push_back({"expected_version", "must not be negative"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  community.version = expected_version + 1;
  const std::string fingerprint =
      Fingerprint({principal.id, domain::CommunityToJson(community)});
  return CommitOnce<domain::Community>(
      writer_, store_,
      {options_.district_id, principal.id, request_id, "community.put",
       fingerprint, &domain::CommunityToJson, &domain::CommunityFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::Community>> {
        absl::StatusOr<domain::Street> street =
            tx.GetStreet(options_.district_id, community.street_id);
        if (absl::IsNotFound(street.status())) {
          return InvalidArgumentWithViolations({UnknownReference(
              "street_id", "street", community.street_id, options_.district_id,
              "put the street first (taskgate admin street put)")});
        }
        TASKGATE_RETURN_IF_ERROR(street.status());
        community.street.clear();  // stored by id; the name is the street's
        Outcome<domain::Community> out;
        out.value = community;
        out.value.street = street->name;
        domain::AuditEvent e;
        e.district_id = options_.district_id;
        e.time = clock_.Now();
        e.actor_id = principal.id;
        e.actor_role = principal.role;
        e.action =
            expected_version == 0 ? "community.create" : "community.update";
        e.entity_type = "community";
        e.entity_id = community.id;
        e.request_id = request_id;
        e.community_ids = {community.id};
        e.details["body"] = domain::CommunityToJson(community);
        out.change.district_id = options_.district_id;
        out.change.communities.push_back({community, expected_version});
        out.change.events.push_back(std::move(e));
        return out;
      });
}

}  // namespace taskgate::workflow
