// `AuditReader` (workflow/audit_reader.h): who reads the log, what their
// reads record, and the proofs, export plans and statistics it gives.
#include "workflow/audit_reader.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/merkle.h"
#include "audit/signing.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"
#include "workflow/audit_ledger.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

class AuditReaderTest : public PeopleWorkflowTest {
 protected:
  void SetUp() override {
    PeopleWorkflowTest::SetUp();
    MakeTasks();
    ASSERT_OK_AND_ASSIGN(audit::SigningKey key, audit::SigningKey::Generate());
    ASSERT_OK_AND_ASSIGN(ledger_,
                         AuditLedger::Create(*sqlite_, clock_, std::move(key),
                                             {.district_id = "default"}));
    reader_ = std::make_unique<AuditReader>(
        *sqlite_, *ledger_, engine_->recorder(), clock_, EngineOptions());
  }

  int64_t Reads(const std::string& action) {
    return static_cast<int64_t>(Events("audit_log", action).size());
  }

  std::unique_ptr<AuditLedger> ledger_;
  std::unique_ptr<AuditReader> reader_;
};

TEST_F(AuditReaderTest,
       TheWholeLogIsForOverseersAndATasksHistoryForItsReaders) {
  EXPECT_THAT(reader_->ListEvents(Clerk(), {}, {}, "k"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EventFilter history;
  history.task_id = "a";
  ASSERT_OK_AND_ASSIGN(Page<store::StoredEvent> own,
                       reader_->ListEvents(Clerk(), history, {}, "k"));
  ASSERT_THAT(own.items, SizeIs(4));  // create, submit, claim, approve
  for (const store::StoredEvent& e : own.items) {
    EXPECT_EQ(e.event.entity_id, "a");
  }
  EXPECT_THAT(reader_->ListEvents(Clerk("housing"), history, {}, "k"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A department hears of a task that does not exist what it hears of
  // another's (issue 15, defect 13); an overseer that it does not exist.
  history.task_id = "zz";
  EXPECT_THAT(reader_->ListEvents(Clerk(), history, {}, "k"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("task 'zz' is not one of them")));
  ASSERT_OK_AND_ASSIGN(Page<store::StoredEvent> none,
                       reader_->ListEvents(Auditor(), history, {}, "k"));
  EXPECT_THAT(none.items, SizeIs(0));
  // Bad input is named before anything is looked up; every filter is an id
  // or one bounded line (issue 15, defect 1).
  EventFilter unbounded;
  unbounded.department_id = std::string(100000, 'd');
  unbounded.community_id = "C 1";
  unbounded.actor_id = "clerk\n";
  unbounded.action = std::string(kMaxIdLength + 1, 'a');
  unbounded.entity_type = "task\x1b";
  unbounded.entity_id = std::string(kMaxTitleLength + 1, 'e');
  unbounded.state = std::string(kMaxIdLength + 1, 'S');
  EXPECT_THAT(
      Fields(reader_->ListEvents(Auditor(), unbounded, {}, "k").status()),
      ElementsAre("department_id", "community_id", "actor_id", "action",
                  "entity_type", "entity_id", "state"));
  EventFilter bad;
  bad.start_seq = -1;
  absl::StatusOr<Page<store::StoredEvent>> refused =
      reader_->ListEvents(Clerk(), bad, {}, "k");
  EXPECT_THAT(Fields(refused.status()), ElementsAre("start_seq"));
  for (const domain::Principal& p :
       {Reviewer("r1"), Auditor(), Admin(), Office("c1")}) {
    EXPECT_EQ(reader_->GetTreeHead(p, 0).ok(),
              p.role != domain::Role::kCommunity)
        << p.id;
  }
}

TEST_F(AuditReaderTest, FirstPagesReadByAuditorsAndAdminsAreRecorded) {
  const int64_t before = Reads("audit.query");
  ASSERT_OK_AND_ASSIGN(Page<store::StoredEvent> first,
                       reader_->ListEvents(Auditor(), {}, {2, ""}, "k"));
  ASSERT_THAT(first.items, SizeIs(2));
  EXPECT_EQ(Reads("audit.query"), before + 1);
  // The next page of the same query is no new query.
  ASSERT_THAT(
      reader_->ListEvents(Auditor(), {}, {2, first.next_page_token}, "k"),
      IsOk());
  EXPECT_EQ(Reads("audit.query"), before + 1);
  EXPECT_THAT(
      reader_->ListEvents(Auditor(), {}, {2, first.next_page_token}, "other"),
      StatusIs(absl::StatusCode::kInvalidArgument));
  // Reviewers read the log as part of their work: not recorded.
  ASSERT_THAT(reader_->ListEvents(Reviewer("r1"), {}, {}, "k"), IsOk());
  EXPECT_EQ(Reads("audit.query"), before + 1);
  EventFilter filter;
  filter.action = "task.approve";
  ASSERT_THAT(reader_->ListEvents(Admin(), filter, {}, "k2"), IsOk());
  std::vector<store::StoredEvent> queries = Events("audit_log", "audit.query");
  ASSERT_THAT(queries, SizeIs(before + 2));
  EXPECT_EQ(queries.back().event.actor_id, "admin-1");
  EXPECT_EQ(queries.back().event.details.at("action"), "task.approve");
}

TEST_F(AuditReaderTest, ProofsAndHeadsComeFromTheLedger) {
  ASSERT_OK_AND_ASSIGN(TreeHead head, reader_->GetTreeHead(Auditor(), 0));
  EXPECT_EQ(head.tree_size, EventCount());
  ASSERT_OK_AND_ASSIGN(InclusionProof inclusion,
                       reader_->GetInclusionProof(Auditor(), 3, 0));
  EXPECT_EQ(inclusion.tree_size, head.tree_size);
  EXPECT_TRUE(audit::VerifyInclusion(
      2, inclusion.tree_size, inclusion.leaf_hash, inclusion.proof, head.root));
  ASSERT_OK_AND_ASSIGN(ConsistencyProof consistency,
                       reader_->GetConsistencyProof(Reviewer("r1"), 2, 0));
  EXPECT_TRUE(
      audit::VerifyConsistency(2, consistency.new_size, consistency.old_root,
                               consistency.new_root, consistency.proof));
  EXPECT_THAT(reader_->GetInclusionProof(Auditor(), head.tree_size + 1, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(LogInfo info, reader_->GetLogInfo(Admin()));
  EXPECT_EQ(info.district_id, "default");
  EXPECT_EQ(info.tree_size, head.tree_size);
  EXPECT_TRUE(info.signing_refused.empty());
}

TEST_F(AuditReaderTest, AnExportIsPlannedAgainstACheckpointAndRecorded) {
  EXPECT_THAT(reader_->PlanExport(Clerk(), {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ExportRequest bad;
  bad.since_tree_size = -1;
  EXPECT_THAT(reader_->PlanExport(Auditor(), bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const int64_t size = EventCount();
  ASSERT_OK_AND_ASSIGN(ExportPlan whole, reader_->PlanExport(Auditor(), {}));
  EXPECT_EQ(whole.checkpoint.tree_size, size);
  EXPECT_EQ(whole.first_seq, 1);
  EXPECT_EQ(whole.last_seq, size);
  EXPECT_TRUE(whole.range_proof.empty());
  EXPECT_EQ(whole.exported_by, "auditor-1");
  EXPECT_EQ(Reads("audit.export"), 1);

  // A later part, with a consistency proof from the first export's
  // checkpoint: the range proof ties it to the new one.
  clock_.Advance(absl::Hours(1));
  ExportRequest part;
  part.start_time = clock_.Now();
  part.since_tree_size = whole.checkpoint.tree_size;
  ASSERT_THAT(
      engine_->tasks().CreateTask(Clerk(), "", "e", Draft(CleanAssistSpec())),
      IsOk());
  ASSERT_OK_AND_ASSIGN(ExportPlan later, reader_->PlanExport(Admin(), part));
  EXPECT_EQ(later.first_seq, size + 2);  // after the export's own record
  EXPECT_EQ(later.last_seq, later.checkpoint.tree_size);
  EXPECT_FALSE(later.range_proof.empty());
  EXPECT_EQ(later.consistency_from, size);
  EXPECT_TRUE(audit::VerifyConsistency(
      size, later.checkpoint.tree_size, whole.checkpoint.root_hash,
      later.checkpoint.root_hash, later.consistency_proof));
}

TEST_F(AuditReaderTest, StatisticsNeedTheirPeriodAndAuditorsReadsAreRecorded) {
  absl::StatusOr<Statistics> missing =
      reader_->GetStatistics(Auditor(), std::nullopt, std::nullopt);
  EXPECT_THAT(Fields(missing.status()), ElementsAre("start_time", "end_time"));
  EXPECT_THAT(
      reader_->GetStatistics(Clerk(), At(2026, 1, 1, 0), At(2027, 1, 1, 0)),
      StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_THAT(reader_->GetStatistics(Reviewer("r1"), At(2026, 1, 1, 0),
                                     At(2027, 1, 1, 0)),
              IsOk());
  EXPECT_EQ(Reads("audit.stats"), 0);
  ASSERT_OK_AND_ASSIGN(
      Statistics stats,
      reader_->GetStatistics(Auditor(), At(2026, 1, 1, 0), At(2027, 1, 1, 0)));
  EXPECT_THAT(stats.departments, Not(::testing::IsEmpty()));
  EXPECT_EQ(Reads("audit.stats"), 1);
}

}  // namespace
}  // namespace taskgate::workflow
