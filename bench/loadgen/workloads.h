// What the benchmark's loops do: the calls of each figure, as closed loops
// for `Driver::RunPhase`.
//
// Writers spread over the writer connections and the departments in turn;
// each reader uses the reader connection, as a separate client would. Every
// task created is remembered (id and department) for the reads.
//
// Thread-safety: none; the driver's thread only. The loops refer to the
// `Workloads`, its connections, the district and the recorders, which must
// outlive the phase that runs them.
#ifndef TASKGATE_BENCH_LOADGEN_WORKLOADS_H_
#define TASKGATE_BENCH_LOADGEN_WORKLOADS_H_

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bench/loadgen/connection.h"
#include "bench/loadgen/district.h"
#include "bench/loadgen/driver.h"

namespace taskgate::bench {

// Outcomes that mean the load was not what it claims (a "clean" task that
// got findings, a life that did not end ACTIVE). A correct server and a
// correct generator keep them at zero.
struct LoadChecks {
  int64_t submits_with_findings = 0;
  int64_t submits_not_submitted = 0;             // any state but SUBMITTED
  int64_t approvals_not_active = 0;              // any state but ACTIVE
  std::map<std::string, int64_t> finding_rules;  // rule id -> count
};

class Workloads {
 public:
  // `writers` must not be empty.
  Workloads(Driver& driver, std::vector<Connection>& writers,
            Connection& reader, const District& district, TaskFactory& factory,
            uint64_t seed);

  using Loops = std::vector<Driver::Iteration>;

  // `grpc.health.v1.Health/Check`, `n` in flight.
  Loops Health(int n, Recorder& rpcs);
  // CreateTask of a DRAFT.
  Loops CreateDraft(int n, Recorder& rpcs);
  // CreateTask then SubmitTask of a clean task; `tasks` gets one sample per
  // submitted task, from the create's start to the submit's end.
  Loops CreateSubmit(int n, Recorder& rpcs, Recorder& tasks);
  // Create, submit, claim and approve (by a reviewer of another home
  // department); `tasks` gets one sample per task made ACTIVE. With
  // `budget`, each life takes one from it and the loops end at zero.
  Loops FullLife(int n, Recorder& rpcs, Recorder& tasks,
                 int64_t* budget = nullptr);

  // One reader each, on the reader connection, over the tasks created so
  // far (random, seeded): GetTask and the task's history (ListEvents by
  // task_id), as the owning department's clerk.
  Loops GetTask(Recorder& rpcs);
  Loops TaskHistory(Recorder& rpcs);
  // A page of 100 events as the auditor: one department (in turn) within
  // the middle 30% of a log of `log_size` events (seq bounds).
  Loops AuditPage(Recorder& rpcs, int64_t log_size);
  // GetStatistics as the auditor over the last 30 days and the next one.
  Loops Statistics(Recorder& rpcs);

  int64_t tasks_known() const { return static_cast<int64_t>(known_.size()); }
  const LoadChecks& checks() const { return checks_; }

 private:
  struct KnownTask {
    std::string id;
    int dept;
  };

  // The next department and request id, in turn.
  int NextDepartment();
  std::string NextRequestId();
  // A reviewer who may decide tasks of `dept`.
  const std::string& ReviewerFor(int dept);
  const KnownTask* RandomTask();

  // The steps of a task's life; each ends by calling `next` (on failure
  // too). `life_start` is when the life's first call started.
  void Create(Connection& c, int dept, Recorder& rpcs, bool submit,
              bool approve, Recorder* tasks, std::function<void()> next);
  void Submit(Connection& c, int dept, const v1::Task& draft,
              TimePoint life_start, Recorder& rpcs, bool approve,
              Recorder* tasks, std::function<void()> next);
  void Claim(Connection& c, int dept, const v1::Task& submitted,
             TimePoint life_start, Recorder& rpcs, Recorder* tasks,
             std::function<void()> next);
  void Approve(Connection& c, const std::string& reviewer,
               const v1::Task& claimed, TimePoint life_start, Recorder& rpcs,
               Recorder* tasks, std::function<void()> next);

  Driver& driver_;
  std::vector<Connection>& writers_;
  Connection& reader_;
  const District& district_;
  TaskFactory& factory_;
  std::mt19937_64 rng_;
  std::vector<KnownTask> known_;
  LoadChecks checks_;
  int64_t next_department_ = 0;
  int64_t next_request_ = 0;
  int64_t next_reviewer_ = 0;
  int64_t next_page_department_ = 0;
};

}  // namespace taskgate::bench

#endif  // TASKGATE_BENCH_LOADGEN_WORKLOADS_H_
