#include "services/http_server.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "services/config.h"

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

// One connection: read one request, answer it, close. Owns itself through
// the shared_ptr its handlers hold.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::function<bool()> serving,
          const Metrics& metrics)
      : stream_(std::move(socket)),
        serving_(std::move(serving)),
        metrics_(metrics) {}

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
    Answer();
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

  void Answer() {
    const std::string target(request_.target());
    const std::string path = target.substr(0, target.find('?'));
    const bool known = path == "/healthz" || path == "/metrics";
    const bool readable = request_.method() == http::verb::get ||
                          request_.method() == http::verb::head;
    response_.version(request_.version());
    response_.keep_alive(false);
    response_.set(http::field::server, "taskgated");
    response_.set(http::field::content_type, kTextContentType);
    if (!known) {
      response_.result(http::status::not_found);
      response_.body() = "not found; try /healthz or /metrics\n";
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
    response_.prepare_payload();
    if (request_.method() == http::verb::head) response_.body().clear();
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
};

}  // namespace

// The acceptor and its loop; shared with the pending accept handler, so a
// handler that runs after `Stop` finds a closed acceptor, never a dangling
// one.
struct HttpServer::Listener : std::enable_shared_from_this<Listener> {
  Listener(asio::io_context& io, std::function<bool()> serving_fn,
           const Metrics& metrics_ref)
      : io_context(io),
        acceptor(io),
        serving(std::move(serving_fn)),
        metrics(metrics_ref) {}

  void Accept() {
    acceptor.async_accept(
        asio::make_strand(io_context),
        [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted ||
              !self->acceptor.is_open()) {
            return;  // stopped
          }
          if (ec) {
            spdlog::warn("http: accept failed: {}", ec.message());
          } else {
            std::make_shared<Session>(std::move(socket), self->serving,
                                      self->metrics)
                ->Run();
          }
          self->Accept();
        });
  }

  asio::io_context& io_context;
  tcp::acceptor acceptor;
  std::function<bool()> serving;
  const Metrics& metrics;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    asio::io_context& io, const std::string& address,
    std::function<bool()> serving, const Metrics& metrics) {
  absl::StatusOr<HostPort> host_port = ParseHostPort(address);
  if (!host_port.ok()) return host_port.status();

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

  auto listener = std::make_shared<Listener>(io, std::move(serving), metrics);
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

void HttpServer::Stop() {
  beast::error_code ec;
  listener_->acceptor.close(ec);
}

}  // namespace taskgate::services
