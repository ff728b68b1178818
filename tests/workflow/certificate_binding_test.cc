// `Principals::BindCertificate` and `AuthenticateCertificate`
// (workflow/directory.h): client-certificate identities bound to principals
// (SPEC §8), audited like a token's issue, revoked like a token, and
// matched in the order the caller gives.
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"
#include "domain/codec.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"
#include "workflow/directory.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUri[] = "uri:spiffe://district/r-1";
constexpr char kSubject[] = "subject:CN=r-1,O=District";

class CertificateBindingTest : public PeopleWorkflowTest {
 protected:
  void SetUp() override {
    PeopleWorkflowTest::SetUp();
    ASSERT_THAT(engine_->principals().CreatePrincipal(
                    Admin(), "", NewPrincipal("r-1", domain::Role::kReviewer)),
                IsOk());
    ASSERT_THAT(engine_->principals().CreatePrincipal(
                    Admin(), "", NewPrincipal("r-2", domain::Role::kReviewer)),
                IsOk());
  }

  absl::StatusOr<domain::Credential> Bind(const std::string& request_id,
                                          const std::string& principal,
                                          const std::string& id,
                                          const std::string& identity) {
    return engine_->principals().BindCertificate(Admin(), request_id, principal,
                                                 id, identity, "desk laptop");
  }

  absl::StatusOr<domain::Principal> Who(
      const std::vector<std::string>& identities) {
    return engine_->principals().AuthenticateCertificate(identities);
  }
};

TEST_F(CertificateBindingTest, BindingAuthenticatesItsPrincipalWithItsRole) {
  ASSERT_OK_AND_ASSIGN(domain::Credential bound,
                       Bind("req-b1", "r-1", "crt-1", kUri));
  EXPECT_EQ(bound.principal_id, "r-1");
  EXPECT_EQ(bound.certificate_identity, kUri);
  EXPECT_TRUE(bound.token_hash.empty());
  EXPECT_EQ(bound.created_by, "admin-1");
  EXPECT_EQ(bound.version, 1);

  ASSERT_OK_AND_ASSIGN(domain::Principal who, Who({kUri, kSubject}));
  EXPECT_EQ(who.id, "r-1");
  EXPECT_EQ(who.role, domain::Role::kReviewer);

  // One event, the binding's, in the binding's own change.
  std::vector<store::StoredEvent> issued =
      Events("credential", "credential.issue");
  ASSERT_EQ(issued.size(), 1U);
  EXPECT_EQ(issued[0].event.entity_id, "crt-1");
  EXPECT_EQ(issued[0].event.request_id, "req-b1");
  EXPECT_EQ(issued[0].event.details.at("principal_id"), "r-1");
  EXPECT_EQ(issued[0].event.details.at("certificate_identity"), kUri);
  EXPECT_THAT(issued[0].canonical, HasSubstr("spiffe://district/r-1"));

  ASSERT_OK_AND_ASSIGN(std::vector<domain::Credential> listed,
                       ListCredentials("r-1"));
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(domain::CredentialToJson(listed[0]),
            domain::CredentialToJson(bound));
}

TEST_F(CertificateBindingTest, RetryAnswersOnceAndAnotherBindingIsRefused) {
  ASSERT_THAT(Bind("req-b1", "r-1", "crt-1", kUri), IsOk());
  const int64_t events = EventCount();
  ASSERT_OK_AND_ASSIGN(domain::Credential again,
                       Bind("req-b1", "r-1", "crt-1", kUri));
  EXPECT_EQ(again.id, "crt-1");
  EXPECT_EQ(EventCount(), events);
  // One identity names one principal at a time.
  EXPECT_THAT(Bind("req-b2", "r-2", "crt-2", kUri),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("already bound to principal r-1"),
                             HasSubstr("crt-1"))));
  EXPECT_EQ(EventCount(), events);
}

TEST_F(CertificateBindingTest, RevokedBindingNoLongerAuthenticates) {
  ASSERT_THAT(Bind("", "r-1", "crt-1", kUri), IsOk());
  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(domain::Credential revoked,
                       engine_->principals().RevokeToken(Admin(), "", "crt-1"));
  EXPECT_TRUE(revoked.revoked);
  EXPECT_EQ(revoked.certificate_identity, kUri);
  EXPECT_EQ(revoked.version, 2);
  EXPECT_THAT(Who({kUri}),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr(absl::StrCat("'", kUri, "'")),
                             HasSubstr("ask the district administrator"))));
  std::vector<store::StoredEvent> revoke =
      Events("credential", "credential.revoke");
  ASSERT_EQ(revoke.size(), 1U);
  EXPECT_EQ(revoke[0].event.entity_id, "crt-1");

  // Revoked, the identity may be bound again, to someone else.
  ASSERT_THAT(Bind("", "r-2", "crt-2", kUri), IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Principal who, Who({kUri}));
  EXPECT_EQ(who.id, "r-2");
}

TEST_F(CertificateBindingTest, FirstBoundIdentityDecides) {
  ASSERT_THAT(Bind("", "r-1", "crt-1", kSubject), IsOk());
  ASSERT_THAT(Bind("", "r-2", "crt-2", kUri), IsOk());
  // A SAN URI is more specific than the subject: the caller lists it first.
  ASSERT_OK_AND_ASSIGN(domain::Principal who, Who({kUri, kSubject}));
  EXPECT_EQ(who.id, "r-2");
  // An unbound identity is passed over.
  ASSERT_OK_AND_ASSIGN(who, Who({"dns:r-1.example.org", kSubject}));
  EXPECT_EQ(who.id, "r-1");
  EXPECT_THAT(Who({}), StatusIs(absl::StatusCode::kUnauthenticated,
                                HasSubstr("carries no identity")));
}

TEST_F(CertificateBindingTest, DisabledPrincipalIsRefusedNotPassedOver) {
  ASSERT_THAT(Bind("", "r-1", "crt-1", kUri), IsOk());
  ASSERT_THAT(Bind("", "r-2", "crt-2", kSubject), IsOk());
  ASSERT_THAT(
      engine_->principals().SetPrincipalDisabled(Admin(), "", "r-1", true, 0),
      IsOk());
  EXPECT_THAT(Who({kUri, kSubject}),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("principal r-1, which is disabled")));
  EXPECT_THAT(Bind("", "r-1", "crt-3", "dns:r-1.example.org"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("principal r-1 is disabled")));
}

TEST_F(CertificateBindingTest, BindingIsNeverABearerToken) {
  ASSERT_THAT(Bind("", "r-1", "crt-1", kUri), IsOk());
  // Neither the identity nor anything derived from it is a token.
  EXPECT_THAT(engine_->principals().Authenticate(HashOf(kUri)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(engine_->principals().Authenticate(HashOf("")),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CertificateBindingTest, OnlyAnAdminBinds) {
  for (const domain::Principal& caller : {Reviewer("r1"), Auditor(), Clerk()}) {
    EXPECT_THAT(engine_->principals().BindCertificate(caller, "", "r-1",
                                                      "crt-1", kUri, ""),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("an admin does")));
  }
}

TEST_F(CertificateBindingTest, MalformedInputIsInvalidArgumentByField) {
  struct Case {
    std::string identity;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"", "does not name a certificate identity"},
      {"CN=r-1", "does not name a certificate identity"},
      {"ip:10.0.0.1", "does not name a certificate identity"},
      {"URI:spiffe://x", "does not name a certificate identity"},
      {"uri:", "names no value after 'uri:'"},
      {"subject:CN=a\nCN=b", "control character"},
      {absl::StrCat("dns:", std::string(1100, 'a')), "at most 1024"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<domain::Credential> bound =
        Bind("", "r-1", "crt-1", c.identity);
    EXPECT_THAT(bound,
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.why)))
        << c.identity;
    EXPECT_THAT(GetFieldViolations(bound.status()),
                ElementsAre(::testing::Field(&FieldViolation::field,
                                             "certificate_identity")))
        << c.identity;
  }
  EXPECT_THAT(Bind("", "ghost", "crt-1", kUri),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Events("credential"), ::testing::IsEmpty());
}

}  // namespace
}  // namespace taskgate::workflow
