// A `Clock` whose time moves only when a test says so. Thread-safe.
#ifndef TASKGATE_TESTS_TESTING_FAKE_CLOCK_H_
#define TASKGATE_TESTS_TESTING_FAKE_CLOCK_H_

#include <absl/base/thread_annotations.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include "common/clock.h"

namespace taskgate::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace taskgate::testing

#endif  // TASKGATE_TESTS_TESTING_FAKE_CLOCK_H_
