// The shared fixture of the end-to-end tests: a real `services::Server`
// started in-process (gRPC and HTTP on 127.0.0.1:0, a temporary SQLite file,
// a `FakeClock`), seeded through the API itself by the bootstrap admin with a
// catalog (duty, assist and negative items), three communities and one
// principal of every role, each with its own bearer token. Tests call the
// six services through the generated stubs of `InProcessChannel()`.
//
// Also: helpers to decode the `google.rpc.BadRequest` detail of a refused
// call, a raw `grpc.health.v1.Health/Check` client (Debian ships no health
// stub), and a minimal HTTP GET (/healthz, the public list). Test-only; the
// fixture is used from the test thread, the `Call` helpers from any thread.
#ifndef TASKGATE_TESTS_E2E_E2E_FIXTURE_H_
#define TASKGATE_TESTS_E2E_E2E_FIXTURE_H_

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/config.h"
#include "services/server.h"
#include "store/sqlite/sqlite_store.h"
#include "taskgate/v1/admin_service.grpc.pb.h"
#include "taskgate/v1/audit_service.grpc.pb.h"
#include "taskgate/v1/community_service.grpc.pb.h"
#include "taskgate/v1/public_service.grpc.pb.h"
#include "taskgate/v1/review_service.grpc.pb.h"
#include "taskgate/v1/task_service.grpc.pb.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fault_injecting_store.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::e2e {

namespace v1 = ::taskgate::v1;

using TaskStub = v1::TaskService::Stub;
using ReviewStub = v1::ReviewService::Stub;
using CommunityStub = v1::CommunityService::Stub;
using AuditStub = v1::AuditService::Stub;
using AdminStub = v1::AdminService::Stub;
using PublicStub = v1::PublicService::Stub;

// The district's zone (Asia/Shanghai has no DST: a fixed +08:00 is exact).
inline absl::TimeZone Shanghai() { return absl::FixedTimeZone(8 * 60 * 60); }

// 2026-03-02 is a Monday.
inline absl::Time At(int y, int m, int d, int hour = 9) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hour, 0, 0), Shanghai());
}

inline std::string DateText(absl::CivilDay day) {
  return absl::FormatCivilTime(day);
}

// The gRPC status as an `absl::Status` (the codes are the same numbers), so
// that the project's matchers apply.
inline absl::Status ToAbsl(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

// The fields named by the `google.rpc.BadRequest` detail that the server
// sends in `grpc-status-details-bin`, in order; empty when there is none.
inline std::vector<std::string> BadRequestFields(const grpc::Status& s) {
  std::vector<std::string> fields;
  google::rpc::Status details;
  if (s.error_details().empty() ||
      !details.ParseFromString(s.error_details())) {
    return fields;
  }
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::BadRequest bad_request;
    if (!any.UnpackTo(&bad_request)) continue;
    for (const auto& v : bad_request.field_violations()) {
      fields.push_back(v.field());
    }
  }
  return fields;
}

// Who calls: a principal id and its bearer token ("" sends no credentials).
struct Actor {
  std::string id;
  std::string token;
};

// Calls `method` (e.g. "/taskgate.v1.TaskService/GetTask") with the raw
// bytes `request` as `who`, through a generic stub that parses nothing; the
// response's bytes go to `*response` when it is given.
inline grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                                 const std::string& method,
                                 const std::string& request, const Actor& who,
                                 std::chrono::seconds deadline,
                                 std::string* response = nullptr) {
  grpc::GenericStub stub(channel);
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  if (!who.token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", who.token));
  }
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub.PrepareUnaryCall(&context, method, request_buffer, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response_buffer, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok) || !ok) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "call did not complete");
  }
  if (!status.ok() || response == nullptr) return status;
  std::vector<grpc::Slice> slices;
  if (!response_buffer.Dump(&slices).ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot read response");
  }
  response->clear();
  for (const grpc::Slice& s : slices) {
    response->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return status;
}

// The method "/grpc.health.v1.Health/Check" called with raw bytes. Returns
// the ServingStatus number (0 UNKNOWN, 1 SERVING, 2 NOT_SERVING) or the
// call's error.
inline absl::StatusOr<int> HealthCheck(
    const std::shared_ptr<grpc::Channel>& channel,
    const std::string& service = "") {
  // HealthCheckRequest { string service = 1; }
  std::string request_bytes;
  if (!service.empty()) {
    request_bytes.push_back(0x0a);
    request_bytes.push_back(static_cast<char>(service.size()));
    request_bytes += service;
  }
  std::string bytes;
  const grpc::Status status =
      RawUnaryCall(channel, "/grpc.health.v1.Health/Check", request_bytes,
                   Actor{}, std::chrono::seconds(10), &bytes);
  if (!status.ok()) return ToAbsl(status);
  // HealthCheckResponse { ServingStatus status = 1; } (0 is not sent).
  if (bytes.empty()) return 0;
  if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1];
  return absl::InternalError("unexpected health response");
}

// An HTTP answer: its status code, its header block as sent (lines ending
// in CRLF) and its body.
struct HttpAnswer {
  int code = 0;
  std::string head;
  std::string body;
};

// GET http://127.0.0.1:`port``path` with a plain socket (one request, the
// connection closed by the server); UNAVAILABLE when nothing answers.
inline absl::StatusOr<HttpAnswer> HttpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("nothing listens on ", port));
  }
  const std::string request =
      absl::StrCat("GET ", path,
                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return absl::UnavailableError("send failed");
  }
  std::string reply;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  // "HTTP/1.1 200 OK"
  HttpAnswer answer;
  const size_t end = reply.find("\r\n\r\n");
  if (reply.size() < 12 || reply.compare(0, 5, "HTTP/") != 0 ||
      end == std::string::npos ||
      std::sscanf(reply.c_str() + reply.find(' '), " %d", &answer.code) != 1) {
    return absl::UnavailableError("no HTTP reply");
  }
  answer.head = reply.substr(0, end + 2);
  answer.body = reply.substr(end + 4);
  return answer;
}

// The status code of `HttpGet`.
inline absl::StatusOr<int> HttpGetStatus(int port, const std::string& path) {
  absl::StatusOr<HttpAnswer> answer = HttpGet(port, path);
  if (!answer.ok()) return answer.status();
  return answer->code;
}

// The transitions a test asks for, each mapped to its RPC.
enum class Step {
  kSubmit,
  kWithdraw,
  kClose,
  kClaim,
  kRelease,
  kApprove,
  kReject,
  kReturn,
  kRevoke,
};

class E2eTest : public ::testing::Test {
 protected:
  static constexpr char kDepartment[] = "civil-affairs";
  static constexpr char kOtherDepartment[] = "housing";

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer());
    ASSERT_NO_FATAL_FAILURE(SeedDistrict());
  }

  void TearDown() override {
    StopServer();
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(db_path_ + suffix);
    }
    std::filesystem::remove_all(token_dir_);
  }

  // Lets a test change the configuration before the server starts.
  virtual void Configure(services::ServerConfig& /*config*/) {}

  // A fresh database path for this test (several test processes may run at
  // once, so the pid is part of it).
  static std::string TestPath(const std::string& suffix) {
    const ::testing::TestInfo* info =
        ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = absl::StrCat(info->test_suite_name(), "-", info->name());
    // Parameterized tests have '/' in their names.
    std::replace(name.begin(), name.end(), '/', '-');
    return absl::StrCat(::testing::TempDir(), "taskgate-e2e-", name, "-",
                        ::getpid(), suffix);
  }

  void StartServer() {
    db_path_ = TestPath(".db");
    token_dir_ = TestPath("-var");
    std::filesystem::remove(db_path_);
    std::filesystem::remove(db_path_ + "-wal");
    std::filesystem::remove(db_path_ + "-shm");
    std::filesystem::remove_all(token_dir_);

    services::ServerConfig config;
    config.grpc_address = "127.0.0.1:0";
    config.http_address = "127.0.0.1:0";
    config.db_path = db_path_;
    config.admin_token_file = token_dir_ + "/admin.token";
    config.signing_key_file = token_dir_ + "/signing.key";
    config.tick_interval_seconds = 3600;  // tests tick by hand
    config.log_level = "warn";
    Configure(config);
    config_ = config;
    // `taskgated` applies log_level itself; the server leaves it to main.
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    const absl::Status opened = OpenServer();
    ASSERT_TRUE(opened.ok()) << opened;
    ASSERT_TRUE(server_->bootstrap_admin_token().has_value());
    admin_ = {"admin", *server_->bootstrap_admin_token()};
  }

  // Opens the store on `db_path_` as it is, creates and starts a server
  // with `config_`, and connects the stubs: a start or a restart.
  absl::Status OpenServer() {
    absl::StatusOr<std::unique_ptr<store::Store>> opened =
        store::OpenSqliteStore(db_path_);
    if (!opened.ok()) return opened.status();
    sqlite_ = *std::move(opened);
    store_ = std::make_unique<testing::FaultInjectingStore>(*sqlite_);
    absl::StatusOr<std::unique_ptr<services::Server>> created =
        services::Server::Create(config_,
                                 services::ServerDeps{*store_, clock_});
    if (!created.ok()) {
      store_.reset();
      sqlite_.reset();
      return created.status();
    }
    server_ = *std::move(created);
    if (absl::Status started = server_->Start(); !started.ok()) return started;
    channel_ = server_->InProcessChannel();
    tasks_ = v1::TaskService::NewStub(channel_);
    reviews_ = v1::ReviewService::NewStub(channel_);
    communities_ = v1::CommunityService::NewStub(channel_);
    audit_ = v1::AuditService::NewStub(channel_);
    admins_ = v1::AdminService::NewStub(channel_);
    public_ = v1::PublicService::NewStub(channel_);
    return absl::OkStatus();
  }

  // Shuts the server down and closes the database; safe to call twice.
  void StopServer() {
    // The in-process channel must not outlive the server's transport.
    tasks_.reset();
    reviews_.reset();
    communities_.reset();
    audit_.reset();
    admins_.reset();
    public_.reset();
    channel_.reset();
    if (server_ != nullptr) {
      server_->Shutdown(absl::Seconds(10));
      server_->Wait();
      server_.reset();
    }
    store_.reset();
    sqlite_.reset();
  }

  // The catalog, the communities and one principal of every role.
  void SeedDistrict() {
    v1::PublishCatalogRequest catalog;
    catalog.set_request_id(NextRequestId());
    catalog.set_note("first lists");
    AddItem(catalog, "D-001", v1::LIST_KIND_DUTY,
            "Residents' committee elections", "城市居民委员会组织法", {});
    AddItem(catalog, "A-001", v1::LIST_KIND_ASSIST,
            "Elderly care subsidy checks", "老年人权益保障法", {});
    AddItem(catalog, "N-001", v1::LIST_KIND_NEGATIVE,
            "Investment attraction quotas", "", {"招商引资"});
    ASSERT_THAT(Call(admin_, *admins_, &AdminStub::PublishCatalog, catalog),
                testing::IsOk());

    // Departments and streets first: principals and communities name them
    // by id. Streets are named as their ids, so tasks may name them either
    // way.
    for (const char* id : {kDepartment, kOtherDepartment, "planning"}) {
      v1::PutDepartmentRequest put;
      put.set_request_id(NextRequestId());
      put.mutable_department()->set_id(id);
      put.mutable_department()->set_name(absl::StrCat(id, " bureau"));
      ASSERT_THAT(Call(admin_, *admins_, &AdminStub::PutDepartment, put),
                  testing::IsOk());
    }
    for (const char* id : {"east", "west"}) {
      v1::PutStreetRequest put;
      put.set_request_id(NextRequestId());
      put.mutable_street()->set_id(id);
      put.mutable_street()->set_name(id);
      ASSERT_THAT(Call(admin_, *admins_, &AdminStub::PutStreet, put),
                  testing::IsOk());
    }
    for (const auto& [id, street] :
         {std::pair{"c1", "east"}, {"c2", "east"}, {"c3", "west"}}) {
      v1::PutCommunityRequest put;
      put.set_request_id(NextRequestId());
      v1::Community* c = put.mutable_community();
      c->set_id(id);
      c->set_name(absl::StrCat("Community ", id));
      c->set_street_id(street);
      c->set_staff_count(5);  // capacity 5 × 20 = 100 h
      c->set_baseline_hours(20);
      ASSERT_THAT(Call(admin_, *admins_, &AdminStub::PutCommunity, put),
                  testing::IsOk());
    }

    ASSERT_NO_FATAL_FAILURE(
        clerk_ = NewPrincipal("clerk-civil", v1::ROLE_DEPARTMENT, kDepartment));
    ASSERT_NO_FATAL_FAILURE(other_clerk_ = NewPrincipal("clerk-housing",
                                                        v1::ROLE_DEPARTMENT,
                                                        kOtherDepartment));
    ASSERT_NO_FATAL_FAILURE(
        reviewer_ = NewPrincipal("rev-1", v1::ROLE_REVIEWER, "planning"));
    ASSERT_NO_FATAL_FAILURE(reviewer2_ =
                                NewPrincipal("rev-2", v1::ROLE_REVIEWER, ""));
    ASSERT_NO_FATAL_FAILURE(home_reviewer_ = NewPrincipal(
                                "rev-civil", v1::ROLE_REVIEWER, kDepartment));
    ASSERT_NO_FATAL_FAILURE(
        community_ = NewPrincipal("office-c1", v1::ROLE_COMMUNITY, "c1"));
    ASSERT_NO_FATAL_FAILURE(
        other_community_ = NewPrincipal("office-c3", v1::ROLE_COMMUNITY, "c3"));
    ASSERT_NO_FATAL_FAILURE(
        auditor_ = NewPrincipal("inspector", v1::ROLE_AUDITOR, ""));
  }

  static void AddItem(v1::PublishCatalogRequest& request,
                      const std::string& code, v1::ListKind kind,
                      const std::string& title, const std::string& basis,
                      const std::vector<std::string>& keywords) {
    v1::CatalogItem* item = request.add_items();
    item->set_code(code);
    item->set_kind(kind);
    item->set_title(title);
    item->set_legal_basis(basis);
    for (const std::string& k : keywords) item->add_keywords(k);
  }

  // Creates a principal as the admin and issues it a token. `scope` is the
  // department, home department or community its role needs.
  Actor NewPrincipal(const std::string& id, v1::Role role,
                     const std::string& scope) {
    v1::CreatePrincipalRequest create;
    create.set_request_id(NextRequestId());
    v1::Principal* p = create.mutable_principal();
    p->set_id(id);
    p->set_role(role);
    p->set_display_name(absl::StrCat("Test ", id));
    if (role == v1::ROLE_DEPARTMENT) p->set_department_id(scope);
    if (role == v1::ROLE_REVIEWER) p->set_home_department_id(scope);
    if (role == v1::ROLE_COMMUNITY) p->set_community_id(scope);
    EXPECT_THAT(Call(admin_, *admins_, &AdminStub::CreatePrincipal, create),
                testing::IsOk());
    v1::IssueTokenRequest issue;
    issue.set_request_id(NextRequestId());
    issue.set_principal_id(id);
    issue.set_description("e2e test");
    absl::StatusOr<v1::IssueTokenResponse> issued =
        Call(admin_, *admins_, &AdminStub::IssueToken, issue);
    EXPECT_THAT(issued, testing::IsOk());
    if (!issued.ok()) return {id, ""};
    EXPECT_FALSE(issued->token().empty());
    return {id, issued->token()};
  }

  std::string NextRequestId() {
    return absl::StrCat("req-", next_request_.fetch_add(1));
  }

  // Calls `method` on `stub` as `who`. `raw`, when given, receives the gRPC
  // status itself (for its error details). Thread-safe.
  template <typename Stub, typename Req, typename Resp>
  absl::StatusOr<Resp> Call(const Actor& who, Stub& stub,
                            grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                         const Req&, Resp*),
                            const Req& request, grpc::Status* raw = nullptr) {
    grpc::ClientContext context;
    // A bound, not a timing assumption: a hung server fails the test.
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(60));
    if (!who.token.empty()) {
      context.AddMetadata("authorization", absl::StrCat("Bearer ", who.token));
    }
    Resp response;
    grpc::Status status = (stub.*method)(&context, request, &response);
    if (raw != nullptr) *raw = status;
    if (!status.ok()) return ToAbsl(status);
    return response;
  }

  // A task spec that passes every rule: an assist-list item, funded, with a
  // legal basis and a duty split, starting well after the lead time. Each
  // call gets its own two-day window so that no two tasks overlap
  // (R-DUPLICATE) and loads stay far below capacity.
  v1::TaskSpec CleanAssistSpec() {
    const absl::CivilDay start = absl::CivilDay(2026, 5, 1) + 2 * spec_count_++;
    v1::TaskSpec s;
    s.set_title("Quarterly elderly subsidy check");
    s.set_description("Visit subsidy recipients and confirm eligibility.");
    s.set_item_code("A-001");
    s.set_legal_basis("老年人权益保障法 第三十条");
    s.set_start_date(DateText(start));
    s.set_end_date(DateText(start + 1));
    s.add_target_communities("c1");
    s.set_hours_per_community_month(1);
    s.set_funding_per_community_yuan(3000);
    s.set_funding_source("district civil affairs budget");
    s.set_department_duties("provides the list and the forms");
    s.set_community_duties("visits the households");
    s.set_assessment_method("merged into the district's annual assessment");
    return s;
  }

  v1::TaskSpec DutySpec() {
    v1::TaskSpec s = CleanAssistSpec();
    s.set_item_code("D-001");
    s.set_title("Residents' committee election support");
    return s;
  }

  absl::StatusOr<v1::Task> CreateTask(const Actor& who,
                                      const v1::TaskSpec& spec,
                                      const std::string& task_id = "") {
    v1::CreateTaskRequest r;
    r.set_request_id(NextRequestId());
    r.set_task_id(task_id);
    *r.mutable_spec() = spec;
    return Call(who, *tasks_, &TaskStub::CreateTask, r);
  }

  absl::StatusOr<v1::Task> GetTask(const Actor& who, const std::string& id) {
    v1::GetTaskRequest r;
    r.set_task_id(id);
    return Call(who, *tasks_, &TaskStub::GetTask, r);
  }

  absl::StatusOr<v1::Task> Act(
      const Actor& who, Step step, const std::string& task_id,
      const std::string& reason = "",
      const std::vector<std::pair<std::string, std::string>>& acks = {},
      grpc::Status* raw = nullptr) {
    v1::TaskActionRequest r;
    r.set_request_id(NextRequestId());
    r.set_task_id(task_id);
    r.set_reason(reason);
    for (const auto& [rule, why] : acks) {
      v1::Acknowledgement* a = r.add_acknowledgements();
      a->set_rule_id(rule);
      a->set_reason(why);
    }
    return Act(who, step, r, raw);
  }

  absl::StatusOr<v1::Task> Act(const Actor& who, Step step,
                               const v1::TaskActionRequest& r,
                               grpc::Status* raw = nullptr) {
    switch (step) {
      case Step::kSubmit:
        return Call(who, *tasks_, &TaskStub::SubmitTask, r, raw);
      case Step::kWithdraw:
        return Call(who, *tasks_, &TaskStub::WithdrawTask, r, raw);
      case Step::kClose:
        return Call(who, *tasks_, &TaskStub::CloseTask, r, raw);
      case Step::kClaim:
        return Call(who, *reviews_, &ReviewStub::ClaimTask, r, raw);
      case Step::kRelease:
        return Call(who, *reviews_, &ReviewStub::ReleaseTask, r, raw);
      case Step::kApprove:
        return Call(who, *reviews_, &ReviewStub::ApproveTask, r, raw);
      case Step::kReject:
        return Call(who, *reviews_, &ReviewStub::RejectTask, r, raw);
      case Step::kReturn:
        return Call(who, *reviews_, &ReviewStub::ReturnTask, r, raw);
      case Step::kRevoke:
        return Call(who, *reviews_, &ReviewStub::RevokeTask, r, raw);
    }
    return absl::InternalError("unknown step");
  }

  // Creates a clean task as the clerk and takes it to SUBMITTED (or, with
  // `claim_by`, IN_REVIEW); returns its id.
  std::string SubmittedTask(const v1::TaskSpec& spec,
                            const Actor* claim_by = nullptr) {
    absl::StatusOr<v1::Task> created = CreateTask(clerk_, spec);
    EXPECT_THAT(created, testing::IsOk());
    if (!created.ok()) return "";
    absl::StatusOr<v1::Task> submitted =
        Act(clerk_, Step::kSubmit, created->id());
    EXPECT_THAT(submitted, testing::IsOk());
    if (claim_by != nullptr) {
      EXPECT_THAT(Act(*claim_by, Step::kClaim, created->id()), testing::IsOk());
    }
    return created->id();
  }

  // A duty-list task of the clerk's department, ACTIVE at submit.
  std::string ActiveTask() {
    const std::string id = SubmittedTask(DutySpec());
    absl::StatusOr<v1::Task> t = GetTask(auditor_, id);
    EXPECT_THAT(t, testing::IsOk());
    if (t.ok()) {
      EXPECT_EQ(t->state(), v1::TASK_STATE_ACTIVE);
    }
    return id;
  }

  // The audit events matching `request`, every page, read as the auditor.
  std::vector<v1::AuditEvent> Events(v1::ListEventsRequest request) {
    std::vector<v1::AuditEvent> all;
    request.set_page_size(500);
    for (int page = 0; page < 100; ++page) {
      absl::StatusOr<v1::ListEventsResponse> r =
          Call(auditor_, *audit_, &AuditStub::ListEvents, request);
      EXPECT_THAT(r, testing::IsOk());
      if (!r.ok()) break;
      all.insert(all.end(), r->events().begin(), r->events().end());
      if (r->next_page_token().empty()) break;
      request.set_page_token(r->next_page_token());
    }
    return all;
  }

  // The actions recorded for task `id`, in log order.
  std::vector<std::string> TaskActions(const std::string& id) {
    v1::ListEventsRequest r;
    r.set_task_id(id);
    std::vector<std::string> actions;
    for (const v1::AuditEvent& e : Events(r)) actions.push_back(e.action());
    return actions;
  }

  // The number of audit events, from the tree head the auditor reads.
  int64_t TreeSize() {
    absl::StatusOr<v1::TreeHead> head = Call(
        auditor_, *audit_, &AuditStub::GetTreeHead, v1::GetTreeHeadRequest());
    EXPECT_THAT(head, testing::IsOk());
    return head.ok() ? head->tree_size() : -1;
  }

  testing::FakeClock clock_{At(2026, 3, 2)};
  std::string db_path_;
  std::string token_dir_;
  services::ServerConfig config_;
  std::unique_ptr<store::Store> sqlite_;
  std::unique_ptr<testing::FaultInjectingStore> store_;
  std::unique_ptr<services::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<TaskStub> tasks_;
  std::unique_ptr<ReviewStub> reviews_;
  std::unique_ptr<CommunityStub> communities_;
  std::unique_ptr<AuditStub> audit_;
  std::unique_ptr<AdminStub> admins_;
  std::unique_ptr<PublicStub> public_;

  Actor admin_;
  Actor clerk_;            // department civil-affairs
  Actor other_clerk_;      // department housing
  Actor reviewer_;         // home department planning
  Actor reviewer2_;        // no home department
  Actor home_reviewer_;    // home department civil-affairs
  Actor community_;        // c1 (street east)
  Actor other_community_;  // c3 (street west)
  Actor auditor_;

 private:
  std::atomic<int> next_request_{1};
  int spec_count_ = 0;
};

}  // namespace taskgate::e2e

#endif  // TASKGATE_TESTS_E2E_E2E_FIXTURE_H_
