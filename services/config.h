// The configuration of `taskgated`: listeners, TLS, storage, the district and
// its calendar, rule and SLA settings, credentials, timers and logging.
//
// Sources, in increasing precedence: the defaults below, a TOML file
// (`LoadServerConfig`, keys named exactly like the fields), and command-line
// flags (`AddServerFlags`, the key with '-' for '_': `review_working_days`
// is `--review-working-days`). deploy/taskgate.example.toml lists every key
// with its default. Plain values and pure functions; thread-safe.
#ifndef TASKGATE_SERVICES_CONFIG_H_
#define TASKGATE_SERVICES_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "workflow/engine.h"

namespace taskgate::services {

struct ServerConfig {
  // ---- listeners
  // gRPC "host:port"; port 0 picks a free port (tests).
  std::string grpc_address = "127.0.0.1:7470";
  // HTTP /healthz and /metrics "host:port"; empty disables the listener.
  std::string http_address = "127.0.0.1:7471";
  // Largest gRPC message accepted or sent, in bytes.
  int max_message_bytes = 4 * 1024 * 1024;
  // PEM files. Certificate and key turn TLS on; a client CA additionally
  // requires and verifies client certificates (mutual TLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;

  // ---- storage
  std::string db_path = "./var/taskgate.db";
  std::string synchronous = "FULL";  // or "NORMAL"

  // ---- the district
  std::string district_id = "default";
  std::string district_name = "Default district";  // used on first start
  std::string time_zone = "Asia/Shanghai";         // IANA name
  std::vector<std::string> holidays;               // "YYYY-MM-DD"

  // ---- review SLA (SPEC §4.1)
  int review_working_days = 15;
  int provisional_working_days = 3;
  bool release_on_overdue = false;

  // ---- admission rules (SPEC §4)
  int lead_time_days = 30;
  bool capacity_blocks = false;
  double two_approval_hours = 120;
  // Per-community limit of controlled units, keyed by
  // `workflow::ControlledBucketName` ("signboard", ...). A file or flag
  // entry replaces the default of that bucket only.
  std::map<std::string, int> controlled_limits = DefaultControlledLimits();

  // ---- credentials and data
  // Where the first start writes the initial admin token (mode 0600).
  std::string admin_token_file = "./var/admin.token";
  // Load the demo catalog, communities and principals on first start.
  bool demo = false;

  // ---- the audit log's signed checkpoints (SPEC §7)
  // The server's Ed25519 key (PKCS#8 PEM), created with mode 0600 on first
  // start. Whoever holds it can sign checkpoints: keep it off backups that
  // carry the database. Empty: signing.key beside the database, so that a
  // database and the key that signs its log travel together by default
  // (see `SigningKeyPath`).
  std::string signing_key_file;
  // Sign a checkpoint once this many events are not yet covered by one...
  int checkpoint_every_events = 1000;
  // ...or when the newest is this old and events came since; and always on
  // shutdown.
  int checkpoint_interval_seconds = 3600;

  // ---- operation
  // The longest the workflow timer sleeps between ticks, in seconds.
  int tick_interval_seconds = 60;
  // spdlog level: trace, debug, info, warn, error, critical, off.
  std::string log_level = "info";

  // Not a file key or flag: `main` sets it so that SIGINT/SIGTERM shut the
  // server down; tests leave it off.
  bool handle_signals = false;

  bool operator==(const ServerConfig&) const = default;

  // The engine's default limits, by bucket name.
  static std::map<std::string, int> DefaultControlledLimits();
};

// The signing key of `config`: `signing_key_file`, or signing.key in the
// directory of `db_path` (the working directory for ":memory:").
std::string SigningKeyPath(const ServerConfig& config);

// A listen address split into host and port; IPv6 hosts may be bracketed
// ("[::1]:7470"), and the brackets are removed.
struct HostPort {
  std::string host;
  int port = 0;
};

// INVALID_ARGUMENT unless `address` is "host:port" with a port 0 to 65535.
absl::StatusOr<HostPort> ParseHostPort(const std::string& address);

// Reads the TOML file at `toml_path` over the defaults. Keys absent from the
// file keep their defaults. Errors: NOT_FOUND when the file cannot be read;
// INVALID_ARGUMENT for a syntax error, an unknown key, or a value of the
// wrong type or range, naming each such key. Values are not cross-checked
// here (see `ValidateServerConfig`), since flags may still override them.
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& toml_path);

// Registers one flag per key on `app`, writing into `config` when given.
// Parse the command line twice to layer flags over a file: once to learn
// `--config`, then, after `LoadServerConfig`, again into the loaded config
// (only the flags given change it). Bool keys are flags that also take a
// value (`--demo`, `--release-on-overdue=false`); `--holiday` and
// `--controlled-limit name=N` repeat. `config` must outlive parsing.
void AddServerFlags(CLI::App& app, ServerConfig& config);

// INVALID_ARGUMENT naming every key whose value is unusable (addresses,
// sizes, enums, time zone, holidays, limits, TLS files given in halves).
absl::Status ValidateServerConfig(const ServerConfig& config);

// The workflow settings of `config`, after `ValidateServerConfig`: loads the
// time zone (tzdata) and parses the holidays.
absl::StatusOr<workflow::EngineOptions> ToEngineOptions(
    const ServerConfig& config);

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_CONFIG_H_
