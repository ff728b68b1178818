// The bounded retention of idempotency records (AIP-155): a request id's
// first answer is replayed within `EngineOptions::request_retention`; after
// it `Timers::OnTick` drops the record, in bounded chunks through the
// district's writer, without touching the audit log, and the same request
// id is executed as a new request.
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"
#include "workflow/timers.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::FaultInjectingStore;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::Each;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class RequestRetentionTest : public TaskWorkflowTest {
 protected:
  EngineOptions Options() const override {
    EngineOptions options;
    options.request_retention = absl::Hours(1);
    options.request_expiry_chunk = 2;
    options.request_expiry_chunks_per_tick = 2;
    return options;
  }

  absl::StatusOr<domain::Task> CreateWithRequest(const std::string& request_id,
                                                 const std::string& task_id) {
    return engine_->tasks().CreateTask(Clerk(), request_id, task_id,
                                       Draft(CleanAssistSpec()));
  }

  // The clerk's record of `request_id`: request ids are kept per principal
  // (workflow/internal/commit_once.h).
  absl::StatusOr<std::optional<store::StoredRequest>> Stored(
      const std::string& request_id) {
    return sqlite_->FindRequest("default",
                                absl::StrCat(Clerk().id, "/", request_id));
  }

  // Whether an answer to `request_id` is stored.
  bool Kept(const std::string& request_id) {
    absl::StatusOr<std::optional<store::StoredRequest>> stored =
        Stored(request_id);
    EXPECT_THAT(stored, IsOk());
    return stored.ok() && stored->has_value();
  }
};

TEST_F(RequestRetentionTest, RetryWithinTheRetentionReplaysTheFirstAnswer) {
  ASSERT_OK_AND_ASSIGN(domain::Task first, CreateWithRequest("req-1", "t1"));
  const int64_t events = EventCount();

  clock_.Advance(absl::Minutes(59));
  ASSERT_OK_AND_ASSIGN(TickResult tick, engine_->timers().OnTick(clock_.Now()));
  EXPECT_EQ(tick.requests_expired, 0);
  ASSERT_OK_AND_ASSIGN(std::optional<store::StoredRequest> stored,
                       Stored("req-1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->created_at, first.created_at);

  ASSERT_OK_AND_ASSIGN(domain::Task again, CreateWithRequest("req-1", "t1"));
  EXPECT_EQ(again.version, first.version);
  EXPECT_EQ(again.created_at, first.created_at);
  EXPECT_EQ(EventCount(), events);
}

TEST_F(RequestRetentionTest, RetryAfterTheRetentionIsExecutedAsANewRequest) {
  ASSERT_THAT(CreateWithRequest("req-1", "t1"), IsOk());
  ActionRequest submit;
  submit.action = TaskAction::kSubmit;
  submit.task_id = "t1";
  submit.request_id = "req-2";
  ASSERT_THAT(engine_->tasks().Act(Clerk(), submit), IsOk());
  const std::vector<store::StoredEvent> history = EventsOf("t1");
  const int64_t events = EventCount();

  clock_.Advance(absl::Hours(1) + absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(TickResult tick, engine_->timers().OnTick(clock_.Now()));
  EXPECT_EQ(tick.requests_expired, 2);
  EXPECT_FALSE(Kept("req-1"));
  EXPECT_FALSE(Kept("req-2"));
  // No audit data goes: the events, with their request ids, stay.
  EXPECT_EQ(EventCount(), events);
  ASSERT_EQ(EventsOf("t1").size(), history.size());
  EXPECT_EQ(EventsOf("t1").back().event.request_id, "req-2");
  EXPECT_EQ(EventsOf("t1").back().canonical, history.back().canonical);

  // The same create runs again and finds its task taken, instead of
  // replaying the first answer...
  EXPECT_THAT(CreateWithRequest("req-1", "t1"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // ... the same submit finds the task no longer a draft...
  EXPECT_THAT(engine_->tasks().Act(Clerk(), submit),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // ... and the id is free for a request of another kind.
  ASSERT_OK_AND_ASSIGN(domain::Task t2, CreateWithRequest("req-2", "t2"));
  EXPECT_EQ(t2.id, "t2");
  ASSERT_OK_AND_ASSIGN(std::optional<store::StoredRequest> stored,
                       Stored("req-2"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->operation, "task.create");
  EXPECT_EQ(stored->created_at, clock_.Now());
}

TEST_F(RequestRetentionTest, ExpiryGoesInBoundedChunksThroughTheWriter) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(
        CreateWithRequest(absl::StrCat("req-", i), absl::StrCat("t", i)),
        IsOk());
    clock_.Advance(absl::Seconds(1));
  }
  const int64_t events = EventCount();
  clock_.Advance(absl::Hours(2));

  // Two commands of two records each: the tick's share.
  ASSERT_OK_AND_ASSIGN(TickResult first,
                       engine_->timers().OnTick(clock_.Now()));
  EXPECT_EQ(first.requests_expired, 4);
  std::vector<FaultInjectingStore::ExpireCall> calls = faults_->expire_calls();
  ASSERT_THAT(calls, SizeIs(2));
  EXPECT_THAT(calls, Each(Field(&FaultInjectingStore::ExpireCall::limit, 2)));
  EXPECT_THAT(calls,
              Each(Field(&FaultInjectingStore::ExpireCall::in_batch, true)));
  // Oldest first: the newest is what is left, and the timer comes back at
  // once for it.
  EXPECT_FALSE(Kept("req-3"));
  EXPECT_TRUE(Kept("req-4"));
  ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> next,
                       engine_->timers().NextDeadline());
  EXPECT_EQ(next, absl::InfinitePast());

  ASSERT_OK_AND_ASSIGN(TickResult second,
                       engine_->timers().OnTick(clock_.Now()));
  EXPECT_EQ(second.requests_expired, 1);
  EXPECT_THAT(faults_->expire_calls(), SizeIs(3));
  EXPECT_FALSE(Kept("req-4"));
  ASSERT_OK_AND_ASSIGN(next, engine_->timers().NextDeadline());
  EXPECT_EQ(next, std::nullopt);
  EXPECT_EQ(EventCount(), events);
}

}  // namespace
}  // namespace taskgate::workflow
