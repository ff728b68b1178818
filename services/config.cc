#include "services/config.h"

#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/status/status.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_join.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <toml.hpp>

#include "domain/codec.h"
#include "domain/types.h"
#include "workflow/rules.h"
#include "workflow/sla.h"
#include "workflow/validation.h"

namespace taskgate::services {
namespace {

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

// Reads one key's value into the config; returns a problem, or "".
using Reader = std::function<std::string(const toml::value&)>;

std::string WrongType(const toml::value& v, std::string_view want) {
  return absl::StrCat("must be ", std::string(want), ", not ", TypeName(v));
}

Reader ReadString(std::string& out) {
  return [&out](const toml::value& v) -> std::string {
    if (!v.is_string()) return WrongType(v, "a string");
    out = v.as_string().str;
    return "";
  };
}

Reader ReadInt(int& out) {
  return [&out](const toml::value& v) -> std::string {
    if (!v.is_integer()) return WrongType(v, "an integer");
    const std::int64_t n = v.as_integer();
    if (n < std::numeric_limits<int>::min() ||
        n > std::numeric_limits<int>::max()) {
      return absl::StrCat("is out of range (", n, ")");
    }
    out = static_cast<int>(n);
    return "";
  };
}

Reader ReadBool(bool& out) {
  return [&out](const toml::value& v) -> std::string {
    if (!v.is_boolean()) return WrongType(v, "true or false");
    out = v.as_boolean();
    return "";
  };
}

Reader ReadNumber(double& out) {
  return [&out](const toml::value& v) -> std::string {
    if (v.is_integer()) {
      out = static_cast<double>(v.as_integer());
    } else if (v.is_floating()) {
      out = v.as_floating();
    } else {
      return WrongType(v, "a number");
    }
    return "";
  };
}

// Holidays may be written as TOML dates (2026-10-01) or as strings
// ("2026-10-01"); both end up as "YYYY-MM-DD".
Reader ReadDays(std::vector<std::string>& out) {
  return [&out](const toml::value& v) -> std::string {
    if (!v.is_array()) return WrongType(v, "an array of dates");
    std::vector<std::string> days;
    for (const toml::value& e : v.as_array()) {
      if (e.is_string()) {
        days.push_back(e.as_string().str);
      } else if (e.is_local_date()) {
        const toml::local_date& d = e.as_local_date();
        days.push_back(absl::StrFormat("%04d-%02d-%02d", d.year,
                                       d.month + 1,  // toml11 months are 0-11
                                       d.day));
      } else {
        return absl::StrCat("[", days.size(), "] ",
                            WrongType(e, "a date \"YYYY-MM-DD\""));
      }
    }
    out = std::move(days);
    return "";
  };
}

// One entry per controlled bucket; entries given replace that bucket's
// default only.
Reader ReadLimits(std::map<std::string, int>& out) {
  return [&out](const toml::value& v) -> std::string {
    if (!v.is_table()) return WrongType(v, "a table of bucket = limit");
    std::vector<std::string> problems;
    std::map<std::string, int> limits = out;
    for (const auto& [name, limit] : v.as_table()) {
      if (!domain::ParseControlledBucket(name).has_value()) {
        problems.push_back(
            absl::StrCat(".", name, " is not a controlled bucket"));
      } else if (!limit.is_integer()) {
        problems.push_back(
            absl::StrCat(".", name, " ", WrongType(limit, "an integer")));
      } else if (limit.as_integer() < 0 ||
                 limit.as_integer() > workflow::kMaxUnits) {
        problems.push_back(
            absl::StrCat(".", name, " must be 0 to ", workflow::kMaxUnits));
      } else {
        limits[name] = static_cast<int>(limit.as_integer());
      }
    }
    // The caller prefixes the key to the first entry; repeat it for the rest.
    if (!problems.empty()) {
      return absl::StrJoin(problems, "; controlled_limits");
    }
    out = std::move(limits);
    return "";
  };
}

std::map<std::string, Reader> Readers(ServerConfig& c) {
  return {
      {"grpc_address", ReadString(c.grpc_address)},
      {"http_address", ReadString(c.http_address)},
      {"max_message_bytes", ReadInt(c.max_message_bytes)},
      {"tls_cert_file", ReadString(c.tls_cert_file)},
      {"tls_key_file", ReadString(c.tls_key_file)},
      {"tls_client_ca_file", ReadString(c.tls_client_ca_file)},
      {"db_path", ReadString(c.db_path)},
      {"synchronous", ReadString(c.synchronous)},
      {"district_id", ReadString(c.district_id)},
      {"district_name", ReadString(c.district_name)},
      {"time_zone", ReadString(c.time_zone)},
      {"holidays", ReadDays(c.holidays)},
      {"review_working_days", ReadInt(c.review_working_days)},
      {"provisional_working_days", ReadInt(c.provisional_working_days)},
      {"release_on_overdue", ReadBool(c.release_on_overdue)},
      {"lead_time_days", ReadInt(c.lead_time_days)},
      {"capacity_blocks", ReadBool(c.capacity_blocks)},
      {"two_approval_hours", ReadNumber(c.two_approval_hours)},
      {"controlled_limits", ReadLimits(c.controlled_limits)},
      {"admin_token_file", ReadString(c.admin_token_file)},
      {"demo", ReadBool(c.demo)},
      {"signing_key_file", ReadString(c.signing_key_file)},
      {"checkpoint_every_events", ReadInt(c.checkpoint_every_events)},
      {"checkpoint_interval_seconds", ReadInt(c.checkpoint_interval_seconds)},
      {"tick_interval_seconds", ReadInt(c.tick_interval_seconds)},
      {"log_level", ReadString(c.log_level)},
  };
}

// ------------------------------------------------------------- validation

const std::set<std::string>& LogLevels() {
  static const auto* const kLevels = new std::set<std::string>{
      "trace", "debug", "info", "warn", "error", "critical", "off"};
  return *kLevels;
}

void CheckRange(std::vector<std::string>& problems, const char* key, int value,
                int min, int max) {
  if (value < min || value > max) {
    problems.push_back(
        absl::StrCat(key, ": must be ", min, " to ", max, ", not ", value));
  }
}

bool FileReadable(const std::string& path) {
  std::ifstream in(path);
  return in.good();
}

absl::Status Invalid(const std::vector<std::string>& problems) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid configuration: ", absl::StrJoin(problems, "; ")));
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

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& toml_path) {
  std::ifstream in(toml_path, std::ios::binary);
  if (!in.good()) {
    return absl::NotFoundError(absl::StrCat(
        "cannot read config file '", toml_path,
        "'; check the path given with --config and its permissions"));
  }
  ServerConfig config;
  std::vector<std::string> problems;
  try {
    const toml::value root = toml::parse(in, toml_path);
    if (!root.is_table()) {
      return absl::InvalidArgumentError(
          absl::StrCat(toml_path, ": the file is not a TOML table"));
    }
    std::map<std::string, Reader> readers = Readers(config);
    for (const auto& [key, value] : root.as_table()) {
      auto it = readers.find(key);
      if (it == readers.end()) {
        problems.push_back(
            absl::StrCat("unknown key '", key,
                         "' (deploy/taskgate.example.toml lists every key)"));
        continue;
      }
      if (std::string problem = it->second(value); !problem.empty()) {
        // "holidays[0] ...", "controlled_limits.x ...", "demo must ...".
        const bool path = problem[0] == '[' || problem[0] == '.';
        problems.push_back(absl::StrCat(key, path ? "" : " ", problem));
      }
    }
  } catch (const std::exception& e) {
    // toml11 reports syntax errors with the line and a caret.
    return absl::InvalidArgumentError(
        absl::StrCat(toml_path, ": not valid TOML: ", e.what()));
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(toml_path, ": ", absl::StrJoin(problems, "; ")));
  }
  return config;
}

void AddServerFlags(CLI::App& app, ServerConfig& config) {
  app.add_option("--grpc-address", config.grpc_address,
                 "gRPC listen address host:port (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--http-address", config.http_address,
                 "HTTP /healthz and /metrics address host:port; empty "
                 "disables it")
      ->capture_default_str();
  app.add_option("--max-message-bytes", config.max_message_bytes,
                 "Largest gRPC message accepted or sent, in bytes")
      ->capture_default_str();
  app.add_option("--tls-cert-file", config.tls_cert_file,
                 "Server certificate chain (PEM); with --tls-key-file turns "
                 "TLS on");
  app.add_option("--tls-key-file", config.tls_key_file,
                 "Server private key (PEM)");
  app.add_option("--tls-client-ca-file", config.tls_client_ca_file,
                 "CA bundle (PEM) for client certificates: requires mutual "
                 "TLS");
  app.add_option("--db,--db-path", config.db_path,
                 "SQLite database file (created on first start)")
      ->capture_default_str();
  app.add_option(
         "--synchronous", config.synchronous,
         "SQLite synchronous mode: FULL (survives power loss) or NORMAL")
      ->check(CLI::IsMember({"FULL", "NORMAL"}))
      ->capture_default_str();
  app.add_option("--district-id", config.district_id, "District id")
      ->capture_default_str();
  app.add_option("--district-name", config.district_name,
                 "Name of the district created on first start")
      ->capture_default_str();
  app.add_option("--time-zone", config.time_zone,
                 "IANA time zone of the district's dates")
      ->capture_default_str();
  app.add_option("--holiday", config.holidays,
                 "Non-working day YYYY-MM-DD; repeat it; replaces the "
                 "file's list")
      ->type_name("DATE");
  app.add_option("--review-working-days", config.review_working_days,
                 "Review SLA in working days")
      ->capture_default_str();
  app.add_option("--provisional-working-days", config.provisional_working_days,
                 "SLA of emergency (PROVISIONAL) tasks in working days")
      ->capture_default_str();
  app.add_flag("--release-on-overdue", config.release_on_overdue,
               "Release an overdue claimed review back to the queue");
  app.add_option("--lead-time-days", config.lead_time_days,
                 "Calendar days a start date must lie after submission "
                 "(R-LEAD-TIME)")
      ->capture_default_str();
  app.add_flag("--capacity-blocks", config.capacity_blocks,
               "Make R-CAPACITY a BLOCK finding instead of a WARN");
  app.add_option("--two-approval-hours", config.two_approval_hours,
                 "Hours x communities above which two approvals are needed")
      ->capture_default_str();
  app.add_option_function<std::vector<std::string>>(
         "--controlled-limit",
         [&config](const std::vector<std::string>& entries) {
           for (const std::string& entry : entries) {
             const size_t eq = entry.find('=');
             int limit = 0;
             // The validator below has already checked the form.
             if (eq != std::string::npos &&
                 absl::SimpleAtoi(entry.substr(eq + 1), &limit)) {
               config.controlled_limits[entry.substr(0, eq)] = limit;
             }
           }
         },
         "Per-community limit of a controlled bucket, NAME=N; repeat it")
      ->type_name("NAME=N")
      ->check(CLI::Validator(
          [](std::string& entry) -> std::string {
            const size_t eq = entry.find('=');
            int limit = -1;
            if (eq == std::string::npos ||
                !domain::ParseControlledBucket(entry.substr(0, eq))
                     .has_value() ||
                !absl::SimpleAtoi(entry.substr(eq + 1), &limit) || limit < 0) {
              return absl::StrCat(
                  "'", entry,
                  "' must be NAME=N with N >= 0 and NAME one of work_body, "
                  "forms_and_ledgers, creation_campaign, inspection, "
                  "signboard, certificate, training");
            }
            return "";
          },
          ""));
  app.add_option("--admin-token-file", config.admin_token_file,
                 "Where the first start writes the initial admin token "
                 "(mode 0600)")
      ->capture_default_str();
  app.add_flag("--demo", config.demo,
               "Load the demo catalog, communities and principals on first "
               "start");
  app.add_option("--signing-key-file", config.signing_key_file,
                 "The Ed25519 key that signs audit checkpoints (created with "
                 "mode 0600 on first start; default: signing.key beside the "
                 "database)");
  app.add_option("--checkpoint-every-events", config.checkpoint_every_events,
                 "Sign a checkpoint once this many audit events are not yet "
                 "covered by one")
      ->capture_default_str();
  app.add_option("--checkpoint-interval-seconds",
                 config.checkpoint_interval_seconds,
                 "Sign a checkpoint when the newest is this old and events "
                 "came since")
      ->capture_default_str();
  app.add_option("--tick-interval-seconds", config.tick_interval_seconds,
                 "Longest sleep of the workflow timer, in seconds")
      ->capture_default_str();
  app.add_option("--log-level", config.log_level,
                 "trace, debug, info, warn, error, critical or off")
      ->check(CLI::IsMember(
          std::vector<std::string>(LogLevels().begin(), LogLevels().end())))
      ->capture_default_str();
}

std::string SigningKeyPath(const ServerConfig& config) {
  if (!config.signing_key_file.empty()) return config.signing_key_file;
  const std::filesystem::path dir =
      config.db_path == ":memory:"
          ? std::filesystem::path()
          : std::filesystem::path(config.db_path).parent_path();
  return (dir.empty() ? std::filesystem::path(".") : dir) / "signing.key";
}

absl::Status ValidateServerConfig(const ServerConfig& c) {
  std::vector<std::string> problems;
  if (absl::StatusOr<HostPort> hp = ParseHostPort(c.grpc_address); !hp.ok()) {
    problems.push_back(
        absl::StrCat("grpc_address: ", std::string(hp.status().message())));
  }
  if (!c.http_address.empty()) {
    if (absl::StatusOr<HostPort> hp = ParseHostPort(c.http_address); !hp.ok()) {
      problems.push_back(
          absl::StrCat("http_address: ", std::string(hp.status().message())));
    }
  }
  CheckRange(problems, "max_message_bytes", c.max_message_bytes, 64 * 1024,
             1024 * 1024 * 1024);
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    problems.push_back(
        "tls_cert_file, tls_key_file: give both to turn TLS on, or neither");
  }
  if (!c.tls_client_ca_file.empty() && c.tls_cert_file.empty()) {
    problems.push_back(
        "tls_client_ca_file: mutual TLS needs tls_cert_file and "
        "tls_key_file too");
  }
  for (const auto& [key, path] :
       {std::pair<const char*, const std::string&>{"tls_cert_file",
                                                   c.tls_cert_file},
        {"tls_key_file", c.tls_key_file},
        {"tls_client_ca_file", c.tls_client_ca_file}}) {
    if (!path.empty() && !FileReadable(path)) {
      problems.push_back(absl::StrCat(key, ": cannot read '", path, "'"));
    }
  }
  if (c.db_path.empty()) problems.push_back("db_path: must not be empty");
  if (c.synchronous != "FULL" && c.synchronous != "NORMAL") {
    problems.push_back(absl::StrCat(
        "synchronous: must be FULL or NORMAL, not '", c.synchronous, "'"));
  }
  if (!workflow::IsValidId(c.district_id)) {
    problems.push_back(
        absl::StrCat("district_id: '", c.district_id,
                     "' must be 1 to 63 of [a-z0-9-_.], starting with a "
                     "letter or digit"));
  }
  if (c.district_name.empty()) {
    problems.push_back("district_name: must not be empty");
  }
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(c.time_zone, &tz)) {
    problems.push_back(absl::StrCat(
        "time_zone: unknown time zone '", c.time_zone,
        "'; use an IANA name such as Asia/Shanghai (needs tzdata)"));
  }
  for (size_t i = 0; i < c.holidays.size(); ++i) {
    if (!domain::ParseCivilDay(c.holidays[i]).ok()) {
      problems.push_back(absl::StrCat("holidays[", i, "]: '", c.holidays[i],
                                      "' is not a date YYYY-MM-DD"));
    }
  }
  CheckRange(problems, "review_working_days", c.review_working_days, 1, 365);
  CheckRange(problems, "provisional_working_days", c.provisional_working_days,
             1, 365);
  CheckRange(problems, "lead_time_days", c.lead_time_days, 0, 3650);
  if (!(c.two_approval_hours > 0)) {
    problems.push_back("two_approval_hours: must be greater than 0");
  }
  for (const auto& [name, limit] : c.controlled_limits) {
    if (!domain::ParseControlledBucket(name).has_value()) {
      problems.push_back(absl::StrCat("controlled_limits.", name,
                                      ": not a controlled bucket"));
    } else if (limit < 0 || limit > workflow::kMaxUnits) {
      problems.push_back(absl::StrCat("controlled_limits.", name,
                                      ": must be 0 to ", workflow::kMaxUnits));
    }
  }
  if (c.admin_token_file.empty()) {
    problems.push_back("admin_token_file: must not be empty");
  }
  CheckRange(problems, "checkpoint_every_events", c.checkpoint_every_events, 1,
             1000000);
  CheckRange(problems, "checkpoint_interval_seconds",
             c.checkpoint_interval_seconds, 1, 7 * 86400);
  CheckRange(problems, "tick_interval_seconds", c.tick_interval_seconds, 1,
             86400);
  if (LogLevels().count(c.log_level) == 0) {
    problems.push_back(absl::StrCat("log_level: must be one of ",
                                    absl::StrJoin(LogLevels(), ", ")));
  }
  if (!problems.empty()) return Invalid(problems);
  return absl::OkStatus();
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
  std::set<absl::CivilDay> holidays;
  for (const std::string& text : config.holidays) {
    absl::StatusOr<absl::CivilDay> day = domain::ParseCivilDay(text);
    if (!day.ok()) return day.status();
    holidays.insert(*day);
  }
  options.calendar = workflow::WorkingCalendar(std::move(holidays));
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
  return options;
}

}  // namespace taskgate::services
