// The `Engine` operations of engine_people.cc: principals and tokens,
// community workload, acknowledgements, funding reports and complaints.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
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
namespace {

using ::taskgate::testing::FakeClock;
using ::taskgate::testing::FaultInjectingStore;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

const absl::TimeZone kShanghai = absl::FixedTimeZone(8 * 60 * 60);

// 2026-03-02 is a Monday; 09:00 in Shanghai.
absl::Time At(int y, int m, int d, int hour = 9) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hour, 0, 0), kShanghai);
}

// The hash a server stores for token secret `secret`.
std::string HashOf(const std::string& secret) {
  return audit::ToHex(audit::Sha256(secret));
}

domain::Principal Admin() {
  domain::Principal p;
  p.id = "admin-1";
  p.role = domain::Role::kAdmin;
  return p;
}
domain::Principal Clerk(const std::string& department = "civil-affairs") {
  domain::Principal p;
  p.id = "clerk-" + department;
  p.role = domain::Role::kDepartment;
  p.department_id = department;
  return p;
}
domain::Principal Reviewer(const std::string& id,
                           const std::string& home = "") {
  domain::Principal p;
  p.id = id;
  p.role = domain::Role::kReviewer;
  p.home_department_id = home;
  return p;
}
domain::Principal Office(const std::string& community) {
  domain::Principal p;
  p.id = "office-" + community;
  p.role = domain::Role::kCommunity;
  p.community_id = community;
  return p;
}
domain::Principal Auditor() {
  domain::Principal p;
  p.id = "auditor-1";
  p.role = domain::Role::kAuditor;
  return p;
}

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> out;
  for (const FieldViolation& v : GetFieldViolations(status)) {
    out.push_back(v.field);
  }
  return out;
}

class EnginePeopleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::OpenSqliteStore(":memory:");
    ASSERT_THAT(opened, IsOk());
    sqlite_ = *std::move(opened);
    faults_ = std::make_unique<FaultInjectingStore>(*sqlite_);
    engine_ = std::make_unique<Engine>(*faults_, clock_, EngineOptions());
    ASSERT_THAT(engine_->EnsureDistrict("Test district"), IsOk());
    std::vector<domain::CatalogItem> items = {
        {"A-001",
         domain::ListKind::kAssist,
         "Elderly care subsidy checks",
         "老年人权益保障法",
         {}},
    };
    ASSERT_THAT(engine_->PublishCatalog(Admin(), "", items, "lists"), IsOk());
    for (const auto& [id, street] :
         {std::pair{"c1", "east"}, {"c2", "east"}, {"c3", "west"}}) {
      domain::Community c;
      c.id = id;
      c.name = std::string("Community ") + id;
      c.street = street;
      c.staff_count = 5;  // capacity 100 h
      c.baseline_hours = 60;
      ASSERT_THAT(engine_->PutCommunity(Admin(), "", c, 0), IsOk());
    }
  }

  // An assist-list task for c1 that passes every rule: 10 h a month from
  // May to July 2026, funded, duty split given.
  domain::TaskSpec CleanSpec() {
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

  absl::StatusOr<domain::Task> Do(const domain::Principal& p, TaskAction action,
                                  const std::string& id) {
    ActionRequest r;
    r.action = action;
    r.task_id = id;
    return engine_->Act(p, r);
  }

  // Task "a": ACTIVE, 10 h for c1, May-July 2026.
  // Task "b": PROVISIONAL (emergency), 15 h for c1 and c2, June-August.
  // Task "c": SUBMITTED, 7 h for c1: in review, so not in any workload.
  // Task "d": DRAFT of civil affairs for the whole east street.
  void MakeTasks() {
    ASSERT_THAT(engine_->CreateTask(Clerk(), "", "a", CleanSpec()), IsOk());
    ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "a"), IsOk());
    ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "a"), IsOk());
    ASSERT_OK_AND_ASSIGN(domain::Task a,
                         Do(Reviewer("r1"), TaskAction::kApprove, "a"));
    ASSERT_EQ(a.state, domain::TaskState::kActive);

    domain::TaskSpec b = CleanSpec();
    b.emergency = true;
    b.emergency_reason = "flood season";
    b.target_communities = {"c1", "c2"};
    b.hours_per_community_month = 15;
    b.start_date = absl::CivilDay(2026, 6, 1);
    b.end_date = absl::CivilDay(2026, 8, 31);
    ASSERT_THAT(engine_->CreateTask(Clerk("housing"), "", "b", b), IsOk());
    ASSERT_OK_AND_ASSIGN(domain::Task submitted_b,
                         Do(Clerk("housing"), TaskAction::kSubmit, "b"));
    ASSERT_EQ(submitted_b.state, domain::TaskState::kProvisional);

    domain::TaskSpec c = CleanSpec();
    c.hours_per_community_month = 7;
    ASSERT_THAT(engine_->CreateTask(Clerk("health"), "", "c", c), IsOk());
    ASSERT_OK_AND_ASSIGN(domain::Task submitted_c,
                         Do(Clerk("health"), TaskAction::kSubmit, "c"));
    ASSERT_EQ(submitted_c.state, domain::TaskState::kSubmitted);

    domain::TaskSpec d = CleanSpec();
    d.target_communities.clear();
    d.target_streets = {"east"};
    ASSERT_THAT(engine_->CreateTask(Clerk(), "", "d", d), IsOk());
  }

  std::vector<store::StoredEvent> Events(const std::string& entity_type = "",
                                         const std::string& action = "") {
    store::EventQuery q;
    q.district_id = "default";
    q.entity_type = entity_type;
    q.action = action;
    auto events = sqlite_->ListEvents(q);
    EXPECT_THAT(events, IsOk());
    return events.ok() ? *events : std::vector<store::StoredEvent>{};
  }

  int64_t EventCount() {
    auto n = sqlite_->EventCount("default");
    EXPECT_THAT(n, IsOk());
    return n.ok() ? *n : -1;
  }

  domain::Principal NewPrincipal(const std::string& id, domain::Role role) {
    domain::Principal p;
    p.id = id;
    p.role = role;
    p.display_name = "Someone";
    return p;
  }

  FakeClock clock_{At(2026, 3, 2)};
  std::unique_ptr<store::Store> sqlite_;
  std::unique_ptr<FaultInjectingStore> faults_;
  std::unique_ptr<Engine> engine_;
};

// ------------------------------------------------------------- bootstrap

TEST_F(EnginePeopleTest, BootstrapCreatesTheAdminAndItsTokenOnlyOnce) {
  const int64_t before = EventCount();
  ASSERT_OK_AND_ASSIGN(std::optional<domain::Credential> issued,
                       engine_->BootstrapAdmin("tok-boot", HashOf("s1")));
  ASSERT_TRUE(issued.has_value());
  EXPECT_EQ(issued->id, "tok-boot");
  EXPECT_EQ(issued->principal_id, "admin");
  EXPECT_EQ(issued->created_by, "system");
  EXPECT_EQ(issued->created_at, At(2026, 3, 2));
  EXPECT_EQ(EventCount(), before + 2);

  ASSERT_OK_AND_ASSIGN(domain::Principal admin,
                       engine_->Authenticate(HashOf("s1")));
  EXPECT_EQ(admin.id, "admin");
  EXPECT_EQ(admin.role, domain::Role::kAdmin);
  EXPECT_EQ(admin.display_name, "District administrator");
  EXPECT_EQ(admin.version, 1);

  std::vector<store::StoredEvent> events = Events();
  ASSERT_GE(events.size(), 2U);
  const domain::AuditEvent& created = events[events.size() - 2].event;
  const domain::AuditEvent& token = events.back().event;
  EXPECT_EQ(created.action, "principal.create");
  EXPECT_EQ(created.actor_id, "system");
  EXPECT_EQ(created.actor_role, domain::Role::kSystem);
  EXPECT_EQ(created.entity_id, "admin");
  EXPECT_EQ(token.action, "credential.issue");
  EXPECT_EQ(token.entity_id, "tok-boot");
  EXPECT_THAT(events.back().canonical, Not(HasSubstr(HashOf("s1"))));

  ASSERT_OK_AND_ASSIGN(std::optional<domain::Credential> again,
                       engine_->BootstrapAdmin("tok-2", HashOf("s2")));
  EXPECT_FALSE(again.has_value());
  EXPECT_EQ(EventCount(), before + 2);
  EXPECT_THAT(engine_->Authenticate(HashOf("s2")),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(EnginePeopleTest, BootstrapRefusesAMalformedTokenHash) {
  absl::StatusOr<std::optional<domain::Credential>> bad =
      engine_->BootstrapAdmin("Tok!", "ABCDEF");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(bad.status()), ElementsAre("token_id", "token_hash"));
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Principal> none,
                       engine_->ListPrincipals());
  EXPECT_THAT(none, IsEmpty());
}

// ------------------------------------------------------------ principals

TEST_F(EnginePeopleTest, CreatePrincipalChecksTheScopeEachRoleNeeds) {
  struct Case {
    domain::Principal principal;
    std::vector<std::string> fields;
  };
  domain::Principal clerk = NewPrincipal("clerk-1", domain::Role::kDepartment);
  domain::Principal office = NewPrincipal("office-1", domain::Role::kCommunity);
  domain::Principal unknown_office = office;
  unknown_office.community_id = "c9";
  domain::Principal system = NewPrincipal("robot", domain::Role::kSystem);
  domain::Principal admin_with_scope =
      NewPrincipal("admin-2", domain::Role::kAdmin);
  admin_with_scope.community_id = "c1";
  admin_with_scope.department_id = "civil-affairs";
  domain::Principal auditor_with_home =
      NewPrincipal("aud-2", domain::Role::kAuditor);
  auditor_with_home.home_department_id = "civil-affairs";
  domain::Principal bad_reviewer =
      NewPrincipal("Rev 1", domain::Role::kReviewer);
  bad_reviewer.home_department_id = "Civil Affairs";
  domain::Principal reserved = NewPrincipal("system", domain::Role::kAuditor);
  const std::vector<Case> cases = {
      {clerk, {"principal.department_id"}},
      {office, {"principal.community_id"}},
      {unknown_office, {"principal.community_id"}},
      {system, {"principal.role"}},
      {admin_with_scope, {"principal.department_id", "principal.community_id"}},
      {auditor_with_home, {"principal.home_department_id"}},
      {bad_reviewer, {"principal.id", "principal.home_department_id"}},
      {reserved, {"principal.id"}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<domain::Principal> created =
        engine_->CreatePrincipal(Admin(), "", c.principal);
    EXPECT_THAT(created, StatusIs(absl::StatusCode::kInvalidArgument))
        << c.principal.id;
    EXPECT_EQ(Fields(created.status()), c.fields) << c.principal.id;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Principal> none,
                       engine_->ListPrincipals());
  EXPECT_THAT(none, IsEmpty());
}

TEST_F(EnginePeopleTest, CreatePrincipalStoresEachRoleWithItsScope) {
  domain::Principal clerk = NewPrincipal("clerk-1", domain::Role::kDepartment);
  clerk.department_id = "civil-affairs";
  domain::Principal reviewer = NewPrincipal("rev-1", domain::Role::kReviewer);
  reviewer.home_department_id = "health";
  domain::Principal office =
      NewPrincipal("office-c1", domain::Role::kCommunity);
  office.community_id = "c1";
  domain::Principal auditor = NewPrincipal("aud-1", domain::Role::kAuditor);
  for (const domain::Principal& p : {clerk, reviewer, office, auditor}) {
    ASSERT_OK_AND_ASSIGN(domain::Principal created,
                         engine_->CreatePrincipal(Admin(), "", p));
    EXPECT_EQ(created.version, 1);
    EXPECT_EQ(created.created_at, At(2026, 3, 2));
    EXPECT_EQ(created.district_id, "default");
    EXPECT_FALSE(created.disabled);
  }
  ASSERT_OK_AND_ASSIGN(domain::Principal stored,
                       engine_->GetPrincipal("office-c1"));
  EXPECT_EQ(stored.community_id, "c1");
  EXPECT_EQ(stored.role, domain::Role::kCommunity);
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Principal> all,
                       engine_->ListPrincipals());
  std::vector<std::string> ids;
  for (const domain::Principal& p : all) ids.push_back(p.id);
  EXPECT_THAT(ids, ElementsAre("aud-1", "clerk-1", "office-c1", "rev-1"));

  std::vector<store::StoredEvent> events =
      Events("principal", "principal.create");
  ASSERT_EQ(events.size(), 4U);
  EXPECT_EQ(events[0].event.entity_id, "clerk-1");
  EXPECT_EQ(events[0].event.department_id, "civil-affairs");
  EXPECT_EQ(events[0].event.actor_id, "admin-1");
  EXPECT_EQ(events[0].event.details.at("role"), "department");
  EXPECT_THAT(events[2].event.community_ids, ElementsAre("c1"));
  EXPECT_EQ(events[1].event.details.at("home_department_id"), "health");

  EXPECT_THAT(engine_->CreatePrincipal(Admin(), "", clerk),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("principal clerk-1 already exists")));
}

TEST_F(EnginePeopleTest, OnlyAnAdminManagesPrincipalsAndTokens) {
  domain::Principal p = NewPrincipal("aud-1", domain::Role::kAuditor);
  for (const domain::Principal& caller : {Reviewer("r1"), Auditor(), Clerk()}) {
    EXPECT_THAT(engine_->CreatePrincipal(caller, "", p),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("an admin does")));
    EXPECT_THAT(
        engine_->IssueToken(caller, "", "aud-1", "tok-1", HashOf("x"), ""),
        StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(engine_->RevokeToken(caller, "", "tok-1"),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(engine_->SetPrincipalDisabled(caller, "", "aud-1", true, 0),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

TEST_F(EnginePeopleTest, CreatePrincipalRetriedWithItsRequestIdAnswersOnce) {
  domain::Principal p = NewPrincipal("aud-1", domain::Role::kAuditor);
  ASSERT_OK_AND_ASSIGN(domain::Principal first,
                       engine_->CreatePrincipal(Admin(), "req-p1", p));
  const int64_t events = EventCount();
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(domain::Principal again,
                       engine_->CreatePrincipal(Admin(), "req-p1", p));
  EXPECT_EQ(again.created_at, first.created_at);
  EXPECT_EQ(EventCount(), events);
  p.display_name = "Someone else";
  EXPECT_THAT(
      engine_->CreatePrincipal(Admin(), "req-p1", p),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("already used")));
}

// ---------------------------------------------------------------- tokens

// The server draws a fresh token id and secret on every attempt; a retry of
// the same request must still get the first credential, not an error.
TEST_F(EnginePeopleTest, IssueTokenRetriedWithFreshIdAndHashAnswersOnce) {
  ASSERT_THAT(engine_->CreatePrincipal(
                  Admin(), "", NewPrincipal("aud-1", domain::Role::kAuditor)),
              IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Credential first,
                       engine_->IssueToken(Admin(), "req-tok", "aud-1", "tok-1",
                                           HashOf("s1"), "desk"));
  const int64_t events = EventCount();
  ASSERT_OK_AND_ASSIGN(domain::Credential again,
                       engine_->IssueToken(Admin(), "req-tok", "aud-1", "tok-2",
                                           HashOf("s2"), "desk"));
  EXPECT_EQ(again.id, "tok-1");
  EXPECT_EQ(EventCount(), events);
  EXPECT_THAT(engine_->Authenticate(HashOf("s2")),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(EnginePeopleTest, IssuedTokenAuthenticatesUntilRevoked) {
  domain::Principal clerk = NewPrincipal("clerk-1", domain::Role::kDepartment);
  clerk.department_id = "civil-affairs";
  ASSERT_THAT(engine_->CreatePrincipal(Admin(), "", clerk), IsOk());
  ASSERT_OK_AND_ASSIGN(
      domain::Credential issued,
      engine_->IssueToken(Admin(), "req-t1", "clerk-1", "tok-1",
                          HashOf("secret-1"), "office laptop"));
  EXPECT_EQ(issued.principal_id, "clerk-1");
  EXPECT_EQ(issued.token_hash, HashOf("secret-1"));
  EXPECT_EQ(issued.created_by, "admin-1");
  EXPECT_FALSE(issued.revoked);

  ASSERT_OK_AND_ASSIGN(domain::Principal who,
                       engine_->Authenticate(HashOf("secret-1")));
  EXPECT_EQ(who.id, "clerk-1");
  EXPECT_EQ(who.role, domain::Role::kDepartment);
  EXPECT_EQ(who.department_id, "civil-affairs");

  std::vector<store::StoredEvent> issue =
      Events("credential", "credential.issue");
  ASSERT_EQ(issue.size(), 1U);
  EXPECT_EQ(issue[0].event.entity_id, "tok-1");
  EXPECT_EQ(issue[0].event.details.at("principal_id"), "clerk-1");
  EXPECT_EQ(issue[0].event.department_id, "civil-affairs");
  EXPECT_THAT(issue[0].canonical, Not(HasSubstr(HashOf("secret-1"))));
  EXPECT_THAT(issue[0].canonical, Not(HasSubstr("secret-1")));

  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(domain::Credential revoked,
                       engine_->RevokeToken(Admin(), "req-r1", "tok-1"));
  EXPECT_TRUE(revoked.revoked);
  EXPECT_EQ(revoked.revoked_at, At(2026, 3, 2, 10));
  EXPECT_EQ(revoked.version, 2);
  EXPECT_THAT(engine_->Authenticate(HashOf("secret-1")),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("unknown or revoked token")));
  std::vector<store::StoredEvent> revoke =
      Events("credential", "credential.revoke");
  ASSERT_EQ(revoke.size(), 1U);
  EXPECT_EQ(revoke[0].event.state_before, "active");
  EXPECT_EQ(revoke[0].event.state_after, "revoked");

  // Revoking again changes nothing.
  const int64_t events = EventCount();
  ASSERT_OK_AND_ASSIGN(domain::Credential still,
                       engine_->RevokeToken(Admin(), "req-r2", "tok-1"));
  EXPECT_EQ(still.version, 2);
  EXPECT_EQ(EventCount(), events);
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Credential> listed,
                       engine_->ListCredentials("clerk-1"));
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_TRUE(listed[0].revoked);
  EXPECT_THAT(engine_->RevokeToken(Admin(), "", "tok-9"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(EnginePeopleTest, UnknownMalformedAndRevokedTokensGetOneMessage) {
  const absl::StatusOr<domain::Principal> unknown =
      engine_->Authenticate(HashOf("never issued"));
  const absl::StatusOr<domain::Principal> malformed =
      engine_->Authenticate("x");
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(malformed, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(unknown.status().message(), malformed.status().message());
}

TEST_F(EnginePeopleTest, DisabledPrincipalCannotAuthenticateUntilEnabled) {
  domain::Principal auditor = NewPrincipal("aud-1", domain::Role::kAuditor);
  ASSERT_THAT(engine_->CreatePrincipal(Admin(), "", auditor), IsOk());
  ASSERT_THAT(
      engine_->IssueToken(Admin(), "", "aud-1", "tok-1", HashOf("s"), ""),
      IsOk());
  const absl::StatusOr<domain::Principal> unknown =
      engine_->Authenticate(HashOf("?"));

  ASSERT_OK_AND_ASSIGN(
      domain::Principal disabled,
      engine_->SetPrincipalDisabled(Admin(), "", "aud-1", true, 1));
  EXPECT_TRUE(disabled.disabled);
  EXPECT_EQ(disabled.version, 2);
  const absl::StatusOr<domain::Principal> refused =
      engine_->Authenticate(HashOf("s"));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnauthenticated));
  // The same words as for an unknown token: a caller cannot tell which.
  EXPECT_EQ(refused.status().message(), unknown.status().message());
  EXPECT_THAT(
      engine_->IssueToken(Admin(), "", "aud-1", "tok-2", HashOf("t"), ""),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("principal aud-1 is disabled")));

  EXPECT_THAT(engine_->SetPrincipalDisabled(Admin(), "", "aud-1", false, 1),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("principal aud-1 is at version 2, not 1")));
  ASSERT_OK_AND_ASSIGN(
      domain::Principal enabled,
      engine_->SetPrincipalDisabled(Admin(), "", "aud-1", false, 2));
  EXPECT_FALSE(enabled.disabled);
  EXPECT_EQ(enabled.version, 3);
  EXPECT_THAT(engine_->Authenticate(HashOf("s")), IsOk());

  std::vector<store::StoredEvent> events = Events("principal");
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[1].event.action, "principal.disable");
  EXPECT_EQ(events[1].event.state_before, "enabled");
  EXPECT_EQ(events[1].event.state_after, "disabled");
  EXPECT_EQ(events[2].event.action, "principal.enable");

  EXPECT_THAT(engine_->SetPrincipalDisabled(Admin(), "", "admin-1", true, 0),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot disable their own principal")));
  EXPECT_THAT(engine_->SetPrincipalDisabled(Admin(), "", "ghost", true, 0),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(EnginePeopleTest, IssueTokenValidatesItsInputAndRefusesAReusedHash) {
  ASSERT_THAT(engine_->CreatePrincipal(
                  Admin(), "", NewPrincipal("aud-1", domain::Role::kAuditor)),
              IsOk());
  absl::StatusOr<domain::Credential> bad = engine_->IssueToken(
      Admin(), "", "aud-1", "tok 1", std::string(64, 'A'), "");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(bad.status()), ElementsAre("token_id", "token_hash"));
  EXPECT_THAT(
      engine_->IssueToken(Admin(), "", "ghost", "tok-1", HashOf("s"), ""),
      StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(
      engine_->IssueToken(Admin(), "", "aud-1", "tok-1", HashOf("s"), ""),
      IsOk());
  EXPECT_THAT(
      engine_->IssueToken(Admin(), "", "aud-1", "tok-2", HashOf("s"), ""),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already in use")));
}

// ----------------------------------------------------------- access audit

TEST_F(EnginePeopleTest, RefusedCallsAreRecordedAsOneEventEach) {
  const int64_t before = EventCount();
  domain::Principal anonymous;
  anonymous.id = "anonymous";
  ASSERT_THAT(engine_->RecordAccessDenied(
                  anonymous, "/taskgate.v1.Tasks/GetTask",
                  absl::StatusCode::kUnauthenticated, "no bearer token"),
              IsOk());
  ASSERT_THAT(engine_->RecordAccessDenied(
                  Clerk(), "/taskgate.v1.Catalog/PublishCatalog",
                  absl::StatusCode::kPermissionDenied,
                  "role department may not publish the catalog"),
              IsOk());
  EXPECT_THAT(engine_->RecordAccessDenied(Clerk(), "/x",
                                          absl::StatusCode::kNotFound, ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(EventCount(), before + 2);

  std::vector<store::StoredEvent> events = Events("rpc");
  ASSERT_EQ(events.size(), 2U);
  const domain::AuditEvent& unauthenticated = events[0].event;
  EXPECT_EQ(unauthenticated.action, "access.unauthenticated");
  EXPECT_EQ(unauthenticated.actor_id, "anonymous");
  EXPECT_EQ(unauthenticated.entity_id, "/taskgate.v1.Tasks/GetTask");
  EXPECT_EQ(unauthenticated.reason, "no bearer token");
  EXPECT_EQ(unauthenticated.details.at("code"), "UNAUTHENTICATED");
  const domain::AuditEvent& denied = events[1].event;
  EXPECT_EQ(denied.action, "access.denied");
  EXPECT_EQ(denied.actor_id, "clerk-civil-affairs");
  EXPECT_EQ(denied.actor_role, domain::Role::kDepartment);
  EXPECT_EQ(denied.department_id, "civil-affairs");
  EXPECT_EQ(denied.entity_type, "rpc");
  EXPECT_EQ(denied.details.at("code"), "PERMISSION_DENIED");
}

// -------------------------------------------------------------- workload

TEST_F(EnginePeopleTest, WorkloadIsBaselinePlusAdmittedTasksPerMonth) {
  MakeTasks();
  ASSERT_OK_AND_ASSIGN(
      Workload c1,
      engine_->GetWorkload(Office("c1"), "c1", absl::CivilMonth(2026, 5),
                           absl::CivilMonth(2026, 6)));
  EXPECT_EQ(c1.community.id, "c1");
  std::vector<std::string> ids;
  for (const domain::Task& t : c1.assignments) ids.push_back(t.id);
  EXPECT_THAT(ids, ElementsAre("a", "b"));  // "c" is still in review
  // May: 60 baseline + 10 (a); June: 60 + 10 (a) + 15 (b).
  EXPECT_THAT(c1.monthly_load,
              ElementsAre(Pair(absl::CivilMonth(2026, 5), 70.0),
                          Pair(absl::CivilMonth(2026, 6), 85.0)));
  EXPECT_THAT(c1.acks, IsEmpty());

  ASSERT_OK_AND_ASSIGN(
      Workload c2,
      engine_->GetWorkload(Auditor(), "c2", absl::CivilMonth(2026, 5),
                           absl::CivilMonth(2026, 6)));
  EXPECT_THAT(c2.monthly_load,
              ElementsAre(Pair(absl::CivilMonth(2026, 5), 60.0),
                          Pair(absl::CivilMonth(2026, 6), 75.0)));
}

TEST_F(EnginePeopleTest, WorkloadIsShownOnlyToItsCommunityAndOverseers) {
  const absl::CivilMonth may(2026, 5);
  EXPECT_THAT(engine_->GetWorkload(Office("c1"), "c2", may, may),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("acts for community c1")));
  EXPECT_THAT(engine_->GetWorkload(Clerk(), "c1", may, may),
              StatusIs(absl::StatusCode::kPermissionDenied));
  for (const domain::Principal& p : {Reviewer("r1"), Auditor(), Admin()}) {
    EXPECT_THAT(engine_->GetWorkload(p, "c1", may, may), IsOk());
  }
  EXPECT_THAT(engine_->GetWorkload(Reviewer("r1"), "c9", may, may),
              StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<Workload> backwards =
      engine_->GetWorkload(Auditor(), "c1", may, absl::CivilMonth(2026, 4));
  EXPECT_THAT(backwards, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(backwards.status()), ElementsAre("to"));
  EXPECT_THAT(
      engine_->GetWorkload(Auditor(), "c1", may, absl::CivilMonth(2036, 5)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("spans 121 months")));
}

// ------------------------------------------------------- acknowledgements

TEST_F(EnginePeopleTest, AcknowledgementIsIdempotentByRequestIdAndOnlyOnce) {
  MakeTasks();
  const int64_t before = EventCount();
  ASSERT_OK_AND_ASSIGN(
      domain::AssignmentAck ack,
      engine_->AcknowledgeAssignment(Office("c1"), "req-ack-1", "a"));
  EXPECT_EQ(ack.task_id, "a");
  EXPECT_EQ(ack.community_id, "c1");
  EXPECT_EQ(ack.acknowledged_by, "office-c1");
  EXPECT_EQ(ack.acknowledged_at, At(2026, 3, 2));

  clock_.Advance(absl::Hours(2));
  ASSERT_OK_AND_ASSIGN(
      domain::AssignmentAck retried,
      engine_->AcknowledgeAssignment(Office("c1"), "req-ack-1", "a"));
  EXPECT_EQ(retried.acknowledged_at, At(2026, 3, 2));
  EXPECT_EQ(EventCount(), before + 1);
  EXPECT_THAT(engine_->AcknowledgeAssignment(Office("c1"), "req-ack-2", "a"),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("already acknowledged")));
  EXPECT_EQ(EventCount(), before + 1);

  // A PROVISIONAL assignment counts too.
  ASSERT_THAT(engine_->AcknowledgeAssignment(Office("c2"), "", "b"), IsOk());

  std::vector<store::StoredEvent> events =
      Events("task", "assignment.acknowledge");
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].event.entity_id, "a");
  EXPECT_EQ(events[0].event.actor_id, "office-c1");
  EXPECT_EQ(events[0].event.department_id, "civil-affairs");
  EXPECT_THAT(events[0].event.community_ids, ElementsAre("c1"));
  EXPECT_EQ(events[1].event.department_id, "housing");

  ASSERT_OK_AND_ASSIGN(
      Workload c1,
      engine_->GetWorkload(Office("c1"), "c1", absl::CivilMonth(2026, 5),
                           absl::CivilMonth(2026, 5)));
  ASSERT_EQ(c1.acks.size(), 1U);
  EXPECT_EQ(c1.acks[0].task_id, "a");
  ASSERT_OK_AND_ASSIGN(std::vector<domain::AssignmentAck> of_b,
                       engine_->ListAcks("b", ""));
  ASSERT_EQ(of_b.size(), 1U);
  EXPECT_EQ(of_b[0].community_id, "c2");
}

TEST_F(EnginePeopleTest, AcknowledgementScopeComesBeforeTheTaskState) {
  MakeTasks();
  // c3 is no target of "a" (ACTIVE) nor of draft "d" (street east).
  EXPECT_THAT(engine_->AcknowledgeAssignment(Office("c3"), "", "a"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("task a does not target community c3")));
  EXPECT_THAT(engine_->AcknowledgeAssignment(Office("c3"), "", "d"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Targets whose task is not (yet) in their workload.
  EXPECT_THAT(engine_->AcknowledgeAssignment(Office("c2"), "", "d"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("task d is DRAFT")));
  EXPECT_THAT(engine_->AcknowledgeAssignment(Office("c1"), "", "c"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("task c is SUBMITTED")));
  EXPECT_THAT(engine_->AcknowledgeAssignment(Office("c1"), "", "zz"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(engine_->AcknowledgeAssignment(Reviewer("r1"), "", "a"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("a community office does")));
  ASSERT_OK_AND_ASSIGN(std::vector<domain::AssignmentAck> none,
                       engine_->ListAcks("", ""));
  EXPECT_THAT(none, IsEmpty());
}

// -------------------------------------------------------- funding reports

TEST_F(EnginePeopleTest, FundingReportIsFiledByATargetWithANote) {
  MakeTasks();
  ASSERT_OK_AND_ASSIGN(
      domain::FundingReport report,
      engine_->ReportFundingMissing(Office("c1"), "req-f1", "a", "fr-1",
                                    "no transfer received by April"));
  EXPECT_EQ(report.task_id, "a");
  EXPECT_EQ(report.community_id, "c1");
  EXPECT_EQ(report.reported_by, "office-c1");
  EXPECT_EQ(report.reported_at, At(2026, 3, 2));

  std::vector<store::StoredEvent> events =
      Events("task", "funding.report_missing");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].event.entity_id, "a");
  EXPECT_EQ(events[0].event.department_id, "civil-affairs");
  EXPECT_THAT(events[0].event.community_ids, ElementsAre("c1"));
  EXPECT_EQ(events[0].event.reason, "no transfer received by April");
  EXPECT_EQ(events[0].event.details.at("report_id"), "fr-1");

  absl::StatusOr<domain::FundingReport> no_note =
      engine_->ReportFundingMissing(Office("c1"), "", "a", "fr-2", "  ");
  EXPECT_THAT(no_note, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(no_note.status()), ElementsAre("note"));
  EXPECT_THAT(
      engine_->ReportFundingMissing(Office("c3"), "", "a", "fr-3", "none"),
      StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      engine_->ReportFundingMissing(Office("c1"), "", "c", "fr-4", "none"),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(engine_->ReportFundingMissing(Auditor(), "", "a", "fr-5", "none"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      engine_->ReportFundingMissing(Office("c1"), "", "a", "fr-1", "again"),
      StatusIs(absl::StatusCode::kAlreadyExists));

  ASSERT_OK_AND_ASSIGN(std::vector<domain::FundingReport> of_a,
                       engine_->ListFundingReports("a", ""));
  ASSERT_EQ(of_a.size(), 1U);
  EXPECT_EQ(of_a[0].id, "fr-1");
  ASSERT_OK_AND_ASSIGN(std::vector<domain::FundingReport> of_c2,
                       engine_->ListFundingReports("", "c2"));
  EXPECT_THAT(of_c2, IsEmpty());
}

// ------------------------------------------------------------ complaints

TEST_F(EnginePeopleTest, ComplaintIsFiledForTheOfficesOwnCommunity) {
  MakeTasks();
  domain::Complaint c;
  c.id = "k1";
  c.community_id = "c2";  // ignored: the office speaks for c1
  c.task_id = "c";
  c.title = "inspection before admission";
  c.description = "task c already asks for weekly inspections";
  c.state = domain::ComplaintState::kResolved;  // ignored
  ASSERT_OK_AND_ASSIGN(domain::Complaint filed,
                       engine_->FileComplaint(Office("c1"), "req-k1", c));
  EXPECT_EQ(filed.community_id, "c1");
  EXPECT_EQ(filed.department_id, "health");  // from task c
  EXPECT_EQ(filed.state, domain::ComplaintState::kOpen);
  EXPECT_EQ(filed.version, 1);
  EXPECT_EQ(filed.filed_by, "office-c1");
  EXPECT_EQ(filed.filed_at, At(2026, 3, 2));

  std::vector<store::StoredEvent> events = Events("complaint");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].event.action, "complaint.file");
  EXPECT_EQ(events[0].event.state_after, "OPEN");
  EXPECT_EQ(events[0].event.department_id, "health");
  EXPECT_THAT(events[0].event.community_ids, ElementsAre("c1"));

  domain::Complaint outside;
  outside.id = "k2";
  outside.department_id = "urban-management";
  outside.title = "street cleaning quota";
  outside.description = "sent by phone, never submitted to TaskGate";
  ASSERT_OK_AND_ASSIGN(domain::Complaint filed2,
                       engine_->FileComplaint(Office("c3"), "", outside));
  EXPECT_EQ(filed2.department_id, "urban-management");
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Complaint> of_c1,
                       engine_->ListComplaints("c1", {}));
  ASSERT_EQ(of_c1.size(), 1U);
  EXPECT_EQ(of_c1[0].id, "k1");
}

TEST_F(EnginePeopleTest, BadComplaintNamesEveryFieldAndStoresNothing) {
  domain::Complaint c;
  c.id = "K 1";
  c.task_id = "ghost";
  absl::StatusOr<domain::Complaint> bad =
      engine_->FileComplaint(Office("c1"), "", c);
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      Fields(bad.status()),
      ElementsAre("complaint.id", "complaint.title", "complaint.description"));
  c.id = "k1";
  c.title = "t";
  c.description = "d";
  absl::StatusOr<domain::Complaint> no_task =
      engine_->FileComplaint(Office("c1"), "", c);
  EXPECT_THAT(no_task, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("task 'ghost' does not exist")));
  EXPECT_THAT(Fields(no_task.status()), ElementsAre("complaint.task_id"));
  EXPECT_THAT(engine_->FileComplaint(Clerk(), "", c),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Complaint> none,
                       engine_->ListComplaints("", {}));
  EXPECT_THAT(none, IsEmpty());
}

class ComplaintLifecycleTest : public EnginePeopleTest {
 protected:
  void SetUp() override {
    EnginePeopleTest::SetUp();
    for (const char* id : {"k1", "k2"}) {
      domain::Complaint c;
      c.id = id;
      c.department_id = "housing";
      c.title = "survey pushed down";
      c.description = "a survey form arrived without admission";
      ASSERT_THAT(engine_->FileComplaint(Office("c1"), "", c), IsOk());
    }
  }

  absl::StatusOr<domain::Complaint> Handle(
      const std::string& id, domain::ComplaintState to,
      const domain::Principal& reviewer = Reviewer("r1"),
      int64_t expected_version = 0) {
    return engine_->HandleComplaint(reviewer, "", id, expected_version, to,
                                    "checked with the department");
  }
};

TEST_F(ComplaintLifecycleTest, VerifiedAndUnfoundedComplaintsBothResolve) {
  ASSERT_OK_AND_ASSIGN(domain::Complaint verified,
                       Handle("k1", domain::ComplaintState::kVerified));
  EXPECT_EQ(verified.state, domain::ComplaintState::kVerified);
  EXPECT_EQ(verified.handled_by, "r1");
  EXPECT_EQ(verified.resolution, "checked with the department");
  EXPECT_EQ(verified.version, 2);
  ASSERT_OK_AND_ASSIGN(
      domain::Complaint resolved,
      Handle("k1", domain::ComplaintState::kResolved, Reviewer("r2"), 2));
  EXPECT_EQ(resolved.state, domain::ComplaintState::kResolved);
  EXPECT_EQ(resolved.handled_by, "r2");
  EXPECT_EQ(resolved.version, 3);

  ASSERT_THAT(Handle("k2", domain::ComplaintState::kUnfounded), IsOk());
  ASSERT_THAT(Handle("k2", domain::ComplaintState::kResolved), IsOk());

  std::vector<std::string> moves;
  for (const store::StoredEvent& e : Events("complaint")) {
    moves.push_back(absl::StrCat(e.event.entity_id, " ", e.event.action, " ",
                                 e.event.state_before, "->",
                                 e.event.state_after));
  }
  EXPECT_THAT(
      moves, ElementsAre("k1 complaint.file ->OPEN", "k2 complaint.file ->OPEN",
                         "k1 complaint.verify OPEN->VERIFIED",
                         "k1 complaint.resolve VERIFIED->RESOLVED",
                         "k2 complaint.mark_unfounded OPEN->UNFOUNDED",
                         "k2 complaint.resolve UNFOUNDED->RESOLVED"));
  ASSERT_OK_AND_ASSIGN(
      std::vector<domain::Complaint> resolved_list,
      engine_->ListComplaints("", {domain::ComplaintState::kResolved}));
  EXPECT_EQ(resolved_list.size(), 2U);
}

TEST_F(ComplaintLifecycleTest, IllegalMovesNameBothStatesAndChangeNothing) {
  EXPECT_THAT(Handle("k1", domain::ComplaintState::kResolved),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("cannot move from OPEN to RESOLVED"),
                             HasSubstr("VERIFIED or UNFOUNDED"))));
  EXPECT_THAT(Handle("k1", domain::ComplaintState::kOpen),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("from OPEN to OPEN")));
  ASSERT_THAT(Handle("k1", domain::ComplaintState::kVerified), IsOk());
  EXPECT_THAT(Handle("k1", domain::ComplaintState::kUnfounded),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("from VERIFIED to UNFOUNDED")));
  ASSERT_THAT(Handle("k1", domain::ComplaintState::kResolved), IsOk());
  EXPECT_THAT(Handle("k1", domain::ComplaintState::kVerified),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("from RESOLVED to VERIFIED"),
                             HasSubstr("closed"))));
  ASSERT_OK_AND_ASSIGN(domain::Complaint k1, engine_->GetComplaint("k1"));
  EXPECT_EQ(k1.state, domain::ComplaintState::kResolved);
  EXPECT_EQ(k1.version, 3);
}

TEST_F(ComplaintLifecycleTest, OnlyAnUninvolvedReviewerHandlesAComplaint) {
  for (const domain::Principal& p :
       {Office("c1"), Auditor(), Admin(), Clerk()}) {
    EXPECT_THAT(Handle("k1", domain::ComplaintState::kVerified, p),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("a reviewer does")));
  }
  EXPECT_THAT(Handle("k1", domain::ComplaintState::kVerified,
                     Reviewer("r9", "housing")),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("another reviewer must handle it")));
  EXPECT_THAT(
      Handle("k1", domain::ComplaintState::kVerified, Reviewer("r1"), 7),
      StatusIs(absl::StatusCode::kAborted));
  absl::StatusOr<domain::Complaint> no_text = engine_->HandleComplaint(
      Reviewer("r1"), "", "k1", 0, domain::ComplaintState::kVerified, "");
  EXPECT_THAT(no_text, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(no_text.status()), ElementsAre("resolution"));
  EXPECT_THAT(Handle("k9", domain::ComplaintState::kVerified),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(domain::Complaint k1, engine_->GetComplaint("k1"));
  EXPECT_EQ(k1.state, domain::ComplaintState::kOpen);
  EXPECT_EQ(k1.version, 1);
}

TEST_F(ComplaintLifecycleTest, HandlingRetriedWithItsRequestIdAnswersOnce) {
  ASSERT_OK_AND_ASSIGN(
      domain::Complaint first,
      engine_->HandleComplaint(Reviewer("r1"), "req-h1", "k1", 1,
                               domain::ComplaintState::kVerified, "confirmed"));
  const int64_t events = EventCount();
  clock_.Advance(absl::Hours(3));
  ASSERT_OK_AND_ASSIGN(
      domain::Complaint again,
      engine_->HandleComplaint(Reviewer("r1"), "req-h1", "k1", 1,
                               domain::ComplaintState::kVerified, "confirmed"));
  EXPECT_EQ(again.version, first.version);
  EXPECT_EQ(again.updated_at, first.updated_at);
  EXPECT_EQ(EventCount(), events);
}

}  // namespace
}  // namespace taskgate::workflow
