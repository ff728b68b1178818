// Mutual TLS identities (SPEC §8, issue 15 defect 15), through the real
// server on 127.0.0.1 over TLS: the certificates are made at test time by
// the `openssl` command line in a temporary directory - a district CA, a
// second CA the server does not trust, and client certificates signed by
// `openssl ca` (which, unlike `x509 -req` in OpenSSL 3.0, takes a start and
// an end date, so that an expired certificate can be made). A handshake
// refuses a missing, untrusted or expired certificate before any call; a
// verified certificate acts as the principal an admin bound its identity
// to, with that principal's role, until the binding is revoked.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_fixture.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kReviewerUri[] = "spiffe://district/rev-1";
constexpr char kReviewerSubject[] = "CN=rev-1,O=District";

class MtlsTest : public E2eTest {
 protected:
  void SetUp() override {
    dir_ = TestPath("-pki");
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_NO_FATAL_FAILURE(MakePki());
    E2eTest::SetUp();
  }

  void TearDown() override {
    E2eTest::TearDown();
    std::filesystem::remove_all(dir_);
  }

  void Configure(services::ServerConfig& config) override {
    config.tls_cert_file = Path("server.pem");
    config.tls_key_file = Path("server.key");
    config.tls_client_ca_file = Path("ca.pem");
  }

  std::string Path(const std::string& name) const {
    return absl::StrCat(dir_, "/", name);
  }

  // Runs `command` (a shell line) in the PKI directory; fails the test,
  // showing its output, unless it exits 0.
  void Run(const std::string& command) {
    const std::string log = Path("openssl.log");
    const std::string line =
        absl::StrCat("cd '", dir_, "' && ", command, " >'", log, "' 2>&1");
    const int rc = std::system(line.c_str());
    std::ifstream in(log);
    std::stringstream output;
    output << in.rdbuf();
    ASSERT_EQ(rc, 0) << line << "\n" << output.str();
  }

  // A self-signed CA `name`.pem / `name`.key, and the files `openssl ca`
  // keeps for it in `name`/.
  void MakeCa(const std::string& name, const std::string& cn) {
    Run(absl::StrCat(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -days 3650 -subj '/CN=",
        cn,
        "' -addext basicConstraints=critical,CA:TRUE -addext "
        "keyUsage=critical,keyCertSign,cRLSign -keyout ",
        name, ".key -out ", name, ".pem"));
    std::filesystem::create_directories(Path(name + "/new"));
    std::ofstream(Path(name + "/index.txt")).close();
    std::ofstream(Path(name + "/serial")) << "1000\n";
    std::ofstream(Path(name + ".cnf"))
        << "[ca]\ndefault_ca = this\n"
        << "[this]\n"
        << "database = " << Path(name + "/index.txt") << "\n"
        << "new_certs_dir = " << Path(name + "/new") << "\n"
        << "serial = " << Path(name + "/serial") << "\n"
        << "default_md = sha256\n"
        << "policy = any\n"
        << "unique_subject = no\n"
        << "copy_extensions = copy\n"
        << "email_in_dn = no\n"
        // `openssl ca` orders the subject as the policy lists its parts:
        // O then CN, whose RFC 2253 form is "CN=...,O=District".
        << "[any]\norganizationName = optional\ncommonName = supplied\n";
  }

  // A certificate `name`.pem / `name`.key with `subject` (as -subj takes
  // it) and `san` (as subjectAltName takes it, "" for none), signed by CA
  // `ca`, valid from `start` to `end` (YYYYMMDDHHMMSSZ).
  void MakeCert(const std::string& name, const std::string& ca,
                const std::string& subject, const std::string& san,
                const std::string& start, const std::string& end,
                const std::string& usage = "clientAuth") {
    Run(absl::StrCat(
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -subj '",
        subject, "' -addext extendedKeyUsage=", usage,
        san.empty() ? "" : absl::StrCat(" -addext 'subjectAltName=", san, "'"),
        " -keyout ", name, ".key -out ", name, ".csr"));
    Run(absl::StrCat("openssl ca -batch -notext -config ", ca, ".cnf -cert ",
                     ca, ".pem -keyfile ", ca, ".key -in ", name, ".csr -out ",
                     name, ".pem -startdate ", start, " -enddate ", end));
  }

  void MakePki() {
    ASSERT_NO_FATAL_FAILURE(MakeCa("ca", "TaskGate district test CA"));
    ASSERT_NO_FATAL_FAILURE(MakeCa("rogue", "Some other CA"));
    const std::string from = "20200101000000Z";
    const std::string to = "20991231235959Z";
    ASSERT_NO_FATAL_FAILURE(MakeCert("server", "ca", "/CN=localhost",
                                     "DNS:localhost,IP:127.0.0.1", from, to,
                                     "serverAuth"));
    ASSERT_NO_FATAL_FAILURE(MakeCert("reviewer", "ca", "/O=District/CN=rev-1",
                                     absl::StrCat("URI:", kReviewerUri), from,
                                     to));
    ASSERT_NO_FATAL_FAILURE(MakeCert("office", "ca", "/O=District/CN=office-c1",
                                     "DNS:office-c1.district.test", from, to));
    // The reviewer's identity, but expired at the end of 2020.
    ASSERT_NO_FATAL_FAILURE(MakeCert("expired", "ca", "/O=District/CN=rev-1",
                                     absl::StrCat("URI:", kReviewerUri), from,
                                     "20201231235959Z"));
    // The reviewer's identity, signed by a CA the server does not trust.
    ASSERT_NO_FATAL_FAILURE(MakeCert("forged", "rogue", "/O=District/CN=rev-1",
                                     absl::StrCat("URI:", kReviewerUri), from,
                                     to));
    // No SAN: only its subject names it.
    ASSERT_NO_FATAL_FAILURE(
        MakeCert("plain", "ca", "/O=District/CN=rev-1", "", from, to));
  }

  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // A channel to the server's TLS port presenting certificate `cert` (""
  // for none).
  std::shared_ptr<grpc::Channel> TlsChannel(const std::string& cert) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadAll(Path("ca.pem"));
    if (!cert.empty()) {
      ssl.pem_cert_chain = ReadAll(Path(cert + ".pem"));
      ssl.pem_private_key = ReadAll(Path(cert + ".key"));
    }
    grpc::ChannelArguments args;
    // Each test's channels are its own: no subchannel shared with another
    // certificate's.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", server_->grpc_port()),
        grpc::SslCredentials(ssl), args);
  }

  // ListReviewQueue over TLS with certificate `cert` and no bearer token.
  absl::Status ListQueueWith(const std::string& cert) {
    std::unique_ptr<ReviewStub> stub =
        v1::ReviewService::NewStub(TlsChannel(cert));
    return Call(Actor{"", ""}, *stub, &ReviewStub::ListReviewQueue,
                v1::ListReviewQueueRequest())
        .status();
  }

  absl::StatusOr<v1::Credential> Bind(const std::string& principal,
                                      const std::string& identity) {
    v1::BindCertificateRequest r;
    r.set_request_id(NextRequestId());
    r.set_principal_id(principal);
    r.set_certificate_identity(identity);
    r.set_description("test certificate");
    return Call(admin_, *admins_, &AdminStub::BindCertificate, r);
  }

  std::string dir_;
};

TEST_F(MtlsTest, CallWithoutClientCertificateIsRefusedAtTheHandshake) {
  ASSERT_THAT(Bind("rev-1", absl::StrCat("uri:", kReviewerUri)), IsOk());
  EXPECT_THAT(ListQueueWith(""), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(MtlsTest, CertificateOfAnUntrustedCaIsRefusedAtTheHandshake) {
  ASSERT_THAT(Bind("rev-1", absl::StrCat("uri:", kReviewerUri)), IsOk());
  EXPECT_THAT(ListQueueWith("forged"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(MtlsTest, ExpiredCertificateIsRefusedAtTheHandshake) {
  ASSERT_THAT(Bind("rev-1", absl::StrCat("uri:", kReviewerUri)), IsOk());
  EXPECT_THAT(ListQueueWith("expired"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(MtlsTest, BoundReviewerCertificateActsAsTheReviewer) {
  ASSERT_OK_AND_ASSIGN(v1::Credential binding,
                       Bind("rev-1", absl::StrCat("uri:", kReviewerUri)));
  EXPECT_THAT(binding.id(), ::testing::StartsWith("crt-"));
  EXPECT_EQ(binding.certificate_identity(), absl::StrCat("uri:", kReviewerUri));
  EXPECT_THAT(ListQueueWith("reviewer"), IsOk());

  // A change made with the certificate is recorded as the reviewer's.
  const std::string task = SubmittedTask(CleanAssistSpec());
  std::unique_ptr<ReviewStub> stub =
      v1::ReviewService::NewStub(TlsChannel("reviewer"));
  v1::TaskActionRequest claim;
  claim.set_request_id(NextRequestId());
  claim.set_task_id(task);
  ASSERT_THAT(Call(Actor{"", ""}, *stub, &ReviewStub::ClaimTask, claim),
              IsOk());
  v1::ListEventsRequest events;
  events.set_task_id(task);
  bool found = false;
  for (const v1::AuditEvent& e : Events(events)) {
    if (e.request_id() != claim.request_id()) continue;
    found = true;
    EXPECT_EQ(e.actor_id(), "rev-1");
    EXPECT_EQ(e.actor_role(), v1::ROLE_REVIEWER);
  }
  EXPECT_TRUE(found) << "no event of the claim";

  // The binding's own record: one "credential.issue" naming the identity.
  v1::ListEventsRequest issued;
  issued.set_entity_type("credential");
  issued.set_entity_id(binding.id());
  const std::vector<v1::AuditEvent> records = Events(issued);
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].action(), "credential.issue");
  EXPECT_EQ(records[0].actor_id(), "admin");
  EXPECT_EQ(records[0].details().at("certificate_identity"),
            absl::StrCat("uri:", kReviewerUri));
}

TEST_F(MtlsTest, SubjectBindingAuthenticatesACertificateWithoutSan) {
  ASSERT_THAT(Bind("rev-1", absl::StrCat("subject:", kReviewerSubject)),
              IsOk());
  EXPECT_THAT(ListQueueWith("plain"), IsOk());
}

TEST_F(MtlsTest, BoundCommunityCertificateIsDeniedReviewerCalls) {
  ASSERT_THAT(Bind("office-c1", "dns:office-c1.district.test"), IsOk());
  EXPECT_THAT(ListQueueWith("office"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(MtlsTest, UnboundCertificateIsUnauthenticatedNamingItsIdentities) {
  EXPECT_THAT(
      ListQueueWith("reviewer"),
      StatusIs(
          absl::StatusCode::kUnauthenticated,
          AllOf(HasSubstr(absl::StrCat("'uri:", kReviewerUri, "'")),
                HasSubstr(absl::StrCat("'subject:", kReviewerSubject, "'")),
                HasSubstr("taskgate admin certificates bind"))));
}

TEST_F(MtlsTest, RevokedBindingIsRefusedAndTheIdentityCanBeBoundAgain) {
  const std::string identity = absl::StrCat("uri:", kReviewerUri);
  ASSERT_OK_AND_ASSIGN(v1::Credential binding, Bind("rev-1", identity));
  ASSERT_THAT(ListQueueWith("reviewer"), IsOk());
  // One identity, one principal.
  EXPECT_THAT(Bind("rev-2", identity),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("already bound to principal rev-1")));

  v1::RevokeTokenRequest revoke;
  revoke.set_request_id(NextRequestId());
  revoke.set_token_id(binding.id());
  ASSERT_OK_AND_ASSIGN(v1::Credential revoked,
                       Call(admin_, *admins_, &AdminStub::RevokeToken, revoke));
  EXPECT_TRUE(revoked.revoked());
  EXPECT_THAT(ListQueueWith("reviewer"),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // Listed with the tokens, revoked.
  v1::ListTokensRequest list;
  list.set_principal_id("rev-1");
  ASSERT_OK_AND_ASSIGN(v1::ListTokensResponse listed,
                       Call(admin_, *admins_, &AdminStub::ListTokens, list));
  int bindings = 0;
  for (const v1::Credential& c : listed.credentials()) {
    if (c.certificate_identity().empty()) continue;
    ++bindings;
    EXPECT_TRUE(c.revoked());
  }
  EXPECT_EQ(bindings, 1);

  // Bound again, to another reviewer: the certificate now acts as rev-2.
  ASSERT_THAT(Bind("rev-2", identity), IsOk());
  EXPECT_THAT(ListQueueWith("reviewer"), IsOk());
}

TEST_F(MtlsTest, DisabledPrincipalsCertificateIsRefused) {
  ASSERT_THAT(Bind("rev-1", absl::StrCat("uri:", kReviewerUri)), IsOk());
  v1::SetPrincipalDisabledRequest disable;
  disable.set_request_id(NextRequestId());
  disable.set_principal_id("rev-1");
  disable.set_disabled(true);
  ASSERT_THAT(Call(admin_, *admins_, &AdminStub::SetPrincipalDisabled, disable),
              IsOk());
  EXPECT_THAT(ListQueueWith("reviewer"),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("rev-1, which is disabled")));
}

TEST_F(MtlsTest, BearerTokenStillDecidesOverTheCertificate) {
  // The community office's certificate is bound, but the call carries the
  // reviewer's token: the token is who calls.
  ASSERT_THAT(Bind("office-c1", "dns:office-c1.district.test"), IsOk());
  std::unique_ptr<ReviewStub> stub =
      v1::ReviewService::NewStub(TlsChannel("office"));
  EXPECT_THAT(Call(reviewer_, *stub, &ReviewStub::ListReviewQueue,
                   v1::ListReviewQueueRequest()),
              IsOk());
}

TEST_F(MtlsTest, MalformedIdentityIsInvalidArgument) {
  grpc::Status raw;
  v1::BindCertificateRequest r;
  r.set_request_id(NextRequestId());
  r.set_principal_id("rev-1");
  r.set_certificate_identity("CN=rev-1");
  EXPECT_THAT(Call(admin_, *admins_, &AdminStub::BindCertificate, r, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("does not name a certificate identity")));
  EXPECT_THAT(BadRequestFields(raw),
              ::testing::ElementsAre("certificate_identity"));
}

}  // namespace
}  // namespace taskgate::e2e
