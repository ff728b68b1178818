// The injected source of time. Workflow and store code never read the system
// clock; they take a `Clock&`, so tests drive time with a fake clock and never
// sleep. Implementations must be thread-safe.
#ifndef TASKGATE_COMMON_CLOCK_H_
#define TASKGATE_COMMON_CLOCK_H_

#include <absl/time/clock.h>
#include <absl/time/time.h>

namespace taskgate {

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time.
  virtual absl::Time Now() const = 0;
};

// The wall clock. Stateless, thread-safe.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace taskgate

#endif  // TASKGATE_COMMON_CLOCK_H_
