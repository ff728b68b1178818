// The built `taskgated` binary as a separate process: it starts on a fresh
// database, becomes healthy, answers gRPC over TCP with the bootstrap admin
// token from its token file, stops on SIGTERM with exit status 0, and leaves
// a database that reopens intact.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_fixture.h"

#ifndef TASKGATED_PATH
#error "TASKGATED_PATH must name the built taskgated binary"
#endif

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;

// `n` distinct ports nothing listens on right now (the kernel's choices for
// port 0, all held until every one is chosen).
std::vector<int> FreePorts(int n) {
  std::vector<int> fds;
  std::vector<int> ports;
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      break;
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

// Runs `argv` with stdout and stderr to `log_path`; returns its pid.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int log =
        ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log >= 0) {
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
      ::close(log);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

class TaskgatedProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "taskgated-process-", ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }

  void TearDown() override {
    if (pid_ > 0) {  // a failed test must not leave the server running
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }

  // Polls (bounded) until the child exits; returns its wait status, or
  // nullopt if it is still running.
  std::optional<int> AwaitExit(int attempts) {
    for (int i = 0; i < attempts; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }

  std::string dir_;
  pid_t pid_ = -1;
};

TEST_F(TaskgatedProcessTest, ServesOverTcpAndExitsZeroOnSigtermWithDbIntact) {
  const std::vector<int> ports = FreePorts(2);
  ASSERT_EQ(ports.size(), 2u);
  const int grpc_port = ports[0];
  const int http_port = ports[1];
  const std::string db = dir_ + "/var/taskgate.db";
  const std::string token_file = dir_ + "/var/admin.token";
  const std::string log = dir_ + "/taskgated.log";
  pid_ = Spawn(
      {TASKGATED_PATH, "--db", db, "--grpc-address",
       absl::StrCat("127.0.0.1:", grpc_port), "--http-address",
       absl::StrCat("127.0.0.1:", http_port), "--admin-token-file", token_file},
      log);
  ASSERT_GT(pid_, 0);

  // Polling the starting server is the one wait allowed: 200 × 50 ms.
  bool healthy = false;
  for (int i = 0; i < 200 && !healthy; ++i) {
    absl::StatusOr<int> code = HttpGetStatus(http_port, "/healthz");
    healthy = code.ok() && *code == 200;
    if (healthy) break;
    int status = 0;
    ASSERT_NE(::waitpid(pid_, &status, WNOHANG), pid_)
        << "taskgated exited early:\n"
        << ReadAll(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(healthy) << ReadAll(log);

  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                          grpc::InsecureChannelCredentials());
  EXPECT_EQ(HealthCheck(channel).value_or(-1), 1);  // SERVING

  // The initial admin token: one line, readable by the owner only.
  struct stat st {};
  ASSERT_EQ(::stat(token_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  const std::string token =
      std::string(absl::StripAsciiWhitespace(ReadAll(token_file)));
  ASSERT_FALSE(token.empty());
  EXPECT_THAT(ReadAll(log), ::testing::Not(::testing::HasSubstr(token)));

  std::unique_ptr<AuditStub> audit = v1::AuditService::NewStub(channel);
  auto tree_head = [&](const std::string& bearer) -> absl::StatusOr<int64_t> {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    if (!bearer.empty()) {
      context.AddMetadata("authorization", absl::StrCat("Bearer ", bearer));
    }
    v1::TreeHead head;
    grpc::Status s =
        audit->GetTreeHead(&context, v1::GetTreeHeadRequest(), &head);
    if (!s.ok()) return ToAbsl(s);
    EXPECT_EQ(head.root_hash().size(), 64u);
    return head.tree_size();
  };
  ASSERT_OK_AND_ASSIGN(int64_t size, tree_head(token));
  // The district, the initial admin and its token.
  EXPECT_EQ(size, 3);
  EXPECT_THAT(tree_head(""), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(int64_t after, tree_head(token));
  EXPECT_EQ(after, size + 1);  // the refused call is on record

  // Hang up first: an idle client answers the server's GOAWAY ping only at
  // its next backup poll (5 s), which would only slow the exit down.
  audit.reset();
  channel.reset();
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  std::optional<int> status = AwaitExit(400);  // 20 s at most
  ASSERT_TRUE(status.has_value()) << "no exit after SIGTERM:\n" << ReadAll(log);
  ASSERT_TRUE(WIFEXITED(*status)) << ReadAll(log);
  EXPECT_EQ(WEXITSTATUS(*status), 0) << ReadAll(log);

  auto reopened = store::OpenSqliteStore(db);  // runs quick_check
  ASSERT_THAT(reopened, IsOk());
  ASSERT_OK_AND_ASSIGN(int64_t events, (*reopened)->EventCount("default"));
  EXPECT_EQ(events, after);
}

}  // namespace
}  // namespace taskgate::e2e
