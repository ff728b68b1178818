// The identities a call's client certificate carries under mutual TLS
// (SPEC §8), in the form an admin binds them to a principal
// (AdminService.BindCertificate, workflow/validation.h
// `CheckCertificateIdentity`). Stateless; thread-safe.
#ifndef TASKGATE_SERVICES_PEER_IDENTITY_H_
#define TASKGATE_SERVICES_PEER_IDENTITY_H_

#include <string>
#include <vector>

#include <grpcpp/security/auth_context.h>

namespace taskgate::services {

// The identities of the peer's certificate as gRPC's TLS handshake reports
// them in `auth`, most specific first: "uri:" and each SAN URI, "dns:" and
// each SAN DNS name, "email:" and each SAN email, each kind in the
// certificate's order, then "subject:" and the subject distinguished name
// in RFC 2253 form ("CN=reviewer-1,O=District"). IP address SANs and a bare
// common name are not identities: an address names a host, not a holder,
// and the subject already holds the CN. Empty when the call came without a
// client certificate (plain or in-process channels, TLS without client
// certificates).
//
// The caller must only trust the result when the server verified the
// certificate, i.e. runs with GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_
// CERTIFICATE_AND_VERIFY (services/server.cc): that handshake refuses a
// missing, expired or untrusted certificate before any call.
std::vector<std::string> PeerCertificateIdentities(
    const grpc::AuthContext& auth);

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_PEER_IDENTITY_H_
