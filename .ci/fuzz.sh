#!/usr/bin/env bash
# The fuzzing step of CI: builds the libFuzzer targets of tests/fuzz/ with
# clang-14, coverage instrumentation, ASan and UBSan in a build directory of
# their own, then runs each for a bounded time (two at a time, one a core),
# starting from its seed corpus tests/fuzz/corpus/NAME/ - regression inputs
# included, so every crash found before is tried again first. Fails on any
# crash, sanitizer report, failed property check, timeout or out-of-memory;
# the input that did it is kept in BUILD_DIR/artifacts/ and its report shown.
# Once the bug is fixed, that input goes into the corpus as
# tests/fuzz/corpus/NAME/regression-WHAT (README, "Tests").
#
# Usage: fuzz.sh [BUILD_DIR]       (default: build/fuzz)
#   FUZZ_SECONDS  seconds each target runs (default 25)
#   FUZZ_TARGETS  the targets to run (default: all of them)
#   CLANGXX       the compiler (default clang++-14); JOBS build jobs (2)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/fuzz}"
seconds="${FUZZ_SECONDS:-25}"
read -r -a targets <<<"${FUZZ_TARGETS:-audit_event json_codec checkpoint bundle request db_file}"
started=$(date +%s)

source .ci/clang_build.sh
configure_clang_build "$build" -DTASKGATE_FUZZ=ON
cmake --build "$build" -j"${JOBS:-2}" --target fuzzers
built=$(date +%s)
echo "fuzz: targets built in $((built - started)) s"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "$build/artifacts"

# run NAME: one target; new inputs go to a scratch corpus, the repository's
# is only read. Its log is $build/runs/NAME/log.
run() {
  local name=$1 work="$build/runs/$1"
  rm -rf "$work"
  mkdir -p "$work/corpus"
  "$build/tests/fuzz/${name}_fuzzer" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$name-" \
    "$work/corpus" "tests/fuzz/corpus/$name" >"$work/log" 2>&1
}

declare -A pids=()
for name in "${targets[@]}"; do
  [[ -d "tests/fuzz/corpus/$name" ]] || { echo "fuzz: no corpus for $name" >&2; exit 2; }
  while (( $(jobs -rp | wc -l) >= 2 )); do wait -n || true; done
  run "$name" &
  pids[$name]=$!
done

failed=0
for name in "${targets[@]}"; do
  log="$build/runs/$name/log"
  if wait "${pids[$name]}"; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz: $name: no crash in $runs runs (${seconds} s, $cov)"
  else
    failed=1
    echo "fuzz: $name: FAILED; its report:" >&2
    grep -v '^#[0-9]' "$log" | tail -60 >&2
    ls "$build/artifacts/$name-"* 2>/dev/null | sed 's/^/fuzz:   input kept in /' >&2
  fi
done
echo "fuzz: $(( $(date +%s) - started )) s in all"
if (( failed )); then
  echo "fuzz: a target failed: fix the bug, add a unit test, and keep the input as tests/fuzz/corpus/NAME/regression-WHAT" >&2
  exit 1
fi
