// A small HTTP/1.1 listener (Boost.Beast) for operators and monitoring:
//   GET /healthz  200 "SERVING\n", or 503 "NOT_SERVING\n" while the server
//                 is starting or shutting down
//   GET /metrics  200, the Prometheus text exposition of `Metrics`
//   anything else 404 (405 for another method on a known path)
// One request per connection (Connection: close); a client that stalls is
// dropped after 10 s. Runs on a caller-owned `io_context` and never throws.
//
// Thread-safety: `Start` may be called from any thread; `Stop` and the
// destructor must run on the io_context's thread or while it is not running.
// `serving` is called on the io_context's thread and must be thread-safe;
// `metrics` must outlive the listener.
#ifndef TASKGATE_SERVICES_HTTP_SERVER_H_
#define TASKGATE_SERVICES_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <boost/asio/io_context.hpp>

#include "services/metrics.h"

namespace taskgate::services {

class HttpServer {
 public:
  // Binds `address` ("host:port"; port 0 picks a free one) and starts
  // accepting on `io`. INVALID_ARGUMENT for a malformed address; UNAVAILABLE
  // when it cannot be resolved or bound (e.g. the port is in use).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      boost::asio::io_context& io, const std::string& address,
      std::function<bool()> serving, const Metrics& metrics);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  // The bound port.
  int port() const { return port_; }

  // Stops accepting; connections in progress finish. Idempotent.
  void Stop();

 private:
  struct Listener;
  HttpServer(std::shared_ptr<Listener> listener, int port);

  std::shared_ptr<Listener> listener_;
  int port_;
};

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_HTTP_SERVER_H_
