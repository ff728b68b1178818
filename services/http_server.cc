#include "services/http_server.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <absl/base/thread_annotations.h>
#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "services/config.h"
#include "services/source_limiter.h"

namespace taskgate::services {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(10);
constexpr char kMetricsContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";
constexpr char kTextContentType[] = "text/plain; charset=utf-8";

// Runs `work` on the public list's thread; false, running nothing, once
// the listener has stopped.
using Dispatch = std::function<bool(std::function<void()> work)>;

// One connection: read one request, answer it, close. Owns itself through
// the shared_ptr its handlers hold. A request under /public/ is answered by
// `public_handler` on the thread `dispatch` runs work on; the reply is then
// written from the session's own executor again.
// `on_close` runs when the session is gone, from whatever thread drops it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(
      tcp::socket socket, std::function<bool()> serving, const Metrics& metrics,
      const std::function<HttpReply(const HttpRequestView&)>* public_handler,
      Dispatch dispatch, std::function<void()> on_close)
      : stream_(std::move(socket)),
        serving_(std::move(serving)),
        metrics_(metrics),
        public_handler_(public_handler),
        dispatch_(std::move(dispatch)),
        on_close_(std::move(on_close)) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() {
    if (on_close_) on_close_();
  }

  void Run() {
    stream_.expires_after(kIoTimeout);
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) {
      if (ec != http::error::end_of_stream) {
        spdlog::debug("http: read failed: {}", ec.message());
      }
      Close();
      return;
    }
    const std::string target(request_.target());
    if (public_handler_ != nullptr && *public_handler_ &&
        target.starts_with("/public/")) {
      HttpRequestView view{.method = std::string(request_.method_string()),
                           .target = target,
                           .source = Source()};
      // Off the io_context's thread: an anonymous reader's page never holds
      // up /healthz, /metrics or the workflow timer.
      const bool queued =
          dispatch_([self = shared_from_this(), view = std::move(view)]() {
            HttpReply reply = (*self->public_handler_)(view);
            asio::post(self->stream_.get_executor(),
                       [self, reply = std::move(reply)]() mutable {
                         self->Begin();
                         self->Use(std::move(reply));
                         self->Write();
                       });
          });
      if (!queued) {
        Begin();
        response_.result(http::status::service_unavailable);
        response_.body() = "shutting down\n";
        Write();
      }
      return;
    }
    Begin();
    Answer();
    Write();
  }

  // Sends `response_` and closes.
  void Write() {
    response_.prepare_payload();
    if (request_.method() == http::verb::head) response_.body().clear();
    stream_.expires_after(kIoTimeout);
    http::async_write(
        stream_, response_,
        [self = shared_from_this()](beast::error_code write_ec, size_t) {
          if (write_ec) {
            spdlog::debug("http: write failed: {}", write_ec.message());
          }
          self->Close();
        });
  }

  // The caller's address as `SourceOf` names a gRPC peer, so that both
  // ways in share one rate-limit bucket per address.
  std::string Source() {
    beast::error_code ec;
    const tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    if (ec) return "unknown";
    const asio::ip::address address = remote.address();
    if (address.is_v4()) {
      return SourceOf(
          absl::StrCat("ipv4:", address.to_string(), ":", remote.port()));
    }
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      return SourceOf(absl::StrCat(
          "ipv4:",
          asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6())
              .to_string(),
          ":", remote.port()));
    }
    return SourceOf(
        absl::StrCat("ipv6:[", address.to_string(), "]:", remote.port()));
  }

  // What every answer carries.
  void Begin() {
    response_.version(request_.version());
    response_.keep_alive(false);
    response_.set(http::field::server, "taskgated");
    response_.set(http::field::content_type, kTextContentType);
  }

  // A handler's reply as the response.
  void Use(HttpReply reply) {
    response_.result(static_cast<unsigned>(reply.status));
    response_.set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) {
      response_.set(name, value);
    }
    response_.body() = std::move(reply.body);
  }

  // The listener's own paths.
  void Answer() {
    const std::string target(request_.target());
    const std::string path = target.substr(0, target.find('?'));
    const bool known = path == "/healthz" || path == "/metrics";
    const bool readable = request_.method() == http::verb::get ||
                          request_.method() == http::verb::head;
    if (!known) {
      response_.result(http::status::not_found);
      response_.body() = public_handler_ != nullptr && *public_handler_
                             ? "not found; try /healthz, /metrics or "
                               "/public/v1/communities\n"
                             : "not found; try /healthz or /metrics\n";
    } else if (!readable) {
      response_.result(http::status::method_not_allowed);
      response_.set(http::field::allow, "GET, HEAD");
      response_.body() = "method not allowed; use GET\n";
    } else if (path == "/healthz") {
      const bool serving = serving_();
      response_.result(serving ? http::status::ok
                               : http::status::service_unavailable);
      response_.body() = serving ? "SERVING\n" : "NOT_SERVING\n";
    } else {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, kMetricsContentType);
      response_.body() = metrics_.Serialize();
    }
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  std::function<bool()> serving_;
  const Metrics& metrics_;
  // The listener's options hold it; the listener outlives its sessions
  // (`on_close` keeps it alive).
  const std::function<HttpReply(const HttpRequestView&)>* public_handler_;
  Dispatch dispatch_;
  std::function<void()> on_close_;
};

}  // namespace

namespace http_internal {

std::chrono::milliseconds AcceptBackoff::OnFailure() {
  next_ = next_ == std::chrono::milliseconds::zero()
              ? initial_
              : std::min(next_ * 2, max_);
  return std::min(next_, max_);
}

std::optional<int64_t> LogLimiter::Report(
    std::chrono::steady_clock::time_point now) {
  if (last_.has_value() && now - *last_ < interval_) {
    ++unreported_;
    return std::nullopt;
  }
  last_ = now;
  const int64_t unreported = unreported_;
  unreported_ = 0;
  return unreported;
}

}  // namespace http_internal

// The acceptor and its loop; shared with the pending accept handler, the
// backoff timer and every session, so a handler that runs after `Stop`
// finds a closed acceptor, never a dangling one. The acceptor and the timer
// are used on `strand` only; the connection count and the public list's
// thread under `mu`.
struct HttpServer::Listener : std::enable_shared_from_this<Listener> {
  Listener(asio::io_context& io, std::function<bool()> serving_fn,
           const Metrics& metrics_ref, HttpServerOptions options_in)
      : io_context(io),
        strand(asio::make_strand(io)),
        acceptor(strand),
        backoff_timer(strand),
        serving(std::move(serving_fn)),
        metrics(metrics_ref),
        options(std::move(options_in)),
        backoff(options.accept_backoff_initial, options.accept_backoff_max),
        failure_log(options.accept_log_interval) {
    if (options.public_handler) {
      absl::MutexLock lock(&mu);
      public_pool = std::make_unique<asio::thread_pool>(
          static_cast<size_t>(std::max(1, options.public_threads)));
    }
  }

  void Accept() {
    if (!acceptor.is_open()) return;  // stopped
    if (options.accept_fault) {
      if (const beast::error_code ec = options.accept_fault(); ec) {
        asio::post(strand, [self = shared_from_this(), ec] {
          self->OnAccept(ec, tcp::socket(self->io_context));
        });
        return;
      }
    }
    acceptor.async_accept(
        asio::make_strand(io_context),
        [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
          self->OnAccept(ec, std::move(socket));
        });
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
      return;  // stopped
    }
    if (ec) {
      // Retrying at once would spin while the cause lasts (no descriptors
      // left, say): wait, longer after each failure.
      const std::chrono::milliseconds delay = backoff.OnFailure();
      if (const std::optional<int64_t> unreported =
              failure_log.Report(std::chrono::steady_clock::now())) {
        spdlog::warn(
            "http: accept failed: {}; retrying in {} ms ({} more failures "
            "since the last report)",
            ec.message(), delay.count(), *unreported);
      }
      backoff_timer.expires_after(delay);
      backoff_timer.async_wait(
          [self = shared_from_this()](beast::error_code wait_ec) {
            if (!wait_ec) self->Accept();
          });
      return;
    }
    backoff.OnSuccess();
    bool at_cap = false;
    {
      absl::MutexLock lock(&mu);
      ++open;
      at_cap = open >= options.max_connections;
      paused = at_cap;
    }
    std::make_shared<Session>(
        std::move(socket), serving, metrics, &options.public_handler,
        [self = shared_from_this()](std::function<void()> work) {
          return self->Dispatch(std::move(work));
        },
        [self = shared_from_this()] { self->Release(); })
        ->Run();
    // At the cap the next connection waits in the backlog until a session
    // ends (`Release`).
    if (!at_cap) Accept();
  }

  // A session ended: resume accepting if the cap had stopped it.
  void Release() {
    bool resume = false;
    {
      absl::MutexLock lock(&mu);
      --open;
      resume = paused && !stopped;
      if (resume) paused = false;
    }
    if (resume) {
      asio::post(strand, [self = shared_from_this()] { self->Accept(); });
    }
  }

  // Queues `work` on the public list's thread unless stopped.
  bool Dispatch(std::function<void()> work) {
    absl::MutexLock lock(&mu);
    if (stopped || public_pool == nullptr) return false;
    asio::post(*public_pool, std::move(work));
    return true;
  }

  void Stop() {
    std::unique_ptr<asio::thread_pool> pool;
    {
      absl::MutexLock lock(&mu);
      stopped = true;
      pool = std::move(public_pool);
    }
    beast::error_code ec;
    acceptor.close(ec);
    backoff_timer.cancel();
    if (pool != nullptr) {
      // A read in progress finishes; queued ones are dropped with their
      // connections (destroying the pool destroys them, outside `mu`,
      // which their sessions' `Release` takes).
      pool->stop();
      pool->join();
    }
  }

  asio::io_context& io_context;
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  asio::steady_timer backoff_timer;
  std::function<bool()> serving;
  const Metrics& metrics;
  const HttpServerOptions options;
  http_internal::AcceptBackoff backoff;
  http_internal::LogLimiter failure_log;

  absl::Mutex mu;
  int open ABSL_GUARDED_BY(mu) = 0;         // sessions alive
  bool paused ABSL_GUARDED_BY(mu) = false;  // no accept pending: at the cap
  bool stopped ABSL_GUARDED_BY(mu) = false;
  // Runs the public list's handler; null without one, and after `Stop`.
  std::unique_ptr<asio::thread_pool> public_pool ABSL_GUARDED_BY(mu);
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    asio::io_context& io, const std::string& address,
    std::function<bool()> serving, const Metrics& metrics,
    HttpServerOptions options) {
  absl::StatusOr<HostPort> host_port = ParseHostPort(address);
  if (!host_port.ok()) return host_port.status();
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("the HTTP listener needs max_connections of at least 1, "
                     "not ",
                     options.max_connections));
  }

  beast::error_code ec;
  tcp::resolver resolver(io);
  const tcp::resolver::results_type endpoints = resolver.resolve(
      host_port->host, std::to_string(host_port->port),
      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "cannot resolve the HTTP address '", address, "': ", ec.message()));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();

  auto listener = std::make_shared<Listener>(io, std::move(serving), metrics,
                                             std::move(options));
  tcp::acceptor& acceptor = listener->acceptor;
  const auto fail = [&](const char* what) {
    return absl::UnavailableError(absl::StrCat(
        "cannot ", what, " the HTTP address '", address, "': ", ec.message()));
  };
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail("open");
  // A restart must not wait for the previous process's TIME_WAIT sockets.
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return fail("configure");
  }
  if (acceptor.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return fail("listen on");
  }
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return fail("read the port of");
  listener->Accept();
  return std::unique_ptr<HttpServer>(
      new HttpServer(std::move(listener), bound.port()));
}

HttpServer::HttpServer(std::shared_ptr<Listener> listener, int port)
    : listener_(std::move(listener)), port_(port) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() { listener_->Stop(); }

}  // namespace taskgate::services
