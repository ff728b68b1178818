// `Timers` (workflow/timers.h): SLA escalation, release to the queue and
// automatic completion, driven by `OnTick` with a fake clock.
#include "workflow/timers.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::FakeClock;
using ::taskgate::testing::FaultInjectingStore;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

class TimersTest : public TaskWorkflowTest {};

TEST_F(TimersTest, TimerEscalatesOverdueReviewAsSystemEvent) {
  Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> next,
                       engine_->timers().NextDeadline());
  EXPECT_EQ(next, At(2026, 3, 24, 0));

  // Just before the deadline nothing happens.
  ASSERT_OK_AND_ASSIGN(
      TickResult early,
      engine_->timers().OnTick(At(2026, 3, 24, 0) - absl::Seconds(1)));
  EXPECT_EQ(early.escalated, 0);

  clock_.Set(At(2026, 3, 24, 0));
  ASSERT_OK_AND_ASSIGN(TickResult tick, engine_->timers().OnTick(clock_.Now()));
  EXPECT_EQ(tick.escalated, 1);
  ASSERT_OK_AND_ASSIGN(domain::Task t, GetTask("t1"));
  EXPECT_TRUE(t.sla.overdue);
  EXPECT_EQ(t.state,
            domain::TaskState::kInReview);  // release_on_overdue is off
  const store::StoredEvent last = EventsOf("t1").back();
  EXPECT_EQ(last.event.action, "task.escalate");
  EXPECT_EQ(last.event.actor_role, domain::Role::kSystem);
  // Escalated once only.
  ASSERT_OK_AND_ASSIGN(TickResult again,
                       engine_->timers().OnTick(clock_.Now()));
  EXPECT_EQ(again.escalated, 0);
}

TEST_F(TimersTest, OverdueReviewIsReleasedToTheQueueWhenConfigured) {
  EngineOptions options;
  options.sla.release_on_overdue = true;
  Timers releasing(*sqlite_, engine_->writer(), options);
  Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_OK_AND_ASSIGN(TickResult tick, releasing.OnTick(At(2026, 3, 24, 0)));
  EXPECT_EQ(tick.escalated, 1);
  ASSERT_OK_AND_ASSIGN(domain::Task t, GetTask("t1"));
  EXPECT_EQ(t.state, domain::TaskState::kSubmitted);
  EXPECT_TRUE(t.claimed_by.empty());
}

TEST_F(TimersTest, ActiveTaskCompletesAutomaticallyAfterItsEndDate) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.item_code = "D-001";
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task active,
                       Do(Clerk(), TaskAction::kSubmit, "t1"));
  ASSERT_EQ(active.state, domain::TaskState::kActive);
  ASSERT_OK_AND_ASSIGN(TickResult on_end_day,
                       engine_->timers().OnTick(At(2026, 7, 31, 23)));
  EXPECT_EQ(on_end_day.completed, 0);
  ASSERT_OK_AND_ASSIGN(TickResult after,
                       engine_->timers().OnTick(At(2026, 8, 1, 0)));
  EXPECT_EQ(after.completed, 1);
  ASSERT_OK_AND_ASSIGN(domain::Task t, GetTask("t1"));
  EXPECT_EQ(t.state, domain::TaskState::kCompleted);
  EXPECT_EQ(EventsOf("t1").back().event.action, "task.expire");
  ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> next,
                       engine_->timers().NextDeadline());
  EXPECT_FALSE(next.has_value());
}

}  // namespace
}  // namespace taskgate::workflow
