#include "services/http_server.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <absl/status/status.h>
#include <absl/synchronization/notification.h>
#include <absl/time/time.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "services/metrics.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::services {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

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

HttpServerOptions WithCap(int max_connections) {
  HttpServerOptions options;
  options.max_connections = max_connections;
  return options;
}

TEST(HttpServerStart, NoConnectionAllowedIsInvalidArgument) {
  asio::io_context io;
  Metrics metrics;
  EXPECT_THAT(HttpServer::Start(
                  io, "127.0.0.1:0", [] { return true; }, metrics, WithCap(0)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("max_connections")));
}

TEST(HttpServerStart, MalformedAddressIsInvalidArgument) {
  asio::io_context io;
  Metrics metrics;
  EXPECT_THAT(
      HttpServer::Start(
          io, "localhost", [] { return true; }, metrics),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host:port")));
}

// ---------------------------------------------- accept failures and the cap

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(AcceptBackoff, DoublesUpToTheMaximumAndResetsOnSuccess) {
  http_internal::AcceptBackoff backoff(milliseconds(5), milliseconds(1000));
  std::vector<int64_t> waits;
  for (int i = 0; i < 10; ++i) waits.push_back(backoff.OnFailure().count());
  EXPECT_THAT(waits, ElementsAre(5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000));
  backoff.OnSuccess();
  EXPECT_EQ(backoff.OnFailure(), milliseconds(5));
  EXPECT_EQ(backoff.OnFailure(), milliseconds(10));
}

TEST(LogLimiter, ReportsOncePerIntervalWithTheCountNotReported) {
  http_internal::LogLimiter limiter(seconds(10));
  const std::chrono::steady_clock::time_point t0{seconds(1000)};
  EXPECT_EQ(limiter.Report(t0), 0);
  EXPECT_EQ(limiter.Report(t0 + seconds(1)), std::nullopt);
  EXPECT_EQ(limiter.Report(t0 + seconds(9)), std::nullopt);
  EXPECT_EQ(limiter.Report(t0 + seconds(10)), 2);
  EXPECT_EQ(limiter.Report(t0 + seconds(15)), std::nullopt);
  EXPECT_EQ(limiter.Report(t0 + seconds(60)), 1);
}

// Captures what spdlog's default logger writes, one line per message.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_pattern("%l %v");
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> LinesWith(const std::string& text) {
    spdlog::default_logger()->flush();
    std::vector<std::string> lines;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) {
      if (line.find(text) != std::string::npos) lines.push_back(line);
    }
    return lines;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

// The file descriptors running out, as the listener sees it: the first
// `failures` accepts fail with EMFILE, the rest go through.
TEST(HttpServerAccept, FailedAcceptsBackOffAreLoggedOnceAndServingResumes) {
  LogCapture log;
  constexpr int kFailures = 6;
  std::atomic<int> attempts{0};
  HttpServerOptions options;
  options.accept_backoff_initial = milliseconds(1);
  options.accept_backoff_max = milliseconds(4);
  options.accept_log_interval = std::chrono::hours(1);
  options.accept_fault = [&]() -> boost::system::error_code {
    if (attempts.fetch_add(1) < kFailures) {
      return asio::error::no_descriptors;
    }
    return {};
  };
  asio::io_context io;
  Metrics metrics;
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<HttpServer> server,
      HttpServer::Start(
          io, "127.0.0.1:0", [] { return true; }, metrics, options));
  std::thread thread([&io] { io.run(); });

  // The connection waits in the backlog while accepts fail, then is served.
  EXPECT_EQ(Fetch(server->port(), "/healthz").status, 200);
  EXPECT_GT(attempts.load(), kFailures);
  asio::post(io, [&] { server->Stop(); });
  thread.join();

  // One line for the whole run of failures: the first; the others are
  // counted for the next report.
  const std::vector<std::string> lines = log.LinesWith("accept failed");
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_THAT(lines[0],
              AllOf(HasSubstr("warning http: accept failed"),
                    HasSubstr("retrying in 1 ms"),
                    HasSubstr("0 more failures since the last report")));
}

// Runs the server's ready handlers, on this thread, until none is left (or,
// should it spin, 10,000 of them).
void RunUntilIdle(asio::io_context& io) {
  for (int i = 0; i < 10000 && io.poll_one() > 0; ++i) {
  }
}

TEST(HttpServerAccept, AFailedAcceptWaitsForItsTimerInsteadOfSpinning) {
  LogCapture log;
  std::atomic<int> attempts{0};
  HttpServerOptions options;
  // Longer than the test: if anything accepts again, it did not wait.
  options.accept_backoff_initial = std::chrono::hours(1);
  options.accept_backoff_max = std::chrono::hours(1);
  options.accept_fault = [&]() -> boost::system::error_code {
    attempts.fetch_add(1);
    return asio::error::no_descriptors;
  };
  asio::io_context io;
  Metrics metrics;
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<HttpServer> server,
      HttpServer::Start(
          io, "127.0.0.1:0", [] { return true; }, metrics, options));
  RunUntilIdle(io);
  EXPECT_EQ(attempts.load(), 1);
  server->Stop();
  RunUntilIdle(io);
  EXPECT_EQ(attempts.load(), 1);
}

// A connection that is connected and waiting for its reply.
struct Pending {
  explicit Pending(int port) : socket(io) {
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                 static_cast<unsigned short>(port)));
  }
  void SendRequest(const std::string& target) {
    http::request<http::string_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "127.0.0.1");
    http::write(socket, request);
  }
  int ReadStatus() {
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    return static_cast<int>(response.result_int());
  }
  asio::io_context io;
  tcp::socket socket;
};

TEST(HttpServerAccept, ConnectionsOverTheCapWaitUntilOneEnds) {
  asio::io_context io;
  Metrics metrics;
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<HttpServer> server,
      HttpServer::Start(
          io, "127.0.0.1:0", [] { return true; }, metrics, WithCap(1)));
  // The one slot is held by a client that sends nothing; a second asks.
  Pending idle(server->port());
  Pending asking(server->port());
  asking.SendRequest("/healthz");
  RunUntilIdle(io);
  // Nothing answered: the second connection was never accepted.
  EXPECT_EQ(asking.socket.available(), 0u);

  // The idle client leaves; its slot goes to the waiting one.
  idle.socket.close();
  std::thread thread([&io] { io.run(); });
  EXPECT_EQ(asking.ReadStatus(), 200);
  asio::post(io, [&] { server->Stop(); });
  thread.join();
}

TEST(HttpServerAccept, WithoutTheCapBothConnectionsAreServedAtOnce) {
  // The same two clients with room for both: the second is answered while
  // the first still holds its connection, as the test above relies on.
  asio::io_context io;
  Metrics metrics;
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<HttpServer> server,
      HttpServer::Start(
          io, "127.0.0.1:0", [] { return true; }, metrics, WithCap(2)));
  Pending idle(server->port());
  Pending asking(server->port());
  asking.SendRequest("/healthz");
  std::thread thread([&io] { io.run(); });
  EXPECT_EQ(asking.ReadStatus(), 200);
  asio::post(io, [&] { server->Stop(); });
  idle.socket.close();
  thread.join();
}

// Paths under /public/ go to the public list's handler with the method,
// the target as sent and the caller's address named as for gRPC; its
// reply goes out as it is, whatever the method (the handler decides).
// Other paths are not its.
TEST(HttpServerPublic, PublicPathsGoToTheHandlerWithTheCallersSource) {
  asio::io_context io;
  Metrics metrics;
  std::vector<HttpRequestView> seen;
  HttpServerOptions options;
  options.public_handler = [&seen](const HttpRequestView& request) {
    seen.push_back(request);
    return HttpReply{.status = 429,
                     .content_type = "application/json; charset=utf-8",
                     .headers = {{"Retry-After", "1"}},
                     .body = "{}\n"};
  };
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<HttpServer> server,
      HttpServer::Start(
          io, "127.0.0.1:0", [] { return true; }, metrics, options));
  std::thread thread([&io] { io.run(); });
  const Reply reply =
      Fetch(server->port(), "/public/v1/communities/c1/tasks?page_size=2");
  EXPECT_EQ(reply.status, 429);
  EXPECT_EQ(reply.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(reply.body, "{}\n");
  EXPECT_EQ(
      Fetch(server->port(), "/public/v1/communities", http::verb::post).status,
      429);
  EXPECT_EQ(Fetch(server->port(), "/healthz").status, 200);
  const Reply other = Fetch(server->port(), "/publicity");
  EXPECT_EQ(other.status, 404);
  EXPECT_THAT(other.body, HasSubstr("/public/v1/communities"));
  asio::post(io, [&] { server->Stop(); });
  thread.join();

  ASSERT_THAT(seen, SizeIs(2));
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, "/public/v1/communities/c1/tasks?page_size=2");
  EXPECT_EQ(seen[0].source, "ipv4:127.0.0.1");
  EXPECT_EQ(seen[1].method, "POST");
}

// The public handler runs on a thread of its own: while it works on a
// page, /healthz (and whatever else runs on the io_context) is answered.
TEST(HttpServerPublic, ABusyPublicHandlerDoesNotHoldUpHealthz) {
  asio::io_context io;
  Metrics metrics;
  absl::Notification entered;
  absl::Notification release;
  HttpServerOptions options;
  options.public_handler = [&](const HttpRequestView& /*request*/) {
    entered.Notify();
    release.WaitForNotification();
    return HttpReply{.status = 200,
                     .content_type = "application/json; charset=utf-8",
                     .headers = {},
                     .body = "{}\n"};
  };
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<HttpServer> server,
      HttpServer::Start(
          io, "127.0.0.1:0", [] { return true; }, metrics, options));
  std::thread thread([&io] { io.run(); });
  Reply slow;
  std::thread reader(
      [&] { slow = Fetch(server->port(), "/public/v1/communities"); });
  entered.WaitForNotification();
  // The handler is blocked inside; the io_context still serves.
  EXPECT_EQ(Fetch(server->port(), "/healthz").status, 200);
  release.Notify();
  reader.join();
  EXPECT_EQ(slow.status, 200);
  EXPECT_EQ(slow.body, "{}\n");
  asio::post(io, [&] { server->Stop(); });
  thread.join();
}

TEST_F(HttpServerTest, WithoutAPublicHandlerPublicPathsAre404) {
  EXPECT_EQ(Fetch(server_->port(), "/public/v1/communities").status, 404);
}

}  // namespace
}  // namespace taskgate::services
