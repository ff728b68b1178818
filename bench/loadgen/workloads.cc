#include "bench/loadgen/workloads.h"

#include <algorithm>
#include <utility>

#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>

namespace taskgate::bench {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(t);
  out->set_seconds(micros / 1'000'000);
  out->set_nanos(static_cast<int32_t>(micros % 1'000'000) * 1000);
}

}  // namespace

Workloads::Workloads(Driver& driver, std::vector<Connection>& writers,
                     Connection& reader, const District& district,
                     TaskFactory& factory, uint64_t seed)
    : driver_(driver),
      writers_(writers),
      reader_(reader),
      district_(district),
      factory_(factory),
      rng_(seed) {}

int Workloads::NextDepartment() {
  return static_cast<int>(next_department_++ % district_.department_ids.size());
}

std::string Workloads::NextRequestId() {
  return absl::StrCat("bench-", ++next_request_);
}

const std::string& Workloads::ReviewerFor(int dept) {
  const size_t n = district_.reviewer_tokens.size();
  size_t r = next_reviewer_++ % n;
  // At most one reviewer has a given home department (district.h), and
  // there are at least two.
  if (district_.reviewer_home[r] == dept) r = (r + 1) % n;
  return district_.reviewer_tokens[r];
}

const Workloads::KnownTask* Workloads::RandomTask() {
  if (known_.empty()) return nullptr;
  std::uniform_int_distribution<size_t> pick(0, known_.size() - 1);
  return &known_[pick(rng_)];
}

Workloads::Loops Workloads::Health(int n, Recorder& rpcs) {
  Loops loops;
  for (int i = 0; i < n; ++i) {
    Connection& c = writers_[i % writers_.size()];
    loops.push_back([this, &c, &rpcs](std::function<void()> next) {
      driver_.Call(*c.health,
                   &grpc::health::v1::Health::Stub::PrepareAsyncCheck,
                   HealthCheckRequest(), "",
                   [&rpcs, next](const grpc::Status& status,
                                 HealthCheckResponse& response, TimePoint start,
                                 TimePoint end) {
                     if (status.ok() &&
                         response.status() != HealthCheckResponse::SERVING) {
                       rpcs.AddError(start, end, "health: not SERVING");
                     } else {
                       rpcs.Add(start, end, status);
                     }
                     next();
                   });
      return true;
    });
  }
  return loops;
}

Workloads::Loops Workloads::CreateDraft(int n, Recorder& rpcs) {
  Loops loops;
  for (int i = 0; i < n; ++i) {
    Connection& c = writers_[i % writers_.size()];
    loops.push_back([this, &c, &rpcs](std::function<void()> next) {
      Create(c, NextDepartment(), rpcs, /*submit=*/false, /*approve=*/false,
             nullptr, std::move(next));
      return true;
    });
  }
  return loops;
}

Workloads::Loops Workloads::CreateSubmit(int n, Recorder& rpcs,
                                         Recorder& tasks) {
  Loops loops;
  for (int i = 0; i < n; ++i) {
    Connection& c = writers_[i % writers_.size()];
    loops.push_back([this, &c, &rpcs, &tasks](std::function<void()> next) {
      Create(c, NextDepartment(), rpcs, /*submit=*/true, /*approve=*/false,
             &tasks, std::move(next));
      return true;
    });
  }
  return loops;
}

Workloads::Loops Workloads::FullLife(int n, Recorder& rpcs, Recorder& tasks,
                                     int64_t* budget) {
  Loops loops;
  for (int i = 0; i < n; ++i) {
    Connection& c = writers_[i % writers_.size()];
    loops.push_back(
        [this, &c, &rpcs, &tasks, budget](std::function<void()> next) {
          if (budget != nullptr) {
            if (*budget <= 0) return false;
            --*budget;
          }
          Create(c, NextDepartment(), rpcs, /*submit=*/true, /*approve=*/true,
                 &tasks, std::move(next));
          return true;
        });
  }
  return loops;
}

void Workloads::Create(Connection& c, int dept, Recorder& rpcs, bool submit,
                       bool approve, Recorder* tasks,
                       std::function<void()> next) {
  v1::CreateTaskRequest request;
  request.set_request_id(NextRequestId());
  *request.mutable_spec() = factory_.Next(dept);
  driver_.Call(*c.tasks, &v1::TaskService::Stub::PrepareAsyncCreateTask,
               request, district_.department_tokens[dept],
               [this, &c, dept, &rpcs, submit, approve, tasks, next](
                   const grpc::Status& status, v1::Task& task, TimePoint start,
                   TimePoint end) {
                 rpcs.Add(start, end, status);
                 if (!status.ok()) {
                   if (tasks != nullptr)
                     tasks->AddError(start, end, "create failed");
                   return next();
                 }
                 known_.push_back({task.id(), dept});
                 if (!submit) return next();
                 Submit(c, dept, task, start, rpcs, approve, tasks, next);
               });
}

void Workloads::Submit(Connection& c, int dept, const v1::Task& draft,
                       TimePoint life_start, Recorder& rpcs, bool approve,
                       Recorder* tasks, std::function<void()> next) {
  v1::TaskActionRequest request;
  request.set_request_id(NextRequestId());
  request.set_task_id(draft.id());
  request.set_etag(draft.etag());
  driver_.Call(*c.tasks, &v1::TaskService::Stub::PrepareAsyncSubmitTask,
               request, district_.department_tokens[dept],
               [this, &c, dept, life_start, &rpcs, approve, tasks, next](
                   const grpc::Status& status, v1::Task& task, TimePoint start,
                   TimePoint end) {
                 rpcs.Add(start, end, status);
                 if (!status.ok()) {
                   tasks->AddError(life_start, end, "submit failed");
                   return next();
                 }
                 if (task.findings_size() > 0) ++checks_.submits_with_findings;
                 for (const v1::Finding& f : task.findings()) {
                   ++checks_.finding_rules[f.rule_id()];
                 }
                 if (task.state() != v1::TASK_STATE_SUBMITTED) {
                   ++checks_.submits_not_submitted;
                   tasks->AddError(
                       life_start, end,
                       absl::StrCat("submit left the task ",
                                    v1::TaskState_Name(task.state())));
                   return next();
                 }
                 if (!approve) {
                   tasks->AddOk(life_start, end);
                   return next();
                 }
                 Claim(c, dept, task, life_start, rpcs, tasks, next);
               });
}

void Workloads::Claim(Connection& c, int dept, const v1::Task& submitted,
                      TimePoint life_start, Recorder& rpcs, Recorder* tasks,
                      std::function<void()> next) {
  const std::string reviewer = ReviewerFor(dept);
  v1::TaskActionRequest request;
  request.set_request_id(NextRequestId());
  request.set_task_id(submitted.id());
  request.set_etag(submitted.etag());
  driver_.Call(*c.review, &v1::ReviewService::Stub::PrepareAsyncClaimTask,
               request, reviewer,
               [this, &c, reviewer, life_start, &rpcs, tasks, next](
                   const grpc::Status& status, v1::Task& task, TimePoint start,
                   TimePoint end) {
                 rpcs.Add(start, end, status);
                 if (!status.ok()) {
                   tasks->AddError(life_start, end, "claim failed");
                   return next();
                 }
                 Approve(c, reviewer, task, life_start, rpcs, tasks, next);
               });
}

void Workloads::Approve(Connection& c, const std::string& reviewer,
                        const v1::Task& claimed, TimePoint life_start,
                        Recorder& rpcs, Recorder* tasks,
                        std::function<void()> next) {
  v1::TaskActionRequest request;
  request.set_request_id(NextRequestId());
  request.set_task_id(claimed.id());
  request.set_etag(claimed.etag());
  // A clean task has none; should one appear, the life still completes and
  // the checks count it.
  for (const v1::Finding& f : claimed.findings()) {
    if (f.severity() != v1::SEVERITY_WARN) continue;
    v1::Acknowledgement* ack = request.add_acknowledgements();
    ack->set_rule_id(f.rule_id());
    ack->set_reason("benchmark: acknowledged");
  }
  driver_.Call(
      *c.review, &v1::ReviewService::Stub::PrepareAsyncApproveTask, request,
      reviewer,
      [this, life_start, &rpcs, tasks, next](const grpc::Status& status,
                                             v1::Task& task, TimePoint start,
                                             TimePoint end) {
        rpcs.Add(start, end, status);
        if (!status.ok()) {
          tasks->AddError(life_start, end, "approve failed");
        } else if (task.state() != v1::TASK_STATE_ACTIVE) {
          ++checks_.approvals_not_active;
          tasks->AddError(life_start, end,
                          absl::StrCat("approve left the task ",
                                       v1::TaskState_Name(task.state())));
        } else {
          tasks->AddOk(life_start, end);
        }
        next();
      });
}

Workloads::Loops Workloads::GetTask(Recorder& rpcs) {
  Loops loops;
  loops.push_back([this, &rpcs](std::function<void()> next) {
    const KnownTask* t = RandomTask();
    if (t == nullptr) return false;
    v1::GetTaskRequest request;
    request.set_task_id(t->id);
    driver_.Call(*reader_.tasks, &v1::TaskService::Stub::PrepareAsyncGetTask,
                 request, district_.department_tokens[t->dept],
                 [&rpcs, next](const grpc::Status& status, v1::Task&,
                               TimePoint start, TimePoint end) {
                   rpcs.Add(start, end, status);
                   next();
                 });
    return true;
  });
  return loops;
}

Workloads::Loops Workloads::TaskHistory(Recorder& rpcs) {
  Loops loops;
  loops.push_back([this, &rpcs](std::function<void()> next) {
    const KnownTask* t = RandomTask();
    if (t == nullptr) return false;
    v1::ListEventsRequest request;
    request.set_task_id(t->id);
    request.set_page_size(100);
    driver_.Call(*reader_.audit,
                 &v1::AuditService::Stub::PrepareAsyncListEvents, request,
                 district_.department_tokens[t->dept],
                 [&rpcs, next](const grpc::Status& status,
                               v1::ListEventsResponse& response,
                               TimePoint start, TimePoint end) {
                   if (status.ok() && response.events_size() == 0) {
                     rpcs.AddError(start, end, "history: no events");
                   } else {
                     rpcs.Add(start, end, status);
                   }
                   next();
                 });
    return true;
  });
  return loops;
}

Workloads::Loops Workloads::AuditPage(Recorder& rpcs, int64_t log_size) {
  Loops loops;
  loops.push_back([this, &rpcs, log_size](std::function<void()> next) {
    v1::ListEventsRequest request;
    request.set_page_size(100);
    request.set_department_id(
        district_.department_ids[next_page_department_++ %
                                 district_.department_ids.size()]);
    const int64_t from = std::max<int64_t>(1, log_size * 35 / 100);
    request.set_start_seq(from);
    request.set_end_seq(std::max(from, log_size * 65 / 100));
    driver_.Call(
        *reader_.audit, &v1::AuditService::Stub::PrepareAsyncListEvents,
        request, district_.auditor_token,
        [&rpcs, next](const grpc::Status& status, v1::ListEventsResponse&,
                      TimePoint start, TimePoint end) {
          rpcs.Add(start, end, status);
          next();
        });
    return true;
  });
  return loops;
}

Workloads::Loops Workloads::Statistics(Recorder& rpcs) {
  Loops loops;
  loops.push_back([this, &rpcs](std::function<void()> next) {
    // The last 30 days and today: statistics are kept by day, so the period
    // is whole days in the district's zone (UTC+8, the server's default).
    const absl::TimeZone tz = absl::FixedTimeZone(8 * 60 * 60);
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), tz);
    v1::GetStatisticsRequest request;
    SetTimestamp(absl::FromCivil(today - 30, tz), request.mutable_start_time());
    SetTimestamp(absl::FromCivil(today + 1, tz), request.mutable_end_time());
    driver_.Call(*reader_.audit,
                 &v1::AuditService::Stub::PrepareAsyncGetStatistics, request,
                 district_.auditor_token,
                 [&rpcs, next](const grpc::Status& status, v1::Statistics&,
                               TimePoint start, TimePoint end) {
                   rpcs.Add(start, end, status);
                   next();
                 });
    return true;
  });
  return loops;
}

}  // namespace taskgate::bench
