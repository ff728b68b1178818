// The district's writer (workflow/writer.h) through the task lifecycle:
// batches in which one request fails, races for the last capacity and for
// a task's version, and a crash between a batch's commit and its replies.
#include "workflow/writer.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/notification.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "tests/testing/scoped_db_path.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Counts committed batches and the events they appended.
class CountingListener final : public CommitListener {
 public:
  void Committed(const std::vector<store::AppendedEvent>& appended) override {
    ++batches;
    events += static_cast<int>(appended.size());
  }
  int batches = 0;
  int events = 0;
};

// Collects the answers of asynchronous calls.
struct Answers {
  explicit Answers(size_t n) : results(n, absl::UnknownError("no answer")) {}

  Callback<domain::Task> For(size_t i) {
    return [this, i](absl::StatusOr<domain::Task> r) {
      results[i] = std::move(r);
      absl::MutexLock lock(&mu);
      ++answered;
    };
  }
  void WaitAll() {
    absl::MutexLock lock(&mu);
    auto all = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return answered == results.size();
    };
    mu.Await(absl::Condition(&all));
  }

  std::vector<absl::StatusOr<domain::Task>> results;
  absl::Mutex mu;
  size_t answered ABSL_GUARDED_BY(mu) = 0;
};

ActionRequest Submit(const std::string& task_id,
                     const std::string& request_id = "") {
  ActionRequest r;
  r.action = TaskAction::kSubmit;
  r.task_id = task_id;
  r.request_id = request_id;
  return r;
}

class WriterTest : public TaskWorkflowTest {
 protected:
  // A duty-list task of `department` for c1 that passes every rule while it
  // fits: c1 has 100 h of capacity and a 60 h baseline, so two of these
  // 15 h tasks fit and a third does not.
  domain::TaskSpec DutySpec() {
    domain::TaskSpec s = CleanAssistSpec();
    s.item_code = "D-001";
    s.hours_per_community_month = 15;
    return s;
  }

  // Reviewers r0 and r1 claim `task_id` (with `expected_version`, 0 for
  // none), queued into one batch in that order; their answers go to
  // `answers`.
  void ClaimTogether(const std::string& task_id, int64_t expected_version,
                     Answers& answers) {
    engine_->writer().Pause();
    for (int i = 0; i < 2; ++i) {
      ActionRequest claim;
      claim.action = TaskAction::kClaim;
      claim.task_id = task_id;
      claim.expected_version = expected_version;
      engine_->tasks().ActAsync(Reviewer(absl::StrCat("r", i)), claim,
                                answers.For(i));
    }
    engine_->writer().Resume();
    answers.WaitAll();
  }
};

TEST_F(WriterTest, OneInvalidRequestInABatchChangesNothingAndTheOthersCommit) {
  for (int i = 0; i < 5; ++i) Create(absl::StrCat("t", i), CleanAssistSpec());
  domain::TaskSpec incomplete = CleanAssistSpec();
  incomplete.title.clear();  // a draft may lack it; a submission may not
  Create("bad", incomplete);
  const int64_t events_before = EventCount();
  CountingListener listener;
  engine_->writer().SetListener(&listener);

  engine_->writer().Pause();
  Answers answers(6);
  for (int i = 0; i < 5; ++i) {
    // "bad" goes in the middle of the batch.
    if (i == 2)
      engine_->tasks().ActAsync(Clerk(), Submit("bad"), answers.For(5));
    engine_->tasks().ActAsync(Clerk(), Submit(absl::StrCat("t", i)),
                              answers.For(i));
  }
  engine_->writer().Resume();
  answers.WaitAll();
  engine_->writer().SetListener(nullptr);

  EXPECT_EQ(listener.batches, 1);  // one transaction, one fsync
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(answers.results[i], IsOk());
    EXPECT_EQ(answers.results[i]->state, domain::TaskState::kSubmitted);
  }
  EXPECT_THAT(answers.results[5], StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("task.title")));
  ASSERT_OK_AND_ASSIGN(domain::Task bad, GetTask("bad"));
  EXPECT_EQ(bad.state, domain::TaskState::kDraft);
  EXPECT_EQ(bad.version, 1);
  EXPECT_EQ(EventsOf("bad").size(), 1u);  // its creation only
  EXPECT_EQ(EventCount(), events_before + 5);
  EXPECT_EQ(listener.events, 5);
  // The log stayed gapless through the failed step's savepoint.
  store::EventQuery q;
  q.district_id = "default";
  ASSERT_OK_AND_ASSIGN(std::vector<store::StoredEvent> all,
                       sqlite_->ListEvents(q));
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<int64_t>(i + 1));
  }
}

TEST_F(WriterTest, SubmissionsQueuedTogetherForTheLastCapacityPassOnlyAsFit) {
  for (int i = 0; i < 5; ++i) {
    Create(absl::StrCat("t", i), DutySpec(), Clerk(absl::StrCat("dept", i)));
  }
  engine_->writer().Pause();
  Answers answers(5);
  for (int i = 0; i < 5; ++i) {
    engine_->tasks().ActAsync(Clerk(absl::StrCat("dept", i)),
                              Submit(absl::StrCat("t", i)), answers.For(i));
  }
  engine_->writer().Resume();
  answers.WaitAll();

  int admitted = 0;
  for (const absl::StatusOr<domain::Task>& t : answers.results) {
    ASSERT_THAT(t, IsOk());
    if (t->state == domain::TaskState::kActive) {
      ++admitted;
      EXPECT_TRUE(t->findings.empty());
    } else {
      EXPECT_EQ(t->state, domain::TaskState::kSubmitted);
      ASSERT_EQ(t->findings.size(), 1u);
      EXPECT_EQ(t->findings[0].rule_id, "R-CAPACITY");
    }
  }
  EXPECT_EQ(admitted, 2);
  // In queue order: the first two fit.
  EXPECT_EQ(answers.results[0]->state, domain::TaskState::kActive);
  EXPECT_EQ(answers.results[1]->state, domain::TaskState::kActive);
}

TEST_F(WriterTest,
       SubmissionsRacingFromThreadsForTheLastCapacityPassOnlyAsFit) {
  constexpr int kRacers = 8;
  for (int i = 0; i < kRacers; ++i) {
    Create(absl::StrCat("t", i), DutySpec(), Clerk(absl::StrCat("dept", i)));
  }
  std::vector<absl::StatusOr<domain::Task>> results(
      kRacers, absl::UnknownError("no answer"));
  absl::Notification go;
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i) {
    racers.emplace_back([&, i] {
      go.WaitForNotification();
      results[i] = engine_->tasks().Act(Clerk(absl::StrCat("dept", i)),
                                        Submit(absl::StrCat("t", i)));
    });
  }
  go.Notify();
  for (std::thread& t : racers) t.join();

  int admitted = 0;
  int capacity_findings = 0;
  for (const absl::StatusOr<domain::Task>& t : results) {
    ASSERT_THAT(t, IsOk());
    if (t->state == domain::TaskState::kActive) {
      ++admitted;
      EXPECT_TRUE(t->findings.empty());
    } else {
      ASSERT_EQ(t->findings.size(), 1u);
      capacity_findings += t->findings[0].rule_id == "R-CAPACITY";
    }
  }
  EXPECT_EQ(admitted, 2);
  EXPECT_EQ(capacity_findings, kRacers - 2);
}

TEST_F(WriterTest, TheLoserOfAVersionRaceIsAborted) {
  Create("t1", CleanAssistSpec());
  ASSERT_OK_AND_ASSIGN(domain::Task submitted,
                       Do(Clerk(), TaskAction::kSubmit, "t1"));
  Answers answers(2);
  ClaimTogether("t1", submitted.version, answers);

  ASSERT_THAT(answers.results[0], IsOk());
  EXPECT_EQ(answers.results[0]->claimed_by, "r0");
  EXPECT_THAT(answers.results[1],
              StatusIs(absl::StatusCode::kAborted, HasSubstr("reload")));
  ASSERT_OK_AND_ASSIGN(domain::Task stored, GetTask("t1"));
  EXPECT_EQ(stored.claimed_by, "r0");
  EXPECT_EQ(stored.version, submitted.version + 1);
}

// Without an etag too (SPEC §9: two reviewers deciding at once, the loser
// gets ABORTED): the second claim was legal when it arrived.
TEST_F(WriterTest, TheLoserOfARaceWithoutAnEtagIsAborted) {
  Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  Answers answers(2);
  ClaimTogether("t1", 0, answers);

  ASSERT_THAT(answers.results[0], IsOk());
  EXPECT_THAT(answers.results[1],
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("changed while this request waited")));
  // Asked again, the state itself refuses: not a race any more.
  ActionRequest late;
  late.action = TaskAction::kClaim;
  late.task_id = "t1";
  EXPECT_THAT(engine_->tasks().Act(Reviewer("r1"), late),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(WriterTest, ARequestIdQueuedTwiceInOneBatchIsAppliedOnce) {
  Create("t1", CleanAssistSpec());
  const int64_t events_before = EventCount();
  engine_->writer().Pause();
  Answers answers(2);
  engine_->tasks().ActAsync(Clerk(), Submit("t1", "req-1"), answers.For(0));
  engine_->tasks().ActAsync(Clerk(), Submit("t1", "req-1"), answers.For(1));
  engine_->writer().Resume();
  answers.WaitAll();
  ASSERT_THAT(answers.results[0], IsOk());
  ASSERT_THAT(answers.results[1], IsOk());
  EXPECT_EQ(answers.results[0]->version, answers.results[1]->version);
  EXPECT_EQ(EventCount(), events_before + 1);
}

// A crash after the batch's commit and before its replies: the clients saw
// errors, the server restarts on the same file, and the clients retry.
TEST(WriterCrashTest, ACrashBetweenCommitAndRepliesLosesNothingAcknowledged) {
  const ::taskgate::testing::ScopedDbPath db;
  const std::string& path = db.path();
  ::taskgate::testing::FakeClock clock(At(2026, 3, 2));

  int64_t events_after_crash = 0;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::Store> store,
                         store::OpenSqliteStore(path));
    bool crash = false;
    Writer::Options crashing;
    crashing.after_commit = [&crash]() {
      return crash ? absl::UnavailableError("server crashed")
                   : absl::OkStatus();
    };
    Engine engine(*store, clock, EngineOptions(), crashing);
    ASSERT_THAT(engine.directory().EnsureDistrict("Test district"), IsOk());
    ASSERT_THAT(
        engine.directory().PublishCatalog(
            Admin(), "",
            {{"A-001", domain::ListKind::kAssist, "Checks", "法", {}}}, ""),
        IsOk());
    ASSERT_THAT(
        engine.directory().PutStreet(
            Admin(), "", {.district_id = "", .id = "east", .name = "east"}, 0),
        IsOk());
    domain::Community c;
    c.id = "c1";
    c.name = "Community c1";
    c.street_id = "east";
    c.staff_count = 5;
    ASSERT_THAT(engine.directory().PutCommunity(Admin(), "", c, 0), IsOk());
    domain::TaskSpec spec;
    spec.title = "Check";
    spec.description = "Check subsidies.";
    spec.item_code = "A-001";
    spec.legal_basis = "法";
    spec.start_date = absl::CivilDay(2026, 5, 1);
    spec.end_date = absl::CivilDay(2026, 7, 31);
    spec.target_communities = {"c1"};
    spec.hours_per_community_month = 10;
    spec.funding_per_community_yuan = 3000;
    spec.department_duties = "forms";
    spec.community_duties = "visits";
    for (int i = 0; i < 3; ++i) {
      ASSERT_THAT(engine.tasks().CreateTask(Clerk(), "", absl::StrCat("t", i),
                                            Draft(spec)),
                  IsOk());
    }

    ASSERT_OK_AND_ASSIGN(const int64_t events_before_crash,
                         store->EventCount("default"));
    crash = true;
    engine.writer().Pause();
    Answers answers(3);
    for (int i = 0; i < 3; ++i) {
      engine.tasks().ActAsync(
          Clerk(), Submit(absl::StrCat("t", i), absl::StrCat("req-", i)),
          answers.For(i));
    }
    engine.writer().Resume();
    answers.WaitAll();
    for (const absl::StatusOr<domain::Task>& r : answers.results) {
      EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
    }
    ASSERT_OK_AND_ASSIGN(events_after_crash, store->EventCount("default"));
    EXPECT_EQ(events_after_crash, events_before_crash + 3);  // committed
  }

  // The restarted server: same file, no fault.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::Store> store,
                       store::OpenSqliteStore(path));
  Engine engine(*store, clock, EngineOptions());
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(
        domain::Task retried,
        engine.tasks().Act(
            Clerk(), Submit(absl::StrCat("t", i), absl::StrCat("req-", i))));
    EXPECT_EQ(retried.state, domain::TaskState::kSubmitted);
    EXPECT_EQ(retried.version, 2);
  }
  ASSERT_OK_AND_ASSIGN(int64_t events_now, store->EventCount("default"));
  EXPECT_EQ(events_now, events_after_crash);  // replayed, not applied again
}

}  // namespace
}  // namespace taskgate::workflow
