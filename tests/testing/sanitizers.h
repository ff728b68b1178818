// `kUnderSanitizer`: whether this test binary was built with ASan or TSan
// (.ci/sanitizers.sh). Long randomized tests run fewer steps there - each
// step costs ten to forty times more - and keep their full length in the
// normal build. Test-only, header-only; a compile-time constant.
#ifndef TASKGATE_TESTS_TESTING_SANITIZERS_H_
#define TASKGATE_TESTS_TESTING_SANITIZERS_H_

namespace taskgate::testing {

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kUnderSanitizer = true;
#else
inline constexpr bool kUnderSanitizer = false;
#endif
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kUnderSanitizer = true;
#else
inline constexpr bool kUnderSanitizer = false;
#endif

}  // namespace taskgate::testing

#endif  // TASKGATE_TESTS_TESTING_SANITIZERS_H_
