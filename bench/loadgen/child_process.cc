#include "bench/loadgen/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <absl/status/status.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>

#include "bench/loadgen/connection.h"

namespace taskgate::bench {
namespace {

std::string ReadPrefix(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string out(max_bytes, '\0');
  in.read(out.data(), static_cast<std::streamsize>(max_bytes));
  out.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  return out;
}

// The port in taskgated's "taskgated running: gRPC on ADDR (port N, ...)"
// line; 0 until it is there.
int FindGrpcPort(const std::string& log) {
  const size_t at = log.find("taskgated running: gRPC on ");
  if (at == std::string::npos) return 0;
  const size_t port_at = log.find("(port ", at);
  if (port_at == std::string::npos) return 0;
  const size_t digits = port_at + 6;
  const size_t end = log.find_first_not_of("0123456789", digits);
  int port = 0;
  if (end == std::string::npos ||
      !absl::SimpleAtoi(log.substr(digits, end - digits), &port)) {
    return 0;
  }
  return port;
}

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

}  // namespace

DatabaseFiles MeasureDatabase(const std::string& db_path) {
  DatabaseFiles files;
  files.db = FileSize(db_path);
  files.wal = FileSize(db_path + "-wal");
  files.shm = FileSize(db_path + "-shm");
  return files;
}

double OwnCpuSeconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::string& log_path) {
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.data()));
  args.push_back(nullptr);
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (log < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open ", log_path, ": ", std::strerror(errno)));
  }
  const long max_fd = std::min<long>(::sysconf(_SC_OPEN_MAX), 65536);
  const pid_t parent = ::getpid();
  const TimePoint started = SteadyClock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    return absl::InternalError(
        absl::StrCat("fork failed: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Its own process group, so that a Ctrl-C reaches the load generator,
    // which then stops the server itself; and a SIGTERM should the load
    // generator die without doing so.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    for (long fd = 3; fd < max_fd; ++fd) ::close(static_cast<int>(fd));
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(pid, log_path, started));
}

ChildProcess::~ChildProcess() {
  if (!exited_) {
    ::kill(pid_, SIGKILL);
    Reap(true);
  }
}

bool ChildProcess::Reap(bool block) {
  if (exited_) return true;
  int status = 0;
  pid_t got;
  do {
    got = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got != pid_) return false;
  exited_ = true;
  exit_code_ = WIFEXITED(status)     ? WEXITSTATUS(status)
               : WIFSIGNALED(status) ? -WTERMSIG(status)
                                     : -1;
  return true;
}

absl::Status ChildProcess::CheckRunning() {
  if (!Reap(false)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("taskgated (pid ", pid_, ") exited with status ", exit_code_,
                   "; the end of its log:\n", LogTail(20)));
}

absl::StatusOr<double> ChildProcess::WaitServing(double limit_seconds) {
  const TimePoint deadline = SteadyClock::now() + FromSeconds(limit_seconds);
  std::unique_ptr<Connection> connection;
  for (;;) {
    if (g_interrupted.load()) return absl::CancelledError("interrupted");
    if (absl::Status running = CheckRunning(); !running.ok()) return running;
    if (grpc_port_ == 0)
      grpc_port_ = FindGrpcPort(ReadPrefix(log_path_, 1 << 16));
    if (grpc_port_ != 0) {
      if (connection == nullptr) {
        connection = std::make_unique<Connection>(
            Connect(absl::StrCat("127.0.0.1:", grpc_port_)));
      }
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::milliseconds(500));
      grpc::health::v1::HealthCheckResponse response;
      const grpc::Status status = connection->health->Check(
          &context, grpc::health::v1::HealthCheckRequest(), &response);
      if (status.ok() &&
          response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        return Seconds(SteadyClock::now() - started_);
      }
    }
    if (SteadyClock::now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "taskgated did not answer SERVING within ", limit_seconds,
          " s; the end of its log:\n", LogTail(20)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

absl::StatusOr<ProcessMemory> ChildProcess::Memory() const {
  std::ifstream in(absl::StrCat("/proc/", pid_, "/status"));
  if (!in) {
    return absl::UnavailableError(
        absl::StrCat("no /proc entry for pid ", pid_));
  }
  ProcessMemory memory;
  std::string line;
  while (std::getline(in, line)) {
    const auto parse = [&](absl::string_view key, int64_t* out) {
      absl::string_view rest = line;
      if (!absl::ConsumePrefix(&rest, key)) return;
      rest = absl::StripAsciiWhitespace(rest);
      absl::ConsumeSuffix(&rest, " kB");
      int64_t value = 0;
      if (absl::SimpleAtoi(rest, &value)) *out = value;
    };
    parse("VmRSS:", &memory.rss_kib);
    parse("VmHWM:", &memory.peak_kib);
  }
  return memory;
}

absl::StatusOr<double> ChildProcess::CpuSeconds() const {
  std::ifstream in(absl::StrCat("/proc/", pid_, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // The command name in parentheses may hold spaces; fields count from the
  // last ')': state is field 3, utime 14 and stime 15 (proc(5)).
  if (stat.empty()) {
    return absl::UnavailableError(
        absl::StrCat("no /proc entry for pid ", pid_));
  }
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return absl::UnavailableError("unreadable /proc/<pid>/stat");
  }
  const std::vector<std::string> fields = absl::StrSplit(
      absl::string_view(stat).substr(paren + 2), ' ', absl::SkipEmpty());
  int64_t utime = 0;
  int64_t stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::UnavailableError("unreadable /proc/<pid>/stat");
  }
  return static_cast<double>(utime + stime) / ::sysconf(_SC_CLK_TCK);
}

ChildProcess::Exit ChildProcess::Stop(double limit_seconds) {
  Exit exit;
  const TimePoint start = SteadyClock::now();
  if (!exited_) {
    ::kill(pid_, SIGTERM);
    const TimePoint deadline = start + FromSeconds(limit_seconds);
    while (!Reap(false) && SteadyClock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited_) {
      exit.killed = true;
      ::kill(pid_, SIGKILL);
      Reap(true);
    }
  }
  exit.seconds = Seconds(SteadyClock::now() - start);
  exit.code = exit_code_;
  return exit;
}

std::string ChildProcess::LogTail(int lines) const {
  std::ifstream in(log_path_, std::ios::binary);
  if (!in) return "(no log)";
  // Only the end of a long log is read.
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - 16384);
  in.seekg(from);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::vector<std::string> all =
      absl::StrSplit(buffer.str(), '\n', absl::SkipEmpty());
  const size_t first =
      all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
  std::string out;
  for (size_t i = first; i < all.size(); ++i)
    absl::StrAppend(&out, "  ", all[i], "\n");
  return out;
}

}  // namespace taskgate::bench
