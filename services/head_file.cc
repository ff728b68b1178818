#include "services/head_file.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include <absl/strings/str_cat.h>

#include "common/status_macros.h"
#include "services/server.h"

namespace taskgate::services {

absl::StatusOr<std::optional<audit::Checkpoint>> HeadFile::Load() {
  if (path_.empty() || !std::filesystem::exists(path_)) {
    return std::optional<audit::Checkpoint>();
  }
  std::ifstream in(path_, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  absl::StatusOr<audit::Checkpoint> parsed = audit::CheckpointFromJson(text);
  if (!parsed.ok()) {
    return absl::Status(
        parsed.status().code(),
        absl::StrCat("the head file ", path_,
                     " is unreadable: ", parsed.status().message()));
  }
  return std::optional<audit::Checkpoint>(*std::move(parsed));
}

absl::Status HeadFile::Keep(const audit::Checkpoint& checkpoint) {
  if (path_.empty()) return absl::OkStatus();
  // Written aside and renamed: a crash leaves the old head or the new.
  const std::string staging = path_ + ".new";
  TASKGATE_RETURN_IF_ERROR(
      WriteSecretFile(staging, audit::CheckpointToJson(checkpoint)));
  std::error_code ec;
  std::filesystem::rename(staging, path_, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot replace the head file ", path_, ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace taskgate::services
