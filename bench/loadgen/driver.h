// The load generator's engine: closed loops of asynchronous unary calls on
// one gRPC `CompletionQueue`, run in timed phases, and the recorders that
// turn completions into rates and percentiles.
//
// A phase starts a number of loops; each loop runs one iteration at a time
// (one call, or a chain such as create -> submit) and starts the next as soon
// as the previous ends, so "N in flight" means N loops. The phase warms up,
// measures for its duration (longer if a recorder still lacks its minimum of
// samples), stops starting iterations, and drains what is in flight; a time
// limit bounds the whole phase and another the drain, after which the calls
// still in flight are cancelled.
//
// Thread-safety: none. A `Driver`, its recorders and every callback run on
// the one thread that calls `RunPhase`; calls may only be started from that
// thread (from inside iterations and callbacks, or between phases).
#ifndef TASKGATE_BENCH_LOADGEN_DRIVER_H_
#define TASKGATE_BENCH_LOADGEN_DRIVER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

namespace taskgate::bench {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// Set from a signal handler: the current phase stops as soon as it can.
extern std::atomic<bool> g_interrupted;

// Seconds as a double, for flags and reports.
double Seconds(SteadyClock::duration d);
SteadyClock::duration FromSeconds(double seconds);

// What a recorder saw in a measured window.
struct Summary {
  double window_seconds = 0;
  int64_t ok = 0;         // completions without error in the window
  int64_t errors = 0;     // failed completions in the window
  double per_second = 0;  // ok / window_seconds
  // Latency of the ok completions; unset without any.
  std::optional<double> p50_ms;
  std::optional<double> p99_ms;
  std::optional<double> max_ms;
  std::optional<double> mean_ms;
  // "CODE: message" of failures (whole phase, window or not), with counts.
  std::map<std::string, int64_t> error_examples;
};

// Completions of one kind (an RPC, or a unit of several such as a task's
// life): when each ended, how long it took, whether it failed.
class Recorder {
 public:
  Recorder() = default;
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Records a completion that started at `start` and ended at `end`.
  void Add(TimePoint start, TimePoint end, const grpc::Status& status);
  void AddOk(TimePoint start, TimePoint end);
  void AddError(TimePoint start, TimePoint end, const std::string& what);

  // Ok completions that ended at or after `CountFrom` was set; the driver
  // uses it to wait for a minimum of samples.
  void CountFrom(TimePoint from);
  int64_t counted_ok() const { return counted_ok_; }
  // Every ok completion so far.
  int64_t total_ok() const { return total_ok_; }

  // Completions that ended within [begin, end].
  Summary Summarize(TimePoint begin, TimePoint end) const;

 private:
  struct Sample {
    TimePoint end;
    int64_t latency_ns;
    bool ok;
  };
  std::vector<Sample> samples_;
  std::map<std::string, int64_t> errors_;
  std::optional<TimePoint> count_from_;
  int64_t counted_ok_ = 0;
  int64_t total_ok_ = 0;
};

// How a phase is timed. Durations in seconds.
struct PhaseSpec {
  std::string name;
  double warmup = 0;
  // Measuring time; infinite: until every loop ends by itself (a fill).
  double duration = 0;
  // Each of these must have `min_samples` ok completions in the window
  // before the phase may stop (bounded by `limit`).
  std::vector<Recorder*> need_samples;
  int64_t min_samples = 0;
  // The whole phase, warm-up and measuring included.
  double limit = 120;
  // Waiting for the calls in flight once the phase stops; then cancelled.
  double drain_limit = 60;
  // Called every `progress_every` seconds while the phase runs (a long
  // fill reports how far it got); none when unset.
  std::function<void()> progress;
  double progress_every = 10;
  // Called when the measured window opens (after the warm-up) and when the
  // phase stops; e.g. to read CPU counters over the window. Optional.
  std::function<void()> on_window_start;
  std::function<void()> on_window_end;
};

// When a phase measured, and how it ended.
struct PhaseTimes {
  TimePoint start;
  TimePoint begin;           // end of the warm-up
  TimePoint end;             // when it stopped starting iterations
  bool hit_limit = false;    // stopped by `limit`, maybe short of samples
  bool cancelled = false;    // calls in flight were cancelled after draining
  bool interrupted = false;  // stopped by a signal
};

class Driver {
 public:
  // One iteration of a loop: starts its calls and arranges for `next` to be
  // called exactly once when they are done. Returns false, without calling
  // `next`, when the loop has nothing more to do (a fill's budget is spent).
  using Iteration = std::function<bool(std::function<void()> next)>;

  template <class Resp>
  using Done = std::function<void(const grpc::Status&, Resp&, TimePoint start,
                                  TimePoint end)>;

  // `rpc_timeout`: the deadline of every call.
  explicit Driver(SteadyClock::duration rpc_timeout);
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  // Cancels whatever is still in flight and drains the queue.
  ~Driver();

  // Starts `prepare` (a generated stub's PrepareAsync method) with `request`
  // and the bearer `token` (none when empty); `done` runs on the driver's
  // thread when it ends, with the status and the response.
  template <class Stub, class Req, class Resp>
  void Call(Stub& stub,
            std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> (
                Stub::*prepare)(grpc::ClientContext*, const Req&,
                                grpc::CompletionQueue*),
            const Req& request, const std::string& token,
            std::type_identity_t<Done<Resp>> done) {
    auto call = std::make_unique<UnaryCall<Resp>>();
    call->context.set_deadline(std::chrono::system_clock::now() + rpc_timeout_);
    if (!token.empty()) {
      call->context.AddMetadata("authorization", "Bearer " + token);
    }
    call->done = std::move(done);
    call->start = SteadyClock::now();
    call->reader = (stub.*prepare)(&call->context, request, &cq_);
    call->reader->StartCall();
    UnaryCall<Resp>* raw = call.release();
    raw->reader->Finish(&raw->response, &raw->status, raw);
    outstanding_.insert(raw);
  }

  // Runs `loops` (one in flight each) as `spec` says; returns when the phase
  // has stopped and nothing is in flight any more.
  PhaseTimes RunPhase(const PhaseSpec& spec, std::vector<Iteration> loops);

 private:
  class PendingCall {
   public:
    virtual ~PendingCall() = default;
    // Runs the callback; the driver deletes the call afterwards.
    virtual void Complete(TimePoint end) = 0;
    grpc::ClientContext context;
    TimePoint start;
  };

  template <class Resp>
  class UnaryCall final : public PendingCall {
   public:
    void Complete(TimePoint end) override {
      done(status, response, start, end);
    }
    Resp response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> reader;
    Done<Resp> done;
  };

  // Starts the next iteration of `loop` unless the phase is stopping.
  void Spin(const Iteration* loop);
  // Waits up to `until` for one completion and runs it; false on timeout.
  bool PollOnce(TimePoint until);
  void CancelAll();

  const SteadyClock::duration rpc_timeout_;
  grpc::CompletionQueue cq_;
  std::unordered_set<PendingCall*> outstanding_;
  bool stopping_ = false;
  int64_t active_loops_ = 0;
};

}  // namespace taskgate::bench

#endif  // TASKGATE_BENCH_LOADGEN_DRIVER_H_
