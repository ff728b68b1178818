#include "services/http_server.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <absl/status/status.h>
#include <absl/time/time.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/metrics.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::services {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ::taskgate::testing::StatusIs;
using ::testing::HasSubstr;

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// A plain blocking Beast client, independent of the server's io_context.
Reply Fetch(int port, const std::string& target,
            http::verb method = http::verb::get) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(port)));
  http::request<http::string_body> request(method, target, 11);
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return {static_cast<int>(response.result_int()),
          std::string(response[http::field::content_type]), response.body()};
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(
        io_, "127.0.0.1:0", [this] { return serving_.load(); }, metrics_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_ != nullptr) {
      // Stop on the io thread; with the acceptor closed, run() returns.
      asio::post(io_, [this] { server_->Stop(); });
    }
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  asio::io_context io_;
  Metrics metrics_;
  std::atomic<bool> serving_{true};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, BindsAnEphemeralPort) { EXPECT_GT(server_->port(), 0); }

TEST_F(HttpServerTest, HealthzSaysServing) {
  const Reply reply = Fetch(server_->port(), "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "SERVING\n");
  EXPECT_EQ(reply.content_type, "text/plain; charset=utf-8");
}

TEST_F(HttpServerTest, HealthzSaysNotServingWith503) {
  serving_ = false;
  const Reply reply = Fetch(server_->port(), "/healthz");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body, "NOT_SERVING\n");
}

TEST_F(HttpServerTest, MetricsShowsWhatWasCounted) {
  metrics_.ObserveRpc("/taskgate.v1.TaskService/SubmitTask", "ABORTED",
                      absl::Milliseconds(3));
  metrics_.ObserveRpc("/taskgate.v1.TaskService/SubmitTask", "ABORTED",
                      absl::Milliseconds(4));
  metrics_.SetQueueDepth(7);
  metrics_.SetOverdue(2);
  const Reply reply = Fetch(server_->port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(reply.body,
              HasSubstr("taskgate_rpc_requests_total{code=\"ABORTED\","
                        "method=\"/taskgate.v1.TaskService/SubmitTask\"} 2\n"));
  EXPECT_THAT(reply.body,
              HasSubstr("taskgate_rpc_latency_seconds_count{method=\"/"
                        "taskgate.v1.TaskService/SubmitTask\"} 2\n"));
  EXPECT_THAT(reply.body,
              HasSubstr("taskgate_rpc_latency_seconds_bucket{method=\"/"
                        "taskgate.v1.TaskService/SubmitTask\",le=\"0.005\"} "
                        "2\n"));
  EXPECT_THAT(reply.body, HasSubstr("taskgate_review_queue_depth 7\n"));
  EXPECT_THAT(reply.body, HasSubstr("taskgate_reviews_overdue 2\n"));
}

TEST_F(HttpServerTest, MetricsShowTheAuditLogsSigning) {
  metrics_.SetAuditLog(120, 7, true);
  const Reply reply = Fetch(server_->port(), "/metrics");
  EXPECT_THAT(reply.body, HasSubstr("taskgate_audit_events 120\n"));
  EXPECT_THAT(reply.body, HasSubstr("taskgate_audit_events_unsigned 7\n"));
  EXPECT_THAT(reply.body, HasSubstr("taskgate_audit_signing_refused 1\n"));
}

TEST_F(HttpServerTest, QueryStringIsIgnored) {
  EXPECT_EQ(Fetch(server_->port(), "/healthz?verbose=1").status, 200);
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  const Reply reply = Fetch(server_->port(), "/admin");
  EXPECT_EQ(reply.status, 404);
  EXPECT_THAT(reply.body, HasSubstr("/healthz"));
}

TEST_F(HttpServerTest, OtherMethodsAre405) {
  EXPECT_EQ(Fetch(server_->port(), "/metrics", http::verb::post).status, 405);
}

TEST_F(HttpServerTest, ServesOneRequestAfterAnother) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Fetch(server_->port(), "/healthz").status, 200);
  }
}

TEST_F(HttpServerTest, BusyPortIsUnavailable) {
  asio::io_context other;
  Metrics metrics;
  EXPECT_THAT(HttpServer::Start(
                  other, "127.0.0.1:" + std::to_string(server_->port()),
                  [] { return true; }, metrics),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("bind")));
}

TEST(HttpServerStart, MalformedAddressIsInvalidArgument) {
  asio::io_context io;
  Metrics metrics;
  EXPECT_THAT(
      HttpServer::Start(
          io, "localhost", [] { return true; }, metrics),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host:port")));
}

}  // namespace
}  // namespace taskgate::services
