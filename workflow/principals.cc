#include "workflow/principals.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include "common/field_violations.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "workflow/access.h"
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

}  // namespace

Principals::Principals(store::Store& store, Writer& writer, const Clock& clock,
                       EngineOptions options)
    : store_(store),
      writer_(writer),
      clock_(clock),
      options_(std::move(options)) {}

absl::StatusOr<domain::Principal> Principals::CreatePrincipal(
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

absl::StatusOr<domain::Principal> Principals::SetPrincipalDisabled(
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

absl::StatusOr<domain::Credential> Principals::IssueToken(
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

absl::StatusOr<domain::Credential> Principals::BindCertificate(
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

absl::StatusOr<domain::Credential> Principals::RevokeToken(
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

absl::Status Principals::KeepsAnAdmin(store::Store& tx,
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

absl::StatusOr<domain::Principal> Principals::Authenticate(
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

absl::StatusOr<domain::Principal> Principals::AuthenticateCertificate(
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

absl::StatusOr<bool> Principals::HasPrincipals() {
  TASKGATE_ASSIGN_OR_RETURN(const int64_t principals,
                            store_.CountPrincipals(options_.district_id));
  return principals > 0;
}

absl::StatusOr<std::optional<domain::Credential>> Principals::BootstrapAdmin(
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

absl::StatusOr<domain::Credential> Principals::IssueRecoveryToken(
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

absl::StatusOr<domain::Principal> Principals::GetPrincipal(
    const std::string& principal_id) {
  return store_.GetPrincipal(options_.district_id, principal_id);
}

}  // namespace taskgate::workflow
