// `Principals` (workflow/principals.h): the first admin's bootstrap,
// principals and their tokens, authentication.
#include "workflow/principals.h"

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

#include "common/field_violations.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

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

class PrincipalsTest : public PeopleWorkflowTest {};

TEST_F(PrincipalsTest, BootstrapCreatesTheAdminAndItsTokenOnlyOnce) {
  const int64_t before = EventCount();
  ASSERT_OK_AND_ASSIGN(
      std::optional<domain::Credential> issued,
      engine_->principals().BootstrapAdmin("tok-boot", HashOf("s1")));
  ASSERT_TRUE(issued.has_value());
  EXPECT_EQ(issued->id, "tok-boot");
  EXPECT_EQ(issued->principal_id, "admin");
  EXPECT_EQ(issued->created_by, "system");
  EXPECT_EQ(issued->created_at, At(2026, 3, 2));
  EXPECT_EQ(EventCount(), before + 2);

  ASSERT_OK_AND_ASSIGN(domain::Principal admin,
                       engine_->principals().Authenticate(HashOf("s1")));
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

  ASSERT_OK_AND_ASSIGN(
      std::optional<domain::Credential> again,
      engine_->principals().BootstrapAdmin("tok-2", HashOf("s2")));
  EXPECT_FALSE(again.has_value());
  EXPECT_EQ(EventCount(), before + 2);
  EXPECT_THAT(engine_->principals().Authenticate(HashOf("s2")),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalsTest, BootstrapRefusesAMalformedTokenHash) {
  absl::StatusOr<std::optional<domain::Credential>> bad =
      engine_->principals().BootstrapAdmin("Tok!", "ABCDEF");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(bad.status()), ElementsAre("token_id", "token_hash"));
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Principal> none, ListPrincipals());
  EXPECT_THAT(none, IsEmpty());
}

TEST_F(PrincipalsTest, CreatePrincipalChecksTheScopeEachRoleNeeds) {
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
        engine_->principals().CreatePrincipal(Admin(), "", c.principal);
    EXPECT_THAT(created, StatusIs(absl::StatusCode::kInvalidArgument))
        << c.principal.id;
    EXPECT_EQ(Fields(created.status()), c.fields) << c.principal.id;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Principal> none, ListPrincipals());
  EXPECT_THAT(none, IsEmpty());
}

TEST_F(PrincipalsTest, CreatePrincipalStoresEachRoleWithItsScope) {
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
                         engine_->principals().CreatePrincipal(Admin(), "", p));
    EXPECT_EQ(created.version, 1);
    EXPECT_EQ(created.created_at, At(2026, 3, 2));
    EXPECT_EQ(created.district_id, "default");
    EXPECT_FALSE(created.disabled);
  }
  ASSERT_OK_AND_ASSIGN(domain::Principal stored, GetPrincipal("office-c1"));
  EXPECT_EQ(stored.community_id, "c1");
  EXPECT_EQ(stored.role, domain::Role::kCommunity);
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Principal> all, ListPrincipals());
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

  EXPECT_THAT(engine_->principals().CreatePrincipal(Admin(), "", clerk),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("principal clerk-1 already exists")));
}

TEST_F(PrincipalsTest, OnlyAnAdminManagesPrincipalsAndTokens) {
  domain::Principal p = NewPrincipal("aud-1", domain::Role::kAuditor);
  for (const domain::Principal& caller : {Reviewer("r1"), Auditor(), Clerk()}) {
    EXPECT_THAT(engine_->principals().CreatePrincipal(caller, "", p),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("an admin does")));
    EXPECT_THAT(engine_->principals().IssueToken(caller, "", "aud-1", "tok-1",
                                                 HashOf("x"), ""),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(engine_->principals().RevokeToken(caller, "", "tok-1"),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(engine_->principals().SetPrincipalDisabled(caller, "", "aud-1",
                                                           true, 0),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

TEST_F(PrincipalsTest, CreatePrincipalRetriedWithItsRequestIdAnswersOnce) {
  domain::Principal p = NewPrincipal("aud-1", domain::Role::kAuditor);
  ASSERT_OK_AND_ASSIGN(
      domain::Principal first,
      engine_->principals().CreatePrincipal(Admin(), "req-p1", p));
  const int64_t events = EventCount();
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(
      domain::Principal again,
      engine_->principals().CreatePrincipal(Admin(), "req-p1", p));
  EXPECT_EQ(again.created_at, first.created_at);
  EXPECT_EQ(EventCount(), events);
  p.display_name = "Someone else";
  EXPECT_THAT(
      engine_->principals().CreatePrincipal(Admin(), "req-p1", p),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("already used")));
}

// The server draws a fresh token id and secret on every attempt; a retry of
// the same request must still get the first credential, not an error.
TEST_F(PrincipalsTest, IssueTokenRetriedWithFreshIdAndHashAnswersOnce) {
  ASSERT_THAT(engine_->principals().CreatePrincipal(
                  Admin(), "", NewPrincipal("aud-1", domain::Role::kAuditor)),
              IsOk());
  ASSERT_OK_AND_ASSIGN(
      domain::Credential first,
      engine_->principals().IssueToken(Admin(), "req-tok", "aud-1", "tok-1",
                                       HashOf("s1"), "desk"));
  const int64_t events = EventCount();
  ASSERT_OK_AND_ASSIGN(
      domain::Credential again,
      engine_->principals().IssueToken(Admin(), "req-tok", "aud-1", "tok-2",
                                       HashOf("s2"), "desk"));
  EXPECT_EQ(again.id, "tok-1");
  EXPECT_EQ(EventCount(), events);
  EXPECT_THAT(engine_->principals().Authenticate(HashOf("s2")),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PrincipalsTest, IssuedTokenAuthenticatesUntilRevoked) {
  domain::Principal clerk = NewPrincipal("clerk-1", domain::Role::kDepartment);
  clerk.department_id = "civil-affairs";
  ASSERT_THAT(engine_->principals().CreatePrincipal(Admin(), "", clerk),
              IsOk());
  ASSERT_OK_AND_ASSIGN(
      domain::Credential issued,
      engine_->principals().IssueToken(Admin(), "req-t1", "clerk-1", "tok-1",
                                       HashOf("secret-1"), "office laptop"));
  EXPECT_EQ(issued.principal_id, "clerk-1");
  EXPECT_EQ(issued.token_hash, HashOf("secret-1"));
  EXPECT_EQ(issued.created_by, "admin-1");
  EXPECT_FALSE(issued.revoked);

  ASSERT_OK_AND_ASSIGN(domain::Principal who,
                       engine_->principals().Authenticate(HashOf("secret-1")));
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
  ASSERT_OK_AND_ASSIGN(
      domain::Credential revoked,
      engine_->principals().RevokeToken(Admin(), "req-r1", "tok-1"));
  EXPECT_TRUE(revoked.revoked);
  EXPECT_EQ(revoked.revoked_at, At(2026, 3, 2, 10));
  EXPECT_EQ(revoked.version, 2);
  EXPECT_THAT(engine_->principals().Authenticate(HashOf("secret-1")),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("unknown or revoked token")));
  std::vector<store::StoredEvent> revoke =
      Events("credential", "credential.revoke");
  ASSERT_EQ(revoke.size(), 1U);
  EXPECT_EQ(revoke[0].event.state_before, "active");
  EXPECT_EQ(revoke[0].event.state_after, "revoked");

  // Revoking again changes nothing.
  const int64_t events = EventCount();
  ASSERT_OK_AND_ASSIGN(
      domain::Credential still,
      engine_->principals().RevokeToken(Admin(), "req-r2", "tok-1"));
  EXPECT_EQ(still.version, 2);
  EXPECT_EQ(EventCount(), events);
  ASSERT_OK_AND_ASSIGN(std::vector<domain::Credential> listed,
                       ListCredentials("clerk-1"));
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_TRUE(listed[0].revoked);
  EXPECT_THAT(engine_->principals().RevokeToken(Admin(), "", "tok-9"),
              StatusIs(absl::StatusCode::kNotFound));
}

// Revoking the district's last admin credential would lock every admin
// out for good, and a restart would not help (bootstrap only runs on an
// empty district).
TEST_F(PrincipalsTest, TheLastActiveAdminCredentialCannotBeRevoked) {
  ASSERT_OK_AND_ASSIGN(
      std::optional<domain::Credential> boot,
      engine_->principals().BootstrapAdmin("tok-boot", HashOf("s1")));
  ASSERT_TRUE(boot.has_value());
  ASSERT_OK_AND_ASSIGN(domain::Principal admin,
                       engine_->principals().Authenticate(HashOf("s1")));
  const int64_t events = EventCount();
  EXPECT_THAT(engine_->principals().RevokeToken(admin, "", "tok-boot"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("last active admin credential"),
                             HasSubstr("issue an admin another token"))));
  EXPECT_EQ(EventCount(), events);
  EXPECT_THAT(engine_->principals().Authenticate(HashOf("s1")), IsOk());

  // A second admin token (of the same admin) makes it revocable; then the
  // second is the last one.
  ASSERT_THAT(engine_->principals().IssueToken(admin, "", "admin", "tok-2",
                                               HashOf("s2"), "spare"),
              IsOk());
  EXPECT_THAT(engine_->principals().RevokeToken(admin, "", "tok-boot"), IsOk());
  EXPECT_THAT(engine_->principals().RevokeToken(admin, "", "tok-2"),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // A disabled admin's token does not count as a way back in.
  domain::Principal other = NewPrincipal("admin-2", domain::Role::kAdmin);
  ASSERT_THAT(engine_->principals().CreatePrincipal(admin, "", other), IsOk());
  ASSERT_THAT(engine_->principals().IssueToken(admin, "", "admin-2", "tok-3",
                                               HashOf("s3"), "deputy"),
              IsOk());
  ASSERT_THAT(
      engine_->principals().SetPrincipalDisabled(admin, "", "admin-2", true, 0),
      IsOk());
  EXPECT_THAT(engine_->principals().RevokeToken(admin, "", "tok-2"),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // Nor does a certificate binding, which works only under mutual TLS; and
  // revoking one is never refused by this guard.
  ASSERT_THAT(engine_->principals().BindCertificate(
                  admin, "", "admin", "crt-admin", "subject:CN=admin", "desk"),
              IsOk());
  EXPECT_THAT(engine_->principals().RevokeToken(admin, "", "tok-2"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("bearer token")));
  EXPECT_THAT(engine_->principals().RevokeToken(admin, "", "crt-admin"),
              IsOk());
}

// A lost admin credential is recovered on the host (taskgated
// --issue-admin-token): a token for an enabled admin, issued by the system
// and recorded like any issue, saying how it came.
TEST_F(PrincipalsTest, RecoveryIssuesAnEnabledAdminATokenAsTheSystem) {
  ASSERT_THAT(engine_->principals().BootstrapAdmin("tok-boot", HashOf("s1")),
              IsOk());
  const int64_t before = EventCount();
  ASSERT_OK_AND_ASSIGN(domain::Credential issued,
                       engine_->principals().IssueRecoveryToken(
                           "admin", "tok-rescue", HashOf("s2")));
  EXPECT_EQ(issued.principal_id, "admin");
  EXPECT_EQ(issued.created_by, "system");
  EXPECT_EQ(EventCount(), before + 1);
  ASSERT_OK_AND_ASSIGN(domain::Principal admin,
                       engine_->principals().Authenticate(HashOf("s2")));
  EXPECT_EQ(admin.id, "admin");

  const std::vector<store::StoredEvent> events = Events();
  ASSERT_FALSE(events.empty());
  const domain::AuditEvent& e = events.back().event;
  EXPECT_EQ(e.action, "credential.issue");
  EXPECT_EQ(e.entity_id, "tok-rescue");
  EXPECT_EQ(e.actor_id, "system");
  EXPECT_EQ(e.actor_role, domain::Role::kSystem);
  EXPECT_EQ(e.state_after, "active");
  EXPECT_THAT(e.reason, HasSubstr("recovery of a lost admin credential"));
  EXPECT_THAT(e.details, ::testing::Contains(Pair("principal_id", "admin")));
  EXPECT_THAT(events.back().canonical, Not(HasSubstr(HashOf("s2"))));
}

TEST_F(PrincipalsTest, RecoveryRefusesOtherRolesDisabledAdminsAndUnknowns) {
  ASSERT_THAT(engine_->principals().BootstrapAdmin("tok-boot", HashOf("s1")),
              IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Principal admin,
                       engine_->principals().Authenticate(HashOf("s1")));
  ASSERT_THAT(engine_->principals().CreatePrincipal(
                  admin, "", NewPrincipal("aud-1", domain::Role::kAuditor)),
              IsOk());
  ASSERT_THAT(engine_->principals().CreatePrincipal(
                  admin, "", NewPrincipal("admin-2", domain::Role::kAdmin)),
              IsOk());
  ASSERT_THAT(
      engine_->principals().SetPrincipalDisabled(admin, "", "admin-2", true, 0),
      IsOk());
  const int64_t before = EventCount();
  EXPECT_THAT(
      engine_->principals().IssueRecoveryToken("aud-1", "tok-a", HashOf("a")),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("principal aud-1 has role auditor, not admin")));
  EXPECT_THAT(
      engine_->principals().IssueRecoveryToken("admin-2", "tok-b", HashOf("b")),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("admin admin-2 is disabled")));
  EXPECT_THAT(
      engine_->principals().IssueRecoveryToken("ghost", "tok-c", HashOf("c")),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      engine_->principals().IssueRecoveryToken("admin", "tok-d", "not-a-hash"),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(EventCount(), before);
}

TEST_F(PrincipalsTest, UnknownMalformedAndRevokedTokensGetOneMessage) {
  const absl::StatusOr<domain::Principal> unknown =
      engine_->principals().Authenticate(HashOf("never issued"));
  const absl::StatusOr<domain::Principal> malformed =
      engine_->principals().Authenticate("x");
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(malformed, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(unknown.status().message(), malformed.status().message());
}

TEST_F(PrincipalsTest, DisabledPrincipalCannotAuthenticateUntilEnabled) {
  domain::Principal auditor = NewPrincipal("aud-1", domain::Role::kAuditor);
  ASSERT_THAT(engine_->principals().CreatePrincipal(Admin(), "", auditor),
              IsOk());
  ASSERT_THAT(engine_->principals().IssueToken(Admin(), "", "aud-1", "tok-1",
                                               HashOf("s"), ""),
              IsOk());
  const absl::StatusOr<domain::Principal> unknown =
      engine_->principals().Authenticate(HashOf("?"));

  ASSERT_OK_AND_ASSIGN(domain::Principal disabled,
                       engine_->principals().SetPrincipalDisabled(
                           Admin(), "", "aud-1", true, 1));
  EXPECT_TRUE(disabled.disabled);
  EXPECT_EQ(disabled.version, 2);
  const absl::StatusOr<domain::Principal> refused =
      engine_->principals().Authenticate(HashOf("s"));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnauthenticated));
  // The same words as for an unknown token: a caller cannot tell which.
  EXPECT_EQ(refused.status().message(), unknown.status().message());
  EXPECT_THAT(engine_->principals().IssueToken(Admin(), "", "aud-1", "tok-2",
                                               HashOf("t"), ""),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("principal aud-1 is disabled")));

  EXPECT_THAT(engine_->principals().SetPrincipalDisabled(Admin(), "", "aud-1",
                                                         false, 1),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("principal aud-1 is at version 2, not 1")));
  ASSERT_OK_AND_ASSIGN(domain::Principal enabled,
                       engine_->principals().SetPrincipalDisabled(
                           Admin(), "", "aud-1", false, 2));
  EXPECT_FALSE(enabled.disabled);
  EXPECT_EQ(enabled.version, 3);
  EXPECT_THAT(engine_->principals().Authenticate(HashOf("s")), IsOk());

  std::vector<store::StoredEvent> events = Events("principal");
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[1].event.action, "principal.disable");
  EXPECT_EQ(events[1].event.state_before, "enabled");
  EXPECT_EQ(events[1].event.state_after, "disabled");
  EXPECT_EQ(events[2].event.action, "principal.enable");

  EXPECT_THAT(engine_->principals().SetPrincipalDisabled(Admin(), "", "admin-1",
                                                         true, 0),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot disable their own principal")));
  EXPECT_THAT(
      engine_->principals().SetPrincipalDisabled(Admin(), "", "ghost", true, 0),
      StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PrincipalsTest, IssueTokenValidatesItsInputAndRefusesAReusedHash) {
  ASSERT_THAT(engine_->principals().CreatePrincipal(
                  Admin(), "", NewPrincipal("aud-1", domain::Role::kAuditor)),
              IsOk());
  absl::StatusOr<domain::Credential> bad = engine_->principals().IssueToken(
      Admin(), "", "aud-1", "tok 1", std::string(64, 'A'), "");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(bad.status()), ElementsAre("token_id", "token_hash"));
  EXPECT_THAT(engine_->principals().IssueToken(Admin(), "", "ghost", "tok-1",
                                               HashOf("s"), ""),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(engine_->principals().IssueToken(Admin(), "", "aud-1", "tok-1",
                                               HashOf("s"), ""),
              IsOk());
  EXPECT_THAT(
      engine_->principals().IssueToken(Admin(), "", "aud-1", "tok-2",
                                       HashOf("s"), ""),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already in use")));
}

}  // namespace
}  // namespace taskgate::workflow
