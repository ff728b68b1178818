#!/usr/bin/env bash
# The sanitizer step of CI (issue 15): the whole test suite under
# AddressSanitizer and UndefinedBehaviorSanitizer, leak checking on, in the
# fuzzers' clang build (ASAN_DIR, default build/fuzz: the same instrumented
# objects serve .ci/fuzz.sh), the crash test included. Any report fails the
# step (-fno-sanitize-recover, abort_on_error): fix the bug and add the test
# that shows it. ThreadSanitizer is not run: Debian's abseil is not
# instrumented, so TSan cannot see an absl::Mutex (docs/threat-model.md).
#
# Usage: sanitizers.sh           JOBS build jobs (2); CLANGXX (clang++-14)
set -euo pipefail
cd "$(dirname "$0")/.."
asan="${ASAN_DIR:-build/fuzz}"
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
echo "sanitizers: ASan+UBSan suite clean in $(( $(date +%s) - started )) s"
