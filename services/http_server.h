// A small HTTP/1.1 listener (Boost.Beast) for operators and monitoring:
//   GET /healthz  200 "SERVING\n", or 503 "NOT_SERVING\n" while the server
//                 is starting or shutting down
//   GET /metrics  200, the Prometheus text exposition of `Metrics`
//   /public/...   whatever `HttpServerOptions::public_handler` answers (the
//                 public list, services/public_list.h), on a thread of its
//                 own; 404 without one
//   anything else 404 (405 for another method on a known path)
// One request per connection (Connection: close); a client that stalls is
// dropped after 10 s. At most `HttpServerOptions::max_connections` are served
// at once: the listener stops accepting at the cap and resumes when one ends,
// so the rest wait in the kernel's backlog and cost no descriptor. A failed
// accept (out of file descriptors, say) is retried after a delay that
// doubles up to about a second and resets on success, and is logged at most
// once per interval with the number not logged: the port never spins
// (issue 15, SPEC §9). Runs on a caller-owned `io_context` and never throws.
//
// Thread-safety: `Start` may be called from any thread; `Stop` and the
// destructor must run on the io_context's thread or while it is not running.
// `serving` is called on the io_context's thread and must be thread-safe;
// `metrics` must outlive the listener.
#ifndef TASKGATE_SERVICES_HTTP_SERVER_H_
#define TASKGATE_SERVICES_HTTP_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include "services/metrics.h"

namespace taskgate::services {

// A request the listener hands to a handler.
struct HttpRequestView {
  std::string method;  // "GET", "HEAD", ...
  // The path and query as sent, e.g. "/public/v1/communities?page_size=10".
  std::string target;
  // Who sent it, named as `SourceOf` (services/source_limiter.h) names a
  // gRPC caller: "ipv4:10.0.0.7", "ipv6:2001:db8::/64".
  std::string source;
};

// A handler's answer. The listener adds Server and Connection: close, and
// for a HEAD request sends the headers of the body without it.
struct HttpReply {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// How the listener bounds its work (see `HttpServer`).
struct HttpServerOptions {
  // The most connections served at once (at least 1).
  int max_connections = 256;
  // The wait after a failed accept, doubled after each further failure
  // up to `accept_backoff_max`; a successful accept resets it.
  std::chrono::milliseconds accept_backoff_initial{5};
  std::chrono::milliseconds accept_backoff_max{1000};
  // At most one "accept failed" line per interval.
  std::chrono::milliseconds accept_log_interval{10000};
  // For tests: called before each accept, on the io_context's thread (and
  // once by `Start`); an error it returns is taken as that accept's
  // failure, without touching the socket.
  std::function<boost::system::error_code()> accept_fault;
  // Answers every request whose path starts with "/public/", whatever its
  // method. It runs on `public_threads` threads of the listener's own, not
  // on the io_context's, so that anonymous readers never hold up /healthz,
  // /metrics or what else runs there, and use at most those threads;
  // requests beyond wait for them (each holding its connection, so at most
  // `max_connections` wait). Must be thread-safe when `public_threads` > 1
  // and must not throw; `Stop` waits for a call in progress. Unset: such
  // paths are 404.
  std::function<HttpReply(const HttpRequestView&)> public_handler;
  int public_threads = 1;
};

class HttpServer {
 public:
  // Binds `address` ("host:port"; port 0 picks a free one) and starts
  // accepting on `io`. INVALID_ARGUMENT for a malformed address or a
  // `max_connections` below 1; UNAVAILABLE when it cannot be resolved or
  // bound (e.g. the port is in use).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      boost::asio::io_context& io, const std::string& address,
      std::function<bool()> serving, const Metrics& metrics,
      HttpServerOptions options = {});

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  // The bound port.
  int port() const { return port_; }

  // Stops accepting; connections in progress finish, except those waiting
  // for the public handler, which are closed unanswered (a call in progress
  // is waited for). Idempotent.
  void Stop();

 private:
  struct Listener;
  HttpServer(std::shared_ptr<Listener> listener, int port);

  std::shared_ptr<Listener> listener_;
  int port_;
};

namespace http_internal {

// The wait before the next accept after consecutive failures: `initial`,
// doubled after each further failure, at most `max`. Not thread-safe.
class AcceptBackoff {
 public:
  AcceptBackoff(std::chrono::milliseconds initial,
                std::chrono::milliseconds max)
      : initial_(initial), max_(max) {}
  // Returns how long to wait after one more failure.
  std::chrono::milliseconds OnFailure();
  void OnSuccess() { next_ = std::chrono::milliseconds::zero(); }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds next_{0};
};

// Lets one report through per `interval` and counts the rest. Not
// thread-safe.
class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::steady_clock::duration interval)
      : interval_(interval) {}
  // Notes one event at `now`. Returns the number of events not reported
  // since the last report when this one is to be reported; nullopt when it
  // is to be counted only.
  std::optional<int64_t> Report(std::chrono::steady_clock::time_point now);

 private:
  std::chrono::steady_clock::duration interval_;
  std::optional<std::chrono::steady_clock::time_point> last_;
  int64_t unreported_ = 0;
};

}  // namespace http_internal

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_HTTP_SERVER_H_
