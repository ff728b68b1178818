// Hostile input through the real server (issue 15, SPEC §9): text that
// would take over a terminal, forge a row or a log line, or break the
// client's decoding of an error. Each row is refused with INVALID_ARGUMENT
// naming the field, in a message that is valid UTF-8 (so the
// `google.rpc.BadRequest` detail decodes), and changes nothing.
#include <algorithm>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "store/change_validation.h"
#include "tests/e2e/e2e_fixture.h"
#include "workflow/validation.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// One hostile request: what it sends, the field it must be refused for,
// and what the refusal must say about it.
struct HostileRow {
  std::string name;
  std::function<grpc::Status()> call;
  std::string field;
  std::string says;
};

class HostileInputTest : public E2eTest {
 protected:
  grpc::Status CreateWith(const std::function<void(v1::TaskSpec&)>& edit,
                          const std::string& task_id = "") {
    v1::CreateTaskRequest r;
    r.set_request_id(NextRequestId());
    r.set_task_id(task_id);
    *r.mutable_spec() = CleanAssistSpec();
    edit(*r.mutable_spec());
    grpc::Status raw;
    (void)Call(clerk_, *tasks_, &TaskStub::CreateTask, r, &raw);
    return raw;
  }

  grpc::Status Decide(
      Step step, const std::string& task_id, const std::string& reason,
      const std::vector<std::pair<std::string, std::string>>& acks = {}) {
    grpc::Status raw;
    (void)Act(reviewer_, step, task_id, reason, acks, &raw);
    return raw;
  }
};

TEST_F(HostileInputTest, EveryHostileTextIsRefusedNamingItsFieldAndChanges) {
  // A task in review to decide on, and its state before the rows run.
  const std::string in_review = SubmittedTask(CleanAssistSpec(), &reviewer_);
  ASSERT_OK_AND_ASSIGN(v1::Task before, GetTask(auditor_, in_review));
  const int64_t events = TreeSize();

  const std::vector<HostileRow> rows = {
      {"ESC clearing the screen in a title",
       [&] {
         return CreateWith([](v1::TaskSpec& s) { s.set_title("走访\x1b[2J"); });
       },
       "spec.title", "control character U+001B at character 3"},
      {"a forged review-queue row in a title",
       [&] {
         return CreateWith([](v1::TaskSpec& s) {
           s.set_title("Visits\nt-forged  ACTIVE  civil-affairs");
         });
       },
       "spec.title", "U+000A at character 7"},
      {"a right-to-left override in a legal basis",
       [&] {
         return CreateWith([](v1::TaskSpec& s) {
           s.set_legal_basis("第三十条\xE2\x80\xAE");
         });
       },
       "spec.legal_basis", "bidirectional formatting character U+202E"},
      {"NUL in a description",
       [&] {
         return CreateWith([](v1::TaskSpec& s) {
           s.set_description(std::string("before\0after", 12));
         });
       },
       "spec.description", "U+0000 at character 7"},
      {"a C1 control (CSI) in a street",
       [&] {
         return CreateWith([](v1::TaskSpec& s) {
           s.add_target_streets(
               "east\xC2\x9B"
               "2J");
         });
       },
       "spec.target_streets[0]", "U+009B"},
      {"a carriage return in a reject reason",
       [&] { return Decide(Step::kReject, in_review, "duplicate\rapproved"); },
       "reason", "U+000D at character 10"},
      {"an isolate in an acknowledgement's reason",
       [&] {
         return Decide(Step::kApprove, in_review, "",
                       {{"R-LEAD-TIME", "ok\xE2\x81\xA6"}});
       },
       "acknowledgements[0].reason", "U+2066"},
      {"ESC in an acknowledgement's rule id",
       [&] {
         return Decide(Step::kApprove, in_review, "",
                       {{"R-LEAD-TIME\x1b[8m", "hidden"}});
       },
       "acknowledgements[0].rule_id", "U+001B"},
      {"BEL in a complaint title",
       [&] {
         v1::FileComplaintRequest r;
         r.set_request_id(NextRequestId());
         r.mutable_complaint()->set_title("ledger\x07");
         r.mutable_complaint()->set_description("asked by phone");
         grpc::Status raw;
         (void)Call(community_, *communities_, &CommunityStub::FileComplaint, r,
                    &raw);
         return raw;
       },
       "complaint.title", "U+0007"},
      {"a bidi override in a principal's display name",
       [&] {
         v1::CreatePrincipalRequest r;
         r.set_request_id(NextRequestId());
         r.mutable_principal()->set_id("spoofed");
         r.mutable_principal()->set_role(v1::ROLE_AUDITOR);
         r.mutable_principal()->set_display_name("\xE2\x80\xAEnimda");
         grpc::Status raw;
         (void)Call(admin_, *admins_, &AdminStub::CreatePrincipal, r, &raw);
         return raw;
       },
       "principal.display_name", "U+202E at character 1"},
      {"a task id cut inside a character when echoed",
       [&] {
         return CreateWith([](v1::TaskSpec&) {},
                           std::string(79, 'x') + "中中中");
       },
       "task_id", std::string(79, 'x') + "…"},
      {"a date cut inside a character when echoed",
       [&] {
         return CreateWith([](v1::TaskSpec& s) {
           s.set_start_date(std::string(39, '2') + "中");
         });
       },
       "spec.start_date", "is not a date"},
      {"an id echoed with a newline and ESC",
       [&] { return CreateWith([](v1::TaskSpec&) {}, "t1\n\x1b[31mred"); },
       "task_id", "'t1\\n\\x1b[31mred'"},
      // Every list and string of every request is bounded (defect 1): a
      // list over its bound is named once, its items unread.
      {"an acknowledgement of a finding the task does not have",
       [&] {
         return Decide(Step::kApprove, in_review, "", {{"R-CAPACITY", "fits"}});
       },
       "acknowledgements[0].rule_id", "names no WARN finding of task"},
      {"a hundred thousand task types",
       [&] {
         return CreateWith([](v1::TaskSpec& s) {
           for (int i = 0; i < 100000; ++i) s.add_types(v1::TASK_TYPE_LEDGER);
         });
       },
       "spec.types", "lists 100000 types; there are 9 task types"},
      {"a task filter of a megabyte",
       [&] {
         v1::ListTasksRequest r;
         r.set_filter("department=" + std::string(1 << 20, 'd'));
         grpc::Status raw;
         (void)Call(clerk_, *tasks_, &TaskStub::ListTasks, r, &raw);
         return raw;
       },
       "filter", "bytes long; at most 500"},
      {"a review queue filter of a megabyte",
       [&] {
         v1::ListReviewQueueRequest r;
         r.set_filter("awaiting_second_approval=" + std::string(1 << 20, 't'));
         grpc::Status raw;
         (void)Call(reviewer_, *reviews_, &ReviewStub::ListReviewQueue, r,
                    &raw);
         return raw;
       },
       "filter", "bytes long; at most 500"},
      {"a review queue filter value with ESC",
       [&] {
         v1::ListReviewQueueRequest r;
         r.set_filter("awaiting_second_approval=\x1b[2J");
         grpc::Status raw;
         (void)Call(reviewer_, *reviews_, &ReviewStub::ListReviewQueue, r,
                    &raw);
         return raw;
       },
       "filter", "'\\x1b[2J' is not a boolean"},
      {"an event filter of a megabyte",
       [&] {
         v1::ListEventsRequest r;
         r.set_action(std::string(1 << 20, 'a'));
         grpc::Status raw;
         (void)Call(auditor_, *audit_, &AuditStub::ListEvents, r, &raw);
         return raw;
       },
       "action", "1048576 characters long; at most 63"},
      {"ten thousand complaint states",
       [&] {
         v1::ListComplaintsRequest r;
         for (int i = 0; i < 10000; ++i) r.add_states(v1::COMPLAINT_STATE_OPEN);
         grpc::Status raw;
         (void)Call(reviewer_, *reviews_, &ReviewStub::ListComplaints, r, &raw);
         return raw;
       },
       "states", "lists 10000 states; there are 4"},
      {"a thousand baseline buckets",
       [&] {
         v1::PutCommunityRequest r;
         r.set_request_id(NextRequestId());
         r.mutable_community()->set_id("c9");
         r.mutable_community()->set_name("Community c9");
         r.mutable_community()->set_street("east");
         for (int i = 0; i < 1000; ++i) {
           (*r.mutable_community()
                 ->mutable_baseline_units())[absl::StrCat("bucket-", i)] = 1;
         }
         grpc::Status raw;
         (void)Call(admin_, *admins_, &AdminStub::PutCommunity, r, &raw);
         return raw;
       },
       "community.baseline_units", "sets 1000 buckets; there are 7"},
  };

  for (const HostileRow& row : rows) {
    SCOPED_TRACE(row.name);
    const grpc::Status s = row.call();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message();
    EXPECT_TRUE(workflow::IsValidUtf8(s.error_message())) << s.error_message();
    // The detail decodes (it would not with invalid UTF-8) and names the
    // field.
    EXPECT_THAT(BadRequestFields(s), Contains(row.field)) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(row.says));
  }

  EXPECT_EQ(TreeSize(), events);
  ASSERT_OK_AND_ASSIGN(v1::Task after, GetTask(auditor_, in_review));
  EXPECT_EQ(after.etag(), before.etag());
  ASSERT_OK_AND_ASSIGN(
      v1::ListTasksResponse listed,
      Call(clerk_, *tasks_, &TaskStub::ListTasks, v1::ListTasksRequest()));
  EXPECT_EQ(listed.tasks_size(), 1);
}

// The attack of defect 1: 1,100 acknowledgements with rule ids of 3,000
// characters made one audit event of 3.3 MB, after which `ListEvents` with
// canonical bytes failed even one event a page, and with it the auditors'
// export. The list is refused for its length, in a small error, nothing is
// written, and the whole log still reads a page at a time with its
// canonical bytes - as it does with the largest event a real task makes.
TEST_F(HostileInputTest, ThousandsOfLongAcknowledgementsAreRefusedAndLogReads) {
  const std::string in_review = SubmittedTask(CleanAssistSpec(), &reviewer_);
  ASSERT_OK_AND_ASSIGN(v1::Task before, GetTask(auditor_, in_review));
  const int64_t events = TreeSize();

  v1::TaskActionRequest flood;
  flood.set_request_id(NextRequestId());
  flood.set_task_id(in_review);
  for (int i = 0; i < 1100; ++i) {
    v1::Acknowledgement* a = flood.add_acknowledgements();
    a->set_rule_id(absl::StrCat(i, std::string(3000, 'R')));
    a->set_reason("ok");
  }
  ASSERT_GT(flood.ByteSizeLong(), 3'000'000u);
  grpc::Status raw;
  EXPECT_THAT(Act(reviewer_, Step::kApprove, flood, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("lists 1100 acknowledgements; at most 16")));
  EXPECT_THAT(BadRequestFields(raw),
              ::testing::ElementsAre("acknowledgements"));
  EXPECT_LT(raw.error_message().size() + raw.error_details().size(), 2000u);
  EXPECT_EQ(TreeSize(), events);
  ASSERT_OK_AND_ASSIGN(v1::Task after, GetTask(auditor_, in_review));
  EXPECT_EQ(after.etag(), before.etag());

  // The task is still approved the ordinary way.
  ASSERT_OK_AND_ASSIGN(v1::Task approved,
                       Act(reviewer_, Step::kApprove, in_review));
  EXPECT_EQ(approved.state(), v1::TASK_STATE_ACTIVE);

  // Every event reads, one a page, with its canonical bytes.
  v1::ListEventsRequest page;
  page.set_page_size(1);
  page.set_include_canonical(true);
  int64_t read = 0;
  size_t largest = 0;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(v1::ListEventsResponse r,
                         Call(auditor_, *audit_, &AuditStub::ListEvents, page));
    for (const v1::AuditEvent& e : r.events()) {
      EXPECT_FALSE(e.canonical().empty());
      largest = std::max(largest, e.canonical().size());
      ++read;
    }
    if (r.next_page_token().empty()) break;
    page.set_page_token(r.next_page_token());
  }
  EXPECT_GE(read, events + 1);
  EXPECT_LE(largest, store::kMaxAuditEventBytes);
}

TEST_F(HostileInputTest, MultiLineTextKeepsItsNewlinesAndTabs) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_description("1. visit\n\t2. confirm");
  spec.set_community_duties("visits\nreports");
  ASSERT_OK_AND_ASSIGN(v1::Task created, CreateTask(clerk_, spec, "t-lines"));
  EXPECT_EQ(created.spec().description(), "1. visit\n\t2. confirm");
}

// Log forging (defect 7): an unauthenticated call whose request id carries a
// newline and a fake log line. The server logs the call before it
// validates anything; the fake line must stay inside the real one.
class LogForgingTest : public E2eTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.log_level = "info";
  }

  void SetUp() override {
    E2eTest::SetUp();
    previous_ = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    auto capture = std::make_shared<spdlog::logger>("capture", sink);
    capture->set_pattern("%l %v");
    capture->set_level(spdlog::level::info);
    spdlog::set_default_logger(capture);
  }

  void TearDown() override {
    spdlog::set_default_logger(previous_);
    E2eTest::TearDown();
  }

  std::vector<std::string> Lines() {
    spdlog::default_logger()->flush();
    std::vector<std::string> lines;
    std::istringstream in(log_.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(LogForgingTest, ClientTextNeverStartsALogLine) {
  constexpr char kForged[] =
      "info rpc method=AdminService/IssueToken principal=admin role=admin "
      "request_id=r2 code=OK";
  v1::CreateTaskRequest r;
  r.set_request_id(absl::StrCat("r1\n", kForged, "\r\x1b[2K"));
  r.set_task_id("t1\ninfo forged by the id");
  *r.mutable_spec() = CleanAssistSpec();
  grpc::Status raw;
  // Unauthenticated, then authenticated with a bad id and request id.
  (void)Call(Actor{}, *tasks_, &TaskStub::CreateTask, r, &raw);
  EXPECT_EQ(raw.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  (void)Call(clerk_, *tasks_, &TaskStub::CreateTask, r, &raw);
  EXPECT_EQ(raw.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  const std::vector<std::string> lines = Lines();
  ASSERT_THAT(lines, Not(IsEmpty()));
  for (const std::string& line : lines) {
    EXPECT_THAT(line, Not(HasSubstr(absl::StrCat("\n", kForged))));
    EXPECT_THAT(line, Not(::testing::StartsWith(kForged)));
    EXPECT_THAT(line, Not(::testing::StartsWith("info forged")));
    EXPECT_THAT(line, Not(HasSubstr("\x1b"))) << line;
    EXPECT_THAT(line, Not(HasSubstr("\r"))) << line;
  }
  // Both calls are logged, each on one line, the request id escaped.
  int logged = 0;
  for (const std::string& line : lines) {
    if (line.find("rpc method=TaskService/CreateTask") == std::string::npos) {
      continue;
    }
    ++logged;
    EXPECT_THAT(line, AllOf(HasSubstr("request_id=r1\\ninfo rpc method="),
                            HasSubstr("code=OK\\r\\x1b[2K")));
  }
  EXPECT_EQ(logged, 2);
}

}  // namespace
}  // namespace taskgate::e2e
