#include "services/auth.h"

#include <array>
#include <cstdint>
#include <string>

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "audit/merkle.h"

namespace taskgate::services {
namespace {

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()),
                 static_cast<int>(n)) != 1) {
    return absl::InternalError("the system's random generator failed");
  }
  return bytes;
}

}  // namespace

absl::StatusOr<std::string> NewTokenSecret() {
  absl::StatusOr<std::string> bytes = RandomBytes(32);
  if (!bytes.ok()) return bytes.status();
  return absl::StrCat("tg_", absl::WebSafeBase64Escape(*bytes));
}

absl::StatusOr<std::string> NewTokenId() {
  absl::StatusOr<std::string> bytes = RandomBytes(8);
  if (!bytes.ok()) return bytes.status();
  return absl::StrCat("tok-", absl::BytesToHexString(*bytes));
}

std::string DerivedId(std::string_view prefix, std::string_view caller_id,
                      std::string_view request_id) {
  const std::string digest = audit::ToHex(audit::Sha256(
      absl::StrCat(std::string(caller_id), "\n", std::string(request_id))));
  return absl::StrCat(std::string(prefix), "-", digest.substr(0, 16));
}

std::string HashToken(std::string_view token) {
  return audit::ToHex(audit::Sha256(token));
}

absl::StatusOr<std::string> ParseBearer(std::string_view header_value) {
  constexpr std::string_view kScheme = "bearer ";
  if (header_value.size() <= kScheme.size() ||
      absl::AsciiStrToLower(
          std::string(header_value.substr(0, kScheme.size()))) != kScheme) {
    return absl::UnauthenticatedError(
        "send the metadata 'authorization: Bearer <token>'; an admin issues "
        "tokens with 'taskgate admin tokens issue'");
  }
  std::string token(absl::StripAsciiWhitespace(
      std::string(header_value.substr(kScheme.size()))));
  if (token.empty()) {
    return absl::UnauthenticatedError("the bearer token is empty");
  }
  return token;
}

}  // namespace taskgate::services
