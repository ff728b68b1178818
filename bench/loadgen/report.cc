#include "bench/loadgen/report.h"

#include <sys/utsname.h>

#include <cmath>
#include <fstream>
#include <thread>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>

namespace taskgate::bench {
namespace {

using nlohmann::json;

json Optional(const std::optional<double>& v) {
  return v.has_value() ? json(*v) : json(nullptr);
}

json ToJson(const Summary& s) {
  json errors = json::object();
  for (const auto& [what, count] : s.error_examples) errors[what] = count;
  return {{"window_s", s.window_seconds}, {"ok", s.ok},
          {"errors", s.errors},           {"per_s", s.per_second},
          {"p50_ms", Optional(s.p50_ms)}, {"p99_ms", Optional(s.p99_ms)},
          {"max_ms", Optional(s.max_ms)}, {"mean_ms", Optional(s.mean_ms)},
          {"error_examples", errors}};
}

json ToJson(const ProcessMemory& m) {
  return {{"rss_mib", m.rss_kib / 1024.0},
          {"peak_rss_mib", m.peak_kib / 1024.0}};
}

json ToJson(const DatabaseFiles& f) {
  return {{"db_bytes", f.db},
          {"wal_bytes", f.wal},
          {"shm_bytes", f.shm},
          {"total_bytes", f.total()}};
}

json ToJson(const Figure& f) {
  json out = {{"label", f.label},
              {"in_flight", f.in_flight},
              {"rpc_per_s", f.rpcs.per_second},
              {"p50_ms", Optional(f.rpcs.p50_ms)},
              {"p99_ms", Optional(f.rpcs.p99_ms)},
              {"samples", f.rpcs.ok},
              {"errors", f.rpcs.errors},
              {"baseline", f.baseline_key},
              {"share_of_baseline", Optional(f.share_of_baseline)},
              {"hit_phase_limit", f.hit_limit},
              {"cancelled_in_flight", f.cancelled},
              {"server_cpu_cores", Optional(f.server_cpu_cores)},
              {"client_cpu_cores", Optional(f.client_cpu_cores)},
              {"rpcs", ToJson(f.rpcs)},
              {"tasks_per_s", nullptr},
              {"tasks", nullptr},
              {"writes", nullptr}};
  if (f.tasks.has_value()) {
    out["tasks_per_s"] = f.tasks->per_second;
    out["tasks"] = ToJson(*f.tasks);
  }
  if (f.writes.has_value()) out["writes"] = ToJson(*f.writes);
  return out;
}

json ToJson(const Startup& s) {
  return {{"events", s.events},
          {"seconds", s.seconds},
          {"files", ToJson(s.files)},
          {"memory", ToJson(s.memory)}};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

// 12345.6 -> "12,346"; small values keep a decimal or two.
std::string Rate(double v) {
  if (v < 10) return absl::StrFormat("%.2f", v);
  if (v < 100) return absl::StrFormat("%.1f", v);
  std::string digits = absl::StrFormat("%.0f", v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// 12345 -> "12,345".
std::string Count(int64_t v) {
  const std::string digits = absl::StrCat(v < 0 ? -v : v);
  std::string out = v < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Cores(const std::optional<double>& v) {
  return v.has_value() ? absl::StrFormat("%.2f", *v) : "-";
}

std::string Millis(const std::optional<double>& v) {
  if (!v.has_value()) return "-";
  if (*v < 1) return absl::StrFormat("%.3f", *v);
  if (*v < 100) return absl::StrFormat("%.2f", *v);
  return absl::StrFormat("%.0f", *v);
}

std::string Share(const std::optional<double>& v) {
  if (!v.has_value()) return "-";
  if (*v >= 0.1) return absl::StrFormat("%.2f", *v);
  return absl::StrFormat("%.4f", *v);
}

std::string Mib(int64_t bytes) {
  return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024.0));
}

std::string StepTitle(const Step& s) {
  return s.target_events == 0
             ? std::string("fresh database")
             : absl::StrCat("filled to ", Count(s.target_events), " events",
                            s.reached ? "" : " (NOT reached: fill limit)");
}

}  // namespace

json DescribeMachine() {
  json m;
  m["cpus"] = std::thread::hardware_concurrency();
  for (absl::string_view line :
       absl::StrSplit(ReadFile("/proc/cpuinfo"), '\n')) {
    if (absl::ConsumePrefix(&line, "model name")) {
      absl::ConsumePrefix(&line, "\t");
      line = absl::StripLeadingAsciiWhitespace(line);
      absl::ConsumePrefix(&line, ":");
      m["cpu_model"] = std::string(absl::StripAsciiWhitespace(line));
      break;
    }
  }
  for (absl::string_view line :
       absl::StrSplit(ReadFile("/proc/meminfo"), '\n')) {
    if (absl::ConsumePrefix(&line, "MemTotal:")) {
      m["memory"] = std::string(absl::StripAsciiWhitespace(line));
      break;
    }
  }
  const std::vector<std::string> load =
      absl::StrSplit(ReadFile("/proc/loadavg"), ' ');
  if (load.size() >= 3) m["loadavg"] = {load[0], load[1], load[2]};
  utsname u{};
  if (::uname(&u) == 0) m["kernel"] = absl::StrCat(u.sysname, " ", u.release);
  m["time"] =
      absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
  return m;
}

json ToJson(const Report& r) {
  json out;
  out["tool"] = "taskgate_loadgen";
  out["options"] = r.options;
  out["machine"] = r.machine;
  out["district"] = {
      {"departments", r.shape.departments},
      {"communities", r.shape.communities},
      {"streets", r.shape.streets},
      {"reviewers", r.shape.reviewers},
      {"catalog_items",
       r.shape.duty_items + r.shape.assist_items + r.shape.negative_items},
      {"setup_calls", r.setup_calls},
      {"setup_seconds", r.setup_seconds},
      {"setup_events", r.setup_events}};
  out["startup_fresh"] =
      r.startup_fresh.has_value() ? ToJson(*r.startup_fresh) : json(nullptr);
  json steps = json::array();
  for (const Step& s : r.steps) {
    json step = {{"target_events", s.target_events},
                 {"loadavg_at_start", s.loadavg},
                 {"events_at_start", s.events_at_start},
                 {"events_at_end", s.events_at_end},
                 {"reached", s.reached},
                 {"fill", nullptr},
                 {"memory", ToJson(s.memory)},
                 {"files", ToJson(s.files)},
                 {"bytes_per_event", s.bytes_per_event}};
    if (s.fill.has_value()) {
      const Fill& f = *s.fill;
      step["fill"] = {{"events_before", f.events_before},
                      {"events_after", f.events_after},
                      {"lives_ok", f.lives_ok},
                      {"lives_failed", f.lives_failed},
                      {"seconds", f.seconds},
                      {"events_per_s", f.events_per_second},
                      {"lives_per_s", f.lives_per_second},
                      {"hit_fill_limit", f.hit_limit}};
    }
    json figures = json::object();
    for (const Figure& f : s.figures) figures[f.key] = ToJson(f);
    step["figures"] = figures;
    steps.push_back(step);
  }
  out["steps"] = steps;
  json skipped = json::array();
  for (const SkippedStep& s : r.skipped) {
    skipped.push_back(
        {{"target_events", s.target_events}, {"reason", s.reason}});
  }
  out["skipped_steps"] = skipped;
  out["shutdown"] = nullptr;
  if (r.shutdown.has_value()) {
    out["shutdown"] = {{"exit_code", r.shutdown->code},
                       {"seconds", r.shutdown->seconds},
                       {"killed", r.shutdown->killed}};
  }
  out["files_at_rest"] =
      r.files_at_rest.has_value() ? ToJson(*r.files_at_rest) : json(nullptr);
  out["bytes_per_event_at_rest"] = Optional(r.bytes_per_event_at_rest);
  out["startup_largest"] = r.startup_largest.has_value()
                               ? ToJson(*r.startup_largest)
                               : json(nullptr);
  json rules = json::object();
  for (const auto& [rule, count] : r.checks.finding_rules) rules[rule] = count;
  out["checks"] = {{"submits_with_findings", r.checks.submits_with_findings},
                   {"submits_not_submitted", r.checks.submits_not_submitted},
                   {"approvals_not_active", r.checks.approvals_not_active},
                   {"finding_rules", rules}};
  out["error"] = r.error.empty() ? json(nullptr) : json(r.error);
  return out;
}

std::string FigureLine(const Figure& f) {
  std::string line = absl::StrFormat(
      "%-33s %3d in flight %9s RPC/s  p50 %7s ms  p99 %7s ms  x%s  n=%d  "
      "cpu %s+%s",
      f.label, f.in_flight, Rate(f.rpcs.per_second), Millis(f.rpcs.p50_ms),
      Millis(f.rpcs.p99_ms), Share(f.share_of_baseline), f.rpcs.ok,
      Cores(f.server_cpu_cores), Cores(f.client_cpu_cores));
  if (f.tasks.has_value()) {
    absl::StrAppend(&line, "  ", Rate(f.tasks->per_second), " tasks/s");
  }
  if (f.writes.has_value()) {
    absl::StrAppend(&line, "  (writes meanwhile ", Rate(f.writes->per_second),
                    " RPC/s)");
  }
  if (f.rpcs.errors > 0) absl::StrAppend(&line, "  errors=", f.rpcs.errors);
  if (f.hit_limit) absl::StrAppend(&line, "  [phase limit]");
  if (f.cancelled) absl::StrAppend(&line, "  [cancelled in flight]");
  return line;
}

void PrintReport(const Report& r, std::ostream& out) {
  out << absl::StrFormat(
      "\ntaskgate_loadgen: %d departments, %d communities in %d streets, %d "
      "reviewers; set-up %d calls in %.1f s\n",
      r.shape.departments, r.shape.communities, r.shape.streets,
      r.shape.reviewers, r.setup_calls, r.setup_seconds);
  if (r.machine.contains("loadavg")) {
    out << "machine: " << r.machine.value("cpus", 0) << " cpus, "
        << r.machine.value("cpu_model", std::string("?")) << ", load "
        << r.machine["loadavg"].dump() << " at the start\n";
  }
  for (const Step& s : r.steps) {
    out << absl::StrFormat(
        "\n== %s: %s audit events at its start, %s at its end; load %s ==\n",
        StepTitle(s), Count(s.events_at_start), Count(s.events_at_end),
        s.loadavg);
    if (s.fill.has_value()) {
      const Fill& f = *s.fill;
      out << absl::StrFormat(
          "fill: %s -> %s events in %.1f s through %s full lives (%d "
          "failed): %s events/s, %s lives/s%s\n",
          Count(f.events_before), Count(f.events_after), f.seconds,
          Count(f.lives_ok), f.lives_failed, Rate(f.events_per_second),
          Rate(f.lives_per_second),
          f.hit_limit ? "; stopped by --fill-limit" : "");
    }
    out << absl::StrFormat("%-33s %6s %9s %8s %8s %10s %7s %6s %9s\n", "figure",
                           "flight", "RPC/s", "p50 ms", "p99 ms", "x baseline",
                           "samples", "errors", "cpu s+c");
    for (const Figure& f : s.figures) {
      out << absl::StrFormat(
          "%-33s %6d %9s %8s %8s %10s %7d %6d %4s+%-4s", f.label, f.in_flight,
          Rate(f.rpcs.per_second), Millis(f.rpcs.p50_ms), Millis(f.rpcs.p99_ms),
          Share(f.share_of_baseline), f.rpcs.ok, f.rpcs.errors,
          Cores(f.server_cpu_cores), Cores(f.client_cpu_cores));
      if (f.tasks.has_value()) {
        out << "  " << Rate(f.tasks->per_second) << " tasks/s";
      }
      if (f.writes.has_value()) {
        out << "  writes meanwhile " << Rate(f.writes->per_second) << " RPC/s";
      }
      if (f.hit_limit) out << "  [phase limit]";
      out << "\n";
    }
    out << absl::StrFormat(
        "taskgated RSS %.1f MiB (peak %.1f MiB); database %s + WAL %s = %.0f "
        "bytes per audit event\n",
        s.memory.rss_kib / 1024.0, s.memory.peak_kib / 1024.0, Mib(s.files.db),
        Mib(s.files.wal), s.bytes_per_event);
  }
  for (const SkippedStep& s : r.skipped) {
    out << "\nskipped: " << Count(s.target_events) << " events: " << s.reason
        << "\n";
  }
  out << "\n";
  if (r.startup_fresh.has_value()) {
    out << absl::StrFormat("start-up, fresh database: %.3f s to SERVING\n",
                           r.startup_fresh->seconds);
  }
  if (r.shutdown.has_value()) {
    out << absl::StrFormat("shutdown (SIGTERM): exit %d after %.2f s%s\n",
                           r.shutdown->code, r.shutdown->seconds,
                           r.shutdown->killed ? " (KILLED)" : "");
  }
  if (r.files_at_rest.has_value() && r.bytes_per_event_at_rest.has_value()) {
    out << absl::StrFormat(
        "at rest after shutdown: %s on disk, %.0f bytes per audit event\n",
        Mib(r.files_at_rest->total()), *r.bytes_per_event_at_rest);
  }
  if (r.startup_largest.has_value()) {
    out << absl::StrFormat(
        "start-up on the largest file (%s events, %s): %.3f s to SERVING, "
        "RSS %.1f MiB after\n",
        Count(r.startup_largest->events), Mib(r.startup_largest->files.total()),
        r.startup_largest->seconds, r.startup_largest->memory.rss_kib / 1024.0);
  }
  out << absl::StrFormat(
      "checks: %d submits with findings, %d not SUBMITTED, %d approvals not "
      "ACTIVE\n",
      r.checks.submits_with_findings, r.checks.submits_not_submitted,
      r.checks.approvals_not_active);
  if (!r.error.empty()) out << "\nRUN FAILED: " << r.error << "\n";
}

}  // namespace taskgate::bench
