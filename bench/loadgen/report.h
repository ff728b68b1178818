// What one benchmark run found, and its two forms: a table for the terminal
// and a JSON document (bench/README.md describes every field).
//
// Plain data and pure functions; thread-safe.
#ifndef TASKGATE_BENCH_LOADGEN_REPORT_H_
#define TASKGATE_BENCH_LOADGEN_REPORT_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/loadgen/child_process.h"
#include "bench/loadgen/district.h"
#include "bench/loadgen/driver.h"
#include "bench/loadgen/workloads.h"

namespace taskgate::bench {

// One measured figure of a step.
struct Figure {
  std::string key;    // stable name, e.g. "create_submit"
  std::string label;  // for the table
  int in_flight = 0;
  Summary rpcs;                   // every RPC of the figure
  std::optional<Summary> tasks;   // tasks submitted / made ACTIVE
  std::optional<Summary> writes;  // the submissions meanwhile (under load)
  // The baseline compared with ("health_64"), and rpcs.per_second divided
  // by its rate; unset when the baseline had no rate.
  std::string baseline_key;
  std::optional<double> share_of_baseline;
  bool hit_limit = false;  // the phase limit ended it
  bool cancelled = false;  // calls were still in flight at the drain limit
  // CPU used over the measured window, in cores (1.0: one core busy).
  std::optional<double> server_cpu_cores;
  std::optional<double> client_cpu_cores;
};

// Filling the log up to a step's size through full task lives.
struct Fill {
  int64_t events_before = 0;
  int64_t events_after = 0;
  int64_t lives_ok = 0;
  int64_t lives_failed = 0;
  double seconds = 0;
  double events_per_second = 0;
  double lives_per_second = 0;
  bool hit_limit = false;  // --fill-limit passed before the size
};

struct Step {
  int64_t target_events = 0;  // 0: the fresh database
  std::string loadavg;        // /proc/loadavg's first three at its start
  int64_t events_at_start = 0;
  int64_t events_at_end = 0;
  bool reached = true;  // events_at_start >= target_events
  std::optional<Fill> fill;
  std::vector<Figure> figures;
  ProcessMemory memory;        // after the step's measurements
  DatabaseFiles files;         // likewise
  double bytes_per_event = 0;  // files.total() / events_at_end
};

struct SkippedStep {
  int64_t target_events = 0;
  std::string reason;
};

struct Startup {
  int64_t events = 0;
  double seconds = 0;  // fork to SERVING
  DatabaseFiles files;
  ProcessMemory memory;  // right after SERVING
};

struct Report {
  nlohmann::json options;  // the flags the run used
  nlohmann::json machine;  // cores, CPU, load, kernel, time
  DistrictShape shape;
  int64_t setup_calls = 0;
  double setup_seconds = 0;
  int64_t setup_events = 0;
  std::optional<Startup> startup_fresh;
  std::vector<Step> steps;
  std::vector<SkippedStep> skipped;
  std::optional<ChildProcess::Exit> shutdown;  // after the last step
  // At rest after the clean shutdown (WAL checkpointed into the file).
  std::optional<DatabaseFiles> files_at_rest;
  std::optional<double> bytes_per_event_at_rest;
  std::optional<Startup> startup_largest;
  LoadChecks checks;
  std::string error;  // empty when the run completed
};

// The machine as /proc and uname describe it, with the time now.
nlohmann::json DescribeMachine();

nlohmann::json ToJson(const Report& report);

// The human form: one table per step, then sizes, memory and start-up.
void PrintReport(const Report& report, std::ostream& out);

// One line for the progress log (stderr) about a finished figure.
std::string FigureLine(const Figure& figure);

}  // namespace taskgate::bench

#endif  // TASKGATE_BENCH_LOADGEN_REPORT_H_
