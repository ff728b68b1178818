# Sourced by .ci/fuzz.sh and .ci/sanitizers.sh: configures an instrumented
# clang build once. -O1 and line tables only: quicker to compile than
# RelWithDebInfo and enough for the sanitizers' stacks; asserts stay on.
# The fuzzers' build (TASKGATE_FUZZ) also holds the tests, so the ASan+UBSan
# suite reuses its objects.
#   configure_clang_build DIR [CMAKE ARGS...]     CLANGXX (clang++-14)
configure_clang_build() {
  local dir=$1
  shift
  if [[ ! -f "$dir/CMakeCache.txt" ]]; then
    cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER="${CLANGXX:-clang++-14}" \
      -DCMAKE_BUILD_TYPE=None "-DCMAKE_CXX_FLAGS=-O1 -gline-tables-only" \
      "$@" >/dev/null
  fi
}
