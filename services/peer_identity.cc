#include "services/peer_identity.h"

#include <string>
#include <string_view>
#include <vector>

#include <absl/strings/str_cat.h>
#include <grpc/grpc_security_constants.h>

namespace taskgate::services {
namespace {

void Append(const grpc::AuthContext& auth, const char* property,
            std::string_view kind, std::vector<std::string>& out) {
  for (const grpc::string_ref& value : auth.FindPropertyValues(property)) {
    if (value.empty()) continue;
    out.push_back(absl::StrCat(std::string(kind), ":",
                               std::string(value.data(), value.size())));
  }
}

}  // namespace

std::vector<std::string> PeerCertificateIdentities(
    const grpc::AuthContext& auth) {
  std::vector<std::string> identities;
  Append(auth, GRPC_PEER_URI_PROPERTY_NAME, "uri", identities);
  Append(auth, GRPC_PEER_DNS_PROPERTY_NAME, "dns", identities);
  Append(auth, GRPC_PEER_EMAIL_PROPERTY_NAME, "email", identities);
  Append(auth, GRPC_X509_SUBJECT_PROPERTY_NAME, "subject", identities);
  return identities;
}

}  // namespace taskgate::services
