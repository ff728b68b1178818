// The verifiable record through a real server (SPEC §7): proofs served by
// AuditService, checkpoints signed by count, by time and at shutdown, export
// bundles verified offline, reads of the log recorded, and the inspector's
// statistics on a fixed scenario.
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/bundle.h"
#include "audit/checkpoint.h"
#include "audit/encoding.h"
#include "audit/merkle.h"
#include "audit/signing.h"
#include "clients/audit_proto.h"
#include "services/convert.h"
#include "tests/e2e/e2e_fixture.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using ::testing::SizeIs;

audit::Hash FromHex(const std::string& hex) {
  return audit::HashFromHex(hex).value_or(audit::Hash{});
}

std::vector<audit::Hash> Hashes(
    const google::protobuf::RepeatedPtrField<std::string>& hex) {
  std::vector<audit::Hash> out;
  for (const std::string& h : hex) out.push_back(FromHex(h));
  return out;
}

class AuditTrailTest : public E2eTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.checkpoint_every_events = every_events_;
  }

  audit::VerifyingKey PublicKey() {
    absl::StatusOr<v1::LogInfo> info = Call(
        auditor_, *audit_, &AuditStub::GetLogInfo, v1::GetLogInfoRequest());
    EXPECT_THAT(info, IsOk());
    absl::StatusOr<audit::VerifyingKey> key =
        audit::VerifyingKey::FromPem(info.ok() ? info->public_key_pem() : "");
    EXPECT_THAT(key, IsOk());
    return *std::move(key);
  }

  audit::Checkpoint Keep() {
    absl::StatusOr<v1::Checkpoint> c =
        Call(auditor_, *audit_, &AuditStub::GetLatestCheckpoint,
             v1::GetLatestCheckpointRequest());
    EXPECT_THAT(c, IsOk());
    absl::StatusOr<audit::Checkpoint> kept =
        audit::CheckpointFromJson(c.ok() ? c->json() : "");
    EXPECT_THAT(kept, IsOk());
    return *std::move(kept);
  }

  // What `taskgate audit export` does: the header, then the events.
  audit::Bundle Export(const v1::ExportBundleRequest& request) {
    absl::StatusOr<v1::BundleHeader> header =
        Call(auditor_, *audit_, &AuditStub::ExportBundle, request);
    EXPECT_THAT(header, IsOk());
    if (!header.ok()) return {};
    std::vector<v1::AuditEvent> events;
    if (header->last_seq() >= header->first_seq()) {
      v1::ListEventsRequest r;
      r.set_start_seq(header->first_seq());
      r.set_end_seq(header->last_seq());
      r.set_include_canonical(true);
      events = Events(r);
    }
    absl::StatusOr<audit::Bundle> bundle =
        clients::AssembleBundle(request, *header, events);
    EXPECT_THAT(bundle, IsOk());
    return bundle.ok() ? *std::move(bundle) : audit::Bundle();
  }

  // The events of `action`, read as a reviewer, whose reads are not
  // recorded, so that reading does not change what is counted.
  std::vector<v1::AuditEvent> Recorded(const std::string& action) {
    v1::ListEventsRequest r;
    r.set_action(action);
    r.set_page_size(500);
    absl::StatusOr<v1::ListEventsResponse> page =
        Call(reviewer_, *audit_, &AuditStub::ListEvents, r);
    EXPECT_THAT(page, IsOk());
    if (!page.ok()) return {};
    return {page->events().begin(), page->events().end()};
  }

  int every_events_ = 1000;
};

TEST_F(AuditTrailTest, ServedProofsVerifyAgainstTheTreeHeads) {
  ActiveTask();
  const int64_t n = TreeSize();
  ASSERT_GE(n, 20);
  for (int64_t size : {int64_t{1}, int64_t{7}, n}) {
    v1::GetTreeHeadRequest head_request;
    head_request.set_tree_size(size);
    ASSERT_OK_AND_ASSIGN(
        v1::TreeHead head,
        Call(auditor_, *audit_, &AuditStub::GetTreeHead, head_request));
    for (int64_t seq = 1; seq <= size; ++seq) {
      v1::GetInclusionProofRequest r;
      r.set_seq(seq);
      r.set_tree_size(size);
      ASSERT_OK_AND_ASSIGN(
          v1::InclusionProof proof,
          Call(auditor_, *audit_, &AuditStub::GetInclusionProof, r));
      EXPECT_EQ(proof.root_hash(), head.root_hash());
      EXPECT_TRUE(audit::VerifyInclusion(
          seq - 1, size, FromHex(proof.leaf_hash()), Hashes(proof.proof()),
          FromHex(head.root_hash())))
          << "seq " << seq << " of " << size;
    }
  }
  v1::GetConsistencyProofRequest r;
  r.set_old_size(7);
  ASSERT_OK_AND_ASSIGN(
      v1::ConsistencyProof proof,
      Call(auditor_, *audit_, &AuditStub::GetConsistencyProof, r));
  EXPECT_EQ(proof.new_size(), TreeSize());
  EXPECT_TRUE(audit::VerifyConsistency(
      7, proof.new_size(), FromHex(proof.old_root_hash()),
      FromHex(proof.new_root_hash()), Hashes(proof.proof())));

  v1::GetInclusionProofRequest outside;
  outside.set_seq(n + 100);
  grpc::Status raw;
  EXPECT_THAT(
      Call(auditor_, *audit_, &AuditStub::GetInclusionProof, outside, &raw),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seq")));
}

class EveryFiveEventsTest : public AuditTrailTest {
 protected:
  EveryFiveEventsTest() { every_events_ = 5; }
};

TEST_F(EveryFiveEventsTest,
       CheckpointsAreSignedByCountAndVerifyWithThePublishedKey) {
  ActiveTask();
  ASSERT_OK_AND_ASSIGN(v1::ListCheckpointsResponse list,
                       Call(auditor_, *audit_, &AuditStub::ListCheckpoints,
                            v1::ListCheckpointsRequest()));
  ASSERT_THAT(list.checkpoints(), SizeIs(::testing::Ge(3)));
  const audit::VerifyingKey key = PublicKey();
  int64_t previous = 0;
  for (const v1::Checkpoint& c : list.checkpoints()) {
    ASSERT_OK_AND_ASSIGN(audit::Checkpoint parsed,
                         audit::CheckpointFromJson(c.json()));
    EXPECT_THAT(audit::VerifyCheckpoint(parsed, key), IsOk());
    EXPECT_EQ(parsed.log_id, "taskgate/default");
    // Signed after the change that made five events uncovered (a change
    // may add more than one event).
    EXPECT_GE(c.tree_size() - previous, previous == 0 ? 1 : 5);
    v1::GetTreeHeadRequest head;
    head.set_tree_size(c.tree_size());
    ASSERT_OK_AND_ASSIGN(v1::TreeHead at, Call(auditor_, *audit_,
                                               &AuditStub::GetTreeHead, head));
    EXPECT_EQ(c.root_hash(), at.root_hash());
    previous = c.tree_size();
  }
}

TEST_F(AuditTrailTest, CheckpointIsSignedWhenTheIntervalPassesAndAtShutdown) {
  ASSERT_OK_AND_ASSIGN(v1::ListCheckpointsResponse before,
                       Call(auditor_, *audit_, &AuditStub::ListCheckpoints,
                            v1::ListCheckpointsRequest()));
  // The first change is signed at once; later ones wait for the interval.
  ASSERT_THAT(before.checkpoints(), SizeIs(1));
  const int64_t first = before.checkpoints(0).tree_size();
  ASSERT_LT(first, TreeSize());

  clock_.Advance(absl::Minutes(59));
  ASSERT_THAT(server_->TickNow(), IsOk());
  ASSERT_OK_AND_ASSIGN(std::optional<audit::Checkpoint> none,
                       sqlite_->LatestCheckpoint("default"));
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->tree_size, first);

  clock_.Advance(absl::Minutes(2));
  ASSERT_THAT(server_->TickNow(), IsOk());
  const int64_t size = TreeSize();
  const std::string metrics = server_->metrics().Serialize();
  EXPECT_THAT(metrics,
              HasSubstr(absl::StrCat("taskgate_audit_events ", size, "\n")));
  EXPECT_THAT(metrics, HasSubstr("taskgate_audit_events_unsigned 0\n"));
  EXPECT_THAT(metrics, HasSubstr("taskgate_audit_signing_refused 0\n"));
  ASSERT_OK_AND_ASSIGN(std::optional<audit::Checkpoint> ticked,
                       sqlite_->LatestCheckpoint("default"));
  ASSERT_TRUE(ticked.has_value());
  EXPECT_EQ(ticked->tree_size, size);

  SubmittedTask(CleanAssistSpec());
  const int64_t last = TreeSize();
  ASSERT_GT(last, size);
  StopServer();
  ASSERT_OK_AND_ASSIGN(auto reopened, store::OpenSqliteStore(db_path_));
  ASSERT_OK_AND_ASSIGN(std::optional<audit::Checkpoint> at_exit,
                       reopened->LatestCheckpoint("default"));
  ASSERT_TRUE(at_exit.has_value());
  // The auditor's TreeSize read is itself an event only for auditors'
  // queries; GetTreeHead is not recorded, so the log ends at `last`.
  EXPECT_EQ(at_exit->tree_size, last);
}

TEST_F(AuditTrailTest, WholeLogBundleVerifiesOfflineAndTheExportIsRecorded) {
  ActiveTask();
  const audit::Bundle bundle = Export(v1::ExportBundleRequest());
  EXPECT_EQ(bundle.first_seq, 1);
  EXPECT_EQ(bundle.last_seq, bundle.checkpoint.tree_size);
  ASSERT_THAT(bundle.events, SizeIs(bundle.last_seq));
  ASSERT_OK_AND_ASSIGN(audit::Bundle read,
                       audit::BundleFromJson(audit::BundleToJson(bundle)));
  const audit::VerifyReport report =
      audit::VerifyBundle(read, PublicKey(), std::nullopt);
  EXPECT_TRUE(report.verified()) << audit::FormatVerifyReport(report);

  const std::vector<v1::AuditEvent> exports = Recorded("audit.export");
  ASSERT_THAT(exports, SizeIs(1));
  EXPECT_EQ(exports[0].actor_id(), "inspector");
  EXPECT_EQ(exports[0].details().at("first_seq"), "1");
  EXPECT_EQ(exports[0].details().at("tree_size"),
            absl::StrCat(bundle.checkpoint.tree_size));
}

TEST_F(AuditTrailTest, MonthBundleVerifiesAgainstACheckpointKeptEarlier) {
  ActiveTask();
  const audit::Checkpoint kept = Keep();
  clock_.Set(At(2026, 4, 6));
  const std::string april = SubmittedTask(CleanAssistSpec());
  clock_.Set(At(2026, 5, 4));
  SubmittedTask(CleanAssistSpec());

  v1::ExportBundleRequest request;
  services::ToTimestamp(At(2026, 4, 1, 0), request.mutable_start_time());
  services::ToTimestamp(At(2026, 5, 1, 0), request.mutable_end_time());
  request.set_since_tree_size(kept.tree_size);
  const audit::Bundle bundle = Export(request);
  EXPECT_GT(bundle.first_seq, kept.tree_size);
  ASSERT_THAT(bundle.events, Not(IsEmpty()));
  ASSERT_OK_AND_ASSIGN(
      domain::AuditEvent first,
      audit::DecodeAuditEvent(bundle.events.front().canonical));
  EXPECT_EQ(first.entity_id, april);
  EXPECT_GE(first.time, At(2026, 4, 1, 0));

  audit::VerifyReport report = audit::VerifyBundle(bundle, PublicKey(), kept);
  EXPECT_TRUE(report.verified()) << audit::FormatVerifyReport(report);
  EXPECT_THAT(report.checked, Contains(HasSubstr("is consistent")));

  // The same month without the consistency proof cannot vouch for the
  // kept checkpoint.
  request.clear_since_tree_size();
  report = audit::VerifyBundle(Export(request), PublicKey(), kept);
  EXPECT_FALSE(report.verified());
}

TEST_F(AuditTrailTest, InspectorsQueriesAreRecordedButReviewersAreNot) {
  const std::string id = ActiveTask();
  v1::ListEventsRequest r;
  r.set_task_id(id);
  r.set_state("ACTIVE");
  ASSERT_OK_AND_ASSIGN(v1::ListEventsResponse page,
                       Call(auditor_, *audit_, &AuditStub::ListEvents, r));
  ASSERT_THAT(page.events(), SizeIs(1));
  EXPECT_EQ(page.events(0).state_after(), "ACTIVE");
  ASSERT_THAT(Call(reviewer_, *audit_, &AuditStub::ListEvents, r), IsOk());

  const std::vector<v1::AuditEvent> queries = Recorded("audit.query");
  ASSERT_THAT(queries, SizeIs(1));
  EXPECT_EQ(queries[0].actor_id(), "inspector");
  EXPECT_EQ(queries[0].details().at("task_id"), id);
  EXPECT_EQ(queries[0].details().at("state"), "ACTIVE");
}

// March 2026 for civil-affairs, counted by hand: a duty-list task admitted
// at submit (Mon 2 Mar), a negative-list task rejected at submit, an assist
// task approved on Thu 5 Mar (3 working days: 3, 4, 5 Mar) and one returned
// on Wed 4 Mar (2 working days).
TEST_F(AuditTrailTest, StatisticsMatchAHandCountedMonth) {
  ActiveTask();
  v1::TaskSpec negative = CleanAssistSpec();
  negative.set_title("完成招商引资任务");
  ASSERT_THAT(CreateTask(clerk_, negative, "t-neg"), IsOk());
  ASSERT_THAT(Act(clerk_, Step::kSubmit, "t-neg"), IsOk());
  const std::string approved = SubmittedTask(CleanAssistSpec(), &reviewer_);
  const std::string returned = SubmittedTask(CleanAssistSpec(), &reviewer_);
  clock_.Set(At(2026, 3, 4, 10));
  ASSERT_THAT(Act(reviewer_, Step::kReturn, returned, "add the funding source"),
              IsOk());
  clock_.Set(At(2026, 3, 5, 10));
  ASSERT_THAT(Act(reviewer_, Step::kApprove, approved, "fits the assist list"),
              IsOk());

  v1::GetStatisticsRequest r;
  services::ToTimestamp(At(2026, 3, 1, 0), r.mutable_start_time());
  services::ToTimestamp(At(2026, 4, 1, 0), r.mutable_end_time());
  ASSERT_OK_AND_ASSIGN(v1::Statistics stats,
                       Call(auditor_, *audit_, &AuditStub::GetStatistics, r));
  ASSERT_THAT(stats.departments(), SizeIs(1));
  const v1::DepartmentStatistics& d = stats.departments(0);
  EXPECT_EQ(d.department_id(), kDepartment);
  EXPECT_EQ(d.department_name(), "civil-affairs bureau");  // SPEC §1
  EXPECT_EQ(d.submitted(), 4);
  EXPECT_EQ(d.admitted(), 2);
  EXPECT_EQ(d.admitted_by_duty_list(), 1);
  EXPECT_EQ(d.rejected(), 1);
  EXPECT_EQ(d.rejected_by_negative_list(), 1);
  EXPECT_EQ(d.returned(), 1);
  EXPECT_EQ(d.reviews_measured(), 2);
  EXPECT_DOUBLE_EQ(d.median_review_days(), 2.5);  // (2 + 3) / 2
  EXPECT_EQ(d.p90_review_days(), 3);              // rank ceil(0.9 × 2) = 2
  // The rejected task: 1 h per month in one community (c1).
  ASSERT_THAT(stats.burden(), SizeIs(1));
  EXPECT_EQ(stats.burden(0).month(), "2026-03");
  EXPECT_EQ(stats.burden(0).rejected_tasks(), 1);
  EXPECT_DOUBLE_EQ(stats.burden_total_hours(), 1);
  EXPECT_THAT(Recorded("audit.stats"), SizeIs(1));
}

}  // namespace
}  // namespace taskgate::e2e
