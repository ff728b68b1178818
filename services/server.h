// `Server`: the wiring of `taskgated`. It owns the workflow engine, the audit
// ledger (with its head file beside the signing key) and reader, the gRPC
// server (callback services of services/api.h, grpc.health.v1, server
// reflection, optional TLS or mutual TLS), and an Asio io_context on its own
// thread holding the HTTP listener (/healthz, /metrics, the public list under
// /public/v1/), the workflow timer
// (a steady_timer driving `Timers::OnTick`) and, when configured, a
// signal_set that shuts the server down on SIGINT/SIGTERM.
//
// Life: `Create` (prepares the district, its initial calendar and the first
// admin credential) -> `Start` -> ... -> `Shutdown` (or a signal) -> `Wait`
// returns. Tests use the same path with port 0, a temporary SQLite file and a
// fake clock, and drive the timer with `TickNow`.
//
// Thread-safety: all methods may be called from any thread; `Start` once.
// `deps.store` and `deps.clock` must outlive the server.
#ifndef TASKGATE_SERVICES_SERVER_H_
#define TASKGATE_SERVICES_SERVER_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <grpcpp/channel.h>
#include <grpcpp/server.h>

#include "common/clock.h"
#include "services/api.h"
#include "services/config.h"
#include "services/event_hub.h"
#include "services/head_file.h"
#include "services/http_server.h"
#include "services/metrics.h"
#include "services/public_list.h"
#include "store/store.h"
#include "workflow/audit_ledger.h"
#include "workflow/audit_reader.h"
#include "workflow/engine.h"
#include "workflow/event_feed.h"

namespace taskgate::services {

struct ServerDeps {
  store::Store& store;
  const Clock& clock;
};

class Server {
 public:
  // Validates `config`, builds the engine, creates the district on first
  // start, stores the configured holidays as the initial working-day
  // calendar when no calendar is stored yet and, when the district has no
  // principal yet, the initial admin:
  // principal "admin" with a fresh token whose secret is written (alone, on
  // one line) to `config.admin_token_file` with mode 0600, creating its
  // directory. The secret is never logged. Errors: INVALID_ARGUMENT for a
  // bad config; the store's errors; INTERNAL when the token file cannot be
  // written (nothing is created then).
  static absl::StatusOr<std::unique_ptr<Server>> Create(ServerConfig config,
                                                        ServerDeps deps);

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Shuts down at once if still running.
  ~Server();

  // Starts listening and serving; health becomes SERVING. UNAVAILABLE when
  // an address cannot be bound; INVALID_ARGUMENT for unreadable TLS files;
  // FAILED_PRECONDITION when called twice or after `Shutdown`. On error
  // nothing keeps running.
  absl::Status Start();

  // The bound ports (meaningful after `Start`; 0 when HTTP is disabled).
  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }

  // A channel to the running server that bypasses the network (and TLS):
  // the tests' way in. Requires `Start`.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Runs the workflow timer's work now: `OnTick(clock.Now())`, writes the
  // aggregated events of refused calls whose interval has ended, then
  // updates the queue-depth and overdue gauges. Serialized with the timer.
  absl::Status TickNow();

  // Graceful shutdown: health NOT_SERVING, no new calls, in-flight calls get
  // until `deadline` to finish (then are cancelled), the refused calls still
  // counted are written (their aggregated events), timer and HTTP stop, the
  // io thread is joined. Idempotent; a concurrent or later call waits for
  // the first to finish.
  void Shutdown(absl::Duration deadline);

  // Blocks until the server has shut down (by `Shutdown` or a signal).
  // Returns at once if it was never started.
  void Wait();

  workflow::Engine& engine() { return *engine_; }
  workflow::AuditLedger& ledger() { return *ledger_; }
  Metrics& metrics() { return metrics_; }
  const ServerConfig& config() const { return config_; }

  // The initial admin token created by `Create`, or nullopt when the
  // district already had principals.
  std::optional<std::string> bootstrap_admin_token() const {
    return bootstrap_admin_token_;
  }

  // True between `Start` and `Shutdown`.
  bool serving() const { return serving_.load(); }

 private:
  enum class State { kCreated, kRunning, kStopping, kStopped };

  Server(ServerConfig config, ServerDeps deps, workflow::EngineOptions options,
         std::unique_ptr<HeadFile> head_file,
         std::unique_ptr<workflow::AuditLedger> ledger);

  // Feeds the ledger from the district's writer: each committed batch's
  // leaf hashes go into the Merkle tree before its replies, and a
  // checkpoint that came due is signed after them, off the request path.
  // The event hub hears of the new head (it only posts, never waits).
  class LedgerFeed final : public workflow::CommitListener {
   public:
    LedgerFeed(workflow::AuditLedger& ledger, EventHub& hub)
        : ledger_(ledger), hub_(hub) {}
    void Committed(const std::vector<store::AppendedEvent>& appended) override;
    void Answered() override;

   private:
    workflow::AuditLedger& ledger_;
    EventHub& hub_;
  };

  // Stores the configured holidays as the initial calendar when none is
  // stored yet (workflow/calendars.h `SeedIfEmpty`), and says so.
  absl::Status SeedCalendar();
  absl::Status BootstrapAdmin();
  absl::Status UpdateGauges();
  // Runs on the io thread.
  void ArmTimer(absl::Duration delay);
  void OnTimer();
  absl::Duration NextTickDelay();
  void OnSignal(int signo);
  bool IsStopped() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const ServerConfig config_;
  const Clock& clock_;
  Metrics metrics_;
  std::unique_ptr<workflow::Engine> engine_;
  // Declared before the ledger, which keeps its checkpoints through it.
  std::unique_ptr<HeadFile> head_file_;
  std::unique_ptr<workflow::AuditLedger> ledger_;
  // The streams following events; `Shutdown` closes it before the gRPC
  // server waits for its calls, so that no stream holds the shutdown up.
  std::unique_ptr<workflow::EventFeed> event_feed_;
  std::unique_ptr<EventHub> event_hub_;
  // Unset from the writer in ~Server.
  LedgerFeed ledger_feed_{*ledger_, *event_hub_};
  std::unique_ptr<workflow::AuditReader> audit_reader_;
  SourceLimiter limiter_;
  SourceLimiter unparseable_log_;
  PublicReads public_reads_;
  ApiContext api_context_;
  std::optional<std::string> bootstrap_admin_token_;

  // Declared before `grpc_server_`: the services must outlive it.
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int grpc_port_ = 0;
  int http_port_ = 0;
  std::atomic<bool> serving_{false};

  // Declared before what runs on it, so those are destroyed first.
  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::thread io_thread_;
  // Started by a signal, so that the shutdown (which joins the io thread)
  // does not run on the io thread; joined by the destructor.
  std::thread signal_shutdown_thread_;

  absl::Mutex tick_mu_;  // one tick at a time, timer or `TickNow`

  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kCreated;
};

// Writes `content` to `path` so that only its owner can read it: mode 0600
// (forced on an existing file), parent directories created, synced before
// returning. FAILED_PRECONDITION naming the path when it cannot.
absl::Status WriteSecretFile(const std::string& path,
                             const std::string& content);

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_SERVER_H_
