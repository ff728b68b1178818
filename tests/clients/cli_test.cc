// The `taskgate` CLI run as a separate process against the real server of
// the e2e fixture (exit codes, messages, JSON output, pagination), and the
// client library's option resolution and UNAVAILABLE retries.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients/client.h"
#include "tests/e2e/e2e_fixture.h"

namespace taskgate::clients {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

// Runs the built taskgate with `args`; no environment or config file leaks
// in (HOME and XDG_CONFIG_HOME point to an empty place).
Result RunTaskgate(const std::vector<std::string>& args) {
  const std::string err_path =
      absl::StrCat(::testing::TempDir(), "taskgate-cli-", ::getpid(), ".err");
  std::string command = absl::StrCat(
      "env -u TASKGATE_ADDRESS -u TASKGATE_TOKEN HOME=/nonexistent "
      "XDG_CONFIG_HOME=/nonexistent ",
      TASKGATE_CLI_PATH);
  for (const std::string& a : args) absl::StrAppend(&command, " ", Quote(a));
  absl::StrAppend(&command, " 2>", err_path);
  Result result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.out.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  std::stringstream text;
  text << err.rdbuf();
  result.err = text.str();
  std::remove(err_path.c_str());
  return result;
}

class CliTest : public e2e::E2eTest {
 protected:
  Result Run(const e2e::Actor& who, std::vector<std::string> args) {
    std::vector<std::string> all = {
        "--address", absl::StrCat("127.0.0.1:", server_->grpc_port()),
        "--token",   who.token,
        "--retries", "0"};
    all.insert(all.end(), args.begin(), args.end());
    return RunTaskgate(all);
  }
};

TEST_F(CliTest, MissingArgumentIsAUsageError) {
  const Result r = Run(clerk_, {"dept", "show"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("TASK is required"));
}

TEST_F(CliTest, UnknownCommandIsAUsageError) {
  const Result r = Run(clerk_, {"dept", "frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("A subcommand is required"));
}

TEST_F(CliTest, BadOutputFormatIsAUsageError) {
  const Result r = Run(clerk_, {"dept", "list", "--output", "yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--output"));
}

TEST_F(CliTest, HelpShowsAnExample) {
  const Result r = RunTaskgate({"review", "approve", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("Example:\n  taskgate review approve"));
}

TEST_F(CliTest, ShowAsJsonHasTheTaskFields) {
  ASSERT_OK_AND_ASSIGN(v1::Task created,
                       CreateTask(clerk_, CleanAssistSpec(), "t-json"));
  const Result r = Run(clerk_, {"dept", "show", "t-json", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["id"], "t-json");
  EXPECT_EQ(j["state"], "TASK_STATE_DRAFT");
  EXPECT_EQ(j["department_id"], "civil-affairs");
  EXPECT_EQ(j["spec"]["item_code"], "A-001");
  EXPECT_EQ(j["etag"], created.etag());
}

TEST_F(CliTest, CreateFromTomlFileThenSubmitShowsFindings) {
  const std::string path = TestPath(".toml");
  {
    std::ofstream file(path);
    file << "title = \"Elderly visits\"\nitem_code = \"A-001\"\n"
            "start_date = \"2026-06-01\"\nend_date = \"2026-06-02\"\n"
            "target_communities = [\"c1\"]\nhours_per_community_month = 2\n"
            "department_duties = \"lists\"\ncommunity_duties = \"visits\"\n"
            "types = [\"signboard\"]\n";
  }
  const Result r = Run(clerk_, {"dept", "create", "--file", path, "--id",
                                "t-toml", "--submit", "--output", "json"});
  std::remove(path.c_str());
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["state"], "TASK_STATE_SUBMITTED");
  EXPECT_EQ(j["spec"]["types"], nlohmann::json::array({"TASK_TYPE_SIGNBOARD"}));
  std::vector<std::string> rules;
  for (const auto& f : j["findings"]) rules.push_back(f["rule_id"]);
  // No legal basis, no funding, a signboard without justification.
  EXPECT_THAT(rules, ::testing::UnorderedElementsAre(
                         "R-LEGAL-BASIS", "R-FUNDING", "R-CONTROLLED"));
}

TEST_F(CliTest, NotFoundExitsThree) {
  const Result r = Run(clerk_, {"dept", "show", "no-such-task"});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("error: NOT_FOUND"));
  EXPECT_THAT(r.err, HasSubstr("hint: "));
}

TEST_F(CliTest, PermissionDeniedExitsFour) {
  const Result r = Run(auditor_, {"dept", "create", "--title", "x"});
  EXPECT_EQ(r.code, 4);
  EXPECT_THAT(r.err, HasSubstr("error: PERMISSION_DENIED"));
}

TEST_F(CliTest, MissingTokenExitsFour) {
  const Result r = Run(e2e::Actor{"nobody", ""}, {"dept", "list"});
  EXPECT_EQ(r.code, 4);
  EXPECT_THAT(r.err, HasSubstr("error: UNAUTHENTICATED"));
}

TEST_F(CliTest, IllegalTransitionExitsFive) {
  ASSERT_OK_AND_ASSIGN(v1::Task created,
                       CreateTask(clerk_, CleanAssistSpec(), "t-draft"));
  const Result r = Run(clerk_, {"dept", "close", "t-draft"});
  EXPECT_EQ(r.code, 5);
  EXPECT_THAT(r.err, HasSubstr("error: FAILED_PRECONDITION"));
}

TEST_F(CliTest, InvalidArgumentExitsSevenAndNamesEachField) {
  const Result r = Run(clerk_, {"dept", "create", "--title", "x", "--start",
                                "someday", "--hours", "-3"});
  EXPECT_EQ(r.code, 7);
  EXPECT_THAT(r.err, HasSubstr("error: INVALID_ARGUMENT"));
  EXPECT_THAT(r.err, HasSubstr("\n  - spec.start_date: "));
  EXPECT_THAT(r.err, HasSubstr("\n  - spec.hours_per_community_month: "));
}

TEST_F(CliTest, ApproveRefusesLocallyWithoutAcknowledgingWarnings) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_item_code("");
  spec.set_new_item_justification("not on any list yet");
  const std::string id = SubmittedTask(spec, &reviewer_);
  const Result r = Run(reviewer_, {"review", "approve", id});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("R-NEW-ITEM"));
  ASSERT_OK_AND_ASSIGN(v1::Task task, GetTask(auditor_, id));
  EXPECT_EQ(task.state(), v1::TASK_STATE_IN_REVIEW);

  const Result ok =
      Run(reviewer_, {"review", "approve", id, "--ack",
                      "R-NEW-ITEM=needed this year", "-o", "json"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out)["approvals"].size(), 1u);
}

TEST_F(CliTest, ReviewerHandlesAComplaintThroughItsLifecycle) {
  const Result filed =
      Run(community_, {"community", "complain", "--title", "要求社区报送台账",
                       "--description", "未经准入，口头布置", "-o", "name"});
  ASSERT_EQ(filed.code, 0) << filed.err;
  const std::string id(absl::StripAsciiWhitespace(filed.out));

  const Result bad = Run(reviewer_, {"review", "complaint", id, "--state",
                                     "open", "--resolution", "x"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--state must be"));

  const Result verified =
      Run(reviewer_, {"review", "complaint", id, "--state", "verified",
                      "--resolution", "属实", "-o", "json"});
  ASSERT_EQ(verified.code, 0) << verified.err;
  EXPECT_EQ(nlohmann::json::parse(verified.out)["state"],
            "COMPLAINT_STATE_VERIFIED");
  // Straight back to VERIFIED is not a move the lifecycle has.
  const Result again = Run(reviewer_, {"review", "complaint", id, "--state",
                                       "verified", "--resolution", "again"});
  EXPECT_EQ(again.code, 5) << again.err;
  const Result resolved =
      Run(reviewer_, {"review", "complaint", id, "--state", "resolved",
                      "--resolution", "已整改"});
  EXPECT_EQ(resolved.code, 0) << resolved.err;
  EXPECT_THAT(resolved.out, HasSubstr("RESOLVED"));
}

TEST_F(CliTest, ListFollowsPagesUpToTheLimit) {
  for (const char* id : {"t-a", "t-b", "t-c", "t-d", "t-e"}) {
    ASSERT_OK_AND_ASSIGN(v1::Task t, CreateTask(clerk_, CleanAssistSpec(), id));
  }
  const Result r = Run(clerk_, {"dept", "list", "--page-size", "2", "--limit",
                                "3", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json listed = nlohmann::json::parse(r.out);
  std::vector<std::string> ids;
  for (const auto& t : listed["items"]) {
    ids.push_back(t["id"]);
  }
  EXPECT_THAT(ids, ElementsAre("t-a", "t-b", "t-c"));

  const Result all =
      Run(clerk_, {"dept", "list", "--page-size", "2", "--output", "name"});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_EQ(all.out, "t-a\nt-b\nt-c\nt-d\nt-e\n");
}

TEST(CliProcessTest, ServerDownExitsSixWithAHint) {
  const Result r =
      RunTaskgate({"--address", "127.0.0.1:1", "--token", "x", "--retries", "0",
                   "--timeout", "5", "dept", "list"});
  EXPECT_EQ(r.code, 6);
  EXPECT_THAT(r.err, HasSubstr("error: UNAVAILABLE"));
  EXPECT_THAT(r.err, HasSubstr("is taskgated running"));
}

// A TaskService whose first CreateTask answers UNAVAILABLE.
class FlakyTasks final : public v1::TaskService::Service {
 public:
  grpc::Status CreateTask(grpc::ServerContext* context,
                          const v1::CreateTaskRequest* request,
                          v1::Task* response) override {
    request_ids.push_back(request->request_id());
    auto auth = context->client_metadata().find("authorization");
    authorization = auth == context->client_metadata().end()
                        ? ""
                        : std::string(auth->second.data(), auth->second.size());
    if (request_ids.size() == 1) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "store busy");
    }
    response->set_id("t-1");
    return grpc::Status::OK;
  }
  std::vector<std::string> request_ids;
  std::string authorization;
};

TEST(ClientTest, RetriesUnavailableWithTheSameRequestId) {
  FlakyTasks service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ClientOptions options;
  options.token = "secret";
  options.max_retries = 2;
  Client client(options, server->InProcessChannel(grpc::ChannelArguments()));
  std::vector<absl::Duration> sleeps;
  client.set_sleeper([&](absl::Duration d) { sleeps.push_back(d); });

  v1::CreateTaskRequest request;
  request.set_request_id(NewRequestId());
  v1::Task task;
  grpc::Status status = client.Call(
      client.tasks(), &v1::TaskService::Stub::CreateTask, request, &task);

  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(task.id(), "t-1");
  EXPECT_THAT(service.request_ids,
              ElementsAre(request.request_id(), request.request_id()));
  EXPECT_THAT(sleeps, ElementsAre(absl::Milliseconds(100)));
  EXPECT_EQ(service.authorization, "Bearer secret");
  server->Shutdown();
}

TEST(ClientTest, GivesUpAfterMaxRetries) {
  FlakyTasks service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ClientOptions options;
  options.max_retries = 0;
  Client client(options, server->InProcessChannel(grpc::ChannelArguments()));
  client.set_sleeper([](absl::Duration) { FAIL() << "must not sleep"; });
  v1::CreateTaskRequest request;
  v1::Task task;
  grpc::Status status = client.Call(
      client.tasks(), &v1::TaskService::Stub::CreateTask, request, &task);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service.request_ids.size(), 1u);
  server->Shutdown();
}

TEST(ClientTest, BackoffDoublesUpToTwoSeconds) {
  EXPECT_EQ(RetryBackoff(1), absl::Milliseconds(100));
  EXPECT_EQ(RetryBackoff(2), absl::Milliseconds(200));
  EXPECT_EQ(RetryBackoff(5), absl::Milliseconds(1600));
  EXPECT_EQ(RetryBackoff(6), absl::Seconds(2));
  EXPECT_EQ(RetryBackoff(30), absl::Seconds(2));
}

TEST(ClientTest, RequestIdsAreFreshHex) {
  const std::string a = NewRequestId();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, NewRequestId());
}

TEST(ClientTest, OptionsComeFromFlagsThenEnvironmentThenFile) {
  const std::string dir =
      absl::StrCat(::testing::TempDir(), "taskgate-opts-", ::getpid());
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/token") << "file-secret\n";
    std::ofstream(dir + "/config.toml")
        << "address = \"file:1\"\ntoken_file = \"" << dir << "/token\"\n";
  }
  std::map<std::string, std::string> env;
  OptionSources sources;
  sources.config_file = dir + "/config.toml";
  sources.getenv = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };

  ASSERT_OK_AND_ASSIGN(ClientOptions from_file, ResolveOptions(sources));
  EXPECT_EQ(from_file.address, "file:1");
  EXPECT_EQ(from_file.token, "file-secret");

  env["TASKGATE_ADDRESS"] = "env:2";
  env["TASKGATE_TOKEN"] = "env-secret";
  ASSERT_OK_AND_ASSIGN(ClientOptions from_env, ResolveOptions(sources));
  EXPECT_EQ(from_env.address, "env:2");
  EXPECT_EQ(from_env.token, "env-secret");

  sources.address_flag = "flag:3";
  sources.token_flag = "flag-secret";
  ASSERT_OK_AND_ASSIGN(ClientOptions from_flags, ResolveOptions(sources));
  EXPECT_EQ(from_flags.address, "flag:3");
  EXPECT_EQ(from_flags.token, "flag-secret");

  sources.config_file = dir + "/missing.toml";
  sources.address_flag.clear();
  env.clear();
  EXPECT_THAT(ResolveOptions(sources),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
  std::filesystem::remove_all(dir);
}

TEST(ClientTest, FormatErrorListsFieldViolationsAndAHint) {
  google::rpc::BadRequest bad;
  auto* v = bad.add_field_violations();
  v->set_field("spec.title");
  v->set_description("must not be empty");
  google::rpc::Status details;
  details.set_code(3);
  details.add_details()->PackFrom(bad);
  const grpc::Status status(grpc::StatusCode::INVALID_ARGUMENT, "bad task",
                            details.SerializeAsString());
  EXPECT_EQ(FormatError(status),
            "error: INVALID_ARGUMENT: bad task\n"
            "  - spec.title: must not be empty\n"
            "hint: fix the fields named above and run the command again\n");
  EXPECT_EQ(ExitCodeFor(status.error_code()), 7);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::ABORTED), 5);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::DEADLINE_EXCEEDED), 6);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::INTERNAL), 1);
}

}  // namespace
}  // namespace taskgate::clients
