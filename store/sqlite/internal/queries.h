// Helpers the SQLite store's readers share.
//
// Internal to store/sqlite/. Not thread-safe: statements are read under
// their connection's lock.
#ifndef TASKGATE_STORE_SQLITE_INTERNAL_QUERIES_H_
#define TASKGATE_STORE_SQLITE_INTERNAL_QUERIES_H_

#include <cstdint>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "store/sqlite/internal/connection.h"

namespace taskgate::store::sqlite_internal {

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

}  // namespace taskgate::store::sqlite_internal

#endif  // TASKGATE_STORE_SQLITE_INTERNAL_QUERIES_H_
