#include "common/field_violations.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/strings/cord.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/types/optional.h>

namespace taskgate {
namespace {

// Payload format: for each violation, two length-prefixed strings (4-byte
// big-endian length, then bytes). Private to this file; never persisted.
void AppendString(std::string& out, std::string_view s) {
  const auto n = static_cast<uint32_t>(s.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  out.append(s);
}

std::optional<std::string> ReadString(std::string_view& in) {
  if (in.size() < 4) return std::nullopt;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) {
    n = (n << 8) | static_cast<uint8_t>(in[i]);
  }
  in.remove_prefix(4);
  if (in.size() < n) return std::nullopt;
  std::string s(in.substr(0, n));
  in.remove_prefix(n);
  return s;
}

}  // namespace

absl::Status InvalidArgumentWithViolations(
    const std::vector<FieldViolation>& violations) {
  std::string payload;
  std::vector<std::string> parts;
  const auto add = [&](const FieldViolation& v) {
    AppendString(payload, v.field);
    AppendString(payload, v.description);
    parts.push_back(absl::StrCat(v.field, ": ", v.description));
  };
  const size_t shown = violations.size() > kMaxReportedViolations
                           ? kMaxReportedViolations - 1
                           : violations.size();
  for (size_t i = 0; i < shown; ++i) add(violations[i]);
  if (shown < violations.size()) {
    add({"request",
         absl::StrCat(violations.size() - shown,
                      " more violations are not listed; correct the ones "
                      "above and send it again")});
  }
  absl::Status status = absl::InvalidArgumentError(
      absl::StrCat("invalid request: ", absl::StrJoin(parts, "; ")));
  status.SetPayload(kFieldViolationsPayloadUrl, absl::Cord(payload));
  return status;
}

std::vector<FieldViolation> GetFieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> result;
  absl::optional<absl::Cord> payload =
      status.GetPayload(kFieldViolationsPayloadUrl);
  if (!payload.has_value()) return result;
  const std::string flat(*payload);
  std::string_view in = flat;
  while (!in.empty()) {
    std::optional<std::string> field = ReadString(in);
    std::optional<std::string> description = ReadString(in);
    if (!field || !description) break;
    result.push_back({*std::move(field), *std::move(description)});
  }
  return result;
}

}  // namespace taskgate
