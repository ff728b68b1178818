#include "store/sqlite/internal/queries.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/time/civil_time.h>

#include "domain/codec.h"
#include "domain/types.h"
#include "store/sqlite/internal/connection.h"
#include "store/store.h"

namespace taskgate::store::sqlite_internal {

absl::Status CheckLimit(int32_t limit) {
  if (limit >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("limit ", limit, " is negative; use 0 for no limit"));
}

FilterQuery::FilterQuery(std::string_view select,
                         const std::string& district_id,
                         std::string_view district_column)
    : sql_(absl::StrCat(Sv(select), " WHERE ", Sv(district_column), " = ?")),
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

void FilterQuery::WhereText(std::string_view term,
                            std::vector<std::string> values) {
  absl::StrAppend(&sql_, " AND ", Sv(term));
  for (std::string& v : values)
    params_.emplace_back(owned_.emplace_back(std::move(v)));
}

void FilterQuery::Append(std::string_view tail, std::vector<Param> params) {
  absl::StrAppend(&sql_, Sv(tail));
  for (Param& param : params) params_.push_back(std::move(param));
}

namespace {

// Dates are stored as zero-padded ISO text, so text order is date order; the
// condition is checked on the task row, after the index found it, and saves
// decoding the tasks the rules would skip anyway.
void AddDateOverlap(const TaskQuery& query, std::string_view table,
                    FilterQuery& select) {
  if (!query.dates_from.has_value() || !query.dates_until.has_value()) return;
  select.WhereText(absl::StrCat(Sv(table), "start_date <= ? AND ", Sv(table),
                                "end_date >= ?"),
                   {domain::FormatCivilDay(*query.dates_until),
                    domain::FormatCivilDay(*query.dates_from)});
}

// domain::AwaitsSecondApproval in SQL, over the task row (`table`): in the
// review queue, needing two approvals, with exactly one. The body is the
// task's JSON (domain/codec.h), whose `approvals` is always an array; a
// body without `needs_two_approvals` counts as not needing two.
void AddAwaitingSecondApproval(const TaskQuery& query, std::string_view table,
                               FilterQuery& select) {
  if (!query.awaiting_second_approval.has_value()) return;
  const std::string t(table);
  const std::string awaiting = absl::StrCat(
      "(", t, "state IN (?, ?, ?) AND coalesce(json_extract(", t,
      "body, '$.needs_two_approvals'), 0) = 1 AND coalesce(json_array_length(",
      t, "body, '$.approvals'), 0) = 1)");
  select.WhereText(
      *query.awaiting_second_approval ? awaiting
                                      : absl::StrCat("NOT ", awaiting),
      {std::string(domain::TaskStateName(domain::TaskState::kSubmitted)),
       std::string(domain::TaskStateName(domain::TaskState::kInReview)),
       std::string(domain::TaskStateName(domain::TaskState::kProvisional))});
}

}  // namespace

std::unique_ptr<FilterQuery> TaskListQuery(const TaskQuery& query) {
  std::vector<std::string> states;
  states.reserve(query.states.size());
  for (domain::TaskState state : query.states) {
    states.emplace_back(domain::TaskStateName(state));
  }
  if (!query.community_id.empty()) {
    auto select = std::make_unique<FilterQuery>(
        "SELECT t.id, t.body FROM task_communities AS c CROSS JOIN tasks AS t "
        "ON t.district_id = c.district_id AND t.id = c.task_id",
        query.district_id, "c.district_id");
    select->Equal("c.community_id", query.community_id);
    // The rows carry the task's state, department and item, so an index
    // stops at what was asked for; the task's own columns are checked as
    // well, for certainty.
    select->In("c.state", states);
    select->In("t.state", std::move(states));
    select->Equal("c.department_id", query.department_id);
    select->Equal("c.item_code", query.item_code);
    select->Equal("t.department_id", query.department_id);
    select->Equal("t.item_code", query.item_code);
    AddDateOverlap(query, "t.", *select);
    AddAwaitingSecondApproval(query, "t.", *select);
    if (!query.after_id.empty()) {
      select->Where("+c.task_id > ?", {query.after_id});
    }
    select->Append(" ORDER BY +c.task_id LIMIT ?", {NoLimit(query.limit)});
    return select;
  }
  auto select = std::make_unique<FilterQuery>("SELECT id, body FROM tasks",
                                              query.district_id);
  select->Equal("department_id", query.department_id);
  select->In("state", std::move(states));
  select->Equal("item_code", query.item_code);
  AddDateOverlap(query, "", *select);
  AddAwaitingSecondApproval(query, "", *select);
  // With department and item, tasks_by_department_item_state finds the rows;
  // otherwise the primary key's order serves pages of broad lists.
  const bool by_item = !query.department_id.empty() && !query.item_code.empty();
  if (!query.after_id.empty()) {
    select->Where(by_item ? "+id > ?" : "id > ?", {query.after_id});
  }
  select->Append(by_item ? " ORDER BY +id LIMIT ?" : " ORDER BY id LIMIT ?",
                 {NoLimit(query.limit)});
  return select;
}

std::string JsonStringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : values[i]) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (byte < 0x20) {
        absl::StrAppendFormat(&out, "\\u%04x", byte);
      } else {
        out += c;
      }
    }
    out += '"';
  }
  out += ']';
  return out;
}

}  // namespace taskgate::store::sqlite_internal
