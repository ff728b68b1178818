// `DatabaseLock`: which process may change a database file outside the
// server. A serving `taskgated` holds an exclusive advisory lock (flock) on
// "<db_path>.lock" for its whole life, and the offline commands that write
// the database (`taskgated --issue-admin-token`) take the same lock, so
// that they never run beside a live server: SQLite would let both write,
// but the server's Merkle tree, checkpoints and head file follow only what
// it commits itself, and it would not know of a token issued behind it
// until the next start. A second server on the same file is refused too.
//
// The kernel drops the lock when the process ends, also on SIGKILL, so a
// crash leaves nothing to clean up. The file stays (mode 0600 under
// taskgated's umask): removing it could let a new process lock a new file
// while another still holds the old one.
//
// Thread-compatible; the lock is the process's, held until destruction.
#ifndef TASKGATE_SERVICES_DB_LOCK_H_
#define TASKGATE_SERVICES_DB_LOCK_H_

#include <memory>
#include <string>

#include <absl/status/statusor.h>

namespace taskgate::services {

class DatabaseLock final {
 public:
  // The lock file of the database at `db_path`: "<db_path>.lock".
  static std::string PathFor(const std::string& db_path);

  // Takes the lock of the database at `db_path` without waiting, creating
  // the lock file if needed. ":memory:" needs none and always succeeds.
  // FAILED_PRECONDITION, naming the database and the lock file, when another
  // process holds it (a running taskgated), saying to stop that first; also
  // when the lock file cannot be opened.
  static absl::StatusOr<std::unique_ptr<DatabaseLock>> Acquire(
      const std::string& db_path);

  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;
  // Releases the lock.
  ~DatabaseLock();

 private:
  explicit DatabaseLock(int fd) : fd_(fd) {}

  int fd_;  // -1: nothing locked (":memory:")
};

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_DB_LOCK_H_
