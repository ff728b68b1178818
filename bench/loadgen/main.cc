// taskgate_loadgen: the benchmark of issue 10 (bench/README.md).
//
// Starts the real `taskgated` on a fresh database in a temporary directory,
// sets up a district through the admin API, and measures, on that one
// server: the baseline Health/Check at 1, 8 and 64 in flight; durable
// writes (a DRAFT, create+submit, the full life); reads alone and while 64
// submissions are in flight; statistics; then fills the log through full
// task lives to each of --sizes and measures the same again, with the
// server's memory and file size at each step, and finally its start-up time
// on the largest file. Prints a table, writes a JSON file. It reports; it
// never judges a figure.
//
// Exit status: 0 done, 1 the run failed (the JSON then carries "error" and
// whatever was measured), 2 bad flags, 130 interrupted.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>

#include "bench/loadgen/child_process.h"
#include "bench/loadgen/connection.h"
#include "bench/loadgen/district.h"
#include "bench/loadgen/driver.h"
#include "bench/loadgen/report.h"
#include "bench/loadgen/workloads.h"

#ifndef TASKGATE_DEFAULT_TASKGATED
#define TASKGATE_DEFAULT_TASKGATED "taskgated"
#endif

namespace taskgate::bench {
namespace {

struct Options {
  std::string taskgated = TASKGATE_DEFAULT_TASKGATED;
  std::string json_path = "taskgate-bench.json";
  std::string sizes = "10k,100k";
  DistrictShape shape;
  int in_flight = 64;
  int fill_in_flight = 64;
  int setup_in_flight = 16;
  int connections = 4;
  double warmup = 1;
  double duration = 5;
  int64_t min_samples = 5;
  double phase_limit = 120;
  double drain_limit = 60;
  double fill_limit = 1800;
  double rpc_timeout = 60;
  double startup_limit = 300;
  double stop_limit = 120;
  std::string workdir;
  bool keep = false;
  uint64_t seed = 1;
  std::vector<std::string> server_args;
};

void AddFlags(CLI::App& app, Options& o) {
  app.add_option("--taskgated", o.taskgated, "The taskgated binary to start")
      ->capture_default_str();
  app.add_option("--json", o.json_path,
                 "Where to write the JSON results (empty: none)")
      ->capture_default_str();
  app.add_option("--sizes", o.sizes,
                 "Audit log sizes to fill to and measure at after the fresh "
                 "database, ascending, comma-separated; k and M suffixes "
                 "(e.g. 10k,100k,1M); 'none' for the fresh database only")
      ->capture_default_str();
  app.add_option("--departments", o.shape.departments)->capture_default_str();
  app.add_option("--communities", o.shape.communities)->capture_default_str();
  app.add_option("--streets", o.shape.streets)->capture_default_str();
  app.add_option("--reviewers", o.shape.reviewers)->capture_default_str();
  app.add_option("--in-flight", o.in_flight,
                 "Calls in flight of the write figures and of the write load "
                 "under the reads")
      ->capture_default_str();
  app.add_option("--fill-in-flight", o.fill_in_flight,
                 "Full task lives in flight while filling the log")
      ->capture_default_str();
  app.add_option("--setup-in-flight", o.setup_in_flight)->capture_default_str();
  app.add_option("--connections", o.connections,
                 "Client connections the writers spread over (the readers "
                 "have their own)")
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "Seconds of each phase not measured")
      ->capture_default_str();
  app.add_option("--duration", o.duration, "Seconds each phase measures")
      ->capture_default_str();
  app.add_option("--min-samples", o.min_samples,
                 "Latency samples each read figure waits for (bounded by "
                 "--phase-limit)")
      ->capture_default_str();
  app.add_option("--phase-limit", o.phase_limit,
                 "Seconds a phase may take at most, warm-up included")
      ->capture_default_str();
  app.add_option("--drain-limit", o.drain_limit,
                 "Seconds to wait for the calls in flight when a phase ends "
                 "before cancelling them")
      ->capture_default_str();
  app.add_option("--fill-limit", o.fill_limit,
                 "Seconds each fill may take; a step not reached is measured "
                 "where the fill stopped and the larger ones are skipped")
      ->capture_default_str();
  app.add_option("--rpc-timeout", o.rpc_timeout, "Deadline of every call, s")
      ->capture_default_str();
  app.add_option("--startup-limit", o.startup_limit,
                 "Seconds taskgated may take to answer SERVING")
      ->capture_default_str();
  app.add_option("--stop-limit", o.stop_limit,
                 "Seconds taskgated may take to exit after SIGTERM before "
                 "SIGKILL")
      ->capture_default_str();
  app.add_option("--workdir", o.workdir,
                 "Where the temporary directory goes (default: $TMPDIR or "
                 "/tmp)");
  app.add_flag("--keep", o.keep,
               "Keep the temporary directory (database, server logs)");
  app.add_option("--seed", o.seed, "Seed of the readers' random task choice")
      ->capture_default_str();
  app.add_option("--server-arg", o.server_args,
                 "An extra taskgated flag, repeatable; use the = form: "
                 "--server-arg=--synchronous=NORMAL");
}

nlohmann::json OptionsJson(const Options& o) {
  return {{"taskgated", o.taskgated},
          {"sizes", o.sizes},
          {"in_flight", o.in_flight},
          {"fill_in_flight", o.fill_in_flight},
          {"connections", o.connections},
          {"warmup_s", o.warmup},
          {"duration_s", o.duration},
          {"min_samples", o.min_samples},
          {"phase_limit_s", o.phase_limit},
          {"drain_limit_s", o.drain_limit},
          {"fill_limit_s", o.fill_limit},
          {"rpc_timeout_s", o.rpc_timeout},
          {"seed", o.seed},
          {"server_args", o.server_args}};
}

absl::Status ValidateOptions(const Options& o) {
  if (o.in_flight < 1 || o.in_flight > 10000 || o.fill_in_flight < 1 ||
      o.fill_in_flight > 10000 || o.setup_in_flight < 1 || o.connections < 1 ||
      o.connections > 256) {
    return absl::InvalidArgumentError(
        "--in-flight, --fill-in-flight and --setup-in-flight must be 1 to "
        "10000, --connections 1 to 256");
  }
  if (!(o.warmup >= 0) || !(o.duration > 0) || o.min_samples < 0 ||
      !(o.phase_limit > 0) || !(o.drain_limit > 0) || !(o.fill_limit > 0) ||
      !(o.rpc_timeout > 0) || !(o.startup_limit > 0) || !(o.stop_limit > 0)) {
    return absl::InvalidArgumentError(
        "durations must be positive (--warmup may be 0), --min-samples not "
        "negative");
  }
  return ValidateShape(o.shape);
}

// "10k,100k,1M" -> {10000, 100000, 1000000}; "none" or "" -> {}.
absl::StatusOr<std::vector<int64_t>> ParseSizes(const std::string& text) {
  std::vector<int64_t> sizes;
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower.empty() || lower == "none") return sizes;
  for (absl::string_view part : absl::StrSplit(lower, ',')) {
    part = absl::StripAsciiWhitespace(part);
    int64_t scale = 1;
    if (absl::ConsumeSuffix(&part, "k")) scale = 1000;
    if (absl::ConsumeSuffix(&part, "m")) scale = 1000000;
    int64_t value = 0;
    if (!absl::SimpleAtoi(part, &value) || value <= 0 ||
        value > 1'000'000'000 / scale) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--sizes: '", std::string(part), "' is not a positive count"));
    }
    sizes.push_back(value * scale);
  }
  if (!std::is_sorted(sizes.begin(), sizes.end()) ||
      std::adjacent_find(sizes.begin(), sizes.end()) != sizes.end()) {
    return absl::InvalidArgumentError("--sizes must be strictly ascending");
  }
  return sizes;
}

void OnSignal(int) { g_interrupted.store(true); }

void Progress(const std::string& line) { std::cerr << line << std::endl; }

// One run: the server, the district, the steps. Owns the temporary
// directory and the child process; `Finish` stops and removes them.
class Bench {
 public:
  Bench(const Options& options, Report& report)
      : o_(options), report_(report) {}

  absl::Status Run();
  // Stops the server if it still runs and removes the directory (unless
  // --keep); safe to call whatever `Run` returned.
  void Finish();

 private:
  absl::Status StartServer(Startup& startup);
  absl::StatusOr<int64_t> TreeSize();
  absl::Status SetUp();
  absl::Status RunStep(int64_t target, bool& stop_filling);
  absl::StatusOr<Fill> FillTo(int64_t target);
  absl::Status MeasureStep(Step& step);
  PhaseSpec Timing(const std::string& name) const;

  // What a figure's phase records into.
  struct Recorders {
    Recorder rpcs;
    Recorder tasks;
    Recorder writes;
  };
  struct FigureSpec {
    std::string key;
    std::string label;
    int in_flight = 0;
    bool reader = false;  // waits for --min-samples of its calls
    bool tasks = false;
    bool writes = false;
    std::string baseline;
    std::function<Workloads::Loops(Recorders&)> loops;
  };
  absl::StatusOr<Figure> Measure(const FigureSpec& spec);

  const Options& o_;
  Report& report_;
  std::string dir_;
  std::string db_path_;
  int starts_ = 0;
  std::unique_ptr<ChildProcess> server_;
  std::unique_ptr<Driver> driver_;
  std::vector<Connection> writers_;
  std::unique_ptr<Connection> reader_;
  std::unique_ptr<District> district_;
  std::unique_ptr<TaskFactory> factory_;
  std::unique_ptr<Workloads> workloads_;
  std::map<std::string, double> baseline_rates_;
};

absl::Status Bench::StartServer(Startup& startup) {
  ++starts_;
  std::vector<std::string> argv = {o_.taskgated,
                                   "--db",
                                   db_path_,
                                   "--admin-token-file",
                                   dir_ + "/admin.token",
                                   "--grpc-address",
                                   "127.0.0.1:0",
                                   "--http-address",
                                   "127.0.0.1:0"};
  argv.insert(argv.end(), o_.server_args.begin(), o_.server_args.end());
  startup.files = MeasureDatabase(db_path_);
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Start(
      argv, absl::StrCat(dir_, "/taskgated-", starts_, ".log"));
  if (!child.ok()) return child.status();
  server_ = *std::move(child);
  absl::StatusOr<double> serving = server_->WaitServing(o_.startup_limit);
  if (!serving.ok()) return serving.status();
  startup.seconds = *serving;
  if (absl::StatusOr<ProcessMemory> m = server_->Memory(); m.ok()) {
    startup.memory = *m;
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Bench::TreeSize() {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       FromSeconds(o_.rpc_timeout));
  context.AddMetadata("authorization", "Bearer " + district_->admin_token);
  v1::TreeHead head;
  const grpc::Status status =
      reader_->audit->GetTreeHead(&context, v1::GetTreeHeadRequest(), &head);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("GetTreeHead failed: ", status.error_message()));
  }
  return head.tree_size();
}

PhaseSpec Bench::Timing(const std::string& name) const {
  PhaseSpec spec;
  spec.name = name;
  spec.warmup = o_.warmup;
  spec.duration = o_.duration;
  spec.limit = o_.phase_limit;
  spec.drain_limit = o_.drain_limit;
  return spec;
}

absl::Status Bench::SetUp() {
  std::ifstream in(dir_ + "/admin.token");
  std::string token((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  token = std::string(absl::StripAsciiWhitespace(token));
  if (token.empty()) {
    return absl::FailedPreconditionError(
        "taskgated wrote no admin token file on its first start");
  }
  const std::string target = absl::StrCat("127.0.0.1:", server_->grpc_port());
  for (int i = 0; i < o_.connections; ++i) writers_.push_back(Connect(target));
  reader_ = std::make_unique<Connection>(Connect(target));
  driver_ = std::make_unique<Driver>(FromSeconds(o_.rpc_timeout));

  const TimePoint start = SteadyClock::now();
  PhaseSpec timing = Timing("set-up");
  absl::StatusOr<District> district = SetUpDistrict(
      *driver_, writers_[0], token, o_.shape, o_.setup_in_flight, timing);
  if (!district.ok()) return district.status();
  district_ = std::make_unique<District>(*std::move(district));
  report_.setup_seconds = Seconds(SteadyClock::now() - start);
  report_.setup_calls = district_->calls;
  absl::StatusOr<int64_t> events = TreeSize();
  if (!events.ok()) return events.status();
  report_.setup_events = *events;
  factory_ = std::make_unique<TaskFactory>(*district_, FirstTaskMonth());
  workloads_ = std::make_unique<Workloads>(*driver_, writers_, *reader_,
                                           *district_, *factory_, o_.seed);
  Progress(absl::StrFormat("set-up: %d calls in %.1f s; the log has %d events",
                           report_.setup_calls, report_.setup_seconds,
                           report_.setup_events));
  return absl::OkStatus();
}

absl::StatusOr<Figure> Bench::Measure(const FigureSpec& spec) {
  Recorders rec;
  PhaseSpec phase = Timing(spec.key);
  if (spec.reader) {
    phase.need_samples = {&rec.rpcs};
    phase.min_samples = o_.min_samples;
  }
  Figure f;
  // The CPU both sides used over the measured window, as cores.
  TimePoint window_start;
  absl::StatusOr<double> server_cpu = 0.0;
  double client_cpu = 0;
  phase.on_window_start = [&] {
    window_start = SteadyClock::now();
    server_cpu = server_->CpuSeconds();
    client_cpu = OwnCpuSeconds();
  };
  phase.on_window_end = [&] {
    const double seconds = Seconds(SteadyClock::now() - window_start);
    if (seconds <= 0) return;
    if (absl::StatusOr<double> now = server_->CpuSeconds();
        now.ok() && server_cpu.ok()) {
      f.server_cpu_cores = (*now - *server_cpu) / seconds;
    }
    f.client_cpu_cores = (OwnCpuSeconds() - client_cpu) / seconds;
  };
  const PhaseTimes times = driver_->RunPhase(phase, spec.loops(rec));
  if (times.interrupted) return absl::CancelledError("interrupted");
  f.key = spec.key;
  f.label = spec.label;
  f.in_flight = spec.in_flight;
  f.rpcs = rec.rpcs.Summarize(times.begin, times.end);
  if (spec.tasks) f.tasks = rec.tasks.Summarize(times.begin, times.end);
  if (spec.writes) f.writes = rec.writes.Summarize(times.begin, times.end);
  f.hit_limit = times.hit_limit;
  f.cancelled = times.cancelled;
  f.baseline_key = spec.baseline;
  if (spec.baseline == spec.key) baseline_rates_[spec.key] = f.rpcs.per_second;
  if (auto it = baseline_rates_.find(spec.baseline);
      it != baseline_rates_.end() && it->second > 0) {
    f.share_of_baseline = f.rpcs.per_second / it->second;
  }
  Progress("  " + FigureLine(f));
  for (const auto& [what, count] : f.rpcs.error_examples) {
    Progress(absl::StrCat("    error x", count, ": ", what));
  }
  if (absl::Status running = server_->CheckRunning(); !running.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("during ", spec.key, ": ", running.message()));
  }
  return f;
}

absl::Status Bench::MeasureStep(Step& step) {
  const int w = o_.in_flight;
  const std::string wn = absl::StrCat(w);
  std::set<int> baselines = {1, 8, 64, w};
  Workloads& load = *workloads_;
  std::vector<FigureSpec> specs;
  for (int n : baselines) {
    const std::string key = absl::StrCat("health_", n);
    specs.push_back(
        {key, "Health/Check (baseline)", n, false, false, false, key,
         [&load, n](Recorders& r) { return load.Health(n, r.rpcs); }});
  }
  const std::string write_base = absl::StrCat("health_", w);
  specs.push_back(
      {"create_draft", "CreateTask (DRAFT)", w, false, false, false, write_base,
       [&load, w](Recorders& r) { return load.CreateDraft(w, r.rpcs); }});
  specs.push_back({"create_submit", "create+submit (clean task)", w, false,
                   true, false, write_base, [&load, w](Recorders& r) {
                     return load.CreateSubmit(w, r.rpcs, r.tasks);
                   }});
  specs.push_back({"full_life", "full life (create..approve)", w, false, true,
                   false, write_base, [&load, w](Recorders& r) {
                     return load.FullLife(w, r.rpcs, r.tasks);
                   }});
  struct Read {
    std::string key;
    std::string label;
    std::function<Workloads::Loops(Recorder&)> loops;
  };
  const std::vector<Read> reads = {
      {"get_task", "GetTask", [&load](Recorder& r) { return load.GetTask(r); }},
      {"task_history", "task history",
       [&load](Recorder& r) { return load.TaskHistory(r); }},
      // The log's size when the phase starts: its middle 30% is read.
      {"audit_page", "audit page of 100",
       [this, &load](Recorder& r) {
         return load.AuditPage(r, TreeSize().value_or(1));
       }},
  };
  for (const Read& read : reads) {
    specs.push_back({read.key, read.label, 1, true, false, false, "health_1",
                     [read](Recorders& r) { return read.loops(r.rpcs); }});
  }
  specs.push_back({"statistics", "GetStatistics", 1, true, false, false,
                   "health_1",
                   [&load](Recorders& r) { return load.Statistics(r.rpcs); }});
  for (const Read& read : reads) {
    specs.push_back({read.key + "_under_load",
                     absl::StrCat(read.label, ", ", wn, " submitting"), 1, true,
                     false, true, "health_1", [&load, read, w](Recorders& r) {
                       Workloads::Loops loops =
                           load.CreateSubmit(w, r.writes, r.tasks);
                       for (Driver::Iteration& it : read.loops(r.rpcs)) {
                         loops.push_back(std::move(it));
                       }
                       return loops;
                     }});
  }
  for (const FigureSpec& spec : specs) {
    absl::StatusOr<Figure> figure = Measure(spec);
    if (!figure.ok()) return figure.status();
    step.figures.push_back(*std::move(figure));
  }
  return absl::OkStatus();
}

absl::StatusOr<Fill> Bench::FillTo(int64_t target) {
  Fill fill;
  absl::StatusOr<int64_t> events = TreeSize();
  if (!events.ok()) return events.status();
  fill.events_before = *events;
  const TimePoint start = SteadyClock::now();
  const TimePoint deadline = start + FromSeconds(o_.fill_limit);
  Recorder rpcs;
  Recorder tasks;
  Progress(absl::StrFormat("fill: %d -> %d events, %d full lives in flight",
                           fill.events_before, target, o_.fill_in_flight));
  // A full life is four events (create, submit, claim, approve); the loop
  // tops up should some lives fail or the count differ.
  while (*events < target) {
    const TimePoint now = SteadyClock::now();
    if (now >= deadline) {
      fill.hit_limit = true;
      break;
    }
    int64_t budget = (target - *events + 3) / 4;
    PhaseSpec spec;
    spec.name = "fill";
    spec.duration = 1e12;  // until the budget is spent
    spec.limit = Seconds(deadline - now);
    spec.drain_limit = o_.drain_limit;
    const int64_t from_events = *events;
    const int64_t ok_before = tasks.total_ok();
    spec.progress = [&] {
      const double s = Seconds(SteadyClock::now() - start);
      const int64_t approx = from_events + 4 * (tasks.total_ok() - ok_before);
      Progress(absl::StrFormat(
          "  fill: about %d events after %.0f s (%.0f events/s)", approx, s,
          (approx - fill.events_before) / std::max(s, 1e-9)));
    };
    const PhaseTimes times = driver_->RunPhase(
        spec, workloads_->FullLife(o_.fill_in_flight, rpcs, tasks, &budget));
    if (times.interrupted) return absl::CancelledError("interrupted");
    if (absl::Status running = server_->CheckRunning(); !running.ok()) {
      return running;
    }
    events = TreeSize();
    if (!events.ok()) return events.status();
    if (times.hit_limit) {
      fill.hit_limit = true;
      break;
    }
    if (tasks.total_ok() == ok_before) {
      const Summary failed = rpcs.Summarize(start, SteadyClock::now());
      std::string why;
      for (const auto& [what, count] : failed.error_examples) {
        absl::StrAppend(&why, "\n  x", count, " ", what);
      }
      return absl::FailedPreconditionError(
          absl::StrCat("the fill made no progress; errors:", why));
    }
  }
  fill.events_after = *events;
  fill.seconds = Seconds(SteadyClock::now() - start);
  const Summary lives = tasks.Summarize(start, SteadyClock::now());
  fill.lives_ok = lives.ok;
  fill.lives_failed = lives.errors;
  if (fill.seconds > 0) {
    fill.events_per_second =
        (fill.events_after - fill.events_before) / fill.seconds;
    fill.lives_per_second = fill.lives_ok / fill.seconds;
  }
  Progress(absl::StrFormat(
      "fill: %d events in %.1f s (%.1f events/s, %.1f lives/s)%s",
      fill.events_after, fill.seconds, fill.events_per_second,
      fill.lives_per_second,
      fill.hit_limit ? "; stopped by --fill-limit" : ""));
  return fill;
}

absl::Status Bench::RunStep(int64_t target, bool& stop_filling) {
  Step step;
  step.target_events = target;
  absl::StatusOr<int64_t> events = TreeSize();
  if (!events.ok()) return events.status();
  if (target > *events) {
    absl::StatusOr<Fill> fill = FillTo(target);
    if (!fill.ok()) return fill.status();
    step.fill = *fill;
    events = fill->events_after;
    stop_filling = fill->hit_limit;
  }
  step.events_at_start = *events;
  step.reached = *events >= target;
  if (const nlohmann::json machine = DescribeMachine();
      machine.contains("loadavg")) {
    for (const auto& l : machine["loadavg"]) {
      absl::StrAppend(&step.loadavg, step.loadavg.empty() ? "" : " ",
                      l.get<std::string>());
    }
  }
  Progress(absl::StrFormat("step: target %d events, measuring at %d", target,
                           step.events_at_start));
  absl::Status measured = MeasureStep(step);
  // Whatever was measured is reported, even when the step failed.
  if (absl::StatusOr<int64_t> end = TreeSize(); end.ok()) {
    step.events_at_end = *end;
  }
  if (absl::StatusOr<ProcessMemory> m = server_->Memory(); m.ok()) {
    step.memory = *m;
  }
  step.files = MeasureDatabase(db_path_);
  if (step.events_at_end > 0) {
    step.bytes_per_event =
        static_cast<double>(step.files.total()) / step.events_at_end;
  }
  report_.steps.push_back(std::move(step));
  return measured;
}

absl::Status Bench::Run() {
  std::string base = o_.workdir;
  if (base.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  std::string pattern = base + "/taskgate-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create a temporary directory in ", base));
  }
  dir_ = pattern;
  db_path_ = dir_ + "/taskgate.db";
  Progress(absl::StrCat("working in ", dir_, "; taskgated: ", o_.taskgated));

  Startup fresh;
  if (absl::Status s = StartServer(fresh); !s.ok()) return s;
  report_.startup_fresh = fresh;
  Progress(absl::StrFormat("taskgated SERVING on port %d after %.3f s",
                           server_->grpc_port(), fresh.seconds));
  if (absl::Status s = SetUp(); !s.ok()) return s;
  report_.startup_fresh->events = report_.setup_events;

  absl::StatusOr<std::vector<int64_t>> sizes = ParseSizes(o_.sizes);
  if (!sizes.ok()) return sizes.status();
  std::vector<int64_t> targets = {0};
  targets.insert(targets.end(), sizes->begin(), sizes->end());
  bool stop_filling = false;
  for (int64_t target : targets) {
    if (stop_filling) {
      report_.skipped.push_back(
          {target,
           "the previous fill stopped at --fill-limit before its size"});
      continue;
    }
    if (absl::Status s = RunStep(target, stop_filling); !s.ok()) return s;
  }
  report_.checks = workloads_->checks();

  // The clean stop, the file at rest, and a restart on the largest file.
  // The clients hang up first: an idle connection would answer the
  // server's GOAWAY only at its next poll and slow the exit down.
  const int64_t events = report_.steps.back().events_at_end;
  workloads_.reset();
  driver_.reset();
  writers_.clear();
  reader_.reset();
  report_.shutdown = server_->Stop(o_.stop_limit);
  server_.reset();
  report_.files_at_rest = MeasureDatabase(db_path_);
  if (events > 0) {
    report_.bytes_per_event_at_rest =
        static_cast<double>(report_.files_at_rest->total()) / events;
  }
  Startup largest;
  largest.events = events;
  if (absl::Status s = StartServer(largest); !s.ok()) return s;
  report_.startup_largest = largest;
  Progress(absl::StrFormat("restart on %d events: SERVING after %.3f s", events,
                           largest.seconds));
  server_->Stop(o_.stop_limit);
  server_.reset();
  return absl::OkStatus();
}

void Bench::Finish() {
  if (workloads_ != nullptr) report_.checks = workloads_->checks();
  workloads_.reset();
  driver_.reset();  // cancels and drains anything still in flight
  // Hung up before the SIGTERM, as in `Run`.
  writers_.clear();
  reader_.reset();
  if (server_ != nullptr) {
    // A server that already exited is described by the error instead.
    const bool running = server_->CheckRunning().ok();
    const ChildProcess::Exit exit = server_->Stop(o_.stop_limit);
    if (running && !report_.shutdown.has_value()) report_.shutdown = exit;
    server_.reset();
  }
  if (dir_.empty()) return;
  if (o_.keep) {
    Progress("kept " + dir_);
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (ec) Progress("could not remove " + dir_ + ": " + ec.message());
}

int Main(int argc, char** argv) {
  Options options;
  CLI::App app(
      "taskgate_loadgen - starts taskgated on a fresh database and measures "
      "it against its own Health/Check baseline (bench/README.md)",
      "taskgate_loadgen");
  AddFlags(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (absl::Status valid = ValidateOptions(options); !valid.ok()) {
    std::cerr << "taskgate_loadgen: " << valid.message() << "\n";
    return 2;
  }
  if (absl::StatusOr<std::vector<int64_t>> sizes = ParseSizes(options.sizes);
      !sizes.ok()) {
    std::cerr << "taskgate_loadgen: " << sizes.status().message() << "\n";
    return 2;
  }
  if (::access(options.taskgated.c_str(), X_OK) != 0) {
    std::cerr << "taskgate_loadgen: no executable taskgated at '"
              << options.taskgated << "'; give --taskgated\n";
    return 2;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  Report report;
  report.options = OptionsJson(options);
  report.machine = DescribeMachine();
  report.shape = options.shape;
  absl::Status status;
  {
    Bench bench(options, report);
    status = bench.Run();
    bench.Finish();
  }
  if (!status.ok()) report.error = std::string(status.message());
  report.machine["loadavg_at_end"] = DescribeMachine()["loadavg"];

  int code = status.ok() ? 0 : (g_interrupted.load() ? 130 : 1);
  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path, std::ios::trunc);
    out << ToJson(report).dump(2) << "\n";
    if (!out) {
      std::cerr << "taskgate_loadgen: cannot write " << options.json_path
                << "\n";
      code = code == 0 ? 1 : code;
    }
  }
  PrintReport(report, std::cout);
  if (!options.json_path.empty()) {
    std::cout << "JSON: " << options.json_path << "\n";
  }
  return code;
}

}  // namespace
}  // namespace taskgate::bench

int main(int argc, char** argv) {
  try {
    return taskgate::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "taskgate_loadgen: fatal: " << e.what() << "\n";
    return 1;
  }
}
