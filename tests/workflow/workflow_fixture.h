// Shared by the unit tests of the workflow's parts: the principals of each
// role, times in Shanghai, and two fixtures over an in-memory SQLite store
// behind a FaultInjectingStore, with the engine assembled from its parts:
// `TaskWorkflowTest` (duty, assist and negative lists; communities c1, c2
// in street east and c3 in west) for the task lifecycle and the timers, and
// `PeopleWorkflowTest` (an assist list, the same communities, tasks in
// several states) for the directory, the community desk, the recorder and
// the queries. Reads that only check what a test did go to the store
// directly, so that they do not depend on the read side's authorization.
// Everything here is inline in namespace taskgate::workflow, where the
// tests live.
#ifndef TASKGATE_TESTS_WORKFLOW_WORKFLOW_FIXTURE_H_
#define TASKGATE_TESTS_WORKFLOW_WORKFLOW_FIXTURE_H_

#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/merkle.h"
#include "common/field_violations.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fault_injecting_store.h"
#include "tests/testing/status_matchers.h"
#include "workflow/engine.h"

namespace taskgate::workflow {

inline const absl::TimeZone kShanghai = absl::FixedTimeZone(8 * 60 * 60);

// 2026-03-02 is a Monday; 09:00 in Shanghai.
inline absl::Time At(int y, int m, int d, int hour = 9) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hour, 0, 0), kShanghai);
}

// The hash a server stores for token secret `secret`.
inline std::string HashOf(const std::string& secret) {
  return audit::ToHex(audit::Sha256(secret));
}

inline domain::Principal Admin() {
  domain::Principal p;
  p.id = "admin-1";
  p.role = domain::Role::kAdmin;
  return p;
}
inline domain::Principal Clerk(
    const std::string& department = "civil-affairs") {
  domain::Principal p;
  p.id = "clerk-" + department;
  p.role = domain::Role::kDepartment;
  p.department_id = department;
  return p;
}
inline domain::Principal Reviewer(const std::string& id,
                                  const std::string& home = "") {
  domain::Principal p;
  p.id = id;
  p.role = domain::Role::kReviewer;
  p.home_department_id = home;
  return p;
}
inline domain::Principal Office(const std::string& community) {
  domain::Principal p;
  p.id = "office-" + community;
  p.role = domain::Role::kCommunity;
  p.community_id = community;
  return p;
}
inline domain::Principal Auditor() {
  domain::Principal p;
  p.id = "auditor-1";
  p.role = domain::Role::kAuditor;
  return p;
}

inline std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> out;
  for (const FieldViolation& v : GetFieldViolations(status)) {
    out.push_back(v.field);
  }
  return out;
}

// The rule ids of `fs`, in order.
inline std::vector<std::string> RuleIds(
    const std::vector<domain::Finding>& fs) {
  std::vector<std::string> out;
  for (const domain::Finding& f : fs) out.push_back(f.rule_id);
  return out;
}

inline std::vector<std::string> Actions(
    const std::vector<store::StoredEvent>& es) {
  std::vector<std::string> out;
  for (const store::StoredEvent& e : es) out.push_back(e.event.action);
  return out;
}

// `spec` as a checked draft; a test's specs are valid drafts.
inline DraftSpec Draft(domain::TaskSpec spec) {
  absl::StatusOr<DraftSpec> draft = DraftSpec::Check(std::move(spec));
  EXPECT_THAT(draft, ::taskgate::testing::IsOk());
  return *std::move(draft);
}

// The store, the clock and the engine, and what tests read back.
class WorkflowTestBase : public ::testing::Test {
 protected:
  // The engine's options; a fixture overrides it to change the config.
  virtual EngineOptions Options() const { return EngineOptions(); }
  // Where the database is; a fixture overrides it for a real file.
  virtual std::string DbPath() const { return ":memory:"; }

  void OpenEngine() {
    auto opened = store::OpenSqliteStore(DbPath());
    ASSERT_THAT(opened, ::taskgate::testing::IsOk());
    sqlite_ = *std::move(opened);
    faults_ =
        std::make_unique<::taskgate::testing::FaultInjectingStore>(*sqlite_);
    engine_ = std::make_unique<Engine>(*faults_, clock_, Options());
    ASSERT_THAT(engine_->directory().EnsureDistrict("Test district"),
                ::taskgate::testing::IsOk());
    ASSERT_NO_FATAL_FAILURE(PutDepartments());
  }

  // Street `id`, named `name` (default: its id), unless it exists.
  void PutStreet(const std::string& id, const std::string& name = "") {
    absl::Status put =
        engine_->directory()
            .PutStreet(
                Admin(), "",
                {.district_id = "", .id = id, .name = name.empty() ? id : name},
                0)
            .status();
    if (!absl::IsAlreadyExists(put)) {
      ASSERT_THAT(put, ::taskgate::testing::IsOk());
    }
  }

  // The departments the tests' principals name (a principal's department
  // must exist), each named "<id> bureau".
  void PutDepartments() {
    for (const char* id : {"civil-affairs", "health", "housing", "water"}) {
      ASSERT_THAT(engine_->directory().PutDepartment(
                      Admin(), "",
                      {.district_id = "",
                       .id = id,
                       .name = std::string(id) + " bureau"},
                      0),
                  ::taskgate::testing::IsOk());
    }
  }

  // Communities c1 and c2 of street "east" and c3 of "west", each with 5
  // staff (capacity 100 h) and a baseline of 60 h a month.
  void PutThreeCommunities() {
    // The streets, by id; named as their ids, so that tasks may name them
    // either way.
    for (const char* street : {"east", "west"}) {
      ASSERT_THAT(engine_->directory().PutStreet(
                      Admin(), "",
                      {.district_id = "", .id = street, .name = street}, 0),
                  ::taskgate::testing::IsOk());
    }
    for (const auto& [id, street] :
         {std::pair{"c1", "east"}, {"c2", "east"}, {"c3", "west"}}) {
      domain::Community c;
      c.id = id;
      c.name = std::string("Community ") + id;
      c.street_id = street;
      c.staff_count = 5;
      c.baseline_hours = 60;
      ASSERT_THAT(engine_->directory().PutCommunity(Admin(), "", c, 0),
                  ::taskgate::testing::IsOk());
    }
  }

  // An assist-list task that passes every rule but lead time is respected:
  // starts 60 days out, funded, duty split given.
  domain::TaskSpec CleanAssistSpec() {
    domain::TaskSpec s;
    s.title = "Quarterly elderly subsidy check";
    s.description = "Visit subsidy recipients and confirm eligibility.";
    s.item_code = "A-001";
    s.legal_basis = "老年人权益保障法 第三十条";
    s.start_date = absl::CivilDay(2026, 5, 1);
    s.end_date = absl::CivilDay(2026, 7, 31);
    s.target_communities = {"c1"};
    s.hours_per_community_month = 10;
    s.funding_per_community_yuan = 3000;
    s.funding_source = "district civil affairs budget";
    s.department_duties = "provides the list and the forms";
    s.community_duties = "visits the households";
    s.assessment_method = "merged into the district's annual assessment";
    return s;
  }

  absl::StatusOr<domain::Task> Do(
      const domain::Principal& p, TaskAction action, const std::string& id,
      std::string reason = "", std::vector<domain::Acknowledgement> acks = {}) {
    ActionRequest r;
    r.action = action;
    r.task_id = id;
    r.reason = std::move(reason);
    r.acknowledgements = std::move(acks);
    return engine_->tasks().Act(p, r);
  }

  absl::StatusOr<domain::Task> GetTask(const std::string& id) {
    return sqlite_->GetTask("default", id);
  }

  int64_t EventCount() {
    auto n = sqlite_->EventCount("default");
    EXPECT_THAT(n, ::taskgate::testing::IsOk());
    return n.ok() ? *n : -1;
  }

  ::taskgate::testing::FakeClock clock_{At(2026, 3, 2)};
  std::unique_ptr<store::Store> sqlite_;
  std::unique_ptr<::taskgate::testing::FaultInjectingStore> faults_;
  std::unique_ptr<Engine> engine_;
};

// The task lifecycle's world: three lists and three communities.
class TaskWorkflowTest : public WorkflowTestBase {
 protected:
  void SetUp() override {
    OpenEngine();
    std::vector<domain::CatalogItem> items = {
        {"D-001",
         domain::ListKind::kDuty,
         "Residents' committee elections",
         "城市居民委员会组织法",
         {}},
        {"A-001",
         domain::ListKind::kAssist,
         "Elderly care subsidy checks",
         "老年人权益保障法",
         {}},
        {"N-001",
         domain::ListKind::kNegative,
         "Investment attraction quotas",
         "",
         {"招商引资"}},
    };
    ASSERT_THAT(
        engine_->directory().PublishCatalog(Admin(), "", items, "first lists"),
        ::taskgate::testing::IsOk());
    PutThreeCommunities();
  }

  domain::Task Create(const std::string& id, domain::TaskSpec spec,
                      const domain::Principal& clerk = Clerk()) {
    absl::StatusOr<domain::Task> t =
        engine_->tasks().CreateTask(clerk, "", id, Draft(std::move(spec)));
    EXPECT_THAT(t, ::taskgate::testing::IsOk());
    return t.ok() ? *t : domain::Task{};
  }

  std::vector<store::StoredEvent> EventsOf(const std::string& task_id) {
    store::EventQuery q;
    q.district_id = "default";
    q.entity_type = "task";
    q.entity_id = task_id;
    auto events = sqlite_->ListEvents(q);
    EXPECT_THAT(events, ::taskgate::testing::IsOk());
    return events.ok() ? *events : std::vector<store::StoredEvent>{};
  }
};

// The world of people and communities: an assist list, three communities,
// and (after `MakeTasks`) tasks in several states.
class PeopleWorkflowTest : public WorkflowTestBase {
 protected:
  void SetUp() override {
    OpenEngine();
    std::vector<domain::CatalogItem> items = {
        {"A-001",
         domain::ListKind::kAssist,
         "Elderly care subsidy checks",
         "老年人权益保障法",
         {}},
    };
    ASSERT_THAT(
        engine_->directory().PublishCatalog(Admin(), "", items, "lists"),
        ::taskgate::testing::IsOk());
    PutThreeCommunities();
  }

  // Task "a": ACTIVE, 10 h for c1, May-July 2026.
  // Task "b": PROVISIONAL (emergency), 15 h for c1 and c2, June-August.
  // Task "c": SUBMITTED, 7 h for c1: in review, so not in any workload.
  // Task "d": DRAFT of civil affairs for the whole east street.
  void MakeTasks() {
    ASSERT_THAT(
        engine_->tasks().CreateTask(Clerk(), "", "a", Draft(CleanAssistSpec())),
        ::taskgate::testing::IsOk());
    ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "a"),
                ::taskgate::testing::IsOk());
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "a"),
                ::taskgate::testing::IsOk());
    ASSERT_OK_AND_ASSIGN(domain::Task a,
                         Do(Reviewer("r1"), TaskAction::kApprove, "a"));
    ASSERT_EQ(a.state, domain::TaskState::kActive);

    domain::TaskSpec b = CleanAssistSpec();
    b.emergency = true;
    b.emergency_reason = "flood season";
    b.target_communities = {"c1", "c2"};
    b.hours_per_community_month = 15;
    b.start_date = absl::CivilDay(2026, 6, 1);
    b.end_date = absl::CivilDay(2026, 8, 31);
    ASSERT_THAT(
        engine_->tasks().CreateTask(Clerk("housing"), "", "b", Draft(b)),
        ::taskgate::testing::IsOk());
    ASSERT_OK_AND_ASSIGN(domain::Task submitted_b,
                         Do(Clerk("housing"), TaskAction::kSubmit, "b"));
    ASSERT_EQ(submitted_b.state, domain::TaskState::kProvisional);

    domain::TaskSpec c = CleanAssistSpec();
    c.hours_per_community_month = 7;
    ASSERT_THAT(engine_->tasks().CreateTask(Clerk("health"), "", "c", Draft(c)),
                ::taskgate::testing::IsOk());
    ASSERT_OK_AND_ASSIGN(domain::Task submitted_c,
                         Do(Clerk("health"), TaskAction::kSubmit, "c"));
    ASSERT_EQ(submitted_c.state, domain::TaskState::kSubmitted);

    domain::TaskSpec d = CleanAssistSpec();
    d.target_communities.clear();
    d.target_streets = {"east"};
    ASSERT_THAT(engine_->tasks().CreateTask(Clerk(), "", "d", Draft(d)),
                ::taskgate::testing::IsOk());
  }

  std::vector<store::StoredEvent> Events(const std::string& entity_type = "",
                                         const std::string& action = "") {
    store::EventQuery q;
    q.district_id = "default";
    q.entity_type = entity_type;
    q.action = action;
    auto events = sqlite_->ListEvents(q);
    EXPECT_THAT(events, ::taskgate::testing::IsOk());
    return events.ok() ? *events : std::vector<store::StoredEvent>{};
  }

  domain::Principal NewPrincipal(const std::string& id, domain::Role role) {
    domain::Principal p;
    p.id = id;
    p.role = role;
    p.display_name = "Someone";
    return p;
  }

  // What the tests read back, from the store.
  absl::StatusOr<domain::Principal> GetPrincipal(const std::string& id) {
    return sqlite_->GetPrincipal("default", id);
  }
  absl::StatusOr<std::vector<domain::Principal>> ListPrincipals() {
    return sqlite_->ListPrincipals("default");
  }
  absl::StatusOr<std::vector<domain::Credential>> ListCredentials(
      const std::string& principal_id) {
    return sqlite_->ListCredentials("default", principal_id);
  }
  absl::StatusOr<std::vector<domain::AssignmentAck>> ListAcks(
      const std::string& task_id, const std::string& community_id) {
    return sqlite_->ListAcks("default", task_id, community_id);
  }
  absl::StatusOr<std::vector<domain::FundingReport>> ListFundingReports(
      const std::string& task_id, const std::string& community_id) {
    return sqlite_->ListFundingReports("default", task_id, community_id);
  }
  absl::StatusOr<domain::Complaint> GetComplaint(const std::string& id) {
    return sqlite_->GetComplaint("default", id);
  }
  absl::StatusOr<std::vector<domain::Complaint>> ListComplaints(
      const std::string& community_id,
      const std::vector<domain::ComplaintState>& states) {
    return sqlite_->ListComplaints("default", community_id, states);
  }
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_TESTS_WORKFLOW_WORKFLOW_FIXTURE_H_
