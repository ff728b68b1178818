// Bundle parsing (audit/bundle.h) on arbitrary text: it never crashes,
// refuses with INVALID_ARGUMENT, what it accepts is written back to a
// bundle that reads the same, and verifying it never crashes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "audit/bundle.h"
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
  absl::StatusOr<audit::Bundle> bundle =
      audit::BundleFromJson(taskgate::fuzz::AsText(data, size));
  if (!bundle.ok()) {
    TASKGATE_FUZZ_CHECK(absl::IsInvalidArgument(bundle.status()),
                        bundle.status());
    return 0;
  }
  const std::string json = audit::BundleToJson(*bundle);
  absl::StatusOr<audit::Bundle> back = audit::BundleFromJson(json);
  TASKGATE_FUZZ_CHECK(back.ok(), back.status(), "\n", json);
  TASKGATE_FUZZ_CHECK(audit::BundleToJson(*back) == json,
                      "written back it reads differently:\n", json);
  (void)audit::VerifyBundle(*bundle, Key(), std::nullopt);
  (void)audit::VerifyBundle(*bundle, Key(), bundle->checkpoint);
  return 0;
}
