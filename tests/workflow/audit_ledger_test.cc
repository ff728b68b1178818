// `AuditLedger` (workflow/audit_ledger.h): checkpoints signed when due and
// kept outside the store, and a log that no longer matches what was kept
// never signed again.
#include "workflow/audit_ledger.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <absl/status/status.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/checkpoint.h"
#include "audit/signing.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

// Keeps in memory, or fails to read what it keeps.
class MemoryKeeper final : public CheckpointKeeper {
 public:
  absl::StatusOr<std::optional<audit::Checkpoint>> Load() override {
    if (!load_error.ok()) return load_error;
    return kept;
  }
  absl::Status Keep(const audit::Checkpoint& checkpoint) override {
    kept = checkpoint;
    ++keeps;
    return absl::OkStatus();
  }

  std::optional<audit::Checkpoint> kept;
  absl::Status load_error;
  int keeps = 0;
};

class AuditLedgerTest : public PeopleWorkflowTest {
 protected:
  absl::StatusOr<std::unique_ptr<AuditLedger>> NewLedger(
      store::Store& store, CheckpointKeeper* keeper, int64_t every = 1000) {
    absl::StatusOr<audit::SigningKey> key =
        audit::SigningKey::FromRawPrivate(std::string(32, '\x07'));
    if (!key.ok()) return key.status();
    return AuditLedger::Create(
        store, clock_, *std::move(key),
        {.district_id = "default", .every_events = every}, keeper);
  }
};

TEST_F(AuditLedgerTest, SignsWhenDueAndKeepsEachCheckpoint) {
  MemoryKeeper keeper;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AuditLedger> ledger,
                       NewLedger(*sqlite_, &keeper, /*every=*/3));
  // Nothing was ever signed: the first checkpoint is due at once.
  ASSERT_OK_AND_ASSIGN(std::optional<audit::Checkpoint> first,
                       ledger->MaybeCheckpoint(false));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->tree_size, EventCount());
  EXPECT_THAT(keeper.kept, Optional(*first));
  ASSERT_OK_AND_ASSIGN(std::optional<audit::Checkpoint> none,
                       ledger->MaybeCheckpoint(false));
  EXPECT_FALSE(none.has_value());  // no event since
  // Two events are fewer than three: not due, unless forced.
  ASSERT_THAT(
      engine_->tasks().CreateTask(Clerk(), "", "x", Draft(CleanAssistSpec())),
      IsOk());
  ASSERT_THAT(
      engine_->tasks().CreateTask(Clerk(), "", "y", Draft(CleanAssistSpec())),
      IsOk());
  ASSERT_OK_AND_ASSIGN(none, ledger->MaybeCheckpoint(false));
  EXPECT_FALSE(none.has_value());
  MakeTasks();  // many more
  ASSERT_OK_AND_ASSIGN(std::optional<audit::Checkpoint> next,
                       ledger->MaybeCheckpoint(false));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->tree_size, EventCount());
  EXPECT_EQ(keeper.keeps, 2);
  ASSERT_OK_AND_ASSIGN(AuditLedger::Coverage coverage, ledger->GetCoverage());
  EXPECT_EQ(coverage.events, coverage.signed_events);
}

TEST_F(AuditLedgerTest, AKeptHeadThatCannotBeReadStopsSigning) {
  MemoryKeeper keeper;
  keeper.load_error =
      absl::InvalidArgumentError("the head file x.head is unreadable: junk");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AuditLedger> ledger,
                       NewLedger(*sqlite_, &keeper));
  EXPECT_THAT(ledger->signing_refused(),
              Optional(HasSubstr("could not be checked at start: the head "
                                 "file x.head is unreadable")));
  ASSERT_OK_AND_ASSIGN(std::optional<audit::Checkpoint> forced,
                       ledger->MaybeCheckpoint(true));
  EXPECT_FALSE(forced.has_value());
  EXPECT_EQ(keeper.keeps, 0);
  // The log is still served.
  EXPECT_THAT(ledger->Root(0), IsOk());
}

TEST_F(AuditLedgerTest, ALogShorterThanTheKeptHeadIsNeverSignedAgain) {
  MemoryKeeper keeper;
  MakeTasks();
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<AuditLedger> ledger,
                         NewLedger(*sqlite_, &keeper));
    ASSERT_THAT(ledger->MaybeCheckpoint(true), IsOk());
  }
  ASSERT_TRUE(keeper.kept.has_value());
  // Another database whose log is shorter than what this server signed:
  // its tail (and its checkpoints) would have been cut.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::Store> other,
                       store::OpenSqliteStore(":memory:"));
  Engine fresh(*other, clock_, EngineOptions());
  ASSERT_THAT(fresh.directory().EnsureDistrict("Test district"), IsOk());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AuditLedger> ledger,
                       NewLedger(*other, &keeper));
  EXPECT_TRUE(ledger->signing_refused().has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<audit::Checkpoint> forced,
                       ledger->MaybeCheckpoint(true));
  EXPECT_FALSE(forced.has_value());
  EXPECT_THAT(ledger->CurrentCheckpoint(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace taskgate::workflow
