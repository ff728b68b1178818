// The district's principals and their credentials (SPEC §1, §8): creating
// and disabling principals, bearer tokens and client-certificate bindings,
// authentication of either, the first admin's bootstrap and the recovery of
// a lost admin credential. Split from the directory (workflow/directory.h),
// which holds what a principal refers to (departments, communities), because
// this is the part every call goes through and the part whose mistakes lock
// people out.
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
#ifndef TASKGATE_WORKFLOW_PRINCIPALS_H_
#define TASKGATE_WORKFLOW_PRINCIPALS_H_

#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "common/clock.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/writer.h"

namespace taskgate::workflow {

class Principals final {
 public:
  Principals(store::Store& store, Writer& writer, const Clock& clock,
             EngineOptions options);
  Principals(const Principals&) = delete;
  Principals& operator=(const Principals&) = delete;

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

#endif  // TASKGATE_WORKFLOW_PRINCIPALS_H_
