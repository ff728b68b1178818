# Sourced by .ci/fuzz.sh, .ci/sanitizers.sh and .ci/thread_safety.sh:
# configures an instrumented clang build once. -O1 and line tables only:
# quicker to compile than RelWithDebInfo and enough for the sanitizers'
# stacks; asserts stay on. The fuzzers' build (TASKGATE_FUZZ) also holds the
# tests, so the ASan+UBSan suite reuses its objects.
#
# The same build is the thread-safety pass: every unit compiles with clang's
# -Wthread-safety as an error, so an ABSL_GUARDED_BY member touched without
# its lock fails it (GCC, the normal build, ignores the annotations).
#   configure_clang_build DIR [CMAKE ARGS...]     CLANGXX (clang++-14)
THREAD_SAFETY_FLAGS="-Wthread-safety -Wthread-safety-reference -Werror=thread-safety"
configure_clang_build() {
  local dir=$1
  shift
  if [[ ! -f "$dir/CMakeCache.txt" ]]; then
    cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER="${CLANGXX:-clang++-14}" \
      -DCMAKE_BUILD_TYPE=None "-DCMAKE_CXX_FLAGS=-O1 -gline-tables-only $THREAD_SAFETY_FLAGS" \
      "$@" >/dev/null
  fi
}
