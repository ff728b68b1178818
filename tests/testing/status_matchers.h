// gMock matchers for `absl::Status` and `absl::StatusOr<T>`; Debian's abseil
// ships none. `EXPECT_THAT(s, IsOk())`,
// `EXPECT_THAT(s, StatusIs(absl::StatusCode::kAborted))` and
// `StatusIs(code, HasSubstr("..."))`. Test-only; thread-safe.
#ifndef TASKGATE_TESTS_TESTING_STATUS_MATCHERS_H_
#define TASKGATE_TESTS_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <gmock/gmock.h>

namespace taskgate::testing {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + ::testing::PrintToString(code)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

template <typename Code>
auto StatusIs(Code code) {
  return StatusIs(code, ::testing::_);
}

// `ASSERT_OK_AND_ASSIGN(auto x, F());`
#define TASKGATE_ASSERT_OK_AND_ASSIGN_CONCAT_(a, b) a##b
#define TASKGATE_ASSERT_OK_AND_ASSIGN_NAME_(line) \
  TASKGATE_ASSERT_OK_AND_ASSIGN_CONCAT_(_tg_assert_statusor_, line)
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                           \
  auto TASKGATE_ASSERT_OK_AND_ASSIGN_NAME_(__LINE__) = (expr);    \
  ASSERT_TRUE(TASKGATE_ASSERT_OK_AND_ASSIGN_NAME_(__LINE__).ok()) \
      << TASKGATE_ASSERT_OK_AND_ASSIGN_NAME_(__LINE__).status();  \
  lhs = *std::move(TASKGATE_ASSERT_OK_AND_ASSIGN_NAME_(__LINE__))

}  // namespace taskgate::testing

namespace absl {
// Lets gtest print a `StatusOr` by its status instead of its raw bytes
// (found by argument-dependent lookup through abseil's inline namespace).
template <typename T>
void PrintTo(const StatusOr<T>& status_or, std::ostream* os) {
  *os << status_or.status();
}
}  // namespace absl

#endif  // TASKGATE_TESTS_TESTING_STATUS_MATCHERS_H_
