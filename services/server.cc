#include "services/server.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/clock.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/channel_arguments.h>
#include <spdlog/spdlog.h>

#include "common/safe_text.h"
#include "common/status_macros.h"
#include "services/auth.h"
#include "workflow/statistics_counters.h"

namespace taskgate::services {
namespace {

absl::StatusOr<std::string> ReadFile(const char* key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": cannot read '", path, "'"));
  }
  if (content.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": '", path, "' is missing or empty"));
  }
  return content;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(
    const ServerConfig& config) {
  if (config.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  TASKGATE_ASSIGN_OR_RETURN(std::string cert,
                            ReadFile("tls_cert_file", config.tls_cert_file));
  TASKGATE_ASSIGN_OR_RETURN(std::string key,
                            ReadFile("tls_key_file", config.tls_key_file));
  const bool mutual = !config.tls_client_ca_file.empty();
  grpc::SslServerCredentialsOptions options(
      mutual ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
             : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (mutual) {
    TASKGATE_ASSIGN_OR_RETURN(
        options.pem_root_certs,
        ReadFile("tls_client_ca_file", config.tls_client_ca_file));
  }
  options.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  return grpc::SslServerCredentials(options);
}

// The HTTP connection cap: `configured`, but at most a quarter of the
// process's file descriptor limit, so that idle HTTP clients can never take
// the descriptors gRPC and the database need (issue 15).
int HttpConnectionCap(int configured) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 ||
      limit.rlim_cur == RLIM_INFINITY) {
    return configured;
  }
  const auto quarter =
      static_cast<int>(std::max<rlim_t>(1, limit.rlim_cur / 4));
  if (quarter >= configured) return configured;
  spdlog::info(
      "http: serving at most {} connections at once, a quarter of the {} "
      "file descriptors the process may open (http_max_connections is {})",
      quarter, limit.rlim_cur, configured);
  return quarter;
}

std::chrono::steady_clock::duration ToSteady(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

}  // namespace

absl::Status WriteSecretFile(const std::string& path,
                             const std::string& content) {
  const std::filesystem::path parent =
      std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create directory '", parent.string(), "': ", ec.message()));
  }
  const int fd = ::open(path.c_str(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                        S_IRUSR | S_IWUSR);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write '", path, "': ", std::strerror(errno)));
  }
  bool ok = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0;
  size_t done = 0;
  while (ok && done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!ok) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot write '", path, "': ", std::strerror(saved_errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(ServerConfig config,
                                                       ServerDeps deps) {
  TASKGATE_ASSIGN_OR_RETURN(workflow::EngineOptions options,
                            ToEngineOptions(config));
  bool key_created = false;
  absl::StatusOr<audit::SigningKey> key =
      audit::SigningKey::LoadOrCreate(SigningKeyPath(config), &key_created);
  if (!key.ok()) {
    return absl::Status(
        key.status().code(),
        absl::StrCat("signing_key_file: ", key.status().message()));
  }
  if (key_created) {
    spdlog::info(
        "created the audit signing key {} (key id {}); give auditors its "
        "public key: taskgate audit pubkey",
        SigningKeyPath(config), key->KeyId());
  }
  auto head_file = std::make_unique<HeadFile>(SigningKeyPath(config) + ".head");
  TASKGATE_ASSIGN_OR_RETURN(
      std::unique_ptr<workflow::AuditLedger> ledger,
      workflow::AuditLedger::Create(
          deps.store, deps.clock, *std::move(key),
          {.district_id = config.district_id,
           .every_events = config.checkpoint_every_events,
           .interval = absl::Seconds(config.checkpoint_interval_seconds)},
          head_file.get()));
  if (std::optional<std::string> refused = ledger->signing_refused()) {
    spdlog::error("audit log: {}; no checkpoint will be signed",
                  EscapeForLog(*refused));
  }
  std::unique_ptr<Server> server(
      new Server(std::move(config), deps, std::move(options),
                 std::move(head_file), std::move(ledger)));
  absl::StatusOr<domain::District> district =
      server->engine_->directory().EnsureDistrict(
          server->config_.district_name);
  if (!district.ok()) return district.status();
  TASKGATE_RETURN_IF_ERROR(server->SeedCalendar());
  // A database from before departments and streets were resources gets
  // them once, from the ids and street names it holds, as an audited change.
  TASKGATE_ASSIGN_OR_RETURN(const int64_t migrated,
                            server->engine_->directory().MigrateReferences());
  if (migrated > 0) {
    spdlog::info(
        "departments and streets: {} departments, streets and communities "
        "written from the stored ids and street names (migration 15); "
        "rename them with taskgate admin department put / street put",
        migrated);
  }
  TASKGATE_RETURN_IF_ERROR(server->BootstrapAdmin());
  // A database from before the statistics counters gets them once, from its
  // log, before the first request reads them.
  TASKGATE_RETURN_IF_ERROR(workflow::RebuildCountersIfMissing(
      server->engine_->writer(), deps.clock, server->engine_->options()));
  return server;
}

Server::Server(ServerConfig config, ServerDeps deps,
               workflow::EngineOptions options,
               std::unique_ptr<HeadFile> head_file,
               std::unique_ptr<workflow::AuditLedger> ledger)
    : config_(std::move(config)),
      clock_(deps.clock),
      engine_(std::make_unique<workflow::Engine>(deps.store, deps.clock,
                                                 std::move(options))),
      head_file_(std::move(head_file)),
      ledger_(std::move(ledger)),
      event_feed_(std::make_unique<workflow::EventFeed>(
          deps.store, engine_->recorder(), config_.district_id)),
      event_hub_(std::make_unique<EventHub>(
          metrics_,
          EventHub::Options{
              .heartbeat = absl::Milliseconds(config_.watch_heartbeat_ms),
              .max_followers = config_.watch_max_followers},
          deps.store.EventCount(config_.district_id).value_or(0))),
      audit_reader_(std::make_unique<workflow::AuditReader>(
          deps.store, *ledger_, engine_->recorder(), deps.clock,
          engine_->options())),
      limiter_(deps.clock, {.burst = config_.unauthenticated_burst,
                            .per_minute = config_.unauthenticated_per_minute}),
      // The same bound for log lines of requests that do not parse.
      unparseable_log_(deps.clock,
                       {.burst = config_.unauthenticated_burst,
                        .per_minute = config_.unauthenticated_per_minute}),
      public_reads_(engine_->public_list(), deps.clock, metrics_,
                    {.burst = config_.public_burst,
                     .per_minute = config_.public_per_minute}),
      api_context_{
          *engine_,
          *audit_reader_,
          *ledger_,
          deps.clock,
          metrics_,
          limiter_,
          unparseable_log_,
          public_reads_,
          !config_.tls_cert_file.empty() && !config_.tls_client_ca_file.empty(),
          event_hub_.get(),
          event_feed_.get()} {
  engine_->writer().SetListener(&ledger_feed_);
}

Server::~Server() {
  Shutdown(absl::ZeroDuration());
  if (signal_shutdown_thread_.joinable()) signal_shutdown_thread_.join();
  engine_->writer().SetListener(nullptr);
}

void Server::LedgerFeed::Committed(
    const std::vector<store::AppendedEvent>& appended) {
  // The tree also catches up from the store on its next read, so a failure
  // here delays nothing but is worth knowing about.
  if (absl::Status s = ledger_.Append(appended); !s.ok()) {
    spdlog::warn("audit ledger could not take the batch's events: {}",
                 EscapeForLog(s.ToString()));
  }
  if (!appended.empty()) hub_.Committed(appended.back().seq);
}

void Server::LedgerFeed::Answered() {
  absl::StatusOr<std::optional<audit::Checkpoint>> signed_now =
      ledger_.MaybeCheckpoint(false);
  if (!signed_now.ok()) {
    spdlog::warn("cannot sign an audit checkpoint: {}",
                 EscapeForLog(signed_now.status().ToString()));
  } else if (signed_now->has_value()) {
    spdlog::info("signed audit checkpoint: size {}", (*signed_now)->tree_size);
  }
}

absl::Status Server::SeedCalendar() {
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::CalendarYear> seeded,
                            engine_->calendars().SeedIfEmpty());
  if (!seeded.empty()) {
    std::vector<std::string> years;
    for (const domain::CalendarYear& c : seeded) {
      years.push_back(absl::StrCat(c.year));
    }
    spdlog::info(
        "working-day calendar: the configured holidays are stored as the "
        "calendar of {}; publish changes and make-up working days (调休) "
        "with taskgate admin calendar publish",
        absl::StrJoin(years, ", "));
  } else if (!config_.holidays.empty()) {
    spdlog::info(
        "working-day calendar: the configured holidays were only the "
        "initial calendar; the published calendar is in force "
        "(taskgate admin calendar list)");
  }
  return absl::OkStatus();
}

absl::Status Server::BootstrapAdmin() {
  TASKGATE_ASSIGN_OR_RETURN(const bool has_principals,
                            engine_->principals().HasPrincipals());
  if (has_principals) return absl::OkStatus();

  TASKGATE_ASSIGN_OR_RETURN(std::string secret, NewTokenSecret());
  TASKGATE_ASSIGN_OR_RETURN(std::string token_id, NewTokenId());
  // The secret reaches the disk before the database knows its hash, so a
  // failure in between can never leave an admin nobody can log in as.
  const std::string& path = config_.admin_token_file;
  const std::string staging = path + ".new";
  TASKGATE_RETURN_IF_ERROR(WriteSecretFile(staging, secret + "\n"));
  absl::StatusOr<std::optional<domain::Credential>> created =
      engine_->principals().BootstrapAdmin(token_id, HashToken(secret));
  std::error_code ec;
  if (!created.ok() || !created->has_value()) {
    std::filesystem::remove(staging, ec);
    return created.status();  // OK when another process bootstrapped first
  }
  std::filesystem::rename(staging, path, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the initial admin token was created but could not be moved from '",
        staging, "' to '", path, "' (", ec.message(),
        "); take it from the former"));
  }
  bootstrap_admin_token_ = std::move(secret);
  spdlog::info(
      "created the initial admin principal 'admin' with token id {}; the "
      "secret is in {} (mode 0600)",
      token_id, path);
  return absl::OkStatus();
}

absl::Status Server::Start() {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kCreated) {
    return absl::FailedPreconditionError(
        "the server was already started or shut down; create a new one");
  }
  TASKGATE_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> creds,
                            MakeCredentials(config_));

  // Both are process-wide switches read when a server is built.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.grpc_address, creds, &grpc_port_);
  builder.SetMaxReceiveMessageSize(config_.max_message_bytes);
  builder.SetMaxSendMessageSize(config_.max_message_bytes);
  services_ = MakeApiServices(api_context_);
  for (const std::unique_ptr<grpc::Service>& service : services_) {
    builder.RegisterService(service.get());
  }
  grpc_server_ = builder.BuildAndStart();
  if (grpc_server_ == nullptr || grpc_port_ == 0) {
    grpc_server_.reset();
    state_ = State::kStopped;
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on '", config_.grpc_address,
                     "'; is the port in use or the address not local?"));
  }

  if (!config_.http_address.empty()) {
    HttpServerOptions http_options;
    http_options.max_connections =
        HttpConnectionCap(config_.http_max_connections);
    http_options.public_handler = [this](const HttpRequestView& request) {
      return public_reads_.ServeHttp(request);
    };
    absl::StatusOr<std::unique_ptr<HttpServer>> http = HttpServer::Start(
        io_, config_.http_address, [this] { return serving_.load(); }, metrics_,
        std::move(http_options));
    if (!http.ok()) {
      grpc_server_->Shutdown();
      grpc_server_->Wait();
      state_ = State::kStopped;
      return http.status();
    }
    http_ = *std::move(http);
    http_port_ = http_->port();
  }

  timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  ArmTimer(absl::ZeroDuration());  // catch up at once after downtime
  if (config_.handle_signals) {
    signals_ = std::make_unique<boost::asio::signal_set>(io_, SIGINT, SIGTERM);
    signals_->async_wait(
        [this](const boost::system::error_code& ec, int signo) {
          if (!ec) OnSignal(signo);
        });
  }

  serving_ = true;
  if (grpc::HealthCheckServiceInterface* health =
          grpc_server_->GetHealthCheckService()) {
    health->SetServingStatus(true);
  }
  io_thread_ = std::thread([this] {
    // Handlers report errors by status; this only guards against a throw
    // from a library so that the timer and HTTP keep running.
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("io thread: unexpected exception: {}", e.what());
      }
    }
  });
  state_ = State::kRunning;
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> Server::InProcessChannel() {
  absl::MutexLock lock(&mu_);
  if (grpc_server_ == nullptr) return nullptr;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(config_.max_message_bytes);
  args.SetMaxSendMessageSize(config_.max_message_bytes);
  return grpc_server_->InProcessChannel(args);
}

absl::Status Server::TickNow() {
  absl::MutexLock lock(&tick_mu_);
  TASKGATE_ASSIGN_OR_RETURN(workflow::TickResult result,
                            engine_->timers().OnTick(clock_.Now()));
  if (result.escalated > 0 || result.completed > 0 || result.conflicts > 0) {
    spdlog::info(
        "tick: escalated={} completed={} conflicts={} (conflicts retry on the "
        "next tick)",
        result.escalated, result.completed, result.conflicts);
  }
  if (result.requests_expired > 0) {
    spdlog::debug("tick: dropped {} idempotency records past the retention",
                  result.requests_expired);
  }
  FlushRefusals(api_context_, false);
  TASKGATE_ASSIGN_OR_RETURN(std::optional<audit::Checkpoint> signed_now,
                            ledger_->MaybeCheckpoint(false));
  if (signed_now.has_value()) {
    spdlog::info("signed audit checkpoint: size {} root {}",
                 signed_now->tree_size, audit::ToHex(signed_now->root_hash));
  }
  return UpdateGauges();
}

absl::Status Server::UpdateGauges() {
  TASKGATE_ASSIGN_OR_RETURN(workflow::ReviewQueueStats queue,
                            engine_->queries().GetReviewQueueStats());
  metrics_.SetQueueDepth(queue.depth);
  metrics_.SetOverdue(queue.overdue);
  TASKGATE_ASSIGN_OR_RETURN(workflow::AuditLedger::Coverage coverage,
                            ledger_->GetCoverage());
  metrics_.SetAuditLog(
      coverage.events,
      std::max<int64_t>(0, coverage.events - coverage.signed_events),
      ledger_->signing_refused().has_value());
  return absl::OkStatus();
}

void Server::ArmTimer(absl::Duration delay) {
  timer_->expires_after(ToSteady(delay));
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) OnTimer();
  });
}

void Server::OnTimer() {
  if (absl::Status status = TickNow(); !status.ok()) {
    spdlog::warn("tick failed, retrying later: {}",
                 EscapeForLog(status.ToString()));
  }
  ArmTimer(NextTickDelay());
}

absl::Duration Server::NextTickDelay() {
  const absl::Duration longest = absl::Seconds(config_.tick_interval_seconds);
  absl::StatusOr<std::optional<absl::Time>> next =
      engine_->timers().NextDeadline();
  if (!next.ok()) {
    spdlog::warn("cannot read the next workflow deadline: {}",
                 EscapeForLog(next.status().ToString()));
    return longest;
  }
  const absl::Time due =
      std::min({next->value_or(absl::InfiniteFuture()), ledger_->NextDue(),
                engine_->recorder().NextRefusalFlush().value_or(
                    absl::InfiniteFuture())});
  // The deadline is on the injected clock; the steady timer only measures
  // the wait, and the tick re-reads the clock, so drift costs one short wait.
  return std::clamp(due - clock_.Now(), absl::Seconds(1), longest);
}

void Server::OnSignal(int signo) {
  spdlog::info("signal {} received, shutting down", signo);
  // Shutdown joins the io thread, so it cannot run on it.
  signal_shutdown_thread_ =
      std::thread([this] { Shutdown(absl::Seconds(10)); });
}

void Server::Shutdown(absl::Duration deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (state_ == State::kCreated) {
      state_ = State::kStopped;
      return;
    }
    if (state_ != State::kRunning) {
      mu_.Await(absl::Condition(this, &Server::IsStopped));
      return;
    }
    state_ = State::kStopping;
  }
  spdlog::info("shutting down: health NOT_SERVING, in-flight calls have {}",
               absl::FormatDuration(deadline));
  serving_ = false;
  if (grpc::HealthCheckServiceInterface* health =
          grpc_server_->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  // Streams following events never end by themselves: they end now
  // (UNAVAILABLE, saying the seq to resume from), and new ones are refused.
  event_hub_->Close();
  // gRPC deadlines are wall-clock times.
  grpc_server_->Shutdown(std::chrono::system_clock::now() +
                         absl::ToChronoNanoseconds(deadline));
  grpc_server_->Wait();
  io_.stop();
  if (io_thread_.joinable()) io_thread_.join();
  // No call comes any more: the refusals still counted get their events
  // before the last checkpoint covers them.
  FlushRefusals(api_context_, true);
  // Nothing writes any more: the last events get their checkpoint.
  if (absl::StatusOr<std::optional<audit::Checkpoint>> last =
          ledger_->MaybeCheckpoint(true);
      !last.ok()) {
    spdlog::error("cannot sign the shutdown checkpoint: {}",
                  EscapeForLog(last.status().ToString()));
  } else if (last->has_value()) {
    spdlog::info("signed audit checkpoint at shutdown: size {}",
                 (*last)->tree_size);
  }
  // The io thread is gone: these can be closed from here.
  boost::system::error_code ignored;
  if (signals_ != nullptr) signals_->cancel(ignored);
  if (http_ != nullptr) http_->Stop();
  absl::MutexLock lock(&mu_);
  state_ = State::kStopped;
}

void Server::Wait() {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kCreated) return;
  mu_.Await(absl::Condition(this, &Server::IsStopped));
}

bool Server::IsStopped() const { return state_ == State::kStopped; }

}  // namespace taskgate::services
