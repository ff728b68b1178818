// The `taskgated` under test as a child process: started with its output in
// a log file, awaited until `grpc.health.v1.Health/Check` answers SERVING,
// measured (resident memory from /proc), and stopped the way an operator
// stops it (SIGTERM, then a bounded wait, SIGKILL only past it).
//
// Thread-safety: none; one thread owns a `ChildProcess`.
#ifndef TASKGATE_BENCH_LOADGEN_CHILD_PROCESS_H_
#define TASKGATE_BENCH_LOADGEN_CHILD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>

#include "bench/loadgen/driver.h"

namespace taskgate::bench {

// Resident memory of a process, from /proc/<pid>/status.
struct ProcessMemory {
  int64_t rss_kib = 0;   // VmRSS
  int64_t peak_kib = 0;  // VmHWM, the most resident since it started
};

// Sizes of a SQLite database and its side files, in bytes (0: absent).
struct DatabaseFiles {
  int64_t db = 0;
  int64_t wal = 0;
  int64_t shm = 0;
  int64_t total() const { return db + wal + shm; }
};
DatabaseFiles MeasureDatabase(const std::string& db_path);

// CPU time (user + system) this process has used, in seconds.
double OwnCpuSeconds();

class ChildProcess {
 public:
  // Forks and executes `argv` (argv[0] is the binary's path) with stdout and
  // stderr appended to `log_path`. Errors: INTERNAL when fork fails; a
  // failed exec shows as an early exit (code 127) in `WaitServing`.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::string& log_path);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills (SIGKILL) and reaps the process if it still runs: an error path
  // must never leave a server behind.
  ~ChildProcess();

  // Waits until the log names the gRPC port ("gRPC on ... (port N") and a
  // Health/Check on it answers SERVING; returns the seconds since the fork.
  // Errors: FAILED_PRECONDITION (with the log's tail) when the process
  // exits first; DEADLINE_EXCEEDED after `limit_seconds`; CANCELLED when
  // interrupted.
  absl::StatusOr<double> WaitServing(double limit_seconds);

  // The port found by `WaitServing`.
  int grpc_port() const { return grpc_port_; }
  pid_t pid() const { return pid_; }

  // UNAVAILABLE when /proc has no such process any more.
  absl::StatusOr<ProcessMemory> Memory() const;
  // CPU time (user + system) the process has used, in seconds, from
  // /proc/<pid>/stat. UNAVAILABLE as for `Memory`.
  absl::StatusOr<double> CpuSeconds() const;

  // FAILED_PRECONDITION (with the log's tail) when the process has exited.
  absl::Status CheckRunning();

  struct Exit {
    int code = -1;        // exit status, or -signal when killed by one
    double seconds = 0;   // from SIGTERM to exit
    bool killed = false;  // SIGKILL was needed
  };
  // Sends SIGTERM and waits up to `limit_seconds`, then SIGKILL.
  Exit Stop(double limit_seconds);

  // The last `lines` lines of the log.
  std::string LogTail(int lines) const;

 private:
  ChildProcess(pid_t pid, std::string log_path, TimePoint started)
      : pid_(pid), log_path_(std::move(log_path)), started_(started) {}

  // Reaps the process if it has exited; true then, with `exit_` set.
  bool Reap(bool block);

  pid_t pid_;
  const std::string log_path_;
  const TimePoint started_;
  int grpc_port_ = 0;
  bool exited_ = false;
  int exit_code_ = -1;
};

}  // namespace taskgate::bench

#endif  // TASKGATE_BENCH_LOADGEN_CHILD_PROCESS_H_
