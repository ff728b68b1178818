#include "bench/loadgen/driver.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <absl/strings/str_cat.h>

namespace taskgate::bench {

std::atomic<bool> g_interrupted{false};

double Seconds(SteadyClock::duration d) {
  return std::chrono::duration<double>(d).count();
}

SteadyClock::duration FromSeconds(double seconds) {
  // Far enough for "forever" without overflowing the clock's arithmetic.
  constexpr double kForever = 100.0 * 365 * 24 * 3600;
  return std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(std::min(seconds, kForever)));
}

void Recorder::Add(TimePoint start, TimePoint end, const grpc::Status& status) {
  if (status.ok()) {
    AddOk(start, end);
    return;
  }
  // The code's number keeps the recorder free of a name table; the report
  // prints the message, which names the problem.
  AddError(start, end,
           absl::StrCat("code ", static_cast<int>(status.error_code()), ": ",
                        status.error_message()));
}

void Recorder::AddOk(TimePoint start, TimePoint end) {
  samples_.push_back(
      {end,
       std::chrono::duration_cast<std::chrono::nanoseconds>(end - start)
           .count(),
       true});
  ++total_ok_;
  if (count_from_.has_value() && end >= *count_from_) ++counted_ok_;
}

void Recorder::AddError(TimePoint start, TimePoint end,
                        const std::string& what) {
  samples_.push_back(
      {end,
       std::chrono::duration_cast<std::chrono::nanoseconds>(end - start)
           .count(),
       false});
  // Bounded: a storm of distinct messages keeps only the first few.
  constexpr size_t kMaxDistinct = 5;
  auto it = errors_.find(what);
  if (it != errors_.end()) {
    ++it->second;
  } else if (errors_.size() < kMaxDistinct) {
    errors_[what] = 1;
  }
}

void Recorder::CountFrom(TimePoint from) {
  count_from_ = from;
  counted_ok_ = 0;
  for (const Sample& s : samples_) {
    if (s.ok && s.end >= from) ++counted_ok_;
  }
}

Summary Recorder::Summarize(TimePoint begin, TimePoint end) const {
  Summary out;
  out.window_seconds = std::max(0.0, Seconds(end - begin));
  std::vector<int64_t> latencies;
  for (const Sample& s : samples_) {
    if (s.end < begin || s.end > end) continue;
    if (s.ok) {
      latencies.push_back(s.latency_ns);
    } else {
      ++out.errors;
    }
  }
  out.ok = static_cast<int64_t>(latencies.size());
  if (out.window_seconds > 0) out.per_second = out.ok / out.window_seconds;
  out.error_examples = errors_;
  if (latencies.empty()) return out;
  std::sort(latencies.begin(), latencies.end());
  // Nearest rank: the smallest sample with at least p% of samples at or
  // below it; with few samples p99 is the maximum.
  const auto rank = [&](double p) {
    const size_t n = latencies.size();
    size_t r = static_cast<size_t>(std::ceil(p / 100.0 * n));
    r = std::clamp<size_t>(r, 1, n);
    return latencies[r - 1] / 1e6;
  };
  out.p50_ms = rank(50);
  out.p99_ms = rank(99);
  out.max_ms = latencies.back() / 1e6;
  double sum = 0;
  for (int64_t l : latencies) sum += l / 1e6;
  out.mean_ms = sum / latencies.size();
  return out;
}

Driver::Driver(SteadyClock::duration rpc_timeout) : rpc_timeout_(rpc_timeout) {}

Driver::~Driver() {
  CancelAll();
  while (!outstanding_.empty()) {
    PollOnce(SteadyClock::now() + std::chrono::seconds(1));
  }
  cq_.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq_.Next(&tag, &ok)) {
  }
}

void Driver::Spin(const Iteration* loop) {
  if (stopping_ || !(*loop)([this, loop] { Spin(loop); })) --active_loops_;
}

bool Driver::PollOnce(TimePoint until) {
  void* tag = nullptr;
  bool ok = false;
  const grpc::CompletionQueue::NextStatus status = cq_.AsyncNext(
      &tag, &ok,
      std::chrono::system_clock::now() + (until - SteadyClock::now()));
  if (status != grpc::CompletionQueue::GOT_EVENT) return false;
  // A unary call's Finish always reports ok; its outcome is in its status.
  auto* call = static_cast<PendingCall*>(tag);
  outstanding_.erase(call);
  std::unique_ptr<PendingCall> owned(call);
  owned->Complete(SteadyClock::now());
  return true;
}

void Driver::CancelAll() {
  for (PendingCall* call : outstanding_) call->context.TryCancel();
}

PhaseTimes Driver::RunPhase(const PhaseSpec& spec,
                            std::vector<Iteration> loops) {
  PhaseTimes times;
  times.start = SteadyClock::now();
  times.begin = times.start + FromSeconds(spec.warmup);
  const TimePoint measure_until = times.begin + FromSeconds(spec.duration);
  const TimePoint limit = times.start + FromSeconds(spec.limit);
  for (Recorder* r : spec.need_samples) r->CountFrom(times.begin);

  stopping_ = false;
  active_loops_ = static_cast<int64_t>(loops.size());
  for (const Iteration& loop : loops) Spin(&loop);

  const auto enough_samples = [&] {
    return std::all_of(
        spec.need_samples.begin(), spec.need_samples.end(),
        [&](const Recorder* r) { return r->counted_ok() >= spec.min_samples; });
  };
  std::optional<TimePoint> drain_deadline;
  TimePoint next_progress = times.start + FromSeconds(spec.progress_every);
  bool window_open = false;
  for (;;) {
    const TimePoint now = SteadyClock::now();
    if (!window_open && !stopping_ && now >= times.begin) {
      window_open = true;
      if (spec.on_window_start) spec.on_window_start();
    }
    if (spec.progress && !stopping_ && now >= next_progress) {
      spec.progress();
      next_progress = now + FromSeconds(spec.progress_every);
    }
    if (!stopping_) {
      bool stop = false;
      if (g_interrupted.load()) {
        times.interrupted = stop = true;
      } else if (active_loops_ == 0) {
        stop = true;  // every loop ended by itself
      } else if (now >= limit) {
        times.hit_limit = stop = true;
      } else if (now >= measure_until && enough_samples()) {
        stop = true;
      }
      if (stop) {
        stopping_ = true;
        times.end = now;
        if (window_open && spec.on_window_end) spec.on_window_end();
        drain_deadline = now + FromSeconds(spec.drain_limit);
        if (times.interrupted) drain_deadline = now;
      }
    }
    if (stopping_ && active_loops_ == 0 && outstanding_.empty()) break;
    // Once cancelled with nothing left in flight, no callback can come to
    // end a loop any more.
    if (times.cancelled && outstanding_.empty()) break;
    if (stopping_ && !times.cancelled && now >= *drain_deadline) {
      times.cancelled = true;
      CancelAll();
    }
    // Wake at least every 50 ms to look at the clock and the signal flag.
    PollOnce(now + std::chrono::milliseconds(50));
  }
  if (times.end < times.begin) times.begin = times.start;
  return times;
}

}  // namespace taskgate::bench
