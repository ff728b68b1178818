// What the SQLite store's readers share: decoding stored JSON bodies, one
// district's SELECT with optional filter terms, and limits.
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
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "common/status_macros.h"
#include "store/sqlite/internal/connection.h"

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
  // "<select> WHERE district_id = ?", e.g. `select` "SELECT id, body FROM
  // tasks".
  FilterQuery(std::string_view select, const std::string& district_id);
  FilterQuery(const FilterQuery&) = delete;
  FilterQuery& operator=(const FilterQuery&) = delete;

  // " AND <column> = ?" when `value` is not empty.
  void Equal(std::string_view column, const std::string& value);

  // " AND <column> IN (?, ...)" when `values` is not empty.
  void In(std::string_view column, std::vector<std::string> values);

  // " AND <term>", binding `params` to the term's placeholders.
  void Where(std::string_view term, std::vector<Param> params);

  // Appends `tail` as it is (ORDER BY, LIMIT), binding `params`.
  void Append(std::string_view tail, std::vector<Param> params = {});

  const std::string& sql() const { return sql_; }
  const std::vector<Param>& params() const { return params_; }

 private:
  std::string sql_;
  std::vector<Param> params_;
  std::deque<std::string> owned_;  // values of `In`; a deque never moves them
};

}  // namespace taskgate::store::sqlite_internal

#endif  // TASKGATE_STORE_SQLITE_INTERNAL_QUERIES_H_
