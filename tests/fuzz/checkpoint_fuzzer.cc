// Checkpoint parsing (audit/checkpoint.h) on arbitrary text: it never
// crashes, refuses with INVALID_ARGUMENT, and what it accepts is written
// back to an equal checkpoint; verifying it against a key never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "audit/checkpoint.h"
#include "audit/signing.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

const taskgate::audit::VerifyingKey& Key() {
  static const taskgate::audit::VerifyingKey key =
      taskgate::audit::SigningKey::FromRawPrivate(std::string(32, '\x07'))
          ->verifying_key();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace audit = ::taskgate::audit;
  absl::StatusOr<audit::Checkpoint> checkpoint =
      audit::CheckpointFromJson(taskgate::fuzz::AsText(data, size));
  if (!checkpoint.ok()) {
    TASKGATE_FUZZ_CHECK(absl::IsInvalidArgument(checkpoint.status()),
                        checkpoint.status());
    return 0;
  }
  const std::string json = audit::CheckpointToJson(*checkpoint);
  absl::StatusOr<audit::Checkpoint> back = audit::CheckpointFromJson(json);
  TASKGATE_FUZZ_CHECK(back.ok(), back.status(), "\n", json);
  TASKGATE_FUZZ_CHECK(*back == *checkpoint, "written back it differs:\n", json);
  (void)audit::VerifyCheckpoint(*checkpoint, Key());
  return 0;
}
