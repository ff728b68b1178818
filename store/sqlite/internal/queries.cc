#include "store/sqlite/internal/queries.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include "store/sqlite/internal/connection.h"

namespace taskgate::store::sqlite_internal {

absl::Status CheckLimit(int32_t limit) {
  if (limit >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("limit ", limit, " is negative; use 0 for no limit"));
}

FilterQuery::FilterQuery(std::string_view select,
                         const std::string& district_id)
    : sql_(absl::StrCat(Sv(select), " WHERE district_id = ?")),
      params_({district_id}) {}

void FilterQuery::Equal(std::string_view column, const std::string& value) {
  if (value.empty()) return;
  absl::StrAppend(&sql_, " AND ", Sv(column), " = ?");
  params_.emplace_back(value);
}

void FilterQuery::In(std::string_view column, std::vector<std::string> values) {
  if (values.empty()) return;
  absl::StrAppend(&sql_, " AND ", Sv(column), " IN (");
  for (size_t i = 0; i < values.size(); ++i) {
    absl::StrAppend(&sql_, i == 0 ? "?" : ", ?");
    params_.emplace_back(owned_.emplace_back(std::move(values[i])));
  }
  absl::StrAppend(&sql_, ")");
}

void FilterQuery::Where(std::string_view term, std::vector<Param> params) {
  absl::StrAppend(&sql_, " AND ", Sv(term));
  Append("", std::move(params));
}

void FilterQuery::Append(std::string_view tail, std::vector<Param> params) {
  absl::StrAppend(&sql_, Sv(tail));
  for (Param& param : params) params_.push_back(std::move(param));
}

}  // namespace taskgate::store::sqlite_internal
