#include "domain/fields.h"

#include <cstdint>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <nlohmann/json.hpp>

namespace taskgate::domain {
namespace {

using Json = nlohmann::json;

bool IsZero(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return true;
    case Json::value_t::string:
      return value.get_ref<const std::string&>().empty();
    case Json::value_t::array:
    case Json::value_t::object:
      return value.empty();
    case Json::value_t::boolean:
      return !value.get<bool>();
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return value.get<int64_t>() == 0;
    case Json::value_t::number_float:
      return value.get<double>() == 0;
    default:
      return false;
  }
}

void Flatten(const Json& object, const std::string& prefix, Fields& out) {
  for (const auto& [name, value] : object.items()) {
    const std::string field =
        prefix.empty() ? name : absl::StrCat(prefix, ".", name);
    if (value.is_object()) {
      Flatten(value, field, out);
    } else if (!IsZero(value)) {
      // As the codec writes it: compact, keys sorted, never throwing.
      out[field] = value.is_string()
                       ? value.get<std::string>()
                       : value.dump(-1, ' ', /*ensure_ascii=*/false,
                                    Json::error_handler_t::replace);
    }
  }
}

}  // namespace

std::string DecisionKey(std::string_view task_id, int64_t n) {
  return absl::StrCat(std::string(task_id), "/", n);
}

std::string AckKey(std::string_view task_id, std::string_view community_id) {
  return absl::StrCat(std::string(task_id), "/", std::string(community_id));
}

std::string AttachmentKey(std::string_view task_id, std::string_view sha256) {
  return absl::StrCat(std::string(task_id), "/", std::string(sha256));
}

std::string CalendarKey(int32_t year, int64_t version) {
  return absl::StrCat(year, "/", version);
}

absl::StatusOr<Fields> FieldsOfJson(std::string_view json) {
  const Json parsed = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError(
        "a stored entity's body is not a JSON object");
  }
  Fields fields;
  Flatten(parsed, "", fields);
  return fields;
}

}  // namespace taskgate::domain
