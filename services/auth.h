// Bearer-token authentication for the service layer.
//
// A token is "tg_" followed by 43 base64url characters of 32 random bytes
// (OpenSSL RAND_bytes). The server keeps only the lower-case hex SHA-256 of
// the whole token; `taskgate::workflow::Principals::Authenticate` looks the
// hash up and returns the principal with its role and scope from the server's
// records. Stateless functions; thread-safe.
#ifndef TASKGATE_SERVICES_AUTH_H_
#define TASKGATE_SERVICES_AUTH_H_

#include <string>
#include <string_view>

#include <absl/status/statusor.h>

namespace taskgate::services {

// A fresh secret token. INTERNAL if the system's randomness fails.
absl::StatusOr<std::string> NewTokenSecret();

// A fresh public token id, "tok-" and 16 hex characters.
absl::StatusOr<std::string> NewTokenId();

// The id of a resource the server names for a client: `prefix`, '-', and 16
// hex characters derived from the caller and its request id, so that a
// retry of the same request names the same resource.
std::string DerivedId(std::string_view prefix, std::string_view caller_id,
                      std::string_view request_id);

// The stored form of a token: lower-case hex SHA-256.
std::string HashToken(std::string_view token);

// Extracts the token from an "authorization" metadata value
// ("Bearer <token>", case-insensitive scheme). UNAUTHENTICATED with a
// message saying what to send when it is missing or malformed.
absl::StatusOr<std::string> ParseBearer(std::string_view header_value);

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_AUTH_H_
