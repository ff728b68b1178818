// The server's configuration: one job, kept in one file on purpose. Every
// key is one row of `ServerConfigKeys()` (its name, field, flag, default and
// check), and the TOML reader, the command-line flags, the overlay of flags
// on the file and the validation below are each a walk over that one table,
// so that a key added to the table is read, flagged, checked and documented
// alike. The address helpers and `ToEngineOptions` turn the checked values
// into what the server and the engine use.
#include "services/config.h"

#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/algorithm/container.h>
#include <absl/status/status.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_replace.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <toml.hpp>

#include "common/status_macros.h"
#include "domain/codec.h"
#include "domain/types.h"
#include "workflow/rules.h"
#include "workflow/sla.h"
#include "workflow/validation.h"

namespace taskgate::services {
namespace {

using Dates = std::vector<std::string>;
using Limits = std::map<std::string, int>;

// What is wrong with a key's value. `path` leads inside the value ("[0]",
// ".signboard") or is empty; the caller puts the key's name in front.
struct Problem {
  std::string path;
  std::string what;
};

// ------------------------------------------------- checks used by the table

std::string ListenAddress(const std::string& address) {
  absl::StatusOr<HostPort> hp = ParseHostPort(address);
  return hp.ok() ? "" : std::string(hp.status().message());
}

// Empty turns the listener off.
std::string ListenAddressOrOff(const std::string& address) {
  return address.empty() ? "" : ListenAddress(address);
}

std::string NotEmpty(const std::string& value) {
  return value.empty() ? "must not be empty" : "";
}

// Only that the file can be opened now: its contents are checked where it is
// used, with a message of its own.
std::string ReadableIfGiven(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path);
  return in.good() ? "" : absl::StrCat("cannot read '", path, "'");
}

std::string DistrictId(const std::string& id) {
  if (workflow::IsValidId(id)) return "";
  return absl::StrCat("'", id,
                      "' must be 1 to 63 of [a-z0-9-_.], starting with a "
                      "letter or digit");
}

std::string KnownTimeZone(const std::string& name) {
  absl::TimeZone tz;
  if (absl::LoadTimeZone(name, &tz)) return "";
  return absl::StrCat("unknown time zone '", name,
                      "'; use an IANA name such as Asia/Shanghai (needs "
                      "tzdata)");
}

// A holiday of the initial calendar: a date in a year a calendar may be
// published for (workflow/validation.h).
std::string Date(const std::string& day) {
  absl::StatusOr<absl::CivilDay> parsed = domain::ParseCivilDay(day);
  if (!parsed.ok()) return absl::StrCat("'", day, "' is not a date YYYY-MM-DD");
  if (parsed->year() < workflow::kMinCalendarYear ||
      parsed->year() > workflow::kMaxCalendarYear) {
    return absl::StrCat("'", day, "' is not in a year from ",
                        workflow::kMinCalendarYear, " to ",
                        workflow::kMaxCalendarYear);
  }
  return "";
}

std::string Positive(const double& value) {
  return value > 0 ? "" : "must be greater than 0";
}

// The controlled buckets in the engine's order: work_body, ..., training.
std::vector<std::string> BucketNames() {
  std::vector<std::string> names;
  for (const auto& [bucket, limit] : workflow::DefaultControlledLimits()) {
    names.emplace_back(domain::ControlledBucketName(bucket));
  }
  return names;
}

}  // namespace

// ------------------------------------------------------------ the key table

const std::vector<AnyConfigKey>& ServerConfigKeys() {
  static const auto* const kKeys = new std::vector<AnyConfigKey>{
      // ---- listeners
      ConfigKey<std::string>{
          .name = "grpc_address",
          .field = &ServerConfig::grpc_address,
          .help = "gRPC listen address host:port (port 0: any free port)",
          .check = ListenAddress},
      ConfigKey<std::string>{
          .name = "http_address",
          .field = &ServerConfig::http_address,
          .help =
              "HTTP /healthz, /metrics and /public/v1 address host:port; empty "
              "disables it",
          .check = ListenAddressOrOff},
      ConfigKey<int>{.name = "http_max_connections",
                     .field = &ServerConfig::http_max_connections,
                     .help = "Most HTTP connections served at once; more "
                             "wait until one ends",
                     .unit = "connections",
                     .range = IntRange{1, 65536}},
      ConfigKey<int>{.name = "max_message_bytes",
                     .field = &ServerConfig::max_message_bytes,
                     .help = "Largest gRPC message accepted or sent, in bytes",
                     .unit = "bytes",
                     .range = IntRange{64 * 1024, 1024 * 1024 * 1024}},
      ConfigKey<std::string>{
          .name = "tls_cert_file",
          .field = &ServerConfig::tls_cert_file,
          .help = "Server certificate chain (PEM); with --tls-key-file turns "
                  "TLS on",
          .check = ReadableIfGiven},
      ConfigKey<std::string>{.name = "tls_key_file",
                             .field = &ServerConfig::tls_key_file,
                             .help = "Server private key (PEM)",
                             .check = ReadableIfGiven},
      ConfigKey<std::string>{
          .name = "tls_client_ca_file",
          .field = &ServerConfig::tls_client_ca_file,
          .help = "CA bundle (PEM) for client certificates: requires mutual "
                  "TLS",
          .check = ReadableIfGiven},
      ConfigKey<bool>{
          .name = "allow_insecure_remote",
          .field = &ServerConfig::allow_insecure_remote,
          .help = "Serve plaintext gRPC on a non-loopback address (tokens "
                  "cross the network readable); configure TLS instead"},
      // ---- storage
      ConfigKey<std::string>{
          .name = "db_path",
          .field = &ServerConfig::db_path,
          .flag = "--db,--db-path",
          .help = "SQLite database file (created on first start)",
          .check = NotEmpty},
      ConfigKey<std::string>{
          .name = "synchronous",
          .field = &ServerConfig::synchronous,
          .help = "SQLite synchronous mode: FULL (survives power loss); "
                  "NORMAL is refused, since the server signs its log",
          .one_of = {"FULL", "NORMAL"}},
      // ---- the district
      ConfigKey<std::string>{.name = "district_id",
                             .field = &ServerConfig::district_id,
                             .help = "District id",
                             .check = DistrictId},
      ConfigKey<std::string>{
          .name = "district_name",
          .field = &ServerConfig::district_name,
          .help = "Name of the district created on first start",
          .check = NotEmpty},
      ConfigKey<std::string>{.name = "time_zone",
                             .field = &ServerConfig::time_zone,
                             .help = "IANA time zone of the district's dates",
                             .check = KnownTimeZone},
      ConfigKey<Dates>{.name = "holidays",
                       .field = &ServerConfig::holidays,
                       .flag = "--holiday",
                       .help = "Holiday YYYY-MM-DD of the initial "
                               "working-day calendar, stored on the first "
                               "start only (then: taskgate admin calendar "
                               "publish); repeat it; replaces the file's list",
                       .value_name = "DATE",
                       .check = Date},
      // ---- review SLA
      ConfigKey<int>{.name = "review_working_days",
                     .field = &ServerConfig::review_working_days,
                     .help = "Review SLA in working days",
                     .unit = "working days",
                     .range = IntRange{1, 365}},
      ConfigKey<int>{
          .name = "provisional_working_days",
          .field = &ServerConfig::provisional_working_days,
          .help = "SLA of emergency (PROVISIONAL) tasks in working days",
          .unit = "working days",
          .range = IntRange{1, 365}},
      ConfigKey<bool>{
          .name = "release_on_overdue",
          .field = &ServerConfig::release_on_overdue,
          .help = "Release an overdue claimed review back to the queue"},
      // ---- admission rules
      ConfigKey<int>{.name = "lead_time_days",
                     .field = &ServerConfig::lead_time_days,
                     .help = "Calendar days a start date must lie after "
                             "submission (R-LEAD-TIME)",
                     .unit = "calendar days",
                     .range = IntRange{0, 3650}},
      ConfigKey<bool>{
          .name = "capacity_blocks",
          .field = &ServerConfig::capacity_blocks,
          .help = "Make R-CAPACITY a BLOCK finding instead of a WARN"},
      ConfigKey<double>{
          .name = "two_approval_hours",
          .field = &ServerConfig::two_approval_hours,
          .help = "Hours x communities above which two approvals are needed",
          .check = Positive},
      ConfigKey<Limits>{
          .name = "controlled_limits",
          .field = &ServerConfig::controlled_limits,
          .flag = "--controlled-limit",
          .help = "Per-community limit of a controlled bucket, NAME=N; "
                  "repeat it",
          .value_name = "NAME=N",
          .unit = "units",
          .range = IntRange{0, workflow::kMaxUnits},
          .one_of = BucketNames()},
      // ---- credentials and data
      ConfigKey<std::string>{
          .name = "admin_token_file",
          .field = &ServerConfig::admin_token_file,
          .help = "Where the first start writes the initial admin token "
                  "(mode 0600)",
          .check = NotEmpty},
      ConfigKey<bool>{.name = "demo",
                      .field = &ServerConfig::demo,
                      .help = "Load the demo catalog, communities and "
                              "principals on first start"},
      // ---- signed checkpoints of the audit log
      ConfigKey<std::string>{
          .name = "signing_key_file",
          .field = &ServerConfig::signing_key_file,
          .help = "The Ed25519 key that signs audit checkpoints (created "
                  "with mode 0600 on first start; default: signing.key "
                  "beside the database)"},
      ConfigKey<int>{.name = "checkpoint_every_events",
                     .field = &ServerConfig::checkpoint_every_events,
                     .help = "Sign a checkpoint once this many audit events "
                             "are not yet covered by one",
                     .unit = "events",
                     .range = IntRange{1, 1000000}},
      ConfigKey<int>{.name = "checkpoint_interval_seconds",
                     .field = &ServerConfig::checkpoint_interval_seconds,
                     .help = "Sign a checkpoint when the newest is this old "
                             "and events came since",
                     .unit = "seconds",
                     .range = IntRange{1, 7 * 86400}},
      // ---- operation
      ConfigKey<int>{.name = "tick_interval_seconds",
                     .field = &ServerConfig::tick_interval_seconds,
                     .help = "Longest sleep of the workflow timer, in seconds",
                     .unit = "seconds",
                     .range = IntRange{1, 86400}},
      ConfigKey<int>{.name = "watch_heartbeat_ms",
                     .field = &ServerConfig::watch_heartbeat_ms,
                     .help = "Milliseconds between heartbeats to an idle "
                             "follower of events (taskgate watch)",
                     .unit = "milliseconds",
                     .range = IntRange{10, 3600 * 1000}},
      ConfigKey<int>{.name = "watch_max_followers",
                     .field = &ServerConfig::watch_max_followers,
                     .help = "Most streams following events at once; more "
                             "get RESOURCE_EXHAUSTED",
                     .unit = "streams",
                     .range = IntRange{1, 100000}},
      ConfigKey<int>{
          .name = "request_retention_hours",
          .field = &ServerConfig::request_retention_hours,
          .help = "Hours a request id's first answer is replayed to retries; "
                  "after that the same id is a new request",
          .unit = "hours",
          .range = IntRange{1, 24 * 366}},
      ConfigKey<int>{
          .name = "refusal_interval_seconds",
          .field = &ServerConfig::refusal_interval_seconds,
          .help = "Refused calls of one source in this many seconds get one "
                  "audit event for the first and one with the count of the "
                  "rest",
          .unit = "seconds",
          .range = IntRange{1, 86400}},
      ConfigKey<int>{.name = "max_attachment_bytes",
                     .field = &ServerConfig::max_attachment_bytes,
                     .help = "Largest attachment (依据文件) of a task, in "
                             "bytes; an upload is refused as soon as it "
                             "declares or sends more",
                     .unit = "bytes",
                     .range = IntRange{1, 1024 * 1024 * 1024}},
      ConfigKey<int>{.name = "max_attachments_per_task",
                     .field = &ServerConfig::max_attachments_per_task,
                     .help = "Most attachments one task may have",
                     .unit = "attachments",
                     .range = IntRange{1, 1000}},
      ConfigKey<int>{.name = "refusal_sources_max",
                     .field = &ServerConfig::refusal_sources_max,
                     .help = "Sources of refused calls counted apart per "
                             "interval; the rest share one count",
                     .unit = "sources",
                     .range = IntRange{1, 1000000}},
      ConfigKey<int>{.name = "unauthenticated_burst",
                     .field = &ServerConfig::unauthenticated_burst,
                     .help = "Failed authentications of one address before "
                             "its calls get RESOURCE_EXHAUSTED",
                     .unit = "calls",
                     .range = IntRange{1, 1000000}},
      ConfigKey<int>{.name = "unauthenticated_per_minute",
                     .field = &ServerConfig::unauthenticated_per_minute,
                     .help = "Failed authentications of one address allowed "
                             "per minute after the burst",
                     .unit = "calls",
                     .range = IntRange{1, 1000000}},
      ConfigKey<int>{.name = "public_burst",
                     .field = &ServerConfig::public_burst,
                     .help = "Reads of the public list (without credentials) "
                             "one address may make at once before it gets "
                             "RESOURCE_EXHAUSTED (HTTP 429)",
                     .unit = "calls",
                     .range = IntRange{1, 1000000}},
      ConfigKey<int>{.name = "public_per_minute",
                     .field = &ServerConfig::public_per_minute,
                     .help = "Reads of the public list one address may make "
                             "per minute after the burst",
                     .unit = "calls",
                     .range = IntRange{1, 1000000}},
      // Alphabetical, as --help has always listed them.
      ConfigKey<std::string>{
          .name = "log_level",
          .field = &ServerConfig::log_level,
          .help = "trace, debug, info, warn, error, critical or off",
          .one_of = {"critical", "debug", "error", "info", "off", "trace",
                     "warn"}},
  };
  return *kKeys;
}

namespace {

// ----------------------------------------------------------- messages

std::string OneOf(const std::vector<std::string>& words,
                  const std::string& value) {
  std::string list = words.back();
  if (words.size() > 1) {
    list = absl::StrCat(absl::StrJoin(words.begin(), words.end() - 1, ", "),
                        " or ", list);
  }
  return absl::StrCat("must be ", words.size() > 2 ? "one of " : "", list,
                      ", not '", value, "'");
}

std::string OutOfRange(const IntRange& range, std::string_view unit,
                       std::int64_t value) {
  return absl::StrCat("must be ", range.min, " to ", range.max,
                      unit.empty() ? "" : " ", std::string(unit), ", not ",
                      value);
}

// ------------------------------------------------------------ TOML reading

std::string TypeName(const toml::value& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a float";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    case toml::value_t::local_date:
      return "a date";
    default:
      return "a date/time";
  }
}

std::string WrongType(const toml::value& v, std::string_view want) {
  return absl::StrCat("must be ", std::string(want), ", not ", TypeName(v));
}

// Each `ReadValue` sets `out` from `v`, or leaves it and returns what is
// wrong. Only types are checked here (and map entries, which merge into the
// defaults); bounds wait for `ValidateServerConfig`, after the flags.

std::vector<Problem> ReadValue(const ConfigKey<std::string>& /*key*/,
                               const toml::value& v, std::string& out) {
  if (!v.is_string()) return {{"", WrongType(v, "a string")}};
  out = v.as_string().str;
  return {};
}

std::vector<Problem> ReadValue(const ConfigKey<int>& /*key*/,
                               const toml::value& v, int& out) {
  if (!v.is_integer()) return {{"", WrongType(v, "an integer")}};
  const std::int64_t n = v.as_integer();
  if (n < std::numeric_limits<int>::min() ||
      n > std::numeric_limits<int>::max()) {
    return {{"", absl::StrCat("is out of range (", n, ")")}};
  }
  out = static_cast<int>(n);
  return {};
}

std::vector<Problem> ReadValue(const ConfigKey<bool>& /*key*/,
                               const toml::value& v, bool& out) {
  if (!v.is_boolean()) return {{"", WrongType(v, "true or false")}};
  out = v.as_boolean();
  return {};
}

std::vector<Problem> ReadValue(const ConfigKey<double>& /*key*/,
                               const toml::value& v, double& out) {
  if (v.is_integer()) {
    out = static_cast<double>(v.as_integer());
  } else if (v.is_floating()) {
    out = v.as_floating();
  } else {
    return {{"", WrongType(v, "a number")}};
  }
  return {};
}

// TOML dates (2026-10-01) and strings ("2026-10-01") both become
// "YYYY-MM-DD".
std::vector<Problem> ReadValue(const ConfigKey<Dates>& /*key*/,
                               const toml::value& v, Dates& out) {
  if (!v.is_array()) return {{"", WrongType(v, "an array of dates")}};
  Dates days;
  for (const toml::value& e : v.as_array()) {
    if (e.is_string()) {
      days.push_back(e.as_string().str);
    } else if (e.is_local_date()) {
      const toml::local_date& d = e.as_local_date();
      days.push_back(absl::StrFormat("%04d-%02d-%02d", d.year,
                                     d.month + 1,  // toml11 months are 0-11
                                     d.day));
    } else {
      return {{absl::StrCat("[", days.size(), "]"),
               WrongType(e, "a date \"YYYY-MM-DD\"")}};
    }
  }
  out = std::move(days);
  return {};
}

// Each entry given replaces that bucket's default only; the entries are
// checked against the key's bounds here, since a partial table is useless.
std::vector<Problem> ReadValue(const ConfigKey<Limits>& key,
                               const toml::value& v, Limits& out) {
  if (!v.is_table()) return {{"", WrongType(v, "a table of bucket = limit")}};
  // Sorted, so that messages come in a stable order.
  const std::map<std::string, toml::value> entries(v.as_table().begin(),
                                                   v.as_table().end());
  std::vector<Problem> problems;
  Limits limits = out;
  for (const auto& [name, limit] : entries) {
    const std::string path = absl::StrCat(".", name);
    if (!absl::c_linear_search(key.one_of, name)) {
      problems.push_back({path, "is not a controlled bucket"});
    } else if (!limit.is_integer()) {
      problems.push_back({path, WrongType(limit, "an integer")});
    } else if (key.range && (limit.as_integer() < key.range->min ||
                             limit.as_integer() > key.range->max)) {
      problems.push_back(
          {path, OutOfRange(*key.range, key.unit, limit.as_integer())});
    } else {
      limits[name] = static_cast<int>(limit.as_integer());
    }
  }
  if (problems.empty()) out = std::move(limits);
  return problems;
}

// ------------------------------------------------------------------ flags

std::string FlagNames(std::string_view name, std::string_view flag) {
  if (!flag.empty()) return std::string(flag);
  return absl::StrCat("--",
                      absl::StrReplaceAll(std::string(name), {{"_", "-"}}));
}

template <typename T>
CLI::Option* AddFlag(CLI::App& app, const ConfigKey<T>& key, T& out) {
  CLI::Option* option = nullptr;
  const std::string names = FlagNames(key.name, key.flag);
  const std::string help(key.help);
  if constexpr (std::is_same_v<T, bool>) {
    return app.add_flag(names, out, help);
  } else if constexpr (std::is_same_v<T, Limits>) {
    // The entries given, checked as they are parsed; `ApplyTo` merges them.
    out.clear();
    const int min = key.range ? key.range->min : 0;
    const std::string form = absl::StrCat(
        "must be ", std::string(key.value_name), " with N >= ", min,
        " and NAME one of ", absl::StrJoin(key.one_of, ", "));
    auto valid = [buckets = key.one_of, min, form](std::string& entry) {
      const size_t eq = entry.find('=');
      int limit = min - 1;
      if (eq == std::string::npos ||
          !absl::c_linear_search(buckets, entry.substr(0, eq)) ||
          !absl::SimpleAtoi(entry.substr(eq + 1), &limit) || limit < min) {
        return absl::StrCat("'", entry, "' ", form);
      }
      return std::string();
    };
    auto merge = [&out](const std::vector<std::string>& entries) {
      for (const std::string& entry : entries) {
        const size_t eq = entry.find('=');
        int limit = 0;
        // The validator has already checked the form.
        if (eq != std::string::npos &&
            absl::SimpleAtoi(entry.substr(eq + 1), &limit)) {
          out[entry.substr(0, eq)] = limit;
        }
      }
    };
    option =
        app.add_option_function<std::vector<std::string>>(names, merge, help)
            ->check(CLI::Validator(valid, ""));
  } else if constexpr (std::is_same_v<T, Dates>) {
    option = app.add_option(names, out, help);
  } else {
    // Strings and numbers show their default in --help.
    option = app.add_option(names, out, help);
    if constexpr (std::is_same_v<T, std::string>) {
      if (!key.one_of.empty()) option->check(CLI::IsMember(key.one_of));
    }
    option->capture_default_str();
  }
  if (!key.value_name.empty()) option->type_name(std::string(key.value_name));
  return option;
}

// A flag's value laid over the file's: a map merges, anything else replaces.
template <typename T>
void Overlay(const T& given, T& config) {
  config = given;
}

void Overlay(const Limits& given, Limits& config) {
  for (const auto& [name, limit] : given) config[name] = limit;
}

// ------------------------------------------------------------- validation

// What is wrong with one key's value, by its bounds.
template <typename T>
std::vector<Problem> CheckValue(const ConfigKey<T>& key, const T& value) {
  std::vector<Problem> problems;
  if constexpr (std::is_same_v<T, int>) {
    if (key.range && (value < key.range->min || value > key.range->max)) {
      problems.push_back({"", OutOfRange(*key.range, key.unit, value)});
    }
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!key.one_of.empty() && !absl::c_linear_search(key.one_of, value)) {
      problems.push_back({"", OneOf(key.one_of, value)});
    }
  } else if constexpr (std::is_same_v<T, Limits>) {
    for (const auto& [name, limit] : value) {
      const std::string path = absl::StrCat(".", name);
      if (!key.one_of.empty() && !absl::c_linear_search(key.one_of, name)) {
        problems.push_back({path, "not a controlled bucket"});
      } else if (key.range &&
                 (limit < key.range->min || limit > key.range->max)) {
        problems.push_back({path, OutOfRange(*key.range, key.unit, limit)});
      }
    }
  }
  if (key.check) {
    if constexpr (std::is_same_v<T, Dates>) {
      for (size_t i = 0; i < value.size(); ++i) {
        if (std::string what = key.check(value[i]); !what.empty()) {
          problems.push_back({absl::StrCat("[", i, "]"), std::move(what)});
        }
      }
    } else if (std::string what = key.check(value); !what.empty()) {
      problems.push_back({"", std::move(what)});
    }
  }
  return problems;
}

// The rules between keys, which no single entry of the table can state.
void CheckPairs(const ServerConfig& c, std::vector<std::string>& problems) {
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    problems.emplace_back(
        "tls_cert_file, tls_key_file: give both to turn TLS on, or neither");
  }
  if (!c.tls_client_ca_file.empty() && c.tls_cert_file.empty()) {
    problems.emplace_back(
        "tls_client_ca_file: mutual TLS needs tls_cert_file and "
        "tls_key_file too");
  }
  // With NORMAL, a power loss can drop the last committed events although
  // the signed head kept beside the key (signing.key.head) already covers
  // them; at the next start the log is shorter than the head, which is what
  // a cut tail looks like, and the server refuses to sign it ever again
  // (issue 15, defect 16). Refused rather than made safe by keeping the
  // head behind the durable events: SQLite has no call that makes a NORMAL
  // WAL durable on demand (a checkpoint syncs it, but readers can hold one
  // back), and the server always signs. FULL costs one fsync per batch of
  // the district's writer.
  if (c.synchronous == "NORMAL") {
    problems.push_back(absl::StrCat(
        "synchronous: NORMAL can lose the last committed events on a power "
        "loss while the signed head ",
        SigningKeyPath(c),
        ".head already covers them, after which the server refuses to sign "
        "the log for good; use FULL"));
  }
  // Plaintext beyond this machine hands every bearer token to whoever sees
  // the traffic (issue 15): only on purpose.
  if (const absl::StatusOr<HostPort> grpc = ParseHostPort(c.grpc_address);
      grpc.ok() && !IsLoopbackHost(grpc->host) && c.tls_cert_file.empty() &&
      !c.allow_insecure_remote) {
    problems.push_back(absl::StrCat(
        "grpc_address: '", c.grpc_address,
        "' is not a loopback address and TLS is off, so bearer tokens and "
        "the district's data would cross the network in plaintext; set "
        "tls_cert_file and tls_key_file (TLS), or serve 127.0.0.1 only, or "
        "set allow_insecure_remote = true (--allow-insecure-remote) if "
        "another layer protects the traffic"));
  }
}

}  // namespace

std::map<std::string, int> ServerConfig::DefaultControlledLimits() {
  std::map<std::string, int> limits;
  for (const auto& [bucket, limit] : workflow::DefaultControlledLimits()) {
    limits[std::string(domain::ControlledBucketName(bucket))] = limit;
  }
  return limits;
}

absl::StatusOr<HostPort> ParseHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address '", address, "' must be host:port, e.g. 127.0.0.1:7470"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // [::1]:7470
  }
  int port = -1;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535 || host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address '", address,
        "' must be host:port with a port 0 to 65535, e.g. 127.0.0.1:7470"));
  }
  return HostPort{std::move(host), port};
}

bool IsLoopbackHost(const std::string& host) {
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6) ||
           (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  }
  return false;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& toml_path) {
  std::ifstream in(toml_path, std::ios::binary);
  if (!in.good()) {
    return absl::NotFoundError(absl::StrCat(
        "cannot read config file '", toml_path,
        "'; check the path given with --config and its permissions"));
  }
  toml::value root;
  try {
    root = toml::parse(in, toml_path);
  } catch (const std::exception& e) {
    // toml11 reports syntax errors with the line and a caret.
    return absl::InvalidArgumentError(
        absl::StrCat(toml_path, ": not valid TOML: ", e.what()));
  }
  if (!root.is_table()) {
    return absl::InvalidArgumentError(
        absl::StrCat(toml_path, ": the file is not a TOML table"));
  }
  ServerConfig config;
  std::vector<std::string> problems;
  std::set<std::string> known;
  for (const AnyConfigKey& any : ServerConfigKeys()) {
    std::visit(
        [&](const auto& key) {
          const std::string name(key.name);
          known.insert(name);
          if (!root.contains(name)) return;
          // "demo must ...", "holidays[0] must ...", "controlled_limits.x
          // is ...".
          for (const Problem& p :
               ReadValue(key, root.at(name), config.*key.field)) {
            problems.push_back(absl::StrCat(name, p.path, " ", p.what));
          }
        },
        any);
  }
  const std::set<std::string> unknown = [&] {
    std::set<std::string> keys;
    for (const auto& [key, value] : root.as_table()) {
      if (!known.contains(key)) keys.insert(key);
    }
    return keys;
  }();
  for (const std::string& key : unknown) {
    problems.push_back(
        absl::StrCat("unknown key '", key,
                     "' (deploy/taskgate.example.toml lists every key)"));
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(toml_path, ": ", absl::StrJoin(problems, "; ")));
  }
  return config;
}

ServerFlags::ServerFlags(CLI::App& app) {
  for (const AnyConfigKey& any : ServerConfigKeys()) {
    options_.push_back(std::visit(
        [&](const auto& key) -> const CLI::Option* {
          return AddFlag(app, key, given_.*key.field);
        },
        any));
  }
}

void ServerFlags::ApplyTo(ServerConfig& config) const {
  const std::vector<AnyConfigKey>& keys = ServerConfigKeys();
  for (size_t i = 0; i < keys.size(); ++i) {
    if (options_[i]->count() == 0) continue;
    std::visit(
        [&](const auto& key) { Overlay(given_.*key.field, config.*key.field); },
        keys[i]);
  }
}

absl::StatusOr<ServerConfig> ServerFlags::Resolve(
    const std::string& config_path) const {
  ServerConfig config;
  if (!config_path.empty()) {
    TASKGATE_ASSIGN_OR_RETURN(config, LoadServerConfig(config_path));
  }
  ApplyTo(config);
  return config;
}

std::string SigningKeyPath(const ServerConfig& config) {
  if (!config.signing_key_file.empty()) return config.signing_key_file;
  const std::filesystem::path dir =
      config.db_path == ":memory:"
          ? std::filesystem::path()
          : std::filesystem::path(config.db_path).parent_path();
  return (dir.empty() ? std::filesystem::path(".") : dir) / "signing.key";
}

absl::Status ValidateServerConfig(const ServerConfig& config) {
  std::vector<std::string> problems;
  for (const AnyConfigKey& any : ServerConfigKeys()) {
    std::visit(
        [&](const auto& key) {
          for (const Problem& p : CheckValue(key, config.*key.field)) {
            problems.push_back(
                absl::StrCat(std::string(key.name), p.path, ": ", p.what));
          }
        },
        any);
  }
  CheckPairs(config, problems);
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid configuration: ", absl::StrJoin(problems, "; ")));
}

absl::StatusOr<workflow::EngineOptions> ToEngineOptions(
    const ServerConfig& config) {
  if (absl::Status s = ValidateServerConfig(config); !s.ok()) return s;
  workflow::EngineOptions options;
  options.district_id = config.district_id;
  if (!absl::LoadTimeZone(config.time_zone, &options.time_zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone: unknown time zone '", config.time_zone, "'"));
  }
  for (const std::string& text : config.holidays) {
    absl::StatusOr<absl::CivilDay> day = domain::ParseCivilDay(text);
    if (!day.ok()) return day.status();
    options.initial_holidays.push_back(*day);
  }
  options.rules.lead_time_days = config.lead_time_days;
  options.rules.capacity_blocks = config.capacity_blocks;
  options.rules.two_approval_hours = config.two_approval_hours;
  options.rules.controlled_limits.clear();
  for (const auto& [name, limit] : config.controlled_limits) {
    options.rules.controlled_limits[*domain::ParseControlledBucket(name)] =
        limit;
  }
  options.sla.review_working_days = config.review_working_days;
  options.sla.provisional_working_days = config.provisional_working_days;
  options.sla.release_on_overdue = config.release_on_overdue;
  options.request_retention = absl::Hours(config.request_retention_hours);
  options.refusal_interval = absl::Seconds(config.refusal_interval_seconds);
  options.refusal_sources = config.refusal_sources_max;
  options.max_attachment_bytes = config.max_attachment_bytes;
  options.max_attachments_per_task = config.max_attachments_per_task;
  return options;
}

}  // namespace taskgate::services
