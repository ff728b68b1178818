// No change without its event, checked at the engine (issue 15; SPEC §7):
// for every kind of change the engine makes, the database refuses the
// change's audit event (a trigger on the file, as a full disk or a broken
// log table would) and then nothing at all may have changed in any table.
// An engine or a store that wrote a change and its event in two
// transactions leaves the change behind here, whichever part it came from.
// Each change is then made again with events allowed, and must add events:
// a change that writes no event would have passed the refusal unharmed.
#include <functional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/scoped_db_path.h"
#include "tests/testing/sqlite_file.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::DumpDatabase;
using ::taskgate::testing::ExecOnFile;
using ::taskgate::testing::IsOk;
using ::testing::Gt;

class OneTransactionTest : public TaskWorkflowTest {
 protected:
  std::string DbPath() const override { return db_.path(); }

  // Runs `change` while the file refuses every new audit event, expects it
  // to fail and the whole database to be as before; then runs it again with
  // events allowed and expects it to succeed with at least one new event.
  void ExpectAllOrNothing(const std::string& what,
                          const std::function<absl::Status()>& change) {
    SCOPED_TRACE(what);
    ASSERT_NO_FATAL_FAILURE(ExecOnFile(
        db_.path(),
        "CREATE TRIGGER refuse_events BEFORE INSERT ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit event refused by the test'); END"));
    const std::string before = DumpDatabase(db_.path());
    const absl::Status refused = change();
    const std::string after = DumpDatabase(db_.path());
    ASSERT_NO_FATAL_FAILURE(
        ExecOnFile(db_.path(), "DROP TRIGGER refuse_events"));
    EXPECT_FALSE(refused.ok()) << what << " succeeded without its event";
    EXPECT_EQ(after, before)
        << what << " changed the database without its event";

    const int64_t events = EventCount();
    ASSERT_THAT(change(), IsOk());
    EXPECT_THAT(EventCount(), Gt(events));
  }

  ::taskgate::testing::ScopedDbPath db_;
};

TEST_F(OneTransactionTest, EveryTaskChangeIsStoredWithItsEventOrNotAtAll) {
  const auto act = [&](domain::Principal who, TaskAction action, std::string id,
                       std::string reason = "") {
    return [=, this] { return Do(who, action, id, reason).status(); };
  };
  ExpectAllOrNothing("create", [&] {
    return engine_->tasks()
        .CreateTask(Clerk(), "", "t1", Draft(CleanAssistSpec()))
        .status();
  });
  ExpectAllOrNothing("edit", [&] {
    domain::TaskSpec spec = CleanAssistSpec();
    spec.title = "Quarterly elderly subsidy check, edited";
    absl::StatusOr<domain::Task> t = GetTask("t1");
    if (!t.ok()) return t.status();
    return engine_->tasks()
        .EditTask(Clerk(), "", "t1", t->version, Draft(spec))
        .status();
  });
  ExpectAllOrNothing("submit", act(Clerk(), TaskAction::kSubmit, "t1"));
  ExpectAllOrNothing("claim", act(Reviewer("r1"), TaskAction::kClaim, "t1"));
  ExpectAllOrNothing(
      "return", act(Reviewer("r1"), TaskAction::kReturn, "t1", "add duties"));
  ExpectAllOrNothing("resubmit", act(Clerk(), TaskAction::kSubmit, "t1"));
  ExpectAllOrNothing("claim again",
                     act(Reviewer("r1"), TaskAction::kClaim, "t1"));
  ExpectAllOrNothing("approve",
                     act(Reviewer("r1"), TaskAction::kApprove, "t1"));
  ExpectAllOrNothing("close",
                     act(Clerk(), TaskAction::kClose, "t1", "done early"));

  // A submit the system decides at once: the negative list (负面清单).
  domain::TaskSpec negative = CleanAssistSpec();
  negative.item_code = "N-001";
  Create("t2", negative);
  ExpectAllOrNothing("submit rejected by the negative list",
                     act(Clerk(), TaskAction::kSubmit, "t2"));
  Create("t3", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t3"), IsOk());
  ExpectAllOrNothing("withdraw", act(Clerk(), TaskAction::kWithdraw, "t3"));
  Create("t4", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t4"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t4"), IsOk());
  ExpectAllOrNothing(
      "reject", act(Reviewer("r1"), TaskAction::kReject, "t4", "not ours"));
}

TEST_F(OneTransactionTest, EveryTimerChangeIsStoredWithItsEventOrNotAtAll) {
  Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  // Past the review SLA: the tick escalates, as the system.
  clock_.Set(At(2026, 3, 24, 0));
  ExpectAllOrNothing("escalation", [&]() -> absl::Status {
    absl::StatusOr<TickResult> tick = engine_->timers().OnTick(clock_.Now());
    if (!tick.ok()) return tick.status();
    // A tick that could not commit a task's change reports it, not fails.
    return tick->escalated == 1 ? absl::OkStatus()
                                : absl::UnavailableError("nothing escalated");
  });
}

TEST_F(OneTransactionTest, EveryDirectoryAndDeskChangeIsStoredWithItsEvent) {
  ExpectAllOrNothing("publish catalog", [&] {
    return engine_->directory()
        .PublishCatalog(Admin(), "",
                        {{"A-001",
                          domain::ListKind::kAssist,
                          "Elderly care subsidy checks",
                          "老年人权益保障法",
                          {}}},
                        "second lists")
        .status();
  });
  ExpectAllOrNothing("put community", [&] {
    domain::Community c;
    c.id = "c4";
    c.name = "Community c4";
    c.street = "west";
    c.staff_count = 4;
    return engine_->directory().PutCommunity(Admin(), "", c, 0).status();
  });
  ExpectAllOrNothing("create principal", [&] {
    return engine_->principals()
        .CreatePrincipal(Admin(), "", Office("c4"))
        .status();
  });
  ExpectAllOrNothing("issue token", [&] {
    return engine_->principals()
        .IssueToken(Admin(), "", Office("c4").id, "tok-c4", HashOf("secret-c4"),
                    "the office's laptop")
        .status();
  });
  ExpectAllOrNothing("revoke token", [&] {
    return engine_->principals().RevokeToken(Admin(), "", "tok-c4").status();
  });
  ExpectAllOrNothing("disable principal", [&] {
    absl::StatusOr<domain::Principal> p =
        engine_->principals().GetPrincipal(Office("c4").id);
    if (!p.ok()) return p.status();
    return engine_->principals()
        .SetPrincipalDisabled(Admin(), "", p->id, true, p->version)
        .status();
  });

  Create("t1", CleanAssistSpec());
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, "t1"), IsOk());
  ExpectAllOrNothing("acknowledge assignment", [&] {
    return engine_->desk()
        .AcknowledgeAssignment(Office("c1"), "", "t1")
        .status();
  });
  ExpectAllOrNothing("report missing funding (费随事转)", [&] {
    return engine_->desk()
        .ReportFundingMissing(Office("c1"), "", "t1", "fr-1",
                              "no transfer this quarter")
        .status();
  });
  int64_t complaint_version = 0;
  ExpectAllOrNothing("file complaint", [&] {
    domain::Complaint c;
    c.id = "k-1";
    c.title = "A form arrived without admission";
    c.description = "The street office sent a survey form directly.";
    absl::StatusOr<domain::Complaint> filed =
        engine_->desk().FileComplaint(Office("c1"), "", c);
    if (filed.ok()) complaint_version = filed->version;
    return filed.status();
  });
  ExpectAllOrNothing("verify complaint", [&] {
    return engine_->desk()
        .HandleComplaint(Reviewer("r1"), "", "k-1", complaint_version,
                         domain::ComplaintState::kVerified, "confirmed")
        .status();
  });
}

}  // namespace
}  // namespace taskgate::workflow
