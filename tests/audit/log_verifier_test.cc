// The log verifier and the export bundle (workflow/audit_verify.h,
// workflow/audit_bundle.h) on synthetic logs: what each kind of tampering
// looks like and where the verifier places it.
#include "audit/log_verifier.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/bundle.h"
#include "audit/checkpoint.h"
#include "audit/encoding.h"
#include "audit/merkle.h"
#include "audit/merkle_tree.h"
#include "audit/signing.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::audit {
namespace {

using ::taskgate::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kDistrict[] = "d1";

domain::AuditEvent MakeEvent(int64_t seq) {
  domain::AuditEvent e;
  e.district_id = kDistrict;
  e.seq = seq;
  e.time = absl::FromUnixSeconds(1790000000 + seq * 60);
  e.actor_id = seq % 2 == 0 ? "rev-1" : "dept-clerk";
  e.actor_role =
      seq % 2 == 0 ? domain::Role::kReviewer : domain::Role::kDepartment;
  e.action = seq % 2 == 0 ? "task.approve" : "task.submit";
  e.entity_type = "task";
  e.entity_id = absl::StrCat("t", seq);
  e.state_before = "IN_REVIEW";
  e.state_after = "ADMITTED";
  e.reason = absl::StrCat("reason ", seq);
  e.request_id = absl::StrCat("req-", seq);
  e.department_id = "civil-affairs";
  e.community_ids = {"c2", "c1"};
  e.details = {{"hours", "4"}};
  return e;
}

// A log of `n` events as a database presents it (index columns beside the
// bytes), with checkpoints signed at `sizes`.
struct Log {
  std::vector<PresentedEvent> rows;
  std::vector<audit::Checkpoint> checkpoints;
};

PresentedEvent Present(const domain::AuditEvent& e) {
  PresentedEvent p;
  p.seq = e.seq;
  p.canonical = EncodeAuditEvent(e);
  const audit::Hash leaf = audit::LeafHash(p.canonical);
  p.leaf_hash = std::string(leaf.begin(), leaf.end());
  domain::AuditEvent columns = e;
  columns.details.clear();
  p.readable = columns;
  p.readable_has_details = false;
  return p;
}

std::vector<audit::Hash> Leaves(const std::vector<PresentedEvent>& rows) {
  std::vector<audit::Hash> out;
  for (const PresentedEvent& r : rows) {
    out.push_back(audit::LeafHash(r.canonical));
  }
  return out;
}

audit::Checkpoint Sign(const std::vector<PresentedEvent>& rows, int64_t size,
                       const audit::SigningKey& key) {
  const audit::MerkleTree tree(Leaves(rows));
  absl::StatusOr<audit::Checkpoint> c =
      audit::SignCheckpoint(LogIdOf(kDistrict), size, *tree.Root(size),
                            absl::FromUnixSeconds(1790000000 + size * 60), key);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

class AuditVerifyTest : public ::testing::Test {
 protected:
  AuditVerifyTest()
      : key_(*audit::SigningKey::Generate()),
        public_(*audit::VerifyingKey::FromPem(key_.PublicKeyPem())) {
    for (int64_t seq = 1; seq <= 10; ++seq) {
      log_.rows.push_back(Present(MakeEvent(seq)));
    }
    for (int64_t size : {4, 8, 10}) {
      log_.checkpoints.push_back(Sign(log_.rows, size, key_));
    }
  }

  VerifyReport Verify(const std::vector<PresentedEvent>& rows,
                      std::optional<audit::Checkpoint> kept = {},
                      const audit::VerifyingKey* key = nullptr) {
    LogVerifier verifier(kDistrict, 1);
    for (const PresentedEvent& r : rows) verifier.Add(r);
    VerifyInputs inputs;
    inputs.key = key != nullptr ? key : &public_;
    inputs.checkpoints = log_.checkpoints;
    inputs.kept = std::move(kept);
    return verifier.Finish(inputs);
  }

  audit::SigningKey key_;
  audit::VerifyingKey public_;
  Log log_;
};

void ExpectFirstBad(const VerifyReport& report, int64_t first, int64_t last) {
  ASSERT_FALSE(report.verified()) << FormatVerifyReport(report);
  ASSERT_TRUE(report.first_bad.has_value()) << FormatVerifyReport(report);
  EXPECT_EQ(report.first_bad->first, first) << FormatVerifyReport(report);
  EXPECT_EQ(report.first_bad->last, last) << FormatVerifyReport(report);
}

TEST_F(AuditVerifyTest, IntactLogVerifiesAgainstEveryCheckpoint) {
  const VerifyReport report = Verify(log_.rows, log_.checkpoints[1]);
  EXPECT_TRUE(report.verified()) << FormatVerifyReport(report);
  EXPECT_EQ(report.events, 10);
  // The events, then sizes 4, 8 (the log's and the kept one) and 10.
  EXPECT_EQ(report.checked.size(), 4u) << FormatVerifyReport(report);
  EXPECT_THAT(FormatVerifyReport(report),
              HasSubstr("\nVERIFIED: 10 events (seq 1..10)\n"));
}

TEST_F(AuditVerifyTest, EditedIndexColumnIsPinpointed) {
  std::vector<PresentedEvent> rows = log_.rows;
  rows[4].readable->reason = "nothing to see";
  const VerifyReport report = Verify(rows);
  ExpectFirstBad(report, 5, 5);
  EXPECT_THAT(report.problems[0].message,
              HasSubstr("reason: the readable form says \"nothing to see\""));
  EXPECT_THAT(FormatVerifyReport(report),
              HasSubstr("FAILED: first bad event is seq 5\n"));
}

// Every field of the readable form, edited alone, is caught and named: the
// columns a database keeps beside the bytes, and a bundle's details.
TEST_F(AuditVerifyTest, EveryEditedReadableFieldIsPinpointedAndNamed) {
  struct Edit {
    std::string field;
    std::function<void(domain::AuditEvent&)> apply;
  };
  const std::vector<Edit> edits = {
      {"time", [](domain::AuditEvent& e) { e.time += absl::Microseconds(1); }},
      {"actor_id", [](domain::AuditEvent& e) { e.actor_id = "someone-else"; }},
      {"actor_role",
       [](domain::AuditEvent& e) { e.actor_role = domain::Role::kAuditor; }},
      {"action", [](domain::AuditEvent& e) { e.action = "task.reject"; }},
      {"entity_type",
       [](domain::AuditEvent& e) { e.entity_type = "complaint"; }},
      {"entity_id", [](domain::AuditEvent& e) { e.entity_id = "t99"; }},
      {"state_before", [](domain::AuditEvent& e) { e.state_before = "DRAFT"; }},
      {"state_after",
       [](domain::AuditEvent& e) { e.state_after = "REJECTED"; }},
      {"reason", [](domain::AuditEvent& e) { e.reason = "nothing to see"; }},
      {"request_id", [](domain::AuditEvent& e) { e.request_id = "req-x"; }},
      {"department_id",
       [](domain::AuditEvent& e) { e.department_id = "housing"; }},
      {"community_ids",
       [](domain::AuditEvent& e) {
         e.community_ids = {"c1", "c3"};
       }},
      {"community_ids",
       [](domain::AuditEvent& e) { e.community_ids.pop_back(); }},
  };
  for (const Edit& edit : edits) {
    SCOPED_TRACE(edit.field);
    std::vector<PresentedEvent> rows = log_.rows;
    edit.apply(*rows[4].readable);
    const VerifyReport report = Verify(rows);
    ExpectFirstBad(report, 5, 5);
    ASSERT_FALSE(report.problems.empty());
    EXPECT_THAT(report.problems[0].message,
                HasSubstr(edit.field + ": the readable form says"));
  }

  // A bundle's readable form also carries the details.
  for (const auto& edit : std::vector<std::function<void(domain::AuditEvent&)>>{
           [](domain::AuditEvent& e) { e.details["hours"] = "40"; },
           [](domain::AuditEvent& e) { e.details.erase("hours"); },
           [](domain::AuditEvent& e) { e.details["extra"] = "1"; }}) {
    std::vector<PresentedEvent> rows = log_.rows;
    rows[4].readable = MakeEvent(5);
    rows[4].readable_has_details = true;
    ASSERT_TRUE(Verify(rows).verified());
    edit(*rows[4].readable);
    const VerifyReport report = Verify(rows);
    ExpectFirstBad(report, 5, 5);
    ASSERT_FALSE(report.problems.empty());
    EXPECT_THAT(report.problems[0].message, HasSubstr("details."));
  }
}

// What the file holds is shown escaped and cut: a reason edited to clear
// the screen of whoever reads the report cannot.
TEST_F(AuditVerifyTest, EditedValuesAreQuotedEscapedAndCut) {
  std::vector<PresentedEvent> rows = log_.rows;
  rows[4].readable->reason =
      "\x1b[2J\nVERIFIED: 10 events" + std::string(500, 'x');
  const VerifyReport report = Verify(rows);
  ASSERT_FALSE(report.problems.empty());
  const std::string& message = report.problems[0].message;
  EXPECT_THAT(message, HasSubstr("\\x1b[2J\\nVERIFIED"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("\n")));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("\x1b")));
  EXPECT_LT(message.size(), 400u);
}

TEST_F(AuditVerifyTest, EditedBytesWithStaleLeafHashArePinpointed) {
  std::vector<PresentedEvent> rows = log_.rows;
  domain::AuditEvent edited = MakeEvent(6);
  edited.actor_id = "someone-else";
  rows[5].canonical = EncodeAuditEvent(edited);
  rows[5].readable->actor_id = "someone-else";
  const VerifyReport report = Verify(rows);
  ExpectFirstBad(report, 6, 6);
  EXPECT_THAT(report.problems[0].message,
              HasSubstr("stored leaf hash does not match"));
}

TEST_F(AuditVerifyTest, DeletedEventIsPinpointed) {
  std::vector<PresentedEvent> rows = log_.rows;
  rows.erase(rows.begin() + 3);
  const VerifyReport report = Verify(rows);
  ExpectFirstBad(report, 4, 4);
  EXPECT_THAT(report.problems[0].message, HasSubstr("seq 4 is missing"));
}

TEST_F(AuditVerifyTest, SwappedEventsArePinpointedAtTheFirst) {
  std::vector<PresentedEvent> rows = log_.rows;
  std::swap(rows[2].canonical, rows[6].canonical);
  std::swap(rows[2].leaf_hash, rows[6].leaf_hash);
  std::swap(rows[2].readable, rows[6].readable);
  const VerifyReport report = Verify(rows);
  ExpectFirstBad(report, 3, 3);
  EXPECT_THAT(report.problems[0].message,
              HasSubstr("holds the event recorded as seq 7"));
}

TEST_F(AuditVerifyTest, InsertedCopyShiftsTheLogAndIsPinpointed) {
  std::vector<PresentedEvent> rows = log_.rows;
  PresentedEvent copy = rows[1];
  rows.insert(rows.begin() + 4, copy);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].seq = static_cast<int64_t>(i) + 1;
  }
  const VerifyReport report = Verify(rows);
  ExpectFirstBad(report, 5, 5);
}

TEST_F(AuditVerifyTest, CutTailIsPinpointedAfterTheLastEvent) {
  std::vector<PresentedEvent> rows = log_.rows;
  rows.resize(7);
  const VerifyReport report = Verify(rows);
  ExpectFirstBad(report, 8, 8);
  EXPECT_THAT(FormatVerifyReport(report), HasSubstr("the tail was cut"));
}

// Re-encoding and re-hashing an event by hand leaves no per-event trace; the
// signed roots still catch it and place it between two checkpoints.
TEST_F(AuditVerifyTest, ReencodedForgeryIsPlacedBetweenCheckpoints) {
  std::vector<PresentedEvent> rows = log_.rows;
  domain::AuditEvent forged = MakeEvent(6);
  forged.reason = "approved after all";
  rows[5] = Present(forged);
  const VerifyReport report = Verify(rows);
  ExpectFirstBad(report, 5, 8);
  EXPECT_THAT(FormatVerifyReport(report),
              HasSubstr("FAILED: first bad event is among seq 5..8\n"));
}

TEST_F(AuditVerifyTest, ForgedSignatureIsRejected) {
  log_.checkpoints[2].signature[10] ^= 0x01;
  const VerifyReport report = Verify(log_.rows);
  EXPECT_FALSE(report.verified());
  EXPECT_THAT(report.problems[0].message,
              HasSubstr("signature does not verify"));
  EXPECT_THAT(FormatVerifyReport(report), HasSubstr("FAILED"));
}

TEST_F(AuditVerifyTest, WrongPublicKeyIsRejected) {
  const audit::SigningKey other = *audit::SigningKey::Generate();
  const audit::VerifyingKey wrong =
      *audit::VerifyingKey::FromPem(other.PublicKeyPem());
  const VerifyReport report = Verify(log_.rows, std::nullopt, &wrong);
  EXPECT_FALSE(report.verified());
  EXPECT_EQ(report.problem_count, 3);
  EXPECT_THAT(report.problems[0].message, HasSubstr("not by the key given"));
}

// Whoever holds the signing key can rewrite the log and re-sign it; the
// checkpoint the auditor kept from before still exposes the rewrite.
TEST_F(AuditVerifyTest, KeptCheckpointExposesARewriteResignedWithTheKey) {
  const audit::Checkpoint kept = log_.checkpoints[1];
  domain::AuditEvent forged = MakeEvent(6);
  forged.reason = "approved after all";
  log_.rows[5] = Present(forged);
  log_.checkpoints = {Sign(log_.rows, 4, key_), Sign(log_.rows, 8, key_),
                      Sign(log_.rows, 10, key_)};
  EXPECT_TRUE(Verify(log_.rows).verified());
  const VerifyReport report = Verify(log_.rows, kept);
  EXPECT_FALSE(report.verified());
  EXPECT_THAT(FormatVerifyReport(report),
              HasSubstr("name different roots: the log was rewritten"));
}

TEST_F(AuditVerifyTest, LogWithoutCheckpointsSaysNothingBindsIt) {
  LogVerifier verifier(kDistrict, 1);
  for (const PresentedEvent& r : log_.rows) verifier.Add(r);
  VerifyInputs inputs;
  inputs.key = &public_;
  const VerifyReport report = verifier.Finish(inputs);
  EXPECT_TRUE(report.verified());
  ASSERT_EQ(report.notes.size(), 1u);
  EXPECT_THAT(report.notes[0], HasSubstr("no signature binds the log"));
}

// The batch path splits the work across threads; its report must read
// exactly as checking one event at a time does.
TEST_F(AuditVerifyTest, BatchOnAllCoresReportsExactlyAsOneByOne) {
  std::vector<PresentedEvent> rows;
  for (int64_t seq = 1; seq <= 12000; ++seq) {
    rows.push_back(Present(MakeEvent(seq)));
  }
  rows[100].readable->reason = "edited";  // seq 101
  rows.erase(rows.begin() + 7000);        // seq 7001 gone
  std::swap(rows[9000].canonical, rows[9001].canonical);
  rows[11000].canonical[3] ^= 0x01;  // a seq byte: moved
  const auto verify = [&](bool batch) {
    LogVerifier verifier(kDistrict, 1);
    if (batch) {
      verifier.AddAll(rows);
    } else {
      for (const PresentedEvent& r : rows) verifier.Add(r);
    }
    VerifyInputs inputs;
    inputs.key = &public_;
    return verifier.Finish(inputs);
  };
  const VerifyReport one = verify(false);
  const VerifyReport all = verify(true);
  EXPECT_EQ(FormatVerifyReport(all), FormatVerifyReport(one));
  EXPECT_EQ(all.problem_count, one.problem_count);
  ExpectFirstBad(all, 101, 101);
  EXPECT_GE(all.problem_count, 6);
}

// ------------------------------------------------------------------ slices

class SliceTest : public AuditVerifyTest {
 protected:
  // Events 3..7 of the tree of 10 as a bundle.
  Bundle SliceBundle() {
    Bundle b;
    b.district_id = kDistrict;
    b.exported_at = absl::FromUnixSeconds(1790009999);
    b.exported_by = "inspector";
    b.first_seq = 3;
    b.last_seq = 7;
    b.checkpoint = log_.checkpoints[2];
    const audit::MerkleTree tree(Leaves(log_.rows));
    b.range_proof = *tree.RangeProof(2, 7, 10);
    for (int64_t seq = 3; seq <= 7; ++seq) {
      const PresentedEvent& r = log_.rows[seq - 1];
      b.events.push_back({seq, r.canonical, *r.leaf_hash, std::nullopt});
    }
    return b;
  }
};

TEST_F(SliceTest, SliceVerifiesThroughJsonAndAgainstAKeptCheckpoint) {
  Bundle b = SliceBundle();
  const audit::MerkleTree tree(Leaves(log_.rows));
  b.consistency_from = 4;
  b.consistency_proof = *tree.ConsistencyProof(4, 10);
  ASSERT_OK_AND_ASSIGN(const Bundle read, BundleFromJson(BundleToJson(b)));
  ASSERT_TRUE(read.events[0].readable.has_value());
  EXPECT_EQ(*read.events[0].readable, MakeEvent(3));
  const VerifyReport report = VerifyBundle(read, public_, log_.checkpoints[0]);
  EXPECT_TRUE(report.verified()) << FormatVerifyReport(report);
  EXPECT_THAT(FormatVerifyReport(report),
              HasSubstr("is consistent with the bundle's"));
}

TEST_F(SliceTest, KeptCheckpointWithoutConsistencyProofCannotPass) {
  const VerifyReport report =
      VerifyBundle(SliceBundle(), public_, log_.checkpoints[0]);
  EXPECT_FALSE(report.verified());
  EXPECT_THAT(report.problems[0].message, HasSubstr("export it again"));
}

TEST_F(SliceTest, EditedReadableFormInTheFileIsPinpointed) {
  ASSERT_OK_AND_ASSIGN(Bundle b, BundleFromJson(BundleToJson(SliceBundle())));
  b.events[2].readable->details["hours"] = "1";
  const VerifyReport report = VerifyBundle(b, public_, std::nullopt);
  ExpectFirstBad(report, 5, 5);
  EXPECT_THAT(report.problems[0].message, HasSubstr("details.hours"));
}

// Found by the audit event fuzzer (tests/fuzz/): an event whose text is not
// UTF-8 - bytes edited into the database, the server records UTF-8 only -
// made `BundleToJson` throw (nlohmann's type_error 316), so `taskgate audit
// export` wrote no bundle at all. Now the bundle is written, that event
// without a readable form, and verifying it pinpoints the event.
TEST_F(SliceTest, EventWhoseTextIsNotUtf8IsExportedAndPinpointed) {
  Bundle b = SliceBundle();
  domain::AuditEvent edited = MakeEvent(5);
  edited.reason = "approved \xb5";
  b.events[2].canonical = EncodeAuditEvent(edited);
  ASSERT_OK_AND_ASSIGN(const Bundle read, BundleFromJson(BundleToJson(b)));
  EXPECT_TRUE(read.events[1].readable.has_value());
  EXPECT_FALSE(read.events[2].readable.has_value());
  ExpectFirstBad(VerifyBundle(read, public_, std::nullopt), 5, 5);
}

TEST_F(SliceTest, DroppedLastEventOfASliceIsPinpointed) {
  Bundle b = SliceBundle();
  b.events.pop_back();
  const VerifyReport report = VerifyBundle(b, public_, std::nullopt);
  ExpectFirstBad(report, 7, 7);
}

TEST_F(SliceTest, KeptCheckpointLargerThanTheBundleMeansACutTail) {
  const audit::Checkpoint larger = Sign(
      [&] {
        std::vector<PresentedEvent> rows = log_.rows;
        rows.push_back(Present(MakeEvent(11)));
        return rows;
      }(),
      11, key_);
  const VerifyReport report = VerifyBundle(SliceBundle(), public_, larger);
  ExpectFirstBad(report, 11, 11);
}

TEST_F(SliceTest, WholeLogBundleChecksEveryCheckpoint) {
  Bundle b;
  b.district_id = kDistrict;
  b.exported_at = absl::FromUnixSeconds(1790009999);
  b.first_seq = 1;
  b.last_seq = 10;
  b.checkpoint = log_.checkpoints[2];
  b.checkpoints = {log_.checkpoints[0], log_.checkpoints[1]};
  for (const PresentedEvent& r : log_.rows) {
    b.events.push_back({r.seq, r.canonical, *r.leaf_hash, std::nullopt});
  }
  VerifyReport report = VerifyBundle(b, public_, std::nullopt);
  EXPECT_TRUE(report.verified()) << FormatVerifyReport(report);
  EXPECT_EQ(report.checked.size(), 4u);
  std::swap(b.events[7].canonical, b.events[8].canonical);
  report = VerifyBundle(b, public_, std::nullopt);
  ExpectFirstBad(report, 8, 8);
}

TEST(AuditBundle, ReadingNamesTheMalformedMember) {
  EXPECT_THAT(BundleFromJson("{"), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("not valid JSON")));
  EXPECT_THAT(BundleFromJson(R"({"format": "other"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("format is \"other\"")));
  EXPECT_THAT(BundleFromJson(R"({"format": "taskgate-audit-bundle/v1"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("district_id is missing")));
}

TEST(AuditBundle, ReadableEventOfTextThatIsNotUtf8HasReplacements) {
  domain::AuditEvent e = MakeEvent(3);
  e.details["note"] = "a\xff";
  ASSERT_OK_AND_ASSIGN(domain::AuditEvent back,
                       AuditEventFromReadableJson(AuditEventToReadableJson(e)));
  EXPECT_EQ(back.details["note"], "a\xEF\xBF\xBD");  // U+FFFD
}

TEST(AuditBundle, ReadableEventRoundTripsExactly) {
  const domain::AuditEvent e = MakeEvent(3);
  ASSERT_OK_AND_ASSIGN(domain::AuditEvent back,
                       AuditEventFromReadableJson(AuditEventToReadableJson(e)));
  back.district_id = e.district_id;
  EXPECT_EQ(back, e);
}

}  // namespace
}  // namespace taskgate::audit
