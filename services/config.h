// The configuration of `taskgated`: listeners, TLS, storage, the district and
// its calendar, rule and SLA settings, credentials, timers and logging.
//
// Sources, in increasing precedence: the defaults of `ServerConfig`, a TOML
// file (`LoadServerConfig`), and command-line flags (`ServerFlags`).
//
// A key is its field below, whose initializer is the default, and one entry
// of `ServerConfigKeys()` (config.cc): the TOML key, the field, the flag and
// its help, the unit and the bounds. The TOML reader, the flags,
// `ValidateServerConfig` and the test of deploy/taskgate.example.toml (which
// must list every key with its default, and nothing else) all walk that
// table, so a new key is a field, an entry and a line of the example.
//
// Thread-safety: `ServerConfig` and the table are plain values, and the free
// functions are pure; `ServerFlags` is used by one thread, like its
// `CLI::App`.
#ifndef TASKGATE_SERVICES_CONFIG_H_
#define TASKGATE_SERVICES_CONFIG_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
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
  // HTTP /healthz, /metrics and the public list (/public/v1/) "host:port";
  // empty disables the listener.
  std::string http_address = "127.0.0.1:7471";
  // The most HTTP connections served at once; more wait in the backlog.
  // The server lowers it to a quarter of its file descriptor limit.
  int http_max_connections = 256;
  // Largest gRPC message accepted or sent, in bytes.
  int max_message_bytes = 4 * 1024 * 1024;
  // PEM files. Certificate and key turn TLS on; a client CA additionally
  // requires and verifies client certificates (mutual TLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Serve plaintext gRPC on an address other than loopback. Off, such an
  // address without TLS is refused (`ValidateServerConfig`): bearer tokens
  // and district data would cross the network readable by anyone on the
  // path. Set it knowingly only, e.g. behind a TLS-terminating proxy or on
  // a network nobody else can reach.
  bool allow_insecure_remote = false;

  // ---- storage
  std::string db_path = "./var/taskgate.db";
  // SQLite's synchronous mode. Only "FULL" is accepted while the log is
  // signed, which the server always does: "NORMAL" is named in the table so
  // that choosing it is refused with the reason (`ValidateServerConfig`).
  std::string synchronous = "FULL";

  // ---- the district
  std::string district_id = "default";
  std::string district_name = "Default district";  // used on first start
  std::string time_zone = "Asia/Shanghai";         // IANA name
  // "YYYY-MM-DD": only the initial working-day calendar, stored as the
  // first version of each year on a start with no calendar stored yet
  // (workflow/calendars.h); the calendar is then published data.
  std::vector<std::string> holidays;

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
  // Following events (EventService/WatchEvents): a heartbeat is sent to
  // each follower every this many milliseconds while nothing else is sent...
  int watch_heartbeat_ms = 15000;
  // ...and at most this many follow at once (more get RESOURCE_EXHAUSTED).
  int watch_max_followers = 256;
  // How long a request id's first answer is kept for retries (AIP-155), in
  // hours; a retry after that is executed as a new request.
  int request_retention_hours = 24;
  // Refused calls (SPEC §9): the first of a source in an interval of this
  // many seconds gets an audit event at once, the rest of the interval one
  // aggregated event with their count.
  int refusal_interval_seconds = 60;
  // Sources counted apart per interval at most; refusals from further
  // sources share one "other sources" count.
  int refusal_sources_max = 1000;
  // Attachments (SPEC §3): the largest one in bytes (an upload is refused
  // once it declares or sends more; the server holds at most this much of
  // one upload in memory), and how many one task may have.
  int max_attachment_bytes = 20 * 1024 * 1024;
  int max_attachments_per_task = 20;
  // A source (address) may fail to authenticate this many times in a row,
  // and again this many times a minute; beyond, its calls are refused with
  // RESOURCE_EXHAUSTED before their credentials are read.
  int unauthenticated_burst = 20;
  int unauthenticated_per_minute = 60;
  // The public list (公示, services/public_list.h), read without
  // credentials over gRPC and HTTP: a source (address) may make this many
  // reads at once, and this many a minute after that; beyond, its reads get
  // RESOURCE_EXHAUSTED (HTTP 429).
  int public_burst = 60;
  int public_per_minute = 120;
  // spdlog level: trace, debug, info, warn, error, critical, off.
  std::string log_level = "info";

  // Not a file key or flag: `main` sets it so that SIGINT/SIGTERM shut the
  // server down; tests leave it off.
  bool handle_signals = false;

  bool operator==(const ServerConfig&) const = default;

  // The engine's default limits, by bucket name.
  static std::map<std::string, int> DefaultControlledLimits();
};

// Inclusive bounds of an integer.
struct IntRange {
  int min = 0;
  int max = 0;
};

namespace config_internal {
// What `ConfigKey<T>::check` looks at: each element of a list, else the
// value itself.
template <typename T>
struct Checked {
  using Type = T;
};
template <typename E>
struct Checked<std::vector<E>> {
  using Type = E;
};
}  // namespace config_internal

// One key of the configuration, whose field in `ServerConfig` has type `T`.
// The type picks how the key is read and given as a flag:
//   std::string, int, double  a TOML value of that type; `--flag VALUE`
//                             (an integer is a fine double);
//   bool                      true/false; `--flag` or `--flag=false`;
//   std::vector<std::string>  a list of dates, TOML dates or "YYYY-MM-DD"
//                             strings; the flag repeats, and the values
//                             given replace the file's list;
//   std::map<std::string,int> a TOML table of controlled bucket = limit; the
//                             flag repeats as NAME=N, and each entry given
//                             replaces that bucket's value only.
// Bounds (`range`, `one_of`, `check`) are what `ValidateServerConfig`
// enforces; a flag refuses a value outside `one_of` while parsing, so that a
// typo of a fixed word stops at once.
template <typename T>
struct ConfigKey {
  using Check = std::function<std::string(
      const typename config_internal::Checked<T>::Type&)>;

  // The TOML key; a map is a TOML table of this name.
  std::string_view name;
  T ServerConfig::*field = nullptr;
  // CLI11 names of the flag; empty: "--" and `name` with '-' for '_'.
  std::string_view flag = {};
  // One line for --help.
  std::string_view help = {};
  // The placeholder of the flag's value in --help; empty: CLI11's (TEXT, INT,
  // FLOAT).
  std::string_view value_name = {};
  // What an integer counts ("seconds"), for messages; empty: nothing.
  std::string_view unit = {};
  // The bounds of an integer, or of each value of a map.
  std::optional<IntRange> range = std::nullopt;
  // The words a string, or each name of a map, may be; empty: any.
  std::vector<std::string> one_of = {};
  // Checks the value, or each element of a list, beyond the bounds above;
  // returns what is wrong with it, or "" (without the key's name, which the
  // caller puts in front).
  Check check = nullptr;
};

// A key of any of the types above.
using AnyConfigKey =
    std::variant<ConfigKey<std::string>, ConfigKey<int>, ConfigKey<bool>,
                 ConfigKey<double>, ConfigKey<std::vector<std::string>>,
                 ConfigKey<std::map<std::string, int>>>;

// Every key of `ServerConfig` except `handle_signals`, in the order of the
// struct, of --help and of validation messages. Built once; never destroyed.
const std::vector<AnyConfigKey>& ServerConfigKeys();

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

// Whether `host` (as `ParseHostPort` gives it) is this machine only:
// 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and localhost. Any other name
// may resolve to a network address, so it is not.
bool IsLoopbackHost(const std::string& host);

// Reads the TOML file at `toml_path` over the defaults. Keys absent from the
// file keep their defaults. Errors: NOT_FOUND when the file cannot be read;
// INVALID_ARGUMENT for a syntax error, an unknown key, or a value of the
// wrong type (or a map entry out of range), naming each such key. Values are
// not otherwise checked here (see `ValidateServerConfig`), since flags may
// still override them.
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& toml_path);

// One flag per key of `ServerConfigKeys()`, registered on a `CLI::App`, and
// the layering of the three sources:
//
//   CLI::App app;
//   ServerFlags flags(app);
//   app.parse(argc, argv);  // throws CLI::ParseError; see CLI::App::exit
//   absl::StatusOr<ServerConfig> config = flags.Resolve(config_path);
//
// Only the flags given change the config. `app` must outlive this object,
// which must outlive parsing; not thread-safe.
class ServerFlags final {
 public:
  // Adds the flags to `app`, after those it has.
  explicit ServerFlags(CLI::App& app);
  ServerFlags(const ServerFlags&) = delete;
  ServerFlags& operator=(const ServerFlags&) = delete;

  // Lays the flags given over `config`. Meaningful after a successful parse.
  void ApplyTo(ServerConfig& config) const;

  // The defaults, overlaid by the TOML file at `config_path` (no file when
  // it is empty), overlaid by the flags given. Errors: those of
  // `LoadServerConfig`. Does not validate (see `ValidateServerConfig`).
  absl::StatusOr<ServerConfig> Resolve(const std::string& config_path) const;

 private:
  // Where CLI11 writes the values given; maps hold only the entries given.
  ServerConfig given_;
  // The option of each key, in the order of `ServerConfigKeys()`; owned by
  // the app.
  std::vector<const CLI::Option*> options_;
};

// INVALID_ARGUMENT naming every key whose value is unusable (addresses,
// sizes, enums, time zone, holidays, limits, unreadable TLS files) and every
// set of keys that do not fit together (TLS files given in halves; a gRPC
// address other than loopback (127.0.0.0/8, ::1, localhost) without TLS
// and without `allow_insecure_remote`).
absl::Status ValidateServerConfig(const ServerConfig& config);

// The workflow settings of `config`, after `ValidateServerConfig`: loads the
// time zone (tzdata) and parses the holidays (the initial calendar).
absl::StatusOr<workflow::EngineOptions> ToEngineOptions(
    const ServerConfig& config);

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_CONFIG_H_
