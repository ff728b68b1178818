// The tampering suite (SPEC §7): a real server records a district's work and
// signs checkpoints of its log every few events; an auditor keeps the newest
// checkpoint and the public key; the server stops. Then someone with the
// database file opens it with plain SQLite, drops the append-only triggers
// and edits a field, deletes, inserts, swaps or renumbers events, cuts the
// tail, re-encodes an event by hand, or forges a checkpoint's signature.
//
// Each kind is checked on both paths an auditor has:
//  (a) the file itself: `VerifyStoredLog`, which `taskgated --verify-db`
//      runs and prints with `FormatVerifyReport`;
//  (b) the server restarted on the file: it must notice at start (and stop
//      signing, or refuse to start), and a bundle exported through the API
//      exactly as `taskgate audit export` assembles it must fail
//      `VerifyBundle` against the kept checkpoint;
// naming the same first bad sequence number on both.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/bundle.h"
#include "audit/checkpoint.h"
#include "audit/encoding.h"
#include "audit/log_verifier.h"
#include "audit/merkle.h"
#include "audit/signing.h"
#include "clients/audit_proto.h"
#include "common/status_macros.h"
#include "tests/e2e/e2e_fixture.h"
#include "workflow/audit_ledger.h"

namespace taskgate::e2e {
namespace {

using audit::FormatVerifyReport;
using audit::VerifyReport;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kDistrict[] = "default";
constexpr char kRejectReason[] = "the district survey already covers this";
constexpr char kReturnReason[] = "cite the article of the legal basis";

std::string HashBytes(const audit::Hash& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

// The database file as anyone holding it sees it: plain SQLite, no store,
// no foreign keys, and the append-only triggers dropped on open.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    rc_ = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
    if (rc_ == SQLITE_OK) {
      rc_ = sqlite3_exec(db_,
                         "DROP TRIGGER IF EXISTS audit_events_no_update;"
                         "DROP TRIGGER IF EXISTS audit_events_no_delete;"
                         "DROP TRIGGER IF EXISTS "
                         "audit_event_communities_no_update;"
                         "DROP TRIGGER IF EXISTS "
                         "audit_event_communities_no_delete;"
                         "DROP TRIGGER IF EXISTS checkpoints_no_update;"
                         "DROP TRIGGER IF EXISTS checkpoints_no_delete;",
                         nullptr, nullptr, nullptr);
    }
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  absl::Status status() const {
    if (rc_ == SQLITE_OK) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("open: ", sqlite3_errstr(rc_)));
  }

  // Runs one statement with `blobs` bound to ?1, ?2, ...
  absl::Status Run(const std::string& sql,
                   const std::vector<std::string>& blobs = {}) {
    return Query(sql, blobs, nullptr);
  }

  // The first column of every row, as bytes.
  absl::StatusOr<std::vector<std::string>> Column(const std::string& sql) {
    std::vector<std::string> rows;
    TASKGATE_RETURN_IF_ERROR(Query(sql, {}, &rows));
    return rows;
  }

  absl::StatusOr<std::string> One(const std::string& sql) {
    TASKGATE_ASSIGN_OR_RETURN(std::vector<std::string> rows, Column(sql));
    if (rows.size() != 1) {
      return absl::InternalError(
          absl::StrCat(rows.size(), " rows from: ", sql));
    }
    return rows[0];
  }

 private:
  absl::Status Query(const std::string& sql,
                     const std::vector<std::string>& blobs,
                     std::vector<std::string>* rows) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return absl::InternalError(absl::StrCat(sql, ": ", sqlite3_errmsg(db_)));
    }
    for (size_t i = 0; i < blobs.size(); ++i) {
      sqlite3_bind_blob(stmt, static_cast<int>(i + 1), blobs[i].data(),
                        static_cast<int>(blobs[i].size()), SQLITE_TRANSIENT);
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (rows == nullptr) continue;
      const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, 0));
      rows->emplace_back(data == nullptr ? "" : data,
                         static_cast<size_t>(sqlite3_column_bytes(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
      return absl::InternalError(absl::StrCat(sql, ": ", sqlite3_errmsg(db_)));
    }
    return absl::OkStatus();
  }

  sqlite3* db_ = nullptr;
  int rc_ = SQLITE_OK;
};

// Checks that `report` failed with `seq` as its exact first bad event.
void ExpectFirstBad(const VerifyReport& report, int64_t seq) {
  const std::string text = FormatVerifyReport(report);
  EXPECT_FALSE(report.verified()) << text;
  ASSERT_TRUE(report.first_bad.has_value()) << text;
  EXPECT_EQ(report.first_bad->first, seq) << text;
  EXPECT_EQ(report.first_bad->last, seq) << text;
  EXPECT_THAT(text, HasSubstr(absl::StrCat("\nFAILED: first bad event is seq ",
                                           seq, "\n")));
}

// Checks that `report` failed, placing the first bad event in first..last.
void ExpectFirstBadAmong(const VerifyReport& report, int64_t first,
                         int64_t last) {
  const std::string text = FormatVerifyReport(report);
  EXPECT_FALSE(report.verified()) << text;
  ASSERT_TRUE(report.first_bad.has_value()) << text;
  EXPECT_EQ(report.first_bad->first, first) << text;
  EXPECT_EQ(report.first_bad->last, last) << text;
  EXPECT_THAT(text,
              HasSubstr(absl::StrCat("\nFAILED: first bad event is among seq ",
                                     first, "..", last, "\n")));
}

// The messages of the report's problems, one per line.
std::string Problems(const VerifyReport& report) {
  std::string out;
  for (const audit::VerifyProblem& p : report.problems) {
    absl::StrAppend(&out, p.message, "\n");
  }
  return out;
}

class TamperTest : public E2eTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.checkpoint_every_events = 4;
  }

  // Records work, keeps a checkpoint and the key, and stops the server
  // (which signs nothing more: the kept checkpoint covers the whole log).
  void SetUp() override {
    E2eTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(Decided("t-1", Step::kApprove, ""));
    ASSERT_NO_FATAL_FAILURE(Decided("t-2", Step::kReject, kRejectReason));
    ASSERT_NO_FATAL_FAILURE(Decided("t-3", Step::kReturn, kReturnReason));
    ASSERT_NO_FATAL_FAILURE(Decided("t-4", Step::kApprove, ""));
    ASSERT_NO_FATAL_FAILURE(Decided("t-5", std::nullopt, ""));

    ASSERT_OK_AND_ASSIGN(
        v1::Checkpoint latest,
        Call(auditor_, *audit_, &AuditStub::GetLatestCheckpoint,
             v1::GetLatestCheckpointRequest()));
    ASSERT_OK_AND_ASSIGN(kept_, audit::CheckpointFromJson(latest.json()));
    ASSERT_OK_AND_ASSIGN(v1::LogInfo info, LogInfo());
    ASSERT_OK_AND_ASSIGN(key_,
                         audit::VerifyingKey::FromPem(info.public_key_pem()));
    EXPECT_THAT(info.signing_refused(), IsEmpty());
    StopServer();

    RawDb db(db_path_);
    ASSERT_THAT(db.status(), IsOk());
    ASSERT_OK_AND_ASSIGN(std::string max,
                         db.One("SELECT max(seq) FROM audit_events"));
    n_ = std::stoll(max);
    ASSERT_OK_AND_ASSIGN(
        std::vector<std::string> sizes,
        db.Column("SELECT tree_size FROM checkpoints ORDER BY tree_size"));
    for (const std::string& s : sizes) sizes_.push_back(std::stoll(s));
    // Several checkpoints, the newest the one the auditor kept.
    ASSERT_GE(sizes_.size(), 5u);
    ASSERT_EQ(sizes_.back(), n_);
    ASSERT_EQ(kept_->tree_size, n_);
    ASSERT_OK_AND_ASSIGN(approve_, SeqOf("task.approve", "t-1"));
    ASSERT_OK_AND_ASSIGN(reject_, SeqOf("task.reject", "t-2"));
    // The tampering below needs a few events after the reject.
    ASSERT_LT(approve_, reject_);
    ASSERT_LT(reject_ + 8, n_);
  }

  // A clean task of the clerk's, submitted, claimed and decided with `step`
  // (none: left submitted). The server signs a checkpoint after any call
  // that leaves four events uncovered.
  void Decided(const std::string& id, std::optional<Step> step,
               const std::string& reason) {
    ASSERT_THAT(CreateTask(clerk_, CleanAssistSpec(), id), IsOk());
    ASSERT_THAT(Act(clerk_, Step::kSubmit, id), IsOk());
    if (!step.has_value()) return;
    ASSERT_THAT(Act(reviewer_, Step::kClaim, id), IsOk());
    ASSERT_THAT(Act(reviewer_, *step, id, reason), IsOk());
  }

  absl::StatusOr<int64_t> SeqOf(const std::string& action,
                                const std::string& task_id) {
    RawDb db(db_path_);
    TASKGATE_RETURN_IF_ERROR(db.status());
    TASKGATE_ASSIGN_OR_RETURN(
        std::string seq,
        db.One(absl::StrCat("SELECT seq FROM audit_events WHERE action = '",
                            action, "' AND entity_id = '", task_id, "'")));
    return std::stoll(seq);
  }

  // Runs `statements` on the file, triggers dropped, in one transaction.
  void Tamper(const std::vector<std::string>& statements,
              const std::vector<std::string>& blobs = {}) {
    RawDb db(db_path_);
    ASSERT_THAT(db.status(), IsOk());
    ASSERT_THAT(db.Run("BEGIN"), IsOk());
    for (const std::string& sql : statements) {
      ASSERT_THAT(db.Run(sql, blobs), IsOk());
    }
    ASSERT_THAT(db.Run("COMMIT"), IsOk());
  }

  absl::StatusOr<std::string> Canonical(int64_t seq) {
    RawDb db(db_path_);
    TASKGATE_RETURN_IF_ERROR(db.status());
    return db.One(
        absl::StrCat("SELECT canonical FROM audit_events WHERE seq = ", seq));
  }

  // Path (a): what `taskgated --verify-db FILE` reports.
  absl::StatusOr<VerifyReport> VerifyDbFile(
      const audit::VerifyingKey& key,
      const std::optional<audit::Checkpoint>& kept) {
    TASKGATE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                              store::OpenSqliteStore(db_path_));
    return workflow::VerifyStoredLog(*store, kDistrict, key, kept);
  }

  absl::StatusOr<v1::LogInfo> LogInfo() {
    return Call(auditor_, *audit_, &AuditStub::GetLogInfo,
                v1::GetLogInfoRequest());
  }

  // Path (b): the whole-log bundle as `taskgate audit export --checkpoint
  // kept.json` assembles it (ExportBundle, then ListEvents of its run).
  absl::StatusOr<audit::Bundle> ExportBundle() {
    v1::ExportBundleRequest request;
    request.set_since_tree_size(kept_->tree_size);
    TASKGATE_ASSIGN_OR_RETURN(
        v1::BundleHeader h,
        Call(auditor_, *audit_, &AuditStub::ExportBundle, request));
    v1::ListEventsRequest r;
    r.set_start_seq(h.first_seq());
    r.set_end_seq(h.last_seq());
    r.set_include_canonical(true);
    return clients::AssembleBundle(request, h, Events(r));
  }

  // Restarts on the file, expects the server to have stopped signing with a
  // reason containing `refused`, and verifies the exported bundle.
  absl::StatusOr<VerifyReport> VerifyExport(const std::string& refused) {
    TASKGATE_RETURN_IF_ERROR(OpenServer());
    TASKGATE_ASSIGN_OR_RETURN(v1::LogInfo info, LogInfo());
    if (refused.empty()) {
      EXPECT_THAT(info.signing_refused(), IsEmpty());
    } else {
      EXPECT_THAT(
          info.signing_refused(),
          AllOf(HasSubstr("failed verification at start"), HasSubstr(refused)));
    }
    TASKGATE_ASSIGN_OR_RETURN(audit::Bundle bundle, ExportBundle());
    EXPECT_EQ(bundle.first_seq, 1);
    EXPECT_EQ(static_cast<int64_t>(bundle.events.size()), bundle.last_seq);
    last_bundle_ = bundle;
    return audit::VerifyBundle(bundle, *key_, kept_);
  }

  // The newest checkpoint size below `seq` and the oldest at or above it.
  std::pair<int64_t, int64_t> CheckpointsAround(int64_t seq) const {
    int64_t below = 0;
    int64_t above = 0;
    for (int64_t size : sizes_) {
      if (size < seq) below = size;
      if (size >= seq && above == 0) above = size;
    }
    return {below, above};
  }

  std::optional<audit::Checkpoint> kept_;
  std::optional<audit::VerifyingKey> key_;
  int64_t n_ = 0;               // events in the log
  std::vector<int64_t> sizes_;  // stored checkpoint sizes, ascending
  int64_t approve_ = 0;         // seq of t-1's approval
  int64_t reject_ = 0;          // seq of t-2's rejection
  audit::Bundle last_bundle_;
};

TEST_F(TamperTest, UntouchedLogVerifiesOnBothPaths) {
  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(*key_, kept_));
  EXPECT_TRUE(db.verified()) << FormatVerifyReport(db);
  EXPECT_EQ(db.events, n_);
  EXPECT_THAT(FormatVerifyReport(db),
              HasSubstr(absl::StrCat("\nVERIFIED: ", n_, " events (seq 1..", n_,
                                     ")\n")));

  ASSERT_OK_AND_ASSIGN(VerifyReport bundle, VerifyExport(""));
  EXPECT_TRUE(bundle.verified()) << FormatVerifyReport(bundle);
  EXPECT_EQ(last_bundle_.last_seq, n_);
  EXPECT_EQ(last_bundle_.checkpoint.tree_size, n_);
  EXPECT_EQ(last_bundle_.checkpoints.size(), sizes_.size() - 1);
}

// An index column edited with SQL: the file check compares the columns with
// the canonical bytes. The API serves the canonical bytes, so the bundle
// (built from them) does not carry the edit and verifies; the server,
// checking the file at start, refuses to sign.
TEST_F(TamperTest, EditedReasonColumnIsPinpointedByVerifyDb) {
  ASSERT_NO_FATAL_FAILURE(
      Tamper({absl::StrCat("UPDATE audit_events SET reason = 'approved after "
                           "all' WHERE seq = ",
                           reject_)}));

  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(*key_, kept_));
  ExpectFirstBad(db, reject_);
  EXPECT_THAT(Problems(db),
              HasSubstr(absl::StrCat(
                  "seq ", reject_,
                  ": reason: the readable form says \"approved after all\", "
                  "the recorded event says \"",
                  kRejectReason, "\"")));
  EXPECT_EQ(db.problem_count, 1);

  ASSERT_OK_AND_ASSIGN(VerifyReport bundle,
                       VerifyExport(absl::StrCat("seq ", reject_, ": reason")));
  EXPECT_TRUE(bundle.verified()) << FormatVerifyReport(bundle);
}

// Every readable column of an event edited alone, in turn (and put back
// after): the file check names each, at the edited event, and the file
// verifies again once it is put back.
TEST_F(TamperTest, EveryEditedReadableColumnIsPinpointedByVerifyDb) {
  struct Column {
    std::string name;      // in audit_events
    std::string type;      // its SQLite type, to put it back
    std::string tampered;  // an SQL expression
    std::string named;     // what the report calls it
  };
  const std::vector<Column> columns = {
      {"time", "INTEGER", "time + 1", "time"},
      {"actor_id", "TEXT", "'rev-2'", "actor_id"},
      {"actor_role", "TEXT", "'auditor'", "actor_role"},
      {"action", "TEXT", "'task.approve'", "action"},
      {"entity_type", "TEXT", "'complaint'", "entity_type"},
      {"entity_id", "TEXT", "'t-1'", "entity_id"},
      {"state_before", "TEXT", "'DRAFT'", "state_before"},
      {"state_after", "TEXT", "'ACTIVE'", "state_after"},
      {"reason", "TEXT", "''", "reason"},
      {"request_id", "TEXT", "'req-forged'", "request_id"},
      {"department_id", "TEXT", "'housing'", "department_id"},
      {"leaf_hash", "BLOB", "zeroblob(32)",
       "the stored leaf hash does not match the canonical bytes"},
  };
  const std::string where = absl::StrCat(" WHERE seq = ", reject_);
  for (const Column& c : columns) {
    SCOPED_TRACE(c.name);
    RawDb db(db_path_);
    ASSERT_THAT(db.status(), IsOk());
    ASSERT_OK_AND_ASSIGN(
        std::string original,
        db.One(absl::StrCat("SELECT ", c.name, " FROM audit_events", where)));
    ASSERT_NO_FATAL_FAILURE(Tamper({absl::StrCat(
        "UPDATE audit_events SET ", c.name, " = ", c.tampered, where)}));

    ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyDbFile(*key_, kept_));
    ExpectFirstBad(report, reject_);
    EXPECT_THAT(Problems(report),
                HasSubstr(absl::StrCat("seq ", reject_, ": ", c.named)));

    const std::string put_back =
        c.type == "BLOB" ? "?1" : absl::StrCat("CAST(?1 AS ", c.type, ")");
    ASSERT_NO_FATAL_FAILURE(
        Tamper({absl::StrCat("UPDATE audit_events SET ", c.name, " = ",
                             put_back, where)},
               {original}));
    ASSERT_OK_AND_ASSIGN(VerifyReport restored, VerifyDbFile(*key_, kept_));
    EXPECT_TRUE(restored.verified()) << FormatVerifyReport(restored);
  }

  // The communities live in their own table, one row each.
  ASSERT_NO_FATAL_FAILURE(Tamper({absl::StrCat(
      "UPDATE audit_event_communities SET community_id = 'c3' WHERE seq = ",
      reject_, " AND community_id = 'c1'")}));
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyDbFile(*key_, kept_));
  ExpectFirstBad(report, reject_);
  EXPECT_THAT(Problems(report),
              HasSubstr(absl::StrCat("seq ", reject_, ": community_ids")));
}

// A byte of the reason changed inside the canonical encoding (same length,
// so it still decodes); the stored leaf hash is left as it was.
TEST_F(TamperTest, EditedCanonicalBytesArePinpointedOnBothPaths) {
  ASSERT_OK_AND_ASSIGN(std::string canonical, Canonical(reject_));
  const size_t at = canonical.find(kRejectReason);
  ASSERT_NE(at, std::string::npos);
  canonical[at + 4] = 'D';  // "the District survey ..."
  ASSERT_NO_FATAL_FAILURE(Tamper(
      {absl::StrCat("UPDATE audit_events SET canonical = ?1 WHERE seq = ",
                    reject_)},
      {canonical}));

  const std::string leaf_problem =
      absl::StrCat("seq ", reject_,
                   ": the stored leaf hash does not match the canonical bytes");
  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(*key_, kept_));
  ExpectFirstBad(db, reject_);
  EXPECT_THAT(Problems(db), HasSubstr(leaf_problem));

  ASSERT_OK_AND_ASSIGN(VerifyReport bundle, VerifyExport(leaf_problem));
  ExpectFirstBad(bundle, reject_);
  EXPECT_THAT(Problems(bundle), HasSubstr(leaf_problem));
  EXPECT_EQ(last_bundle_.last_seq, n_);
}

// A row deleted and the rest left in place: the file check finds the gap;
// the server will not even start on it.
TEST_F(TamperTest, DeletedEventLeavesAGapThatStopsTheServer) {
  ASSERT_NO_FATAL_FAILURE(Tamper({
      absl::StrCat("DELETE FROM audit_event_communities WHERE seq = ", reject_),
      absl::StrCat("DELETE FROM audit_events WHERE seq = ", reject_),
  }));

  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(*key_, kept_));
  ExpectFirstBad(db, reject_);
  EXPECT_THAT(Problems(db),
              HasSubstr(absl::StrCat("seq ", reject_,
                                     " is missing: the log jumps from ",
                                     reject_ - 1, " to ", reject_ + 1)));

  EXPECT_THAT(OpenServer(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(absl::StrCat("damaged at seq ", reject_))));
}

// A row deleted and the later ones renumbered down to close the gap.
TEST_F(TamperTest, DeletedAndRenumberedEventIsPinpointedOnBothPaths) {
  std::vector<std::string> sql;
  for (const char* table : {"audit_event_communities", "audit_events"}) {
    sql.push_back(
        absl::StrCat("DELETE FROM ", table, " WHERE seq = ", reject_));
    sql.push_back(absl::StrCat(
        "UPDATE ", table, " SET seq = seq + 1000000 WHERE seq > ", reject_));
    sql.push_back(absl::StrCat("UPDATE ", table,
                               " SET seq = seq - 1000001 WHERE seq > 1000000"));
  }
  ASSERT_NO_FATAL_FAILURE(Tamper(sql));

  const std::string moved =
      absl::StrCat("seq ", reject_, ": this position holds the event ",
                   "recorded as seq ", reject_ + 1);
  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(*key_, kept_));
  ExpectFirstBad(db, reject_);
  EXPECT_THAT(Problems(db), HasSubstr(moved));

  ASSERT_OK_AND_ASSIGN(VerifyReport bundle, VerifyExport(moved));
  ExpectFirstBad(bundle, reject_);
  EXPECT_THAT(Problems(bundle), HasSubstr(moved));
  // The server exports against the newest checkpoint the shorter log still
  // reaches, with every event it still stores.
  EXPECT_EQ(last_bundle_.checkpoint.tree_size, sizes_[sizes_.size() - 2]);
  EXPECT_EQ(last_bundle_.last_seq, n_ - 1);
}

// A copy of t-1's approval inserted before t-2's rejection, the rows from
// there shifted up by one. The bundle names the copy where it sits because
// the API reports each event's position in the log, not the seq inside its
// bytes (this test caught the bug when it did).
TEST_F(TamperTest, InsertedEventIsPinpointedOnBothPaths) {
  std::vector<std::string> sql;
  for (const char* table : {"audit_event_communities", "audit_events"}) {
    // Two steps: the primary key must not collide midway.
    sql.push_back(absl::StrCat(
        "UPDATE ", table, " SET seq = seq + 1000000 WHERE seq >= ", reject_));
    sql.push_back(absl::StrCat("UPDATE ", table,
                               " SET seq = seq - 999999 WHERE seq > 1000000"));
  }
  sql.push_back(absl::StrCat(
      "INSERT INTO audit_events SELECT district_id, ", reject_,
      ", time, actor_id, actor_role, action, entity_type, entity_id, "
      "state_before, state_after, reason, request_id, department_id, "
      "canonical, leaf_hash FROM audit_events WHERE seq = ",
      approve_));
  sql.push_back(absl::StrCat(
      "INSERT INTO audit_event_communities SELECT district_id, ", reject_,
      ", community_id FROM audit_event_communities WHERE seq = ", approve_));
  ASSERT_NO_FATAL_FAILURE(Tamper(sql));

  const std::string moved =
      absl::StrCat("seq ", reject_, ": this position holds the event ",
                   "recorded as seq ", approve_);
  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(*key_, kept_));
  ExpectFirstBad(db, reject_);
  EXPECT_THAT(Problems(db), HasSubstr(moved));

  ASSERT_OK_AND_ASSIGN(VerifyReport bundle, VerifyExport(moved));
  ExpectFirstBad(bundle, reject_);
  EXPECT_THAT(Problems(bundle), HasSubstr(moved));
  EXPECT_EQ(last_bundle_.last_seq, n_ + 1);
}

// t-1's approval and t-2's rejection exchange places.
TEST_F(TamperTest, SwappedEventsArePinpointedOnBothPaths) {
  std::vector<std::string> sql;
  for (const char* table : {"audit_event_communities", "audit_events"}) {
    sql.push_back(absl::StrCat("UPDATE ", table,
                               " SET seq = 1000000 WHERE seq = ", approve_));
    sql.push_back(absl::StrCat("UPDATE ", table, " SET seq = ", approve_,
                               " WHERE seq = ", reject_));
    sql.push_back(absl::StrCat("UPDATE ", table, " SET seq = ", reject_,
                               " WHERE seq = 1000000"));
  }
  ASSERT_NO_FATAL_FAILURE(Tamper(sql));

  const std::string moved =
      absl::StrCat("seq ", approve_, ": this position holds the event ",
                   "recorded as seq ", reject_);
  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(*key_, kept_));
  ExpectFirstBad(db, approve_);
  EXPECT_THAT(Problems(db), HasSubstr(moved));

  // As the bundle's events carry the seq their bytes name (see
  // InsertedEventIsPinpointedOnBothPaths), it reports the swap as a gap
  // and a repeat, but at the same first seq.
  ASSERT_OK_AND_ASSIGN(VerifyReport bundle, VerifyExport(moved));
  ExpectFirstBad(bundle, approve_);
}

// Everything from t-2's rejection on is cut, with the checkpoints that
// covered it: the file is consistent in itself. The checkpoint the auditor
// kept shows the cut, and so does the server's own head file.
TEST_F(TamperTest, TruncatedTailIsCaughtByTheServersHeadAndTheKeptCheckpoint) {
  const int64_t m = reject_ - 1;
  ASSERT_NO_FATAL_FAILURE(Tamper({
      absl::StrCat("DELETE FROM audit_event_communities WHERE seq > ", m),
      absl::StrCat("DELETE FROM audit_events WHERE seq > ", m),
      absl::StrCat("DELETE FROM checkpoints WHERE tree_size > ", m),
  }));

  const std::string cut = absl::StrCat(
      "seq ", m + 1, "..", n_, " are missing: the log ends at seq ", m,
      " but your kept checkpoint of size ", n_);
  // The checkpoints above the cut went with it, so the log alone looks
  // whole; but the tables still hold what the cut events wrote: t-2 is
  // rejected there, claimed in what is left of the log.
  ASSERT_OK_AND_ASSIGN(VerifyReport alone, VerifyDbFile(*key_, std::nullopt));
  EXPECT_EQ(alone.problem_count, 0) << FormatVerifyReport(alone);
  EXPECT_THAT(absl::StrJoin(alone.table_problems, "\n"),
              HasSubstr("task t-2 field"))
      << FormatVerifyReport(alone);
  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(*key_, kept_));
  ExpectFirstBad(db, m + 1);
  EXPECT_THAT(Problems(db), HasSubstr(cut));

  // The server kept its last signed checkpoint beside its key, so it sees
  // the cut at start and stops signing.
  ASSERT_OK_AND_ASSIGN(
      VerifyReport bundle,
      VerifyExport(absl::StrCat("seq ", m + 1, "..", n_,
                                " are missing: the log ends at seq ", m,
                                " but the server's last signed checkpoint")));
  ExpectFirstBad(bundle, m + 1);
  EXPECT_THAT(Problems(bundle), HasSubstr(cut));
  // Every event still stored, past the newest checkpoint that survived.
  EXPECT_EQ(last_bundle_.last_seq, m);
  EXPECT_LT(last_bundle_.checkpoint.tree_size, m);
  EXPECT_TRUE(
      audit::VerifyBundle(last_bundle_, *key_, std::nullopt).verified());
}

// A forger who re-encodes the event and recomputes its leaf hash and index
// column leaves every per-event check intact; only the signed roots catch
// it, between the last checkpoint before the event and the first after.
TEST_F(TamperTest, ReEncodedForgeryIsPlacedBetweenTwoCheckpoints) {
  ASSERT_OK_AND_ASSIGN(std::string canonical, Canonical(reject_));
  ASSERT_OK_AND_ASSIGN(domain::AuditEvent event,
                       audit::DecodeAuditEvent(canonical));
  ASSERT_EQ(event.reason, kRejectReason);
  event.reason = "approved after all";
  const std::string forged = audit::EncodeAuditEvent(event);
  ASSERT_NO_FATAL_FAILURE(Tamper(
      {absl::StrCat("UPDATE audit_events SET canonical = ?1, leaf_hash = ?2, "
                    "reason = 'approved after all' WHERE seq = ",
                    reject_)},
      {forged, HashBytes(audit::LeafHash(forged))}));

  const auto [below, above] = CheckpointsAround(reject_);
  ASSERT_GT(below, 0);
  ASSERT_GT(above, below + 1);
  const std::string root_problem =
      absl::StrCat("the events up to seq ", above, " do not give the root of ",
                   "the log's checkpoint of size ", above);
  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(*key_, kept_));
  ExpectFirstBadAmong(db, below + 1, above);
  EXPECT_THAT(Problems(db), HasSubstr(root_problem));
  EXPECT_THAT(Problems(db), Not(HasSubstr("leaf hash")));

  ASSERT_OK_AND_ASSIGN(VerifyReport bundle, VerifyExport(root_problem));
  ExpectFirstBadAmong(bundle, below + 1, above);
  EXPECT_THAT(Problems(bundle), HasSubstr(root_problem));
}

// Rows edited with the log left intact (SPEC §7): each event carries what
// its change wrote, so the file check names each edited row with its field,
// and the restarted server refuses to sign, as for an altered log.
TEST_F(TamperTest, EditedRowsAreNamedAndTheServerStopsSigning) {
  ASSERT_NO_FATAL_FAILURE(Tamper({
      "UPDATE tasks SET body = json_set(body, "
      "'$.spec.hours_per_community_month', 80.0) WHERE id = 't-1'",
      "UPDATE communities SET body = json_set(body, "
      "'$.monthly_capacity_hours', 999.0) WHERE id = 'c2'",
      "UPDATE catalog_versions SET body = json_set(body, '$.items[0].kind', "
      "'negative') WHERE version = 1",
      "UPDATE principals SET role = 'admin' WHERE id = 'clerk-housing'",
  }));
  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(*key_, kept_));
  const std::string text = FormatVerifyReport(db);
  EXPECT_FALSE(db.verified()) << text;
  EXPECT_EQ(db.problem_count, 0) << text;
  EXPECT_THAT(text,
              AllOf(HasSubstr("task t-1 field spec.hours_per_community_month "
                              "is \"80.0\" in the tables, but the log"),
                    HasSubstr("community c2 field monthly_capacity_hours is "
                              "\"999.0\" in the tables"),
                    HasSubstr("catalog 1 field items is "),
                    HasSubstr("principal clerk-housing: column role is "
                              "\"admin\" but the body's role says "
                              "\"department\"")));

  ASSERT_THAT(OpenServer(), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::LogInfo info, LogInfo());
  EXPECT_THAT(info.signing_refused(),
              AllOf(HasSubstr("failed verification at start"),
                    HasSubstr("principal clerk-housing: column role"),
                    HasSubstr("catalog 1 field items")));
}

// The head file beside the key is part of the record: a server that cannot
// read it does not sign, rather than sign a log it could not check.
TEST_F(TamperTest, UnreadableHeadFileStopsSigning) {
  {
    std::ofstream head(config_.signing_key_file + ".head", std::ios::trunc);
    head << "{\"format\": \"not a checkpoint\"}";
  }
  ASSERT_THAT(OpenServer(), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::LogInfo info, LogInfo());
  EXPECT_THAT(info.signing_refused(),
              AllOf(HasSubstr("could not be checked at start"),
                    HasSubstr("is unreadable")));
  // The operator's alarm.
  ASSERT_THAT(server_->TickNow(), IsOk());
  EXPECT_THAT(server_->metrics().Serialize(),
              HasSubstr("taskgate_audit_signing_refused 1\n"));
}

// Once the log was found altered, the server signs nothing more: not when
// events pass the checkpoint threshold, not when the interval passes, not
// at shutdown. The head file beside the key keeps the checkpoint signed
// before the alteration, and the operator's alarm stays on. (Issue 15: a
// ledger that ignored its refusal and signed again survived the suite.)
TEST_F(TamperTest, AnAlteredLogIsNeverSignedAgain) {
  ASSERT_NO_FATAL_FAILURE(
      Tamper({absl::StrCat("UPDATE audit_events SET reason = 'approved after "
                           "all' WHERE seq = ",
                           reject_)}));
  const std::string head_path = config_.signing_key_file + ".head";
  auto read_head = [&head_path] {
    std::ifstream in(head_path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  };
  const std::string head = read_head();
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint kept_head,
                       audit::CheckpointFromJson(head));
  ASSERT_EQ(kept_head.tree_size, n_);

  ASSERT_THAT(OpenServer(), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::LogInfo info, LogInfo());
  ASSERT_THAT(info.signing_refused(),
              HasSubstr("failed verification at start"));
  // More events than the threshold of four, then past the interval.
  ASSERT_NO_FATAL_FAILURE(Decided("t-6", Step::kApprove, ""));
  ASSERT_NO_FATAL_FAILURE(Decided("t-7", Step::kReject, kRejectReason));
  ASSERT_GT(TreeSize(), n_ + 4);
  clock_.Advance(absl::Seconds(config_.checkpoint_interval_seconds + 1));
  ASSERT_THAT(server_->TickNow(), IsOk());
  EXPECT_THAT(server_->metrics().Serialize(),
              HasSubstr("taskgate_audit_signing_refused 1\n"));
  // The shutdown checkpoint, forced when signing is allowed, is not either.
  StopServer();

  RawDb db(db_path_);
  ASSERT_THAT(db.status(), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string checkpoints,
                       db.One("SELECT count(*) FROM checkpoints"));
  EXPECT_EQ(std::stoll(checkpoints), static_cast<int64_t>(sizes_.size()));
  ASSERT_OK_AND_ASSIGN(std::string newest,
                       db.One("SELECT max(tree_size) FROM checkpoints"));
  EXPECT_EQ(std::stoll(newest), n_);
  EXPECT_EQ(read_head(), head);

  // Started again, it still refuses, and says so on /metrics.
  ASSERT_THAT(OpenServer(), IsOk());
  ASSERT_THAT(server_->TickNow(), IsOk());
  EXPECT_THAT(server_->metrics().Serialize(),
              HasSubstr("taskgate_audit_signing_refused 1\n"));
}

TEST_F(TamperTest, ForgedCheckpointSignatureIsRejected) {
  const int64_t size = sizes_[1];
  std::string signature;
  {
    RawDb raw(db_path_);
    ASSERT_THAT(raw.status(), IsOk());
    ASSERT_OK_AND_ASSIGN(
        signature,
        raw.One(absl::StrCat(
            "SELECT signature FROM checkpoints WHERE tree_size = ", size)));
  }
  ASSERT_EQ(signature.size(), audit::kSignatureSize);
  signature[10] = static_cast<char>(signature[10] ^ 0x01);
  ASSERT_NO_FATAL_FAILURE(Tamper(
      {absl::StrCat("UPDATE checkpoints SET signature = ?1 WHERE tree_size = ",
                    size)},
      {signature}));

  const std::string forged =
      absl::StrCat("the log's checkpoint of size ", size, " signed ");
  const std::string why =
      "signature does not verify: the checkpoint was altered or forged";
  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(*key_, kept_));
  EXPECT_FALSE(db.verified());
  EXPECT_EQ(db.problem_count, 1) << FormatVerifyReport(db);
  EXPECT_FALSE(db.first_bad.has_value());
  EXPECT_THAT(Problems(db), AllOf(HasSubstr(forged), HasSubstr(why)));
  EXPECT_THAT(FormatVerifyReport(db),
              HasSubstr("\nFAILED: 1 problem(s); see above\n"));

  ASSERT_OK_AND_ASSIGN(VerifyReport bundle, VerifyExport(why));
  EXPECT_EQ(bundle.problem_count, 1) << FormatVerifyReport(bundle);
  EXPECT_FALSE(bundle.first_bad.has_value());
  EXPECT_THAT(Problems(bundle), AllOf(HasSubstr(forged), HasSubstr(why)));
}

TEST_F(TamperTest, WrongPublicKeyIsRejected) {
  ASSERT_OK_AND_ASSIGN(audit::SigningKey other, audit::SigningKey::Generate());
  const audit::VerifyingKey wrong = other.verifying_key();
  const std::string why =
      absl::StrCat("was signed by key ", kept_->key_id,
                   ", not by the key given (", wrong.KeyId(), ")");

  // Every checkpoint of the file, and the kept one.
  ASSERT_OK_AND_ASSIGN(VerifyReport db, VerifyDbFile(wrong, kept_));
  EXPECT_FALSE(db.verified());
  EXPECT_EQ(db.problem_count, static_cast<int64_t>(sizes_.size()) + 1)
      << FormatVerifyReport(db);
  EXPECT_FALSE(db.first_bad.has_value());
  EXPECT_THAT(Problems(db), HasSubstr(why));
  EXPECT_THAT(Problems(db), HasSubstr("your kept checkpoint of size "));

  ASSERT_OK_AND_ASSIGN(VerifyReport right, VerifyExport(""));
  EXPECT_TRUE(right.verified()) << FormatVerifyReport(right);
  const VerifyReport bundle = audit::VerifyBundle(last_bundle_, wrong, kept_);
  EXPECT_FALSE(bundle.verified());
  EXPECT_EQ(bundle.problem_count, static_cast<int64_t>(sizes_.size()) + 1)
      << FormatVerifyReport(bundle);
  EXPECT_FALSE(bundle.first_bad.has_value());
  EXPECT_THAT(Problems(bundle), HasSubstr(why));
}

}  // namespace
}  // namespace taskgate::e2e
