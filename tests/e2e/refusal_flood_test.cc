// Refused calls through the real server (SPEC §9, issue 15 defect 3): an
// anonymous flood grows the audit log by a bounded number of events, one at
// once and one with the count when the interval ends (a tick, or shutdown);
// callers without valid credentials are rate-limited per address before
// their credentials are read; every caller is still refused with its code,
// every refusal is counted, and the log verifies.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include "audit/signing.h"
#include "tests/e2e/e2e_fixture.h"
#include "workflow/audit_ledger.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::Contains;
using ::testing::Pair;
using ::testing::SizeIs;

class RefusalFloodTest : public E2eTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.unauthenticated_burst = burst_;
    config.unauthenticated_per_minute = 60;
  }

  // A channel over TCP, so that the server sees the caller's address.
  std::unique_ptr<TaskStub> TcpTasks() {
    return v1::TaskService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                            grpc::InsecureChannelCredentials()));
  }

  absl::Status GetTaskVia(TaskStub& stub, const Actor& who) {
    v1::GetTaskRequest r;
    r.set_task_id("t-none");
    return Call(who, stub, &TaskStub::GetTask, r).status();
  }

  // The value of the metric series `series` (name and labels), or -1.
  double Metric(const std::string& series) {
    for (absl::string_view line :
         absl::StrSplit(server_->metrics().Serialize(), '\n')) {
      if (line.size() > series.size() &&
          line.substr(0, series.size()) == absl::string_view(series) &&
          line[series.size()] == ' ') {
        double value = -1;
        EXPECT_TRUE(absl::SimpleAtod(line.substr(series.size() + 1), &value));
        return value;
      }
    }
    return -1;
  }

  std::vector<v1::AuditEvent> RefusalEvents(const std::string& action) {
    v1::ListEventsRequest r;
    r.set_action(action);
    return Events(r);
  }

  // Stops the server (which writes what is still counted) and verifies the
  // stored log and tables as `taskgated --verify-db` does.
  void StopAndVerify() {
    const audit::VerifyingKey key = server_->ledger().public_key();
    StopServer();
    absl::StatusOr<std::unique_ptr<store::Store>> store =
        store::OpenSqliteStore(db_path_);
    ASSERT_THAT(store, IsOk());
    absl::StatusOr<audit::VerifyReport> report =
        workflow::VerifyStoredLog(**store, "default", key);
    ASSERT_THAT(report, IsOk());
    EXPECT_TRUE(report->verified())
        << (report->problems.empty() ? "" : report->problems[0].message);
  }

  int burst_ = 1000000;
};

TEST_F(RefusalFloodTest, AnAnonymousFloodIsOneEventAtOnceAndOneWithTheCount) {
  std::unique_ptr<TaskStub> tcp = TcpTasks();
  const int64_t before = TreeSize();
  constexpr int kFlood = 1000;
  for (int i = 0; i < kFlood; ++i) {
    // Without credentials and with a forged token: both the same source.
    const Actor who =
        i % 2 == 0 ? Actor{"nobody", ""} : Actor{"forger", "tg_forged-token"};
    ASSERT_THAT(GetTaskVia(*tcp, who),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << i;
  }
  // +1: the first refusal; the auditor's reads add none (not audited).
  EXPECT_EQ(TreeSize(), before + 1);
  EXPECT_EQ(Metric("taskgate_refusals_aggregated_total{code="
                   "\"UNAUTHENTICATED\"}"),
            kFlood - 1);
  EXPECT_EQ(Metric("taskgate_rpc_requests_total{code=\"UNAUTHENTICATED\","
                   "method=\"TaskService/GetTask\"}"),
            kFlood);

  // The interval ends: the timer writes one event with the count.
  clock_.Advance(absl::Minutes(1));
  ASSERT_THAT(server_->TickNow(), IsOk());
  EXPECT_EQ(TreeSize(), before + 2);
  std::vector<v1::AuditEvent> events = RefusalEvents("access.unauthenticated");
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[0].details().at("source"), "ipv4:127.0.0.1");
  EXPECT_FALSE(events[0].details().contains("count"));
  EXPECT_EQ(events[1].actor_id(), "anonymous");
  EXPECT_EQ(events[1].entity_id(), "TaskService/GetTask");
  EXPECT_THAT(events[1].details(),
              Contains(Pair("count", absl::StrCat(kFlood - 1))));
  EXPECT_THAT(events[1].details(), Contains(Pair("source", "ipv4:127.0.0.1")));
  EXPECT_THAT(
      events[1].details(),
      Contains(Pair("codes", absl::StrCat("UNAUTHENTICATED:", kFlood - 1))));
  EXPECT_EQ(Metric("taskgate_refusals_unrecorded_total{code="
                   "\"UNAUTHENTICATED\"}"),
            0);
  ASSERT_NO_FATAL_FAILURE(StopAndVerify());
}

class ThrottledFloodTest : public RefusalFloodTest {
 protected:
  ThrottledFloodTest() { burst_ = 20; }
};

// Beyond the burst, an address is answered RESOURCE_EXHAUSTED before its
// credentials are read; the refusals are still counted in the log.
TEST_F(ThrottledFloodTest, AnAddressThatFailsTooOftenIsThrottled) {
  std::unique_ptr<TaskStub> tcp = TcpTasks();
  const int64_t before = TreeSize();
  for (int i = 0; i < 100; ++i) {
    EXPECT_THAT(GetTaskVia(*tcp, Actor{"nobody", ""}),
                StatusIs(i < 20 ? absl::StatusCode::kUnauthenticated
                                : absl::StatusCode::kResourceExhausted))
        << i;
  }
  EXPECT_EQ(Metric("taskgate_unauthenticated_throttled_total"), 80);
  // A valid token from that address waits too (the documented price)...
  EXPECT_THAT(GetTaskVia(*tcp, clerk_),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // ...while other sources (the in-process channel) are served.
  EXPECT_THAT(GetTask(clerk_, "t-none"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A second later one token is back.
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(GetTaskVia(*tcp, clerk_),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(TreeSize(), before + 2);  // the first of each source

  clock_.Advance(absl::Minutes(1));
  ASSERT_THAT(server_->TickNow(), IsOk());
  std::vector<v1::AuditEvent> events = RefusalEvents("access.unauthenticated");
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_THAT(events[1].details(), Contains(Pair("count", "100")));
  EXPECT_THAT(
      events[1].details(),
      Contains(Pair("codes", "RESOURCE_EXHAUSTED:81,UNAUTHENTICATED:19")));
  ASSERT_NO_FATAL_FAILURE(StopAndVerify());
}

// A graceful stop writes the counts of intervals still open.
TEST_F(RefusalFloodTest, ShutdownWritesTheCountsStillOpen) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(GetTask(other_clerk_, "t-none"),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
  EXPECT_THAT(RefusalEvents("access.denied"), SizeIs(1));
  ASSERT_NO_FATAL_FAILURE(StopAndVerify());
  ASSERT_THAT(OpenServer(), IsOk());
  std::vector<v1::AuditEvent> events = RefusalEvents("access.denied");
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[1].actor_id(), "clerk-housing");
  EXPECT_EQ(events[1].department_id(), kOtherDepartment);
  EXPECT_THAT(events[1].details(), Contains(Pair("count", "9")));
  EXPECT_THAT(events[1].details(), Contains(Pair("source", "clerk-housing")));
}

}  // namespace
}  // namespace taskgate::e2e
