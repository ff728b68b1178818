#!/usr/bin/env bash
# The sanitizer step of CI (issue 15):
#   1. the whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer,
#      in the fuzzers' clang build (ASAN_DIR, default build/fuzz: the same
#      instrumented objects serve .ci/fuzz.sh), the crash test included;
#   2. the concurrent tests - store, workflow (the writer), services and the
#      end-to-end tests through a real server - under ThreadSanitizer, in a
#      build of their own (TSAN_DIR, default build/tsan).
# Any report fails the step (-fno-sanitize-recover, halt_on_error): fix the
# bug and add the test that shows it.
#
# Usage: sanitizers.sh           JOBS build jobs (2); CLANGXX (clang++-14)
set -euo pipefail
cd "$(dirname "$0")/.."
asan="${ASAN_DIR:-build/fuzz}"
tsan="${TSAN_DIR:-build/tsan}"
jobs="${JOBS:-2}"
started=$(date +%s)

source .ci/clang_build.sh

configure_clang_build "$asan" -DTASKGATE_FUZZ=ON
cmake --build "$asan" -j"$jobs"
echo "sanitizers: ASan+UBSan build in $(( $(date +%s) - started )) s"
(
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  # The benchmark's smoke run is left out: it measures each figure for 0.2 s,
  # in which code ten times slower completes no full task life.
  cd "$asan" && ctest --output-on-failure --no-tests=error -j"$jobs" \
    -E '^BenchLoadgen\.'
)
asan_done=$(date +%s)
echo "sanitizers: ASan+UBSan suite clean in $(( asan_done - started )) s"

# ThreadSanitizer: the test binaries with threads of their own; the others
# are single-threaded and gain nothing from it.
configure_clang_build "$tsan" -DTASKGATE_SANITIZE=thread
concurrent=(store_test workflow_test services_test e2e_test)
cmake --build "$tsan" -j"$jobs" --target "${concurrent[@]}"
(
  # Debian's gRPC, protobuf and abseil are not instrumented: races inside
  # them are not ours to see, and their locks are invisible to TSan; the
  # suppressions say which (each with why).
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/.ci/tsan.supp}"
  cd "$tsan"
  # The process tests start this build's taskgated, under TSan as well.
  for t in "${concurrent[@]}"; do
    echo "sanitizers: TSan: $t"
    "tests/$t" --gtest_brief=1
  done
)
echo "sanitizers: TSan concurrent tests clean in $(( $(date +%s) - asan_done )) s"
