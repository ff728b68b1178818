// taskgated: the TaskGate server.
//
// Thin on purpose: flags over an optional TOML file -> lock and open the
// SQLite store -> `Server::Create` -> (demo data) -> `Start` -> wait for
// SIGINT/SIGTERM -> graceful shutdown -> exit 0. Two offline commands do
// not serve: --verify-db and --issue-admin-token. Any startup error exits 1
// with one clear line. Logs go to stderr; stdout carries only what a person
// must see once (the initial admin token, when stdout is a terminal).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include <CLI/CLI.hpp>
#include <absl/strings/str_cat.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "audit/checkpoint.h"
#include "audit/signing.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "services/admin_recovery.h"
#include "services/config.h"
#include "services/db_lock.h"
#include "services/demo_seed.h"
#include "services/server.h"
#include "store/sqlite/sqlite_store.h"
#include "workflow/audit_ledger.h"

namespace {

using taskgate::services::ServerConfig;

constexpr char kDescription[] =
    "taskgated - the TaskGate server (社区工作事项准入制): admits tasks into "
    "community workloads and keeps a verifiable record.\n"
    "Settings come from the defaults, then --config FILE, then the flags.";

struct CommandLine {
  std::string config_path;
  bool check_only = false;
  std::string verify_db;
  std::string pubkey;
  std::string kept_checkpoint;
  std::string issue_admin_token;
  std::string out;
};

// The flags of the binary itself; the config keys' flags follow them (see
// `ServerFlags`).
std::unique_ptr<CLI::App> MakeApp(CommandLine& cmd) {
  auto app = std::make_unique<CLI::App>(kDescription, "taskgated");
  app->add_option("--config", cmd.config_path,
                  "TOML config file (see deploy/taskgate.example.toml); "
                  "flags override its keys");
  app->add_flag("--check", cmd.check_only,
                "Check the config and open the database (creating it if "
                "absent), then exit 0 when usable");
  app->add_option("--verify-db", cmd.verify_db,
                  "Verify the audit log in this database file against its "
                  "signed checkpoints (and --checkpoint), print VERIFIED or "
                  "FAILED with the first bad event, and exit 0 or 1; does "
                  "not start the server");
  app->add_option("--pubkey", cmd.pubkey,
                  "With --verify-db: the public key (PEM) to check signatures "
                  "with; default: that of signing_key_file (signing.key "
                  "beside the file)");
  app->add_option("--checkpoint", cmd.kept_checkpoint,
                  "With --verify-db: a checkpoint you kept earlier "
                  "(taskgate audit checkpoint), which the log must still "
                  "match");
  app->add_option("--issue-admin-token", cmd.issue_admin_token,
                  "Recover a lost admin credential: issue this enabled admin "
                  "principal a new token, recorded in the audit log, with "
                  "--out; run on the host with the server stopped (it "
                  "refuses while one holds the database); does not start "
                  "the server")
      ->type_name("PRINCIPAL");
  app->add_option("--out", cmd.out,
                  "With --issue-admin-token: the new file (mode 0600) that "
                  "receives the token's secret")
      ->type_name("FILE");
  return app;
}

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("taskgated");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::info);
}

int Fail(const std::string& what, const absl::Status& status) {
  spdlog::error("{}: {}", what, std::string(status.message()));
  return EXIT_FAILURE;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  }
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// `taskgated --verify-db FILE`: the offline check of a database file.
// Exit 0 VERIFIED, 1 FAILED, 2 when it cannot be checked at all.
int VerifyDb(const CommandLine& cmd, const ServerConfig& config) {
  namespace audit = taskgate::audit;
  constexpr int kCannotCheck = 2;
  if (!std::filesystem::exists(cmd.verify_db)) {
    spdlog::error("--verify-db: no such file '{}'", cmd.verify_db);
    return kCannotCheck;
  }
  ServerConfig for_file = config;
  for_file.db_path = cmd.verify_db;
  const std::string own_key = taskgate::services::SigningKeyPath(for_file);
  absl::StatusOr<audit::VerifyingKey> key =
      absl::NotFoundError("no public key");
  if (!cmd.pubkey.empty()) {
    key = audit::VerifyingKey::LoadPem(cmd.pubkey);
  } else if (absl::StatusOr<audit::SigningKey> own =
                 audit::SigningKey::Load(own_key);
             own.ok()) {
    key = own->verifying_key();
  } else {
    key = own.status();
  }
  if (!key.ok()) {
    spdlog::error("cannot load the public key ({}): {}; give --pubkey",
                  cmd.pubkey.empty() ? own_key : cmd.pubkey,
                  std::string(key.status().message()));
    return kCannotCheck;
  }
  std::optional<taskgate::audit::Checkpoint> kept;
  if (!cmd.kept_checkpoint.empty()) {
    absl::StatusOr<std::string> text = ReadWholeFile(cmd.kept_checkpoint);
    absl::StatusOr<taskgate::audit::Checkpoint> parsed =
        text.ok() ? taskgate::audit::CheckpointFromJson(*text)
                  : absl::StatusOr<taskgate::audit::Checkpoint>(text.status());
    if (!parsed.ok()) {
      spdlog::error("--checkpoint {}: {}", cmd.kept_checkpoint,
                    std::string(parsed.status().message()));
      return kCannotCheck;
    }
    kept = *std::move(parsed);
  }
  auto store = taskgate::store::OpenSqliteStore(cmd.verify_db, {});
  if (!store.ok()) {
    spdlog::error("cannot open {}: {}", cmd.verify_db,
                  std::string(store.status().message()));
    return kCannotCheck;
  }
  absl::StatusOr<taskgate::audit::VerifyReport> report =
      taskgate::workflow::VerifyStoredLog(**store, config.district_id, *key,
                                          kept);
  if (!report.ok()) {
    spdlog::error("cannot read the audit log: {}",
                  std::string(report.status().message()));
    return kCannotCheck;
  }
  std::cout << taskgate::audit::FormatVerifyReport(*report) << std::flush;
  return report->verified() ? EXIT_SUCCESS : EXIT_FAILURE;
}

// `taskgated --issue-admin-token PRINCIPAL --out FILE`: the recovery of a
// lost admin credential (services/admin_recovery.h). Exit 0 issued, 1 not,
// 2 for a usage error.
int IssueAdminToken(const CommandLine& cmd, const ServerConfig& config) {
  if (cmd.out.empty()) {
    spdlog::error(
        "--issue-admin-token needs --out FILE, the new file that receives the "
        "token's secret (it is never printed)");
    return 2;
  }
  taskgate::RealClock clock;
  absl::StatusOr<taskgate::services::RecoveredToken> issued =
      taskgate::services::IssueAdminTokenOffline(config, cmd.issue_admin_token,
                                                 cmd.out, clock);
  if (!issued.ok()) {
    return Fail("cannot issue the admin token", issued.status());
  }
  std::cout << "Issued token " << issued->token_id << " to admin "
            << issued->principal_id << "; its secret is in " << cmd.out
            << " (mode 0600). Recorded as audit event " << issued->seq
            << " (credential.issue); the next start signs it. Revoke the "
               "lost token once you are in.\n"
            << std::flush;
  return EXIT_SUCCESS;
}

int Run(int argc, char** argv) {
  // The database and its -wal and -shm files hold tasks, complaints and
  // token hashes: whatever taskgated creates (they, the folders above them,
  // key and head files) is its owner's alone, also outside systemd.
  umask(0077);
  CommandLine cmd;
  std::unique_ptr<CLI::App> app = MakeApp(cmd);
  // Flags over the file over the defaults, in one parse.
  taskgate::services::ServerFlags flags(*app);
  try {
    app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app->exit(e);
  }
  SetUpLogging("info");
  absl::StatusOr<ServerConfig> resolved = flags.Resolve(cmd.config_path);
  if (!resolved.ok()) return Fail("cannot load the config", resolved.status());
  ServerConfig config = *std::move(resolved);
  config.handle_signals = true;
  if (absl::Status valid = taskgate::services::ValidateServerConfig(config);
      !valid.ok()) {
    return Fail("bad configuration", valid);
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (!cmd.verify_db.empty()) return VerifyDb(cmd, config);
  if (!cmd.issue_admin_token.empty()) return IssueAdminToken(cmd, config);

  const std::filesystem::path db_dir =
      std::filesystem::path(config.db_path).parent_path();
  if (config.db_path != ":memory:" && !db_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(db_dir, ec);
    if (ec) {
      spdlog::error("cannot create directory {}: {}", db_dir.string(),
                    ec.message());
      return EXIT_FAILURE;
    }
  }
  // Held while serving, and released after the store is closed: the
  // offline commands that write the database refuse to run meanwhile.
  std::unique_ptr<taskgate::services::DatabaseLock> lock;
  if (!cmd.check_only) {
    absl::StatusOr<std::unique_ptr<taskgate::services::DatabaseLock>> locked =
        taskgate::services::DatabaseLock::Acquire(config.db_path);
    if (!locked.ok()) return Fail("cannot start", locked.status());
    lock = *std::move(locked);
  }
  taskgate::store::SqliteStoreOptions store_options;
  store_options.synchronous = config.synchronous;
  auto store = taskgate::store::OpenSqliteStore(config.db_path, store_options);
  if (!store.ok()) {
    return Fail("cannot open database " + config.db_path, store.status());
  }

  taskgate::RealClock clock;
  auto server = taskgate::services::Server::Create(config, {**store, clock});
  if (!server.ok()) return Fail("cannot prepare the server", server.status());
  auto district = (*store)->GetDistrict(config.district_id);
  auto events = (*store)->EventCount(config.district_id);
  spdlog::info(
      "database {} open (schema {}), district '{}' ({}), {} audit events",
      config.db_path, taskgate::store::SqliteSchemaVersion(),
      district.ok() ? district->name : "?", config.district_id,
      events.ok() ? *events : -1);

  if (std::optional<std::string> token = (*server)->bootstrap_admin_token()) {
    // A terminal is a person; anything else (a journal, a CI log) keeps
    // lines forever, so it gets only the path.
    if (::isatty(STDOUT_FILENO) == 1) {
      std::cout << "Initial admin token (shown once; also saved with mode "
                   "0600 in "
                << config.admin_token_file << "):\n  " << *token << "\n"
                << std::flush;
    } else {
      std::cout << "Initial admin token saved with mode 0600 in "
                << config.admin_token_file << "\n"
                << std::flush;
    }
  }
  if (cmd.check_only) return EXIT_SUCCESS;

  if (config.demo) {
    const std::string tokens_path =
        ((db_dir.empty() ? std::filesystem::path(".") : db_dir) /
         "demo-tokens.txt")
            .string();
    absl::StatusOr<bool> loaded =
        taskgate::services::LoadDemoData((*server)->engine(), tokens_path);
    if (!loaded.ok()) return Fail("cannot load the demo data", loaded.status());
    if (*loaded) {
      std::cout << "Demo data loaded; one token per demo principal is in "
                << tokens_path << "\n"
                << std::flush;
    } else {
      spdlog::info("demo data not loaded: the district already has a catalog");
    }
  }

  if (absl::Status started = (*server)->Start(); !started.ok()) {
    return Fail("cannot start", started);
  }
  const bool tls = !config.tls_cert_file.empty();
  if (absl::StatusOr<taskgate::services::HostPort> grpc =
          taskgate::services::ParseHostPort(config.grpc_address);
      !tls && grpc.ok() && !taskgate::services::IsLoopbackHost(grpc->host)) {
    // Validation let it through only because allow_insecure_remote is set.
    spdlog::warn(
        "gRPC on {} is plaintext beyond this machine (allow_insecure_remote): "
        "bearer tokens cross the network readable unless another layer "
        "protects them; configure tls_cert_file and tls_key_file instead",
        config.grpc_address);
  }
  spdlog::info(
      "taskgated running: gRPC on {} (port {}, {}), HTTP /healthz /metrics "
      "/public/v1 on {} (port {}); stop with Ctrl-C or SIGTERM",
      config.grpc_address, (*server)->grpc_port(),
      !tls ? "plaintext"
           : (config.tls_client_ca_file.empty() ? "TLS" : "mutual TLS"),
      config.http_address.empty() ? "-" : config.http_address,
      (*server)->http_port());
  (*server)->Wait();
  server->reset();  // joins every thread before the store closes
  store->reset();   // closes the database cleanly
  spdlog::info("stopped");
  return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return EXIT_FAILURE;
  }
}
