// `ScopedDbPath`: a fresh database path under the test temp dir, unique per
// test and process, for tests that need a real file (WAL, reopening,
// several connections). The file and everything named after it (its WAL,
// shared memory, journal, a ".copy" of it and a ".dir") are removed when it
// is made and at scope exit. Test-only, header-only; not thread-safe.
#ifndef TASKGATE_TESTS_TESTING_SCOPED_DB_PATH_H_
#define TASKGATE_TESTS_TESTING_SCOPED_DB_PATH_H_

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

namespace taskgate::testing {

class ScopedDbPath {
 public:
  ScopedDbPath() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = absl::StrCat(::testing::TempDir(), info->test_suite_name(), "_",
                         info->name(), "_", getpid(), ".db");
    RemoveAll();
  }
  ~ScopedDbPath() { RemoveAll(); }
  ScopedDbPath(const ScopedDbPath&) = delete;
  ScopedDbPath& operator=(const ScopedDbPath&) = delete;

  const std::string& path() const { return path_; }

 private:
  void RemoveAll() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal", ".copy",
                               ".copy-wal", ".copy-shm", ".dir"}) {
      std::filesystem::remove_all(path_ + suffix, ec);
    }
  }

  std::string path_;
};

}  // namespace taskgate::testing

#endif  // TASKGATE_TESTS_TESTING_SCOPED_DB_PATH_H_
