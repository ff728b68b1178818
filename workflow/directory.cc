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

using internal::CheckVersion;
using internal::CommitOnce;
using internal::Fingerprint;
using internal::NewEvent;
using internal::Outcome;
using internal::Str;

std::string_view EnabledName(bool disabled) {
  return disabled ? "disabled" : "enabled";
}

const absl::Status& UnknownToken() {
  static const absl::Status* const kStatus =
      new absl::Status(absl::UnauthenticatedError(
          "unknown or revoked token; ask the district administrator for a "
          "valid token"));
  return *kStatus;
}

// The identities of a refused certificate, for its message: the first few,
// each cut, so that a certificate crowded with names cannot swell the log.
std::string QuotedList(const std::vector<std::string>& identities) {
  constexpr size_t kShown = 4;
  constexpr size_t kMaxChars = 256;
  std::string out;
  for (size_t i = 0; i < identities.size() && i < kShown; ++i) {
    if (i > 0) absl::StrAppend(&out, ", ");
    const std::string& s = identities[i];
    absl::StrAppend(&out, "'", s.substr(0, kMaxChars),
                    s.size() > kMaxChars ? "...'" : "'");
  }
  if (identities.size() > kShown) {
    absl::StrAppend(&out, " and ", identities.size() - kShown, " more");
  }
  return out;
}

// The change that issues `c` (a token or a certificate binding) to `owner`
// on behalf of `actor`: the credential stamped as new at `now`, and its
// "credential.issue" event. A token's hash stays out of the event: the log
// is exported to inspectors.
Outcome<domain::Credential> IssueCredential(
    const std::string& district, const domain::Principal& actor,
    const domain::Principal& owner, domain::Credential c, absl::Time now,
    const std::string& request_id, std::string reason) {
  c.district_id = district;
  c.created_at = now;
  c.created_by = actor.id;
  c.version = 1;
  domain::AuditEvent e = NewEvent(district, actor, "credential.issue",
                                  "credential", c.id, now, request_id);
  e.state_after = "active";
  e.reason = std::move(reason);
  e.department_id = owner.department_id;
  if (!owner.community_id.empty()) e.community_ids = {owner.community_id};
  e.details["principal_id"] = c.principal_id;
  if (!c.certificate_identity.empty()) {
    e.details["certificate_identity"] = c.certificate_identity;
  }
  e.details["description"] = c.description;
  Outcome<domain::Credential> out;
  out.change.district_id = district;
  out.change.credentials.push_back({c, 0});
  out.change.events.push_back(std::move(e));
  out.value = std::move(c);
  return out;
}

// "street 'x' does not exist ..." for field `field`.
FieldViolation UnknownReference(std::string field, std::string_view noun,
                                const std::string& id,
                                const std::string& district,
                                std::string_view how) {
  return {std::move(field), absl::StrCat(std::string(noun), " '", id,
                                         "' does not exist in district ",
                                         district, "; ", std::string(how))};
}

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

absl::StatusOr<domain::Principal> Directory::CreatePrincipal(
    const domain::Principal& admin, const std::string& request_id,
    domain::Principal principal) {
  TASKGATE_RETURN_IF_ERROR(CanCreatePrincipal(admin));
  principal.district_id = options_.district_id;
  std::vector<FieldViolation> violations =
      ValidatePrincipal(principal, "principal.");
  if (violations.empty()) {
    for (const auto& [field, id] :
         {std::pair<std::string, const std::string*>{"principal.department_id",
                                                     &principal.department_id},
          {"principal.home_department_id", &principal.home_department_id}}) {
      if (id->empty()) continue;
      absl::StatusOr<domain::Department> department =
          store_.GetDepartment(options_.district_id, *id);
      if (absl::IsNotFound(department.status())) {
        violations.push_back(UnknownReference(
            field, "department", *id, options_.district_id,
            "create the department first (taskgate admin department put)"));
      } else {
        TASKGATE_RETURN_IF_ERROR(department.status());
      }
    }
  }
  if (violations.empty() && principal.role == domain::Role::kCommunity) {
    absl::StatusOr<domain::Community> community =
        store_.GetCommunity(options_.district_id, principal.community_id);
    if (absl::IsNotFound(community.status())) {
      violations.push_back(
          {"principal.community_id",
           absl::StrCat("community '", principal.community_id,
                        "' does not exist in district ", options_.district_id,
                        "; create the community first")});
    } else {
      TASKGATE_RETURN_IF_ERROR(community.status());
    }
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  principal.version = 1;
  principal.created_at = absl::Time();  // set at commit time
  const std::string fingerprint =
      Fingerprint({admin.id, "create", domain::PrincipalToJson(principal)});
  return CommitOnce<domain::Principal>(
      writer_, store_,
      {options_.district_id, admin.id, request_id, "principal.create",
       fingerprint, &domain::PrincipalToJson, &domain::PrincipalFromJson},
      [&](store::Store& /*tx*/) -> absl::StatusOr<Outcome<domain::Principal>> {
        Outcome<domain::Principal> out;
        out.value = principal;
        out.value.created_at = clock_.Now();
        domain::AuditEvent e = NewEvent(
            options_.district_id, admin, "principal.create", "principal",
            principal.id, out.value.created_at, request_id);
        e.state_after = Str(EnabledName(principal.disabled));
        e.department_id = principal.department_id;
        if (!principal.community_id.empty()) {
          e.community_ids = {principal.community_id};
        }
        e.details["role"] = Str(domain::RoleName(principal.role));
        e.details["display_name"] = principal.display_name;
        if (!principal.home_department_id.empty()) {
          e.details["home_department_id"] = principal.home_department_id;
        }
        out.change.district_id = options_.district_id;
        out.change.principals.push_back({out.value, 0});
        out.change.events.push_back(std::move(e));
        return out;
      });
}

absl::StatusOr<domain::Principal> Directory::SetPrincipalDisabled(
    const domain::Principal& admin, const std::string& request_id,
    const std::string& principal_id, bool disabled, int64_t expected_version) {
  TASKGATE_RETURN_IF_ERROR(CanSetPrincipalDisabled(admin));
  std::vector<FieldViolation> violations;
  CheckId("principal_id", principal_id, violations);
  if (expected_version < 0) {
    violations.push_back({"expected_version", "must not be negative"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  if (disabled && principal_id == admin.id) {
    // Would lock the caller out, and possibly every admin with it.
    return absl::FailedPreconditionError(
        absl::StrCat("admin ", admin.id,
                     " cannot disable their own principal; ask another "
                     "admin"));
  }
  const std::string fingerprint =
      Fingerprint({admin.id, principal_id, disabled ? "disable" : "enable",
                   absl::StrCat(expected_version)});
  return CommitOnce<domain::Principal>(
      writer_, store_,
      {options_.district_id, admin.id, request_id,
       disabled ? "principal.disable" : "principal.enable", fingerprint,
       &domain::PrincipalToJson, &domain::PrincipalFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::Principal>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Principal p,
            tx.GetPrincipal(options_.district_id, principal_id));
        TASKGATE_RETURN_IF_ERROR(
            CheckVersion("principal", principal_id, p, expected_version));
        Outcome<domain::Principal> out;
        if (p.disabled == disabled) {
          // Nothing changes, so nothing is recorded; the answer still is.
          out.value = std::move(p);
          return out;
        }
        const std::string_view before = EnabledName(p.disabled);
        p.disabled = disabled;
        ++p.version;
        domain::AuditEvent e =
            NewEvent(options_.district_id, admin,
                     disabled ? "principal.disable" : "principal.enable",
                     "principal", p.id, clock_.Now(), request_id);
        e.state_before = Str(before);
        e.state_after = Str(EnabledName(p.disabled));
        e.department_id = p.department_id;
        if (!p.community_id.empty()) e.community_ids = {p.community_id};
        e.details["version"] = absl::StrCat(p.version);
        out.change.district_id = options_.district_id;
        out.change.principals.push_back({p, p.version - 1});
        out.change.events.push_back(std::move(e));
        out.value = std::move(p);
        return out;
      });
}

absl::StatusOr<domain::Credential> Directory::IssueToken(
    const domain::Principal& admin, const std::string& request_id,
    const std::string& principal_id, std::string token_id,
    std::string token_hash, std::string description) {
  TASKGATE_RETURN_IF_ERROR(CanIssueToken(admin));
  std::vector<FieldViolation> violations;
  CheckId("principal_id", principal_id, violations);
  CheckId("token_id", token_id, violations);
  CheckTokenHash("token_hash", token_hash, violations);
  CheckText("description", description, kMaxTitleLength, false, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string fingerprint =
      // Not the token id or hash: the server draws them afresh on every
      // attempt, and a retry must still match the first attempt.
      Fingerprint({admin.id, principal_id, description});
  return CommitOnce<domain::Credential>(
      writer_, store_,
      {options_.district_id, admin.id, request_id, "credential.issue",
       fingerprint, &domain::CredentialToJson, &domain::CredentialFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::Credential>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Principal owner,
            tx.GetPrincipal(options_.district_id, principal_id));
        if (owner.disabled) {
          return absl::FailedPreconditionError(absl::StrCat(
              "principal ", principal_id,
              " is disabled; enable it before issuing it a token"));
        }
        domain::Credential c;
        c.id = token_id;
        c.principal_id = principal_id;
        c.token_hash = token_hash;
        c.description = description;
        return IssueCredential(options_.district_id, admin, owner, std::move(c),
                               clock_.Now(), request_id, "");
      });
}

absl::StatusOr<domain::Credential> Directory::BindCertificate(
    const domain::Principal& admin, const std::string& request_id,
    const std::string& principal_id, std::string credential_id,
    std::string certificate_identity, std::string description) {
  TASKGATE_RETURN_IF_ERROR(CanBindCertificate(admin));
  std::vector<FieldViolation> violations;
  CheckId("principal_id", principal_id, violations);
  CheckId("credential_id", credential_id, violations);
  CheckCertificateIdentity("certificate_identity", certificate_identity,
                           violations);
  CheckText("description", description, kMaxTitleLength, false, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string fingerprint = Fingerprint(
      {admin.id, "bind", principal_id, certificate_identity, description});
  return CommitOnce<domain::Credential>(
      writer_, store_,
      {options_.district_id, admin.id, request_id, "credential.issue",
       fingerprint, &domain::CredentialToJson, &domain::CredentialFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::Credential>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Principal owner,
            tx.GetPrincipal(options_.district_id, principal_id));
        if (owner.disabled) {
          return absl::FailedPreconditionError(absl::StrCat(
              "principal ", principal_id,
              " is disabled; enable it before binding it a certificate"));
        }
        TASKGATE_ASSIGN_OR_RETURN(
            std::optional<domain::Credential> bound,
            tx.FindActiveCertificateBinding(options_.district_id,
                                            certificate_identity));
        if (bound.has_value()) {
          return absl::AlreadyExistsError(absl::StrCat(
              "certificate identity '", certificate_identity,
              "' is already bound to principal ", bound->principal_id,
              " by credential ", bound->id, "; revoke that binding first"));
        }
        domain::Credential c;
        c.id = credential_id;
        c.principal_id = principal_id;
        c.certificate_identity = certificate_identity;
        c.description = description;
        return IssueCredential(options_.district_id, admin, owner, std::move(c),
                               clock_.Now(), request_id, "");
      });
}

absl::StatusOr<domain::Credential> Directory::RevokeToken(
    const domain::Principal& admin, const std::string& request_id,
    const std::string& token_id) {
  TASKGATE_RETURN_IF_ERROR(CanRevokeToken(admin));
  std::vector<FieldViolation> violations;
  CheckId("token_id", token_id, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string fingerprint = Fingerprint({admin.id, "revoke", token_id});
  return CommitOnce<domain::Credential>(
      writer_, store_,
      {options_.district_id, admin.id, request_id, "credential.revoke",
       fingerprint, &domain::CredentialToJson, &domain::CredentialFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::Credential>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Credential c,
            tx.GetCredential(options_.district_id, token_id));
        Outcome<domain::Credential> out;
        if (c.revoked) {
          out.value = std::move(c);
          return out;
        }
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Principal owner,
            tx.GetPrincipal(options_.district_id, c.principal_id));
        // Only bearer tokens keep an admin in: a certificate binding works
        // only while the server runs mutual TLS.
        if (owner.role == domain::Role::kAdmin && !c.token_hash.empty()) {
          TASKGATE_RETURN_IF_ERROR(KeepsAnAdmin(tx, c.id));
        }
        c.revoked = true;
        c.revoked_at = clock_.Now();
        ++c.version;
        domain::AuditEvent e =
            NewEvent(options_.district_id, admin, "credential.revoke",
                     "credential", c.id, *c.revoked_at, request_id);
        e.state_before = "active";
        e.state_after = "revoked";
        e.department_id = owner.department_id;
        if (!owner.community_id.empty()) {
          e.community_ids = {owner.community_id};
        }
        e.details["principal_id"] = c.principal_id;
        out.change.district_id = options_.district_id;
        out.change.credentials.push_back({c, c.version - 1});
        out.change.events.push_back(std::move(e));
        out.value = std::move(c);
        return out;
      });
}

absl::Status Directory::KeepsAnAdmin(store::Store& tx,
                                     const std::string& revoked_id) const {
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Principal> principals,
                            tx.ListPrincipals(options_.district_id));
  for (const domain::Principal& p : principals) {
    if (p.role != domain::Role::kAdmin || p.disabled) continue;
    TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Credential> credentials,
                              tx.ListCredentials(options_.district_id, p.id));
    for (const domain::Credential& c : credentials) {
      if (!c.revoked && !c.token_hash.empty() && c.id != revoked_id) {
        return absl::OkStatus();
      }
    }
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "token ", revoked_id,
      " is the district's last active admin credential (a bearer token); "
      "revoking it would "
      "leave nobody able to administer district ",
      options_.district_id, ": issue an admin another token first"));
}

absl::StatusOr<domain::Principal> Directory::Authenticate(
    const std::string& token_hash) {
  if (!IsValidTokenHash(token_hash)) return UnknownToken();
  TASKGATE_ASSIGN_OR_RETURN(
      std::optional<domain::Credential> credential,
      store_.FindCredentialByHash(options_.district_id, token_hash));
  // A certificate binding has no hash; the check keeps it so should the
  // column ever hold one.
  if (!credential.has_value() || credential->revoked ||
      !credential->certificate_identity.empty()) {
    return UnknownToken();
  }
  absl::StatusOr<domain::Principal> principal =
      store_.GetPrincipal(options_.district_id, credential->principal_id);
  if (absl::IsNotFound(principal.status())) return UnknownToken();
  TASKGATE_RETURN_IF_ERROR(principal.status());
  if (principal->disabled) return UnknownToken();
  return principal;
}

absl::StatusOr<domain::Principal> Directory::AuthenticateCertificate(
    const std::vector<std::string>& identities) {
  for (const std::string& identity : identities) {
    TASKGATE_ASSIGN_OR_RETURN(
        std::optional<domain::Credential> binding,
        store_.FindActiveCertificateBinding(options_.district_id, identity));
    if (!binding.has_value()) continue;
    // The first bound identity decides: a disabled principal is not
    // replaced by whoever a less specific identity names.
    absl::StatusOr<domain::Principal> principal =
        store_.GetPrincipal(options_.district_id, binding->principal_id);
    TASKGATE_RETURN_IF_ERROR(principal.status());
    if (principal->disabled) {
      return absl::UnauthenticatedError(
          absl::StrCat("the client certificate's identity '", identity,
                       "' is bound to principal ", principal->id,
                       ", which is disabled; ask the district administrator"));
    }
    return principal;
  }
  if (identities.empty()) {
    return absl::UnauthenticatedError(
        "the client certificate carries no identity (no SAN URI, DNS name or "
        "email, no subject); send a bearer token or a certificate the "
        "district administrator has bound");
  }
  return absl::UnauthenticatedError(absl::StrCat(
      "no principal is bound to the client certificate's identities ",
      QuotedList(identities),
      "; ask the district administrator to bind one ('taskgate admin "
      "certificates bind') or send 'authorization: Bearer <token>'"));
}

absl::StatusOr<bool> Directory::HasPrincipals() {
  TASKGATE_ASSIGN_OR_RETURN(const int64_t principals,
                            store_.CountPrincipals(options_.district_id));
  return principals > 0;
}

absl::StatusOr<std::optional<domain::Credential>> Directory::BootstrapAdmin(
    std::string token_id, std::string token_hash) {
  std::vector<FieldViolation> violations;
  CheckId("token_id", token_id, violations);
  CheckTokenHash("token_hash", token_hash, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string& district = options_.district_id;
  TASKGATE_ASSIGN_OR_RETURN(const int64_t principals,
                            store_.CountPrincipals(district));
  if (principals > 0) return std::optional<domain::Credential>();

  const domain::Principal system = domain::SystemPrincipal(district);
  const absl::Time now = clock_.Now();
  domain::Principal admin;
  admin.id = "admin";
  admin.role = domain::Role::kAdmin;
  admin.district_id = district;
  admin.display_name = "District administrator";
  admin.version = 1;
  admin.created_at = now;
  domain::Credential credential;
  credential.district_id = district;
  credential.id = std::move(token_id);
  credential.principal_id = admin.id;
  credential.token_hash = std::move(token_hash);
  credential.description = "bootstrap token of the first administrator";
  credential.created_at = now;
  credential.created_by = system.id;
  credential.version = 1;

  store::ChangeSet change;
  change.district_id = district;
  change.principals.push_back({admin, 0});
  change.credentials.push_back({credential, 0});
  domain::AuditEvent created = NewEvent(district, system, "principal.create",
                                        "principal", admin.id, now, "");
  created.state_after = Str(EnabledName(false));
  created.reason = "bootstrap: the district had no principal";
  created.details["role"] = Str(domain::RoleName(admin.role));
  created.details["display_name"] = admin.display_name;
  change.events.push_back(std::move(created));
  domain::AuditEvent issued = NewEvent(district, system, "credential.issue",
                                       "credential", credential.id, now, "");
  issued.state_after = "active";
  issued.reason = "bootstrap: the district had no principal";
  issued.details["principal_id"] = admin.id;
  issued.details["description"] = credential.description;
  change.events.push_back(std::move(issued));

  absl::Status committed = internal::CommitThrough(writer_, change);
  if (committed.ok())
    return std::optional<domain::Credential>(std::move(credential));
  // A concurrent bootstrap won: principals exist now, so this one is moot.
  if (absl::IsAlreadyExists(committed)) {
    TASKGATE_ASSIGN_OR_RETURN(const int64_t now_principals,
                              store_.CountPrincipals(district));
    if (now_principals > 0) return std::optional<domain::Credential>();
  }
  return committed;
}

absl::StatusOr<domain::Credential> Directory::IssueRecoveryToken(
    const std::string& principal_id, std::string token_id,
    std::string token_hash) {
  std::vector<FieldViolation> violations;
  CheckId("principal_id", principal_id, violations);
  CheckId("token_id", token_id, violations);
  CheckTokenHash("token_hash", token_hash, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  const std::string& district = options_.district_id;
  const domain::Principal system = domain::SystemPrincipal(district);
  // No request id: each run is a new token, never a replay.
  return CommitOnce<domain::Credential>(
      writer_, store_,
      {district, system.id, "", "credential.issue", "",
       &domain::CredentialToJson, &domain::CredentialFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::Credential>> {
        TASKGATE_ASSIGN_OR_RETURN(domain::Principal owner,
                                  tx.GetPrincipal(district, principal_id));
        if (owner.role != domain::Role::kAdmin) {
          return absl::FailedPreconditionError(absl::StrCat(
              "principal ", principal_id, " has role ",
              Str(domain::RoleName(owner.role)),
              ", not admin: the recovery issues admin tokens only; an admin "
              "issues everyone else's"));
        }
        if (owner.disabled) {
          return absl::FailedPreconditionError(absl::StrCat(
              "admin ", principal_id,
              " is disabled; recover the token of an enabled admin, who can "
              "then enable it"));
        }
        domain::Credential c;
        c.id = std::move(token_id);
        c.principal_id = principal_id;
        c.token_hash = std::move(token_hash);
        c.description = "recovery token issued offline on the host";
        return IssueCredential(
            district, system, owner, std::move(c), clock_.Now(), "",
            "recovery of a lost admin credential: issued offline on the host "
            "(taskgated --issue-admin-token) while no server ran");
      });
}

absl::StatusOr<domain::Principal> Directory::GetPrincipal(
    const std::string& principal_id) {
  return store_.GetPrincipal(options_.district_id, principal_id);
}

}  // namespace taskgate::workflow
