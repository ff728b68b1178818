#include "workflow/paging.h"

#include <algorithm>
#include <string>

#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>

namespace taskgate::workflow {
namespace {

constexpr char kPageTokenSeparator = '\x1f';

}  // namespace

int32_t PageSize(int32_t requested, std::vector<FieldViolation>& violations,
                 int32_t fallback) {
  if (requested < 0) {
    violations.push_back({"page_size", "must not be negative"});
    return fallback;
  }
  if (requested == 0) return fallback;
  return std::min(requested, kMaxPageSize);
}

std::string EncodePageToken(std::string_view query, std::string_view position) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(std::string(query), std::string(1, kPageTokenSeparator),
                   std::string(position)));
}

absl::StatusOr<std::string> DecodePageToken(std::string_view token,
                                            std::string_view query) {
  std::string raw;
  if (token.size() > kMaxPageTokenLength ||
      !absl::WebSafeBase64Unescape(std::string(token), &raw)) {
    return InvalidArgumentWithViolations(
        {{"page_token", "is not a page token this server issued"}});
  }
  const size_t sep = raw.rfind(kPageTokenSeparator);
  if (sep == std::string::npos || raw.substr(0, sep) != query) {
    return InvalidArgumentWithViolations(
        {{"page_token",
          "belongs to a different query; send the same filter as the request "
          "that returned it, or start over without a token"}});
  }
  return raw.substr(sep + 1);
}

}  // namespace taskgate::workflow
