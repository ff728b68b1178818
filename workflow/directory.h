// The district's directory: who and what the workflow knows about before
// any task moves. The district itself (created on first start), the
// catalog of lists (准入清单, SPEC §2), the communities with their capacity,
// the principals and their bearer tokens (SPEC §1, §8), the first admin's
// bootstrap, and authentication of a token.
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

  // Creates a principal. Admin only. `principal.id` is chosen by the caller;
  // its role must not be system; a department clerk needs a
  // `department_id` of an existing department, a community office a
  // `community_id` of an existing community, and a reviewer may have a
  // `home_department_id` of an existing department (INVALID_ARGUMENT
  // naming the field otherwise). ALREADY_EXISTS
  // when the id is taken. Event "principal.create".
  absl::StatusOr<domain::Principal> CreatePrincipal(
      const domain::Principal& admin, const std::string& request_id,
      domain::Principal principal);

  // Disables or enables a principal; a disabled principal no longer
  // authenticates. Admin only; an admin cannot disable themself
  // (FAILED_PRECONDITION). Setting the state it already has changes nothing
  // and returns it. Events "principal.disable" / "principal.enable".
  absl::StatusOr<domain::Principal> SetPrincipalDisabled(
      const domain::Principal& admin, const std::string& request_id,
      const std::string& principal_id, bool disabled, int64_t expected_version);

  // Issues bearer token `token_id` to a principal. The caller generates the
  // secret and passes only `token_hash`, the lower-case hex SHA-256 of it;
  // neither the secret nor the hash enters the audit log (the record carries
  // the hash's own SHA-256: store/entity_writes.h). Admin only.
  // FAILED_PRECONDITION for a disabled principal; ALREADY_EXISTS for a token
  // id or hash in use. Event "credential.issue".
  absl::StatusOr<domain::Credential> IssueToken(const domain::Principal& admin,
                                                const std::string& request_id,
                                                const std::string& principal_id,
                                                std::string token_id,
                                                std::string token_hash,
                                                std::string description);

  // Binds client-certificate identity `certificate_identity` (see
  // workflow/validation.h `CheckCertificateIdentity`) to a principal as
  // credential `credential_id`: under mutual TLS, a call whose verified
  // certificate carries that identity acts as the principal. Admin only.
  // INVALID_ARGUMENT for a malformed identity; FAILED_PRECONDITION for a
  // disabled principal; ALREADY_EXISTS when the identity is already bound
  // (revoke that binding first) or the id is taken. Event
  // "credential.issue" with the identity in its details, in the same
  // transaction as the binding.
  absl::StatusOr<domain::Credential> BindCertificate(
      const domain::Principal& admin, const std::string& request_id,
      const std::string& principal_id, std::string credential_id,
      std::string certificate_identity, std::string description);

  // Revokes a credential, a token or a certificate binding; revoking a
  // revoked one changes nothing and returns it. Admin only. Event
  // "credential.revoke". FAILED_PRECONDITION for the district's last active
  // bearer token of an enabled admin, which would lock every admin out for
  // good (a certificate binding does not count: it works only under mutual
  // TLS).
  absl::StatusOr<domain::Credential> RevokeToken(const domain::Principal& admin,
                                                 const std::string& request_id,
                                                 const std::string& token_id);

  // Returns the principal holding the token whose secret hashes to
  // `token_hash`. Read-only. UNAUTHENTICATED, with one message for all
  // (so as not to tell which), for an unknown or revoked token and for a
  // disabled principal.
  absl::StatusOr<domain::Principal> Authenticate(const std::string& token_hash);

  // Returns the principal bound to the first of `identities` (the
  // identities of a verified client certificate, most specific first:
  // services/peer_identity.h) that has an active binding. Read-only.
  // UNAUTHENTICATED naming the identities when none is bound, and naming
  // the principal when it is disabled; the identities are not secret, and
  // the peer has proved it holds the certificate.
  absl::StatusOr<domain::Principal> AuthenticateCertificate(
      const std::vector<std::string>& identities);

  // Whether the district has any principal yet (the first start has none).
  absl::StatusOr<bool> HasPrincipals();

  // On first start: when the district has no principal at all, creates
  // principal "admin" (role admin) and issues it token `token_id`, as the
  // system, in one change. Returns nullopt, changing nothing, when
  // principals already exist. INVALID_ARGUMENT for a bad id or hash.
  absl::StatusOr<std::optional<domain::Credential>> BootstrapAdmin(
      std::string token_id, std::string token_hash);

  // The recovery of a lost admin credential (`taskgated
  // --issue-admin-token`, run on the host while no server runs): issues
  // token `token_id` to the enabled admin `principal_id` as the system,
  // recorded by the same "credential.issue" event as any issue, with a
  // reason saying how it came. No caller is authorized: whoever runs it
  // holds the database file and the host, and the event shows the act to
  // every inspector. NOT_FOUND for an unknown principal;
  // FAILED_PRECONDITION for a principal that is not an admin or is
  // disabled; INVALID_ARGUMENT for a bad id or hash; ALREADY_EXISTS for a
  // token id or hash in use.
  absl::StatusOr<domain::Credential> IssueRecoveryToken(
      const std::string& principal_id, std::string token_id,
      std::string token_hash);

  // The principal `principal_id` as stored, for the server's own wiring
  // (the demo data acts as the bootstrap admin); callers' reads go through
  // `Queries`. NOT_FOUND.
  absl::StatusOr<domain::Principal> GetPrincipal(
      const std::string& principal_id);

 private:
  // FAILED_PRECONDITION unless an enabled admin keeps an active credential
  // other than `revoked_id`; reads through the writer's batch `tx`.
  absl::Status KeepsAnAdmin(store::Store& tx,
                            const std::string& revoked_id) const;

  store::Store& store_;  // reads outside the writer
  Writer& writer_;
  const Clock& clock_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_DIRECTORY_H_
