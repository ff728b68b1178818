// The server's `CheckpointKeeper` (workflow/audit_ledger.h): the last
// checkpoint it signed, as JSON in a file beside its signing key (mode 0600),
// replaced atomically by writing aside and renaming. Thread-compatible; the
// ledger calls it under its own lock.
#ifndef TASKGATE_SERVICES_HEAD_FILE_H_
#define TASKGATE_SERVICES_HEAD_FILE_H_

#include <optional>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "audit/checkpoint.h"
#include "workflow/audit_ledger.h"

namespace taskgate::services {

class HeadFile final : public workflow::CheckpointKeeper {
 public:
  // `path` empty: nothing is kept (Load gives nullopt, Keep does nothing).
  explicit HeadFile(std::string path) : path_(std::move(path)) {}

  // nullopt when the file does not exist; an error naming the file when it
  // cannot be parsed.
  absl::StatusOr<std::optional<audit::Checkpoint>> Load() override;

  // FAILED_PRECONDITION naming the file when it cannot be written or
  // replaced.
  absl::Status Keep(const audit::Checkpoint& checkpoint) override;

 private:
  const std::string path_;
};

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_HEAD_FILE_H_
