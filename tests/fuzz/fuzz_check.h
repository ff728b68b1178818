// What the fuzz targets share: a property check that, when it fails, says
// what and aborts, which libFuzzer reports as a crash and saves the input;
// and a quiet log, so that a run prints only what the fuzzer finds.
//
// Test-only; thread-compatible (libFuzzer runs one input at a time).
#ifndef TASKGATE_TESTS_FUZZ_FUZZ_CHECK_H_
#define TASKGATE_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

// Checks `condition`; on failure prints it and the message parts (anything
// with an `operator<<`, statuses included) and aborts.
#define TASKGATE_FUZZ_CHECK(condition, ...)                                    \
  do {                                                                         \
    if (!(condition)) {                                                        \
      std::fprintf(stderr, "fuzz check failed at %s:%d: %s\n  %s\n", __FILE__, \
                   __LINE__, #condition,                                       \
                   ::taskgate::fuzz::Message(__VA_ARGS__).c_str());            \
      std::abort();                                                            \
    }                                                                          \
  } while (false)

namespace taskgate::fuzz {

template <typename... Parts>
std::string Message(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace taskgate::fuzz

#endif  // TASKGATE_TESTS_FUZZ_FUZZ_CHECK_H_
