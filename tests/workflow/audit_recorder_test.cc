// `AuditRecorder` (workflow/audit_recorder.h): refused calls in the log.
#include "workflow/audit_recorder.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::FakeClock;
using ::taskgate::testing::FaultInjectingStore;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

class AuditRecorderTest : public PeopleWorkflowTest {
 protected:
  static domain::Principal Anonymous() {
    domain::Principal anonymous;
    anonymous.id = "anonymous";
    return anonymous;
  }

  // An unauthenticated call to GetTask from `source`.
  static Refusal Unauthenticated(const std::string& source,
                                 const std::string& method =
                                     "TaskService/"
                                     "GetTask") {
    return {.who = Anonymous(),
            .source = source,
            .method = method,
            .code = absl::StatusCode::kUnauthenticated,
            .reason = "no credentials"};
  }

  // Records `refusal` and returns whether it got an event of its own.
  bool Record(const Refusal& refusal) {
    absl::StatusOr<RefusalOutcome> outcome =
        engine_->recorder().RecordRefusal(refusal);
    EXPECT_THAT(outcome, IsOk());
    EXPECT_THAT(outcome->unrecorded, IsEmpty());
    return outcome.ok() && outcome->recorded;
  }

  std::vector<domain::AuditEvent> RefusalEvents() {
    std::vector<domain::AuditEvent> events;
    for (store::StoredEvent& e : Events("rpc")) {
      events.push_back(std::move(e.event));
    }
    return events;
  }
};

TEST_F(AuditRecorderTest, FirstRefusalOfASourceIsRecordedAtOnce) {
  const int64_t before = EventCount();
  EXPECT_TRUE(Record(Unauthenticated("ipv4:192.0.2.7")));
  EXPECT_TRUE(Record({.who = Clerk(),
                      .source = Clerk().id,
                      .method = "AdminService/PublishCatalog",
                      .code = absl::StatusCode::kPermissionDenied,
                      .reason = "role department may not publish"}));
  EXPECT_THAT(
      engine_->recorder().RecordRefusal({.who = Clerk(),
                                         .source = "",
                                         .method = "/x",
                                         .code = absl::StatusCode::kNotFound,
                                         .reason = ""}),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(EventCount(), before + 2);

  std::vector<domain::AuditEvent> events = RefusalEvents();
  ASSERT_EQ(events.size(), 2U);
  const domain::AuditEvent& unauthenticated = events[0];
  EXPECT_EQ(unauthenticated.action, "access.unauthenticated");
  EXPECT_EQ(unauthenticated.actor_id, "anonymous");
  EXPECT_EQ(unauthenticated.entity_id, "TaskService/GetTask");
  EXPECT_EQ(unauthenticated.reason, "no credentials");
  EXPECT_EQ(unauthenticated.details.at("code"), "UNAUTHENTICATED");
  EXPECT_EQ(unauthenticated.details.at("source"), "ipv4:192.0.2.7");
  EXPECT_FALSE(unauthenticated.details.contains("count"));
  const domain::AuditEvent& denied = events[1];
  EXPECT_EQ(denied.action, "access.denied");
  EXPECT_EQ(denied.actor_id, "clerk-civil-affairs");
  EXPECT_EQ(denied.actor_role, domain::Role::kDepartment);
  EXPECT_EQ(denied.department_id, "civil-affairs");
  EXPECT_EQ(denied.entity_type, "rpc");
  EXPECT_EQ(denied.details.at("code"), "PERMISSION_DENIED");
  EXPECT_EQ(denied.details.at("source"), "clerk-civil-affairs");
}

// Issue 15, defect 3: 1,000 refusals from one source in a minute are two
// events, the first at once and one with the count of the rest when the
// minute is over; nothing is written in between.
TEST_F(AuditRecorderTest, AFloodFromOneSourceIsOneEventAndOneCount) {
  const int64_t before = EventCount();
  const absl::Time start = clock_.Now();
  EXPECT_TRUE(Record(Unauthenticated("ipv4:192.0.2.7")));
  for (int i = 1; i < 1000; ++i) {
    clock_.Advance(absl::Milliseconds(50));
    EXPECT_FALSE(Record(Unauthenticated(
        "ipv4:192.0.2.7",
        i % 2 == 0 ? "TaskService/GetTask" : "TaskService/ListTasks")));
  }
  EXPECT_EQ(EventCount(), before + 1);
  EXPECT_EQ(engine_->recorder().NextRefusalFlush(), start + absl::Minutes(1));
  // Before the interval ends there is nothing to write.
  RefusalOutcome early = engine_->recorder().FlushRefusals(clock_.Now(), false);
  EXPECT_THAT(early.summaries, IsEmpty());
  EXPECT_EQ(EventCount(), before + 1);

  clock_.Set(start + absl::Minutes(1));
  RefusalOutcome flushed =
      engine_->recorder().FlushRefusals(clock_.Now(), false);
  ASSERT_EQ(flushed.summaries.size(), 1U);
  EXPECT_EQ(flushed.summaries[0].count, 999);
  EXPECT_THAT(flushed.unrecorded, IsEmpty());
  EXPECT_EQ(EventCount(), before + 2);
  EXPECT_EQ(engine_->recorder().NextRefusalFlush(), std::nullopt);

  std::vector<domain::AuditEvent> events = RefusalEvents();
  ASSERT_EQ(events.size(), 2U);
  const domain::AuditEvent& aggregated = events[1];
  EXPECT_EQ(aggregated.action, "access.unauthenticated");
  EXPECT_EQ(aggregated.actor_id, "anonymous");
  EXPECT_EQ(aggregated.entity_type, "rpc");
  EXPECT_EQ(aggregated.entity_id, "TaskService/ListTasks");  // the commonest
  EXPECT_EQ(aggregated.reason, "no credentials");
  EXPECT_THAT(aggregated.writes, IsEmpty());
  EXPECT_THAT(
      aggregated.details,
      ::testing::IsSupersetOf(
          {Pair("count", "999"), Pair("code", "UNAUTHENTICATED"),
           Pair("codes", "UNAUTHENTICATED:999"),
           Pair("source", "ipv4:192.0.2.7"),
           Pair("methods", "TaskService/GetTask:499,TaskService/ListTasks:500"),
           Pair("interval_start", "2026-03-02T01:00:00+00:00"),
           Pair("first_time", "2026-03-02T01:00:00.05+00:00"),
           Pair("last_time", "2026-03-02T01:00:49.95+00:00")}));

  // The next refusal opens a new interval: recorded at once again.
  EXPECT_TRUE(Record(Unauthenticated("ipv4:192.0.2.7")));
  EXPECT_EQ(EventCount(), before + 3);
}

// The next refusal after an interval writes the interval's count even when
// no timer ran.
TEST_F(AuditRecorderTest, ARefusalAfterTheIntervalWritesItsCount) {
  const int64_t before = EventCount();
  EXPECT_TRUE(Record(Unauthenticated("ipv4:192.0.2.7")));
  EXPECT_FALSE(Record(Unauthenticated("ipv4:192.0.2.7")));
  EXPECT_FALSE(Record(Unauthenticated("ipv4:192.0.2.7")));
  clock_.Advance(absl::Minutes(2));
  absl::StatusOr<RefusalOutcome> outcome =
      engine_->recorder().RecordRefusal(Unauthenticated("ipv4:198.51.100.1"));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->recorded);
  ASSERT_EQ(outcome->summaries.size(), 1U);
  EXPECT_EQ(outcome->summaries[0].source, "ipv4:192.0.2.7");
  EXPECT_EQ(outcome->summaries[0].count, 2);
  EXPECT_EQ(EventCount(), before + 3);
}

TEST_F(AuditRecorderTest, SourcesAndActionsAreCountedApart) {
  const int64_t before = EventCount();
  const Refusal denied{.who = Clerk(),
                       .source = Clerk().id,
                       .method = "AuditService/ListEvents",
                       .code = absl::StatusCode::kPermissionDenied,
                       .reason = "role department may not read the log"};
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Record(Unauthenticated("ipv4:192.0.2.7")), i == 0);
    EXPECT_EQ(Record(Unauthenticated("ipv4:192.0.2.8")), i == 0);
    EXPECT_EQ(Record(denied), i == 0);
  }
  EXPECT_EQ(EventCount(), before + 3);
  clock_.Advance(absl::Minutes(1));
  RefusalOutcome flushed =
      engine_->recorder().FlushRefusals(clock_.Now(), false);
  EXPECT_EQ(flushed.summaries.size(), 3U);
  EXPECT_EQ(EventCount(), before + 6);
  std::map<std::string, std::string> counts;
  for (const domain::AuditEvent& e : RefusalEvents()) {
    if (e.details.contains("count")) {
      counts[absl::StrCat(e.action, " ", e.details.at("source"))] =
          e.details.at("count");
    }
  }
  EXPECT_THAT(counts,
              ElementsAre(Pair("access.denied clerk-civil-affairs", "9"),
                          Pair("access.unauthenticated ipv4:192.0.2.7", "9"),
                          Pair("access.unauthenticated ipv4:192.0.2.8", "9")));
  for (const domain::AuditEvent& e : RefusalEvents()) {
    if (e.action != "access.denied") continue;
    EXPECT_EQ(e.actor_id, "clerk-civil-affairs");
    EXPECT_EQ(e.actor_role, domain::Role::kDepartment);
    EXPECT_EQ(e.department_id, "civil-affairs");
  }
}

// A flood from many addresses cannot grow the table: beyond the bound the
// refusals share one "other sources" count.
TEST_F(AuditRecorderTest, SourcesBeyondTheBoundShareOneCount) {
  EngineOptions options;
  options.refusal_sources = 3;
  AuditRecorder recorder(*faults_, engine_->writer(), clock_, options);
  const int64_t before = EventCount();
  int recorded = 0;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<RefusalOutcome> outcome = recorder.RecordRefusal(
        Unauthenticated(absl::StrCat("ipv4:192.0.2.", i)));
    ASSERT_THAT(outcome, IsOk());
    recorded += outcome->recorded ? 1 : 0;
  }
  // Three sources of their own and the first of the others.
  EXPECT_EQ(recorded, 4);
  clock_.Advance(absl::Minutes(1));
  RefusalOutcome flushed = recorder.FlushRefusals(clock_.Now(), false);
  ASSERT_EQ(flushed.summaries.size(), 1U);
  EXPECT_EQ(flushed.summaries[0].source, kOtherRefusalSources);
  EXPECT_EQ(flushed.summaries[0].count, 96);
  EXPECT_EQ(EventCount(), before + 5);
  const domain::AuditEvent others = RefusalEvents().back();
  EXPECT_EQ(others.actor_id, "system");
  EXPECT_EQ(others.details.at("source"), "other sources");
  EXPECT_EQ(others.details.at("sources_sample"),
            "ipv4:192.0.2.3,ipv4:192.0.2.4,ipv4:192.0.2.5,ipv4:192.0.2.6,"
            "ipv4:192.0.2.7,ipv4:192.0.2.8,ipv4:192.0.2.9,ipv4:192.0.2.10");
  EXPECT_EQ(recorder.NextRefusalFlush(), std::nullopt);
}

// At a graceful stop the server flushes everything: no count is lost.
TEST_F(AuditRecorderTest, FlushingAllWritesOpenIntervals) {
  const int64_t before = EventCount();
  for (int i = 0; i < 5; ++i) Record(Unauthenticated("ipv4:192.0.2.7"));
  clock_.Advance(absl::Seconds(10));
  RefusalOutcome early = engine_->recorder().FlushRefusals(clock_.Now(), false);
  EXPECT_THAT(early.summaries, IsEmpty());
  RefusalOutcome all = engine_->recorder().FlushRefusals(clock_.Now(), true);
  ASSERT_EQ(all.summaries.size(), 1U);
  EXPECT_EQ(all.summaries[0].count, 4);
  EXPECT_EQ(EventCount(), before + 2);
  EXPECT_EQ(engine_->recorder().NextRefusalFlush(), std::nullopt);
}

// A refusal whose event fails is reported, and the source's next refusal
// tries again; an aggregated event that fails reports its whole count.
TEST_F(AuditRecorderTest, RefusalsThatCannotBeWrittenAreReported) {
  const int64_t before = EventCount();
  const absl::Status full = absl::UnavailableError("the disk is full");
  faults_->FailNextCommit(full);
  absl::StatusOr<RefusalOutcome> failed =
      engine_->recorder().RecordRefusal(Unauthenticated("ipv4:192.0.2.7"));
  ASSERT_THAT(failed, IsOk());
  EXPECT_FALSE(failed->recorded);
  EXPECT_THAT(failed->unrecorded, ElementsAre(Pair("UNAUTHENTICATED", 1)));
  EXPECT_THAT(failed->error, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(EventCount(), before);

  EXPECT_TRUE(Record(Unauthenticated("ipv4:192.0.2.7")));
  EXPECT_FALSE(Record(Unauthenticated("ipv4:192.0.2.7")));
  EXPECT_FALSE(Record({.who = Anonymous(),
                       .source = "ipv4:192.0.2.7",
                       .method = "TaskService/GetTask",
                       .code = absl::StatusCode::kResourceExhausted,
                       .reason = "too many calls"}));
  clock_.Advance(absl::Minutes(1));
  faults_->FailNextCommit(full);
  RefusalOutcome flushed =
      engine_->recorder().FlushRefusals(clock_.Now(), false);
  EXPECT_THAT(flushed.unrecorded, ElementsAre(Pair("RESOURCE_EXHAUSTED", 1),
                                              Pair("UNAUTHENTICATED", 1)));
  EXPECT_EQ(EventCount(), before + 1);
}

}  // namespace
}  // namespace taskgate::workflow
