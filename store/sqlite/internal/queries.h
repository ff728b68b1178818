// What the SQLite store's readers share: decoding stored JSON bodies, one
// district's SELECT with optional filter terms, limits, the SELECT behind
// `Store::ListTasks`, and a JSON array of strings for `IN` lists.
//
// Most tables keep a row's full JSON body beside the columns queries need;
// readers select `(name, body)` pairs, where the name (an id, or whatever
// identifies the row) only serves to say which row is damaged when its body
// cannot be decoded.
//
// Internal to store/sqlite/. Not thread-safe: statements are read under
// their connection's lock.
#ifndef TASKGATE_STORE_SQLITE_INTERNAL_QUERIES_H_
#define TASKGATE_STORE_SQLITE_INTERNAL_QUERIES_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>

#include "common/status_macros.h"
#include "store/sqlite/internal/connection.h"
#include "store/store.h"

namespace taskgate::store::sqlite_internal {

// INVALID_ARGUMENT when `limit` is negative (0 means no limit).
absl::Status CheckLimit(int32_t limit);

// SQLite's LIMIT for a `limit` argument where 0 means none.
inline int64_t NoLimit(int32_t limit) { return limit <= 0 ? -1 : limit; }

// Decoding a stored body fails only if the file was damaged or edited:
// DATA_LOSS naming `what`.
template <typename T>
absl::StatusOr<T> Decoded(absl::StatusOr<T> value, std::string_view what) {
  if (value.ok()) return value;
  return absl::DataLossError(absl::StrCat(
      "stored ", Sv(what), " cannot be read (", value.status().message(),
      "); the database may be damaged: verify it and restore from a backup"));
}

// Decodes a JSON body (domain/codec.h).
template <typename T>
using BodyDecoder = absl::StatusOr<T> (*)(std::string_view);

// Reads every `(name, body)` row of `stmt`. `context` names the query in
// SQLite errors; a body that cannot be decoded is DATA_LOSS naming
// "<noun> <name>".
template <typename T>
absl::StatusOr<std::vector<T>> ReadBodies(Statement& stmt,
                                          BodyDecoder<T> decode,
                                          std::string_view context,
                                          std::string_view noun) {
  std::vector<T> out;
  while (true) {
    TASKGATE_ASSIGN_OR_RETURN(const bool row, stmt.Step(context));
    if (!row) break;
    TASKGATE_ASSIGN_OR_RETURN(
        T value, Decoded(decode(stmt.Text(1)),
                         absl::StrCat(Sv(noun), " ", stmt.Text(0))));
    out.push_back(std::move(value));
  }
  return out;
}

// Reads the first `(name, body)` row of `stmt`, or nullopt when there is
// none; errors as `ReadBodies`.
template <typename T>
absl::StatusOr<std::optional<T>> ReadFirstBody(Statement& stmt,
                                               BodyDecoder<T> decode,
                                               std::string_view context,
                                               std::string_view noun) {
  TASKGATE_ASSIGN_OR_RETURN(const bool found, stmt.Step(context));
  if (!found) return std::optional<T>();
  TASKGATE_ASSIGN_OR_RETURN(
      T value,
      Decoded(decode(stmt.Text(1)), absl::StrCat(Sv(noun), " ", stmt.Text(0))));
  return std::optional<T>(std::move(value));
}

// A SELECT of one district's rows, narrowed by optional terms, in the order
// they are added. Strings passed by reference are viewed, not copied: they
// must outlive the statement prepared from `sql()` and `params()`.
class FilterQuery {
 public:
  // "<select> WHERE <district_column> = ?", e.g. `select` "SELECT id, body
  // FROM tasks". A join names the table whose district column to use, e.g.
  // "c.district_id".
  FilterQuery(std::string_view select, const std::string& district_id,
              std::string_view district_column = "district_id");
  FilterQuery(const FilterQuery&) = delete;
  FilterQuery& operator=(const FilterQuery&) = delete;

  // " AND <column> = ?" when `value` is not empty.
  void Equal(std::string_view column, const std::string& value);

  // " AND <column> IN (?, ...)" when `values` is not empty.
  void In(std::string_view column, std::vector<std::string> values);

  // " AND <term>", binding `params` to the term's placeholders.
  void Where(std::string_view term, std::vector<Param> params);

  // " AND <term>", binding copies of `values` (kept by the query).
  void WhereText(std::string_view term, std::vector<std::string> values);

  // Appends `tail` as it is (ORDER BY, LIMIT), binding `params`.
  void Append(std::string_view tail, std::vector<Param> params = {});

  const std::string& sql() const { return sql_; }
  const std::vector<Param>& params() const { return params_; }

 private:
  std::string sql_;
  std::vector<Param> params_;
  // Values of `In` and `WhereText`; a deque never moves them.
  std::deque<std::string> owned_;
};

// The SELECT of `(id, body)` rows behind `Store::ListTasks`, in id order.
// It views the strings of `query`, which must outlive it. Exposed so that
// the store's tests can read its query plan.
//
// The shape is chosen so that SQLite cannot prefer the primary key only to
// return rows in id order (it does, with no statistics to tell it better):
// a list for a community is driven by that community's rows of
// task_communities (state included), a department + item list by
// tasks_by_department_item_state; both sort their few rows afterwards
// (`ORDER BY +id` keeps an index from being chosen for the order alone).
std::unique_ptr<FilterQuery> TaskListQuery(const TaskQuery& query);

// `values` as a JSON array of strings, for `IN (SELECT value FROM
// json_each(?))`: one statement text whatever the number of values.
std::string JsonStringArray(const std::vector<std::string>& values);

}  // namespace taskgate::store::sqlite_internal

#endif  // TASKGATE_STORE_SQLITE_INTERNAL_QUERIES_H_
