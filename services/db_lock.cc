#include "services/db_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

namespace taskgate::services {

std::string DatabaseLock::PathFor(const std::string& db_path) {
  return db_path + ".lock";
}

absl::StatusOr<std::unique_ptr<DatabaseLock>> DatabaseLock::Acquire(
    const std::string& db_path) {
  if (db_path == ":memory:") {
    return std::unique_ptr<DatabaseLock>(new DatabaseLock(-1));
  }
  const std::string path = PathFor(db_path);
  const int fd =
      ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot open the lock file ", path, " of ", db_path, ": ",
        std::strerror(errno), "; run as the user that owns the database"));
  }
  // flock, not fcntl: an fcntl lock would be dropped when any descriptor of
  // the file closes, and it is the lock SQLite itself uses on its files.
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int saved_errno = errno;
    ::close(fd);
    if (saved_errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the database ", db_path,
          " is in use by a running taskgated (it holds ", path,
          "); stop that server first (e.g. systemctl stop taskgated), then "
          "run this again"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot lock ", path, ": ", std::strerror(saved_errno)));
  }
  return std::unique_ptr<DatabaseLock>(new DatabaseLock(fd));
}

DatabaseLock::~DatabaseLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace taskgate::services
