// Direct access to a database file beside the store that has it open, as
// anyone holding the file could: `ExecOnFile` runs SQL on it (tampering,
// injecting a trigger) and `DumpDatabase` reads every row of every table
// into one text, so that a test can say "nothing changed" of the whole file.
// Test-only, header-only; each call opens and closes its own connection, so
// it sees what the store committed (WAL included). Not thread-safe.
#ifndef TASKGATE_TESTS_TESTING_SQLITE_FILE_H_
#define TASKGATE_TESTS_TESTING_SQLITE_FILE_H_

#include <sqlite3.h>

#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

namespace taskgate::testing {

// Runs `sql` (one or more statements) on the file at `path`; a failure is
// a fatal test failure naming SQLite's message.
inline void ExecOnFile(const std::string& path, const std::string& sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error == nullptr ? "" : error;
  sqlite3_free(error);
  sqlite3_close(raw);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// Every row of every table of the file at `path`, table by table in name
// order and rows in stored order, one line each; "" with a test failure when
// the file cannot be read.
inline std::string DumpDatabase(const std::string& path) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path;
    sqlite3_close(raw);
    return "";
  }
  // Collects the result rows of `sql` into `out`, columns separated by |.
  const auto rows = [&](const std::string& sql, std::string& out) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(raw);
      return;
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const auto* text =
            reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        absl::StrAppend(&out, i == 0 ? "" : "|", text == nullptr ? "" : text);
      }
      out += '\n';
    }
    sqlite3_finalize(stmt);
  };
  std::string names;
  rows(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
      "'sqlite_%' ORDER BY name",
      names);
  std::string dump;
  for (size_t start = 0; start < names.size();) {
    const size_t end = names.find('\n', start);
    const std::string table = names.substr(start, end - start);
    absl::StrAppend(&dump, "== ", table, "\n");
    rows(absl::StrCat("SELECT * FROM \"", table, "\""), dump);
    start = end + 1;
  }
  sqlite3_close(raw);
  return dump;
}

}  // namespace taskgate::testing

#endif  // TASKGATE_TESTS_TESTING_SQLITE_FILE_H_
