#!/usr/bin/env bash
# The thread-safety pass catches an unlocked access to a guarded member and a
# call without a required lock, and accepts the same code with the lock.
# Usage: thread_safety_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1" build="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

write() {  # write FILE BODY_OF_Bump
  cat > "$1" <<CC
#include <absl/base/thread_annotations.h>
#include <absl/synchronization/mutex.h>
class Counter {
 public:
  void Bump() { $2 }
  void BumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { ++n_; }
 private:
  absl::Mutex mu_;
  int n_ ABSL_GUARDED_BY(mu_) = 0;
};
int main() { Counter c; c.Bump(); }
CC
}

write "$tmp/locked.cc" 'absl::MutexLock lock(&mu_); ++n_; BumpLocked();'
write "$tmp/unlocked.cc" '++n_;'
write "$tmp/missing_lock.cc" 'BumpLocked();'

"$src/.ci/thread_safety.sh" "$build" "$tmp/locked.cc" \
  || { echo "FAIL: locked access refused"; exit 1; }
for bad in unlocked missing_lock; do
  if out=$("$src/.ci/thread_safety.sh" "$build" "$tmp/$bad.cc" 2>&1); then
    echo "FAIL: $bad.cc passed the thread-safety pass"; exit 1
  fi
  grep -q 'thread-safety' <<<"$out" || grep -q 'requires holding' <<<"$out" \
    || { echo "FAIL: $bad.cc: no thread-safety diagnostic:"; echo "$out"; exit 1; }
  echo "ok: $bad.cc refused"
done
