// What each list holds for each role (SPEC §1, §4.1), through the real
// server: the authorization matrix checks who may call a list; this checks
// what comes back. Two departments each have tasks reaching two different
// communities, and two communities each have a complaint and a funding
// report, so that a list missing its scope shows the other side's rows.
#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_fixture.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::Not;

template <typename Rows, typename Id>
std::vector<std::string> SortedIds(const Rows& rows, Id id) {
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(id(r));
  std::sort(ids.begin(), ids.end());
  return ids;
}

class ListScopeTest : public E2eTest {
 protected:
  // civ-c1 (ACTIVE) and civ-c2 (SUBMITTED) of civil affairs; hou-c3
  // (ACTIVE) and hou-c1 (SUBMITTED) of housing. A complaint and a funding
  // report from c1 (on civ-c1) and from c3 (on hou-c3).
  void SetUp() override {
    E2eTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(Submit(clerk_, "civ-c1", DutySpec(), "c1"));
    ASSERT_NO_FATAL_FAILURE(Submit(clerk_, "civ-c2", CleanAssistSpec(), "c2"));
    ASSERT_NO_FATAL_FAILURE(Submit(other_clerk_, "hou-c3", DutySpec(), "c3"));
    ASSERT_NO_FATAL_FAILURE(
        Submit(other_clerk_, "hou-c1", CleanAssistSpec(), "c1"));
    ASSERT_NO_FATAL_FAILURE(Speak(community_, "civ-c1", kOtherDepartment));
    ASSERT_NO_FATAL_FAILURE(Speak(other_community_, "hou-c3", kDepartment));
  }

  void Submit(const Actor& clerk, const std::string& id, v1::TaskSpec spec,
              const std::string& community) {
    spec.clear_target_communities();
    spec.add_target_communities(community);
    ASSERT_THAT(CreateTask(clerk, spec, id), IsOk());
    ASSERT_THAT(Act(clerk, Step::kSubmit, id), IsOk());
  }

  void Speak(const Actor& office, const std::string& task_id,
             const std::string& department) {
    v1::ReportMissingFundingRequest report;
    report.set_request_id(NextRequestId());
    report.set_task_id(task_id);
    report.set_note("nothing arrived");
    ASSERT_THAT(Call(office, *communities_,
                     &CommunityStub::ReportMissingFunding, report),
                IsOk());
    v1::FileComplaintRequest complaint;
    complaint.set_request_id(NextRequestId());
    complaint.mutable_complaint()->set_title("Ledger without admission");
    complaint.mutable_complaint()->set_description("asked by phone");
    complaint.mutable_complaint()->set_department_id(department);
    ASSERT_THAT(
        Call(office, *communities_, &CommunityStub::FileComplaint, complaint),
        IsOk());
  }

  std::vector<std::string> Tasks(const Actor& who,
                                 const std::string& filter = "") {
    v1::ListTasksRequest r;
    r.set_filter(filter);
    absl::StatusOr<v1::ListTasksResponse> listed =
        Call(who, *tasks_, &TaskStub::ListTasks, r);
    EXPECT_THAT(listed, IsOk()) << who.id << " " << filter;
    if (!listed.ok()) return {};
    return SortedIds(listed->tasks(), [](const v1::Task& t) { return t.id(); });
  }

  std::vector<std::string> Queue(const Actor& who) {
    absl::StatusOr<v1::ListTasksResponse> listed =
        Call(who, *reviews_, &ReviewStub::ListReviewQueue,
             v1::ListReviewQueueRequest());
    EXPECT_THAT(listed, IsOk()) << who.id;
    if (!listed.ok()) return {};
    return SortedIds(listed->tasks(), [](const v1::Task& t) { return t.id(); });
  }

  std::vector<std::string> Assignments(const Actor& who,
                                       const std::string& community) {
    v1::GetWorkloadRequest r;
    r.set_community_id(community);
    r.set_from_month("2026-05");
    r.set_to_month("2026-12");
    absl::StatusOr<v1::Workload> w =
        Call(who, *communities_, &CommunityStub::GetWorkload, r);
    EXPECT_THAT(w, IsOk()) << who.id << " " << community;
    if (!w.ok()) return {};
    return SortedIds(w->assignments(),
                     [](const v1::Assignment& a) { return a.task().id(); });
  }

  // The communities of the funding reports and complaints `who` lists.
  std::vector<std::string> Reports(const Actor& who,
                                   const std::string& community = "") {
    v1::ListFundingReportsRequest r;
    r.set_community_id(community);
    absl::StatusOr<v1::ListFundingReportsResponse> listed =
        Call(who, *reviews_, &ReviewStub::ListFundingReports, r);
    EXPECT_THAT(listed, IsOk()) << who.id;
    if (!listed.ok()) return {};
    return SortedIds(listed->reports(), [](const v1::FundingReport& f) {
      return f.community_id() + "/" + f.task_id();
    });
  }

  std::vector<std::string> Complaints(const Actor& who,
                                      const std::string& community = "") {
    v1::ListComplaintsRequest r;
    r.set_community_id(community);
    absl::StatusOr<v1::ListComplaintsResponse> listed =
        Call(who, *reviews_, &ReviewStub::ListComplaints, r);
    EXPECT_THAT(listed, IsOk()) << who.id;
    if (!listed.ok()) return {};
    return SortedIds(listed->complaints(), [](const v1::Complaint& c) {
      return c.community_id() + "/" + c.department_id();
    });
  }

  // The entities of the events `who` reads for task `id`.
  std::vector<std::string> History(const Actor& who, const std::string& id) {
    v1::ListEventsRequest r;
    r.set_task_id(id);
    absl::StatusOr<v1::ListEventsResponse> listed =
        Call(who, *audit_, &AuditStub::ListEvents, r);
    EXPECT_THAT(listed, IsOk()) << who.id;
    std::vector<std::string> entities;
    if (!listed.ok()) return entities;
    for (const v1::AuditEvent& e : listed->events()) {
      entities.push_back(e.entity_type() + "/" + e.entity_id());
    }
    return entities;
  }

  const std::vector<std::string> kAllTasks = {"civ-c1", "civ-c2", "hou-c1",
                                              "hou-c3"};
};

TEST_F(ListScopeTest, TaskListingsHoldOnlyWhatTheCallersScopeAdmits) {
  // Without a filter: a department its own, a community what reaches it.
  EXPECT_THAT(Tasks(clerk_), ElementsAre("civ-c1", "civ-c2"));
  EXPECT_THAT(Tasks(other_clerk_), ElementsAre("hou-c1", "hou-c3"));
  EXPECT_THAT(Tasks(community_), ElementsAre("civ-c1", "hou-c1"));
  EXPECT_THAT(Tasks(other_community_), ElementsAre("hou-c3"));
  for (const Actor* overseer :
       {&reviewer_, &home_reviewer_, &auditor_, &admin_}) {
    EXPECT_THAT(Tasks(*overseer), ElementsAreArray(kAllTasks)) << overseer->id;
  }

  // Filters narrow within the scope, never widen it.
  EXPECT_THAT(Tasks(clerk_, "community=c1"), ElementsAre("civ-c1"));
  EXPECT_THAT(Tasks(other_clerk_, "community=c1"), ElementsAre("hou-c1"));
  EXPECT_THAT(Tasks(clerk_, "state=SUBMITTED"), ElementsAre("civ-c2"));
  EXPECT_THAT(Tasks(community_, "department=civil-affairs"),
              ElementsAre("civ-c1"));
  EXPECT_THAT(Tasks(other_community_, "department=civil-affairs"), IsEmpty());
  EXPECT_THAT(Tasks(community_, "state=SUBMITTED"), ElementsAre("hou-c1"));
  EXPECT_THAT(Tasks(reviewer_, "department=housing"),
              ElementsAre("hou-c1", "hou-c3"));
  EXPECT_THAT(Tasks(auditor_, "community=c1"), ElementsAre("civ-c1", "hou-c1"));
}

TEST_F(ListScopeTest, TheReviewQueueHoldsBothDepartmentsTasks) {
  for (const Actor* reader : {&reviewer_, &home_reviewer_, &auditor_}) {
    EXPECT_THAT(Queue(*reader), ElementsAre("civ-c2", "hou-c1")) << reader->id;
  }
}

TEST_F(ListScopeTest, AWorkloadHoldsOnlyTheTasksInForceInItsCommunity) {
  EXPECT_THAT(Assignments(community_, "c1"), ElementsAre("civ-c1"));
  EXPECT_THAT(Assignments(other_community_, "c3"), ElementsAre("hou-c3"));
  for (const Actor* overseer : {&reviewer_, &auditor_, &admin_}) {
    EXPECT_THAT(Assignments(*overseer, "c1"), ElementsAre("civ-c1"));
    EXPECT_THAT(Assignments(*overseer, "c2"), IsEmpty());
    EXPECT_THAT(Assignments(*overseer, "c3"), ElementsAre("hou-c3"));
  }
}

TEST_F(ListScopeTest, ReportsAndComplaintsOfACommunityAreItsOwn) {
  EXPECT_THAT(Reports(community_, "c1"), ElementsAre("c1/civ-c1"));
  EXPECT_THAT(Reports(other_community_, "c3"), ElementsAre("c3/hou-c3"));
  EXPECT_THAT(Complaints(community_, "c1"), ElementsAre("c1/housing"));
  EXPECT_THAT(Complaints(other_community_, "c3"),
              ElementsAre("c3/civil-affairs"));
  for (const Actor* reader : {&reviewer_, &home_reviewer_, &auditor_}) {
    EXPECT_THAT(Reports(*reader), ElementsAre("c1/civ-c1", "c3/hou-c3"));
    EXPECT_THAT(Complaints(*reader),
                ElementsAre("c1/housing", "c3/civil-affairs"));
    EXPECT_THAT(Reports(*reader, "c3"), ElementsAre("c3/hou-c3"));
    EXPECT_THAT(Complaints(*reader, "c1"), ElementsAre("c1/housing"));
  }
}

TEST_F(ListScopeTest, ATasksHistoryHoldsOnlyThatTasksEvents) {
  for (const Actor* reader : {&clerk_, &community_, &reviewer_, &auditor_}) {
    const std::vector<std::string> history = History(*reader, "civ-c1");
    EXPECT_THAT(history, Not(IsEmpty())) << reader->id;
    EXPECT_THAT(history, Each(std::string("task/civ-c1"))) << reader->id;
  }
  EXPECT_THAT(History(other_clerk_, "hou-c3"),
              Each(std::string("task/hou-c3")));
}

}  // namespace
}  // namespace taskgate::e2e
