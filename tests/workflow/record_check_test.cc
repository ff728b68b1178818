// The tables are provably what the log says (SPEC §7): every change's event
// carries what it wrote, a replay of the log rebuilds every stored entity,
// and a row edited outside TaskGate is named with its field by the check
// that `taskgated --verify-db` and the server at start run.
#include "workflow/record_check.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/encoding.h"
#include "audit/merkle.h"
#include "audit/signing.h"
#include "audit/state.h"
#include "domain/codec.h"
#include "domain/fields.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/testing/sanitizers.h"
#include "tests/testing/scoped_db_path.h"
#include "tests/testing/sqlite_file.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"
#include "workflow/attachments.h"
#include "workflow/audit_ledger.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;

audit::SigningKey Key() {
  absl::StatusOr<audit::SigningKey> key =
      audit::SigningKey::FromRawPrivate(std::string(32, '\x07'));
  EXPECT_THAT(key, IsOk());
  return *std::move(key);
}

class RecordCheckTest : public TaskWorkflowTest {
 protected:
  std::string DbPath() const override { return db_.path(); }

  void Tamper(const std::string& sql) {
    ::taskgate::testing::ExecOnFile(db_.path(), sql);
  }

  audit::VerifyReport Verify() {
    absl::StatusOr<audit::VerifyReport> report =
        VerifyStoredLog(*sqlite_, "default", Key().verifying_key());
    EXPECT_THAT(report, IsOk());
    return report.ok() ? *std::move(report) : audit::VerifyReport();
  }

  std::string TableProblems(const audit::VerifyReport& report) {
    return absl::StrJoin(report.table_problems, "\n");
  }

  // Every entity's fields after replaying the whole log, by key.
  std::map<std::string, domain::Fields> Replayed(
      std::vector<std::string>* problems) {
    audit::StateReplay replay({.keep_fields = true, .only = std::nullopt});
    absl::StatusOr<std::vector<store::AuditRow>> rows =
        sqlite_->ListAuditRows("default", 0, 0);
    EXPECT_THAT(rows, IsOk());
    audit::AuditEventView view;
    for (const store::AuditRow& row : *rows) {
      EXPECT_THAT(audit::DecodeAuditEventView(row.canonical, view), IsOk());
      EXPECT_EQ(view.encoding, 2);
      replay.Apply(row.seq, view.writes);
    }
    for (const audit::StateReplay::Problem& p : replay.problems()) {
      problems->push_back(absl::StrCat("seq ", p.seq, ": ", p.message));
    }
    std::map<std::string, domain::Fields> out;
    for (const auto& [key, entity] : replay.entities()) {
      EXPECT_TRUE(entity.fields_known) << key;
      out[key] = entity.fields;
    }
    return out;
  }

  // Every stored entity's fields, by key.
  std::map<std::string, domain::Fields> Stored() {
    std::map<std::string, domain::Fields> out;
    EXPECT_THAT(sqlite_->ScanEntities(
                    "default",
                    [&](store::StoredEntity e) -> absl::Status {
                      EXPECT_THAT(e.column_problems, IsEmpty()) << e.id;
                      out[audit::EntityKey(e.kind, e.id)] = std::move(e.fields);
                      return absl::OkStatus();
                    }),
                IsOk());
    return out;
  }

  // A small life of every kind of entity: t1 created with 6 h, edited to
  // 8 h, submitted, claimed and approved; a principal, a token, an
  // acknowledgement, a funding report and a complaint.
  void SmallLife() {
    domain::TaskSpec spec = CleanAssistSpec();
    spec.hours_per_community_month = 6;
    Create("t1", spec);
    spec.hours_per_community_month = 8;
    ASSERT_THAT(engine_->tasks().EditTask(Clerk(), "", "t1", 1, Draft(spec)),
                IsOk());
    ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, "t1"), IsOk());
    domain::Principal p = Clerk("housing");
    ASSERT_THAT(engine_->principals().CreatePrincipal(Admin(), "", p), IsOk());
    ASSERT_THAT(engine_->principals().IssueToken(Admin(), "", p.id, "tok-1",
                                                 HashOf("secret-1"), "laptop"),
                IsOk());
    ASSERT_THAT(engine_->desk().AcknowledgeAssignment(Office("c1"), "", "t1"),
                IsOk());
    ASSERT_THAT(engine_->desk().ReportFundingMissing(Office("c1"), "", "t1",
                                                     "f1", "no money yet"),
                IsOk());
    domain::Complaint c;
    c.id = "k1";
    c.title = "survey outside TaskGate";
    c.description = "a form arrived by chat";
    ASSERT_THAT(engine_->desk().FileComplaint(Office("c2"), "", c), IsOk());
  }

  ::taskgate::testing::ScopedDbPath db_;
};

TEST_F(RecordCheckTest, TheEditEventCarriesTheOldAndNewHours) {
  ASSERT_NO_FATAL_FAILURE(SmallLife());
  const std::vector<store::StoredEvent> events = EventsOf("t1");
  ASSERT_GE(events.size(), 3u);
  const domain::AuditEvent& create = events[0].event;
  const domain::AuditEvent& edit = events[1].event;
  const domain::AuditEvent& submit = events[2].event;
  ASSERT_EQ(edit.action, "task.edit");
  ASSERT_EQ(edit.writes.size(), 1u);
  EXPECT_FALSE(edit.writes[0].complete);
  EXPECT_THAT(edit.writes[0].changes,
              Contains(domain::FieldChange{"spec.hours_per_community_month",
                                           "6.0", "8.0"}));
  // The creation and the submit carry the whole task: title, hours, dates.
  ASSERT_EQ(create.writes.size(), 1u);
  EXPECT_TRUE(create.writes[0].complete);
  EXPECT_THAT(create.writes[0].changes,
              Contains(domain::FieldChange{"spec.title", "",
                                           "Quarterly elderly subsidy check"}));
  ASSERT_EQ(submit.action, "task.submit");
  ASSERT_FALSE(submit.writes.empty());
  EXPECT_TRUE(submit.writes[0].complete);
  EXPECT_THAT(submit.writes[0].changes,
              Contains(domain::FieldChange{"spec.start_date", "2026-05-01",
                                           "2026-05-01"}));
  // The secret's hash never enters the log, only its own digest.
  store::EventQuery q;
  q.district_id = "default";
  q.action = "credential.issue";
  ASSERT_OK_AND_ASSIGN(std::vector<store::StoredEvent> issued,
                       sqlite_->ListEvents(q));
  ASSERT_EQ(issued.size(), 1u);
  EXPECT_THAT(issued[0].canonical, Not(HasSubstr(HashOf("secret-1"))));
}

TEST_F(RecordCheckTest, AnUntouchedDatabaseMatchesItsLog) {
  ASSERT_NO_FATAL_FAILURE(SmallLife());
  const audit::VerifyReport report = Verify();
  EXPECT_TRUE(report.verified()) << FormatVerifyReport(report);
  EXPECT_THAT(report.checked, Contains(HasSubstr("tables:")));
}

TEST_F(RecordCheckTest, EditedRowsAreNamedWithEntityAndField) {
  ASSERT_NO_FATAL_FAILURE(SmallLife());
  Tamper(
      "UPDATE tasks SET body = json_set(body, "
      "'$.spec.hours_per_community_month', 80.0) WHERE id = 't1';"
      "UPDATE communities SET body = json_set(body, "
      "'$.monthly_capacity_hours', 500.0) WHERE id = 'c2';"
      "UPDATE catalog_versions SET body = json_set(body, '$.items[2].kind', "
      "'assist') WHERE version = 1;"
      "UPDATE principals SET role = 'admin' WHERE id = 'clerk-housing';");
  const audit::VerifyReport report = Verify();
  EXPECT_FALSE(report.verified());
  EXPECT_EQ(report.problem_count, 0) << "the log itself is intact";
  const std::string problems = TableProblems(report);
  EXPECT_THAT(problems,
              HasSubstr("task t1 field spec.hours_per_community_month is "
                        "\"80.0\" in the tables, but the log"));
  EXPECT_THAT(problems, HasSubstr("says \"8.0\""));
  EXPECT_THAT(problems, HasSubstr("community c2 field monthly_capacity_hours "
                                  "is \"500.0\" in the tables"));
  EXPECT_THAT(problems, HasSubstr("catalog 1 field items"));
  EXPECT_THAT(problems,
              HasSubstr("principal clerk-housing: column role is \"admin\" "
                        "but the body's role says \"department\""));
  EXPECT_THAT(FormatVerifyReport(report),
              HasSubstr("FAILED: the log verifies, but 4 stored row(s) "
                        "differ from what it says"));
}

// The structured data of findings (SPEC §4.1) is part of the stored task
// and decision, so the log reproduces it, and a number edited in a stored
// finding is named like any other field.
TEST_F(RecordCheckTest, FindingDataIsReproducedAndAnEditedLoadIsNamed) {
  domain::TaskSpec spec = CleanAssistSpec();
  spec.hours_per_community_month = 50;  // c1: 60 + 50 > 100
  spec.start_date = absl::CivilDay(2026, 3, 10);
  Create("t1", spec);
  ASSERT_OK_AND_ASSIGN(domain::Task submitted,
                       Do(Clerk(), TaskAction::kSubmit, "t1"));
  ASSERT_EQ(submitted.findings.size(), 2u);
  ASSERT_TRUE(
      std::holds_alternative<domain::CapacityData>(submitted.findings[0].data));
  ASSERT_TRUE(
      std::holds_alternative<domain::LeadTimeData>(submitted.findings[1].data));
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, "t1", "",
                 {{"R-CAPACITY", "the street lends staff"},
                  {"R-LEAD-TIME", "agreed with the community"}}),
              IsOk());
  const audit::VerifyReport clean = Verify();
  EXPECT_TRUE(clean.verified()) << FormatVerifyReport(clean);

  Tamper(
      "UPDATE tasks SET body = json_set(body, "
      "'$.findings[0].capacity.excesses[0].load_hours', 1.0) "
      "WHERE id = 't1'");
  const audit::VerifyReport report = Verify();
  EXPECT_FALSE(report.verified());
  EXPECT_THAT(TableProblems(report), HasSubstr("task t1 field findings"));
}

TEST_F(RecordCheckTest, APrincipalsRoleEditedInItsBodyIsNamed) {
  ASSERT_NO_FATAL_FAILURE(SmallLife());
  Tamper(
      "UPDATE principals SET role = 'admin', body = json_set(body, '$.role', "
      "'admin') WHERE id = 'clerk-housing';");
  EXPECT_THAT(TableProblems(Verify()),
              HasSubstr("principal clerk-housing field role is \"admin\" in "
                        "the tables, but the log"));
}

TEST_F(RecordCheckTest, AStoredTokenHashSwappedForAnotherIsNamed) {
  ASSERT_NO_FATAL_FAILURE(SmallLife());
  Tamper(absl::StrCat("UPDATE credentials SET token_hash = '",
                      HashOf("attacker"), "', body = json_set(body, ",
                      "'$.token_hash', '", HashOf("attacker"),
                      "') WHERE id = 'tok-1';"));
  const std::string problems = TableProblems(Verify());
  EXPECT_THAT(problems, HasSubstr("credential tok-1 field token_hash"));
  EXPECT_THAT(problems, Not(HasSubstr(HashOf("attacker"))));
}

TEST_F(RecordCheckTest, ATaskSideRowEditedAloneIsNamed) {
  ASSERT_NO_FATAL_FAILURE(SmallLife());
  Tamper("UPDATE task_communities SET state = 'REJECTED' WHERE task_id = 't1'");
  EXPECT_THAT(TableProblems(Verify()),
              HasSubstr("task t1: the task_communities row of community c1 "
                        "says state \"REJECTED\""));
}

// Calendar changes (SPEC §7): the log's replay reproduces every published
// version, the seed's too, and a holiday removed from a stored row is
// named with the version and field.
TEST_F(RecordCheckTest, CalendarVersionsReplayAndAnEditedOneIsNamed) {
  domain::CalendarYear first;
  first.year = 2026;
  first.holidays = {absl::CivilDay(2026, 10, 1), absl::CivilDay(2026, 10, 2)};
  ASSERT_THAT(engine_->calendars().Publish(Admin(), "", first), IsOk());
  domain::CalendarYear second = first;
  second.makeup_workdays = {absl::CivilDay(2026, 10, 10)};
  second.note = "with the make-up Saturday";
  ASSERT_THAT(engine_->calendars().Publish(Admin(), "", second), IsOk());
  engine_.reset();
  EngineOptions seeding;
  seeding.initial_holidays = {absl::CivilDay(2027, 1, 1)};
  engine_ = std::make_unique<Engine>(*faults_, clock_, seeding);
  // A calendar is stored: the seed adds nothing.
  ASSERT_OK_AND_ASSIGN(std::vector<domain::CalendarYear> seeded,
                       engine_->calendars().SeedIfEmpty());
  EXPECT_THAT(seeded, IsEmpty());

  std::vector<std::string> problems;
  const std::map<std::string, domain::Fields> replayed = Replayed(&problems);
  EXPECT_THAT(problems, IsEmpty());
  const std::map<std::string, domain::Fields> stored = Stored();
  ASSERT_TRUE(stored.contains("calendar/2026/1"));
  ASSERT_TRUE(stored.contains("calendar/2026/2"));
  EXPECT_EQ(replayed.at("calendar/2026/1"), stored.at("calendar/2026/1"));
  EXPECT_EQ(replayed.at("calendar/2026/2"), stored.at("calendar/2026/2"));
  EXPECT_EQ(stored.at("calendar/2026/2").at("makeup_workdays"),
            R"(["2026-10-10"])");
  EXPECT_TRUE(Verify().verified());

  Tamper(
      "UPDATE calendar_years SET body = json_set(body, '$.holidays', "
      "json_array('2026-10-01')) WHERE year = 2026 AND version = 2;");
  const audit::VerifyReport report = Verify();
  EXPECT_FALSE(report.verified());
  EXPECT_THAT(TableProblems(report),
              AllOf(HasSubstr("calendar 2026/2 field holidays is "),
                    HasSubstr("2026-10-02")));
}

// An attachment's metadata is reproduced from its "task.attach" event, and
// its kept bytes are checked against its hash.
TEST_F(RecordCheckTest,
       AttachmentsReplayAndTheirBytesAreCheckedAgainstTheHash) {
  ASSERT_NO_FATAL_FAILURE(SmallLife());
  Create("t9", CleanAssistSpec());
  const std::string doc = "区政府关于社区减负的通知";
  AttachmentUpload u;
  u.task_id = "t9";
  u.name = "通知.pdf";
  u.media_type = "application/pdf";
  u.size_bytes = static_cast<int64_t>(doc.size());
  u.sha256 = audit::ToHex(audit::Sha256(doc));
  ASSERT_THAT(engine_->attachments().Add(Clerk(), u, doc), IsOk());
  std::vector<std::string> problems;
  EXPECT_EQ(Replayed(&problems), Stored());
  EXPECT_THAT(problems, IsEmpty());
  EXPECT_TRUE(Verify().verified());

  Tamper(
      "UPDATE attachments SET body = json_set(body, '$.name', 'fake.pdf');"
      "UPDATE attachment_contents SET content = CAST('forged' AS BLOB);");
  const std::string found = TableProblems(Verify());
  EXPECT_THAT(found, HasSubstr("field name"));
  EXPECT_THAT(found, HasSubstr("its kept content hashes to sha256"));
}

TEST_F(RecordCheckTest, RowsAddedOrDeletedOutsideTheLogAreNamed) {
  ASSERT_NO_FATAL_FAILURE(SmallLife());
  Tamper(
      "DELETE FROM funding_reports WHERE id = 'f1';"
      "INSERT INTO communities (district_id, id, street, version, body) "
      "SELECT district_id, 'c9', street, version, json_set(body, '$.id', "
      "'c9') FROM communities WHERE id = 'c1';");
  const std::string problems = TableProblems(Verify());
  EXPECT_THAT(problems, HasSubstr("records funding_report f1, but the "
                                  "tables have no such row"));
  EXPECT_THAT(problems, HasSubstr("community c9 is in the tables, but no "
                                  "event of the log wrote it"));
}

TEST_F(RecordCheckTest, TheServerRefusesToSignTablesThatDifferFromTheLog) {
  ASSERT_NO_FATAL_FAILURE(SmallLife());
  Tamper(
      "UPDATE tasks SET body = json_set(body, "
      "'$.spec.hours_per_community_month', 80.0) WHERE id = 't1';");
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<AuditLedger> ledger,
      AuditLedger::Create(*sqlite_, clock_, Key(), {.district_id = "default"}));
  EXPECT_THAT(ledger->signing_refused(),
              Optional(HasSubstr("task t1 field "
                                 "spec.hours_per_community_month")));
  ASSERT_OK_AND_ASSIGN(std::optional<audit::Checkpoint> signed_now,
                       ledger->MaybeCheckpoint(/*force=*/true));
  EXPECT_FALSE(signed_now.has_value());
}

// Thousands of changes of every kind, in a random order that a fixed seed
// repeats: replaying the log from its first event gives every stored entity
// field for field, and no write contradicts the state the earlier ones left.
TEST_F(RecordCheckTest, ReplayingALongRandomHistoryReproducesTheTables) {
  std::mt19937 rng(20261203);
  auto pick = [&](int n) {
    return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(rng));
  };
  const std::vector<std::string> communities = {"c1", "c2", "c3"};
  std::vector<std::string> tasks;
  int changes = 0;
  auto count = [&](const auto& result) {
    if (result.ok()) ++changes;
  };
  const int steps = ::taskgate::testing::kUnderSanitizer ? 300 : 2500;
  for (int i = 0; i < steps; ++i) {
    clock_.Advance(absl::Minutes(7));
    // A task in one of `states`, so that many go the whole way.
    auto any = [&](std::vector<domain::TaskState> states) -> std::string {
      store::TaskQuery q;
      q.district_id = "default";
      q.states = std::move(states);
      absl::StatusOr<std::vector<domain::Task>> found = sqlite_->ListTasks(q);
      if (!found.ok() || found->empty()) return "";
      return (*found)[pick(static_cast<int>(found->size()))].id;
    };
    using S = domain::TaskState;
    const int n = static_cast<int>(tasks.size());
    const std::string task =
        tasks.empty() ? "" : tasks[n - 1 - pick(std::min(n, 4))];
    switch (pick(14)) {
      case 0:
      case 1: {
        domain::TaskSpec s = CleanAssistSpec();
        s.hours_per_community_month = 1 + pick(4);
        s.target_communities = {communities[pick(3)]};
        const std::string id = absl::StrCat("t", i);
        absl::StatusOr<domain::Task> t =
            engine_->tasks().CreateTask(Clerk(), "", id, Draft(s));
        count(t);
        if (t.ok()) tasks.push_back(id);
        break;
      }
      case 2: {
        if (task.empty()) break;
        absl::StatusOr<domain::Task> t = GetTask(task);
        if (!t.ok()) break;
        domain::TaskSpec s = t->spec;
        s.hours_per_community_month = 1 + pick(20);
        s.title = absl::StrCat("title ", i);
        count(
            engine_->tasks().EditTask(Clerk(), "", task, t->version, Draft(s)));
        break;
      }
      case 3:
      case 4: {
        const std::string id = any({S::kDraft, S::kReturned});
        if (!id.empty()) count(Do(Clerk(), TaskAction::kSubmit, id));
        break;
      }
      case 5: {
        const std::string id = any({S::kSubmitted, S::kProvisional});
        if (!id.empty()) count(Do(Reviewer("r1"), TaskAction::kClaim, id));
        break;
      }
      case 6: {
        const std::string id = any({S::kInReview});
        if (id.empty()) break;
        absl::StatusOr<domain::Task> t = GetTask(id);
        if (!t.ok()) break;
        // Approvals name every WARN finding; approve twice as often as the
        // rest, so that tasks reach the communities' workloads.
        std::vector<domain::Acknowledgement> acks;
        for (const domain::Finding& f : t->findings) {
          acks.push_back({f.rule_id, "accepted for the test"});
        }
        const TaskAction a[] = {TaskAction::kApprove, TaskAction::kApprove,
                                TaskAction::kReturn, TaskAction::kReject,
                                TaskAction::kRevoke};
        const TaskAction action = a[pick(5)];
        count(Do(Reviewer("r1"), action, id, "because",
                 action == TaskAction::kApprove
                     ? acks
                     : std::vector<domain::Acknowledgement>{}));
        break;
      }
      case 7:
        if (!task.empty()) count(Do(Clerk(), TaskAction::kWithdraw, task, "x"));
        break;
      case 8: {
        const std::string id = communities[pick(3)];
        absl::StatusOr<domain::Community> c =
            sqlite_->GetCommunity("default", id);
        if (!c.ok()) break;
        domain::Community next = *c;
        next.monthly_capacity_hours = 50 + pick(100);
        next.baseline_units[domain::ControlledBucket::kSignboard] = pick(3);
        count(engine_->directory().PutCommunity(Admin(), "", next, c->version));
        break;
      }
      case 9: {
        std::vector<domain::CatalogItem> items = {
            {"A-001",
             domain::ListKind::kAssist,
             absl::StrCat("items ", i),
             "老年人权益保障法",
             {}},
            {"N-001", domain::ListKind::kNegative, "quotas", "", {"招商引资"}}};
        count(engine_->directory().PublishCatalog(Admin(), "", items, "next"));
        break;
      }
      case 10: {
        // Its department first (a department is put, or renamed, as the
        // random history goes).
        const std::string department = absl::StrCat("dept-", pick(5));
        absl::StatusOr<domain::Department> existing =
            sqlite_->GetDepartment("default", department);
        count(engine_->directory().PutDepartment(
            Admin(), "",
            {.district_id = "",
             .id = department,
             .name = absl::StrCat(department, " ", i)},
            existing.ok() ? existing->version : 0));
        domain::Principal p = Clerk(department);
        p.id = absl::StrCat("p", i);
        count(engine_->principals().CreatePrincipal(Admin(), "", p));
        count(engine_->principals().IssueToken(
            Admin(), "", p.id, absl::StrCat("tok-", i),
            HashOf(absl::StrCat("s", i)), "desk"));
        if (pick(2) == 0) {
          count(engine_->principals().RevokeToken(Admin(), "",
                                                  absl::StrCat("tok-", i)));
        }
        if (pick(2) == 0) {
          count(engine_->principals().SetPrincipalDisabled(Admin(), "", p.id,
                                                           true, 1));
        }
        break;
      }
      case 11: {
        const std::string id = any({S::kActive});
        if (id.empty()) break;
        absl::StatusOr<domain::Task> t = GetTask(id);
        if (!t.ok() || t->resolved_communities.empty()) break;
        const std::string& c = t->resolved_communities.front();
        count(engine_->desk().AcknowledgeAssignment(Office(c), "", id));
        count(engine_->desk().ReportFundingMissing(
            Office(c), "", id, absl::StrCat("f", i), "not yet"));
        if (pick(3) == 0) {
          count(Do(Reviewer("r1"), TaskAction::kRevoke, id, "funding"));
        }
        break;
      }
      case 12: {
        domain::Complaint c;
        c.id = absl::StrCat("k", i);
        c.title = "a task outside TaskGate";
        c.description = "by phone";
        count(
            engine_->desk().FileComplaint(Office(communities[pick(3)]), "", c));
        break;
      }
      case 13: {
        absl::StatusOr<std::vector<domain::Complaint>> open =
            sqlite_->ListComplaints("default", "", {});
        if (!open.ok() || open->empty()) break;
        const domain::Complaint& c =
            (*open)[pick(static_cast<int>(open->size()))];
        const domain::ComplaintState to[] = {domain::ComplaintState::kVerified,
                                             domain::ComplaintState::kUnfounded,
                                             domain::ComplaintState::kResolved};
        count(engine_->desk().HandleComplaint(Reviewer("r2"), "", c.id,
                                              c.version, to[pick(3)],
                                              "looked into it"));
        break;
      }
    }
  }
  ASSERT_GE(changes, steps * 2 / 5)
      << "too few changes succeeded to mean anything";

  std::vector<std::string> problems;
  const std::map<std::string, domain::Fields> replayed = Replayed(&problems);
  EXPECT_THAT(problems, IsEmpty());
  const std::map<std::string, domain::Fields> stored = Stored();
  std::map<std::string, int> kinds;
  for (const auto& [key, fields] : stored) {
    ++kinds[key.substr(0, key.find('/'))];
  }
  for (const char* kind :
       {"district", "catalog", "community", "task", "decision", "principal",
        "credential", "complaint", "funding_report", "ack"}) {
    EXPECT_GT(kinds[kind], 0) << kind << " never written";
  }
  EXPECT_EQ(replayed.size(), stored.size());
  for (const auto& [key, fields] : stored) {
    const auto it = replayed.find(key);
    ASSERT_NE(it, replayed.end()) << key;
    EXPECT_EQ(it->second, fields) << key;
  }
  const audit::VerifyReport report = Verify();
  EXPECT_TRUE(report.verified()) << FormatVerifyReport(report);
}

// A database written before events carried entity states: a district and
// a community, each with its version 1 event.
class OldDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, store::OpenSqliteStore(db_.path()));
    domain::District d;
    d.id = "default";
    d.name = "Old district";
    domain::Community c;
    c.district_id = "default";
    c.id = "c1";
    c.name = "Community c1";
    c.street = "east";
    c.staff_count = 5;
    c.monthly_capacity_hours = 100;
    c.version = 1;
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db_.path().c_str(), &raw), SQLITE_OK);
    Exec(raw, "INSERT INTO districts (id, body) VALUES (?, ?)",
         {"default", domain::DistrictToJson(d)});
    Exec(raw,
         "INSERT INTO communities (district_id, id, street, version, body) "
         "VALUES ('default', 'c1', 'east', 1, ?)",
         {domain::CommunityToJson(c)});
    AppendV1(raw, 1, "district.create", "district", "default");
    AppendV1(raw, 2, "community.create", "community", "c1");
    sqlite3_close(raw);
  }

  // Runs `sql` with `params` bound as text, or as blobs (STRICT tables
  // refuse the other).
  static void Exec(sqlite3* raw, const std::string& sql,
                   const std::vector<std::string>& params, bool blobs = false) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(raw);
    for (size_t i = 0; i < params.size(); ++i) {
      const int n = static_cast<int>(params[i].size());
      if (blobs) {
        sqlite3_bind_blob(stmt, static_cast<int>(i + 1), params[i].data(), n,
                          SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].data(), n,
                          SQLITE_TRANSIENT);
      }
    }
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(raw);
    sqlite3_finalize(stmt);
  }

  void AppendV1(sqlite3* raw, int64_t seq, const std::string& action,
                const std::string& type, const std::string& id) {
    domain::AuditEvent e;
    e.encoding = 1;
    e.district_id = "default";
    e.seq = seq;
    e.time = At(2025, 1, 1);
    e.actor_id = "admin-1";
    e.actor_role = domain::Role::kAdmin;
    e.action = action;
    e.entity_type = type;
    e.entity_id = id;
    const std::string canonical = audit::EncodeAuditEvent(e);
    const audit::Hash leaf = audit::LeafHash(canonical);
    Exec(raw,
         absl::StrCat("INSERT INTO audit_events (district_id, seq, time, "
                      "actor_id, actor_role, action, entity_type, entity_id, "
                      "state_before, state_after, reason, request_id, "
                      "department_id, canonical, leaf_hash) VALUES "
                      "('default', ",
                      seq, ", ", absl::ToUnixMicros(e.time),
                      ", 'admin-1', 'admin', '", action, "', '", type, "', '",
                      id, "', '', '', '', '', '', ?, ?)"),
         {canonical,
          std::string(reinterpret_cast<const char*>(leaf.data()), leaf.size())},
         /*blobs=*/true);
  }

  ::taskgate::testing::ScopedDbPath db_;
  std::unique_ptr<store::Store> store_;
  ::taskgate::testing::FakeClock clock_{At(2026, 3, 2)};
};

TEST_F(OldDatabaseTest, Version1EventsStillVerifyAndTheirEntitiesAreNoted) {
  std::vector<std::string> uncovered;
  ASSERT_OK_AND_ASSIGN(
      audit::VerifyReport report,
      VerifyStoredLog(*store_, "default", Key().verifying_key(), std::nullopt,
                      "your kept", &uncovered));
  EXPECT_TRUE(report.verified()) << FormatVerifyReport(report);
  EXPECT_THAT(report.notes,
              Contains(HasSubstr("2 stored entities were last written "
                                 "before the log carried entity states")));
  EXPECT_THAT(uncovered, ::testing::UnorderedElementsAre("district/default",
                                                         "community/c1"));
}

TEST_F(OldDatabaseTest, TheServerRecordsTheirStateOnceAndChecksItFromThen) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<AuditLedger> ledger,
      AuditLedger::Create(*store_, clock_, Key(), {.district_id = "default"}));
  EXPECT_EQ(ledger->signing_refused(), std::nullopt);
  store::EventQuery q;
  q.district_id = "default";
  q.action = "record.baseline";
  ASSERT_OK_AND_ASSIGN(std::vector<store::StoredEvent> baseline,
                       store_->ListEvents(q));
  ASSERT_EQ(baseline.size(), 2u);
  for (const store::StoredEvent& e : baseline) {
    EXPECT_EQ(e.canonical[0], '\x02');
    ASSERT_EQ(e.event.writes.size(), 1u);
    EXPECT_TRUE(e.event.writes[0].complete);
  }
  // A second start finds nothing left to record.
  ASSERT_OK_AND_ASSIGN(ledger, AuditLedger::Create(*store_, clock_, Key(),
                                                   {.district_id = "default"}));
  ASSERT_OK_AND_ASSIGN(int64_t n, store_->EventCount("default"));
  EXPECT_EQ(n, 4);

  ASSERT_NO_FATAL_FAILURE(::taskgate::testing::ExecOnFile(
      db_.path(),
      "UPDATE communities SET body = json_set(body, "
      "'$.monthly_capacity_hours', 300.0)"));
  ASSERT_OK_AND_ASSIGN(
      audit::VerifyReport report,
      VerifyStoredLog(*store_, "default", Key().verifying_key()));
  EXPECT_THAT(absl::StrJoin(report.table_problems, "\n"),
              HasSubstr("community c1 field monthly_capacity_hours is "
                        "\"300.0\" in the tables, but the log (seq 4) says "
                        "\"100.0\""));
}

}  // namespace
}  // namespace taskgate::workflow
