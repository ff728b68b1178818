// The re-check at approval (SPEC §4.1) of `TaskLifecycle`
// (workflow/task_lifecycle.h) with `Submission::Recheck`
// (workflow/submission.h): R-CAPACITY, R-CONTROLLED and R-DUPLICATE run
// again at every approval against the workloads of that moment; what is new
// must be acknowledged, a BLOCK refuses, what disappeared needs nothing, and
// the decision and its event keep the findings it was made under.
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/time/civil_time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/field_violations.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"
#include "workflow/rules.h"
#include "workflow/task_lifecycle.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

class ApprovalRecheckTest : public TaskWorkflowTest {
 protected:
  // A community of one staff member: 20 h a month, nothing in force yet.
  void PutFreshCommunity(const std::string& id) {
    domain::Community c;
    c.id = id;
    c.name = "Fresh " + id;
    ASSERT_NO_FATAL_FAILURE(PutStreet("north"));
    c.street_id = "north";
    c.staff_count = 1;
    c.baseline_hours = 0;
    ASSERT_THAT(engine_->directory().PutCommunity(Admin(), "", c, 0), IsOk());
  }

  // 15 h a month for `communities`, May to July 2026.
  domain::TaskSpec Hours15(std::vector<std::string> communities) {
    domain::TaskSpec s = CleanAssistSpec();
    s.target_communities = std::move(communities);
    s.hours_per_community_month = 15;
    return s;
  }

  // Creates and submits `id` for `clerk`; returns the submitted task.
  domain::Task Submitted(const std::string& id, domain::TaskSpec spec,
                         const domain::Principal& clerk) {
    Create(id, std::move(spec), clerk);
    absl::StatusOr<domain::Task> t = Do(clerk, TaskAction::kSubmit, id);
    EXPECT_THAT(t, IsOk());
    return t.ok() ? *t : domain::Task{};
  }

  // Claims and approves `id` as `reviewer`, expecting success.
  domain::Task Approved(const std::string& id, const std::string& reviewer,
                        std::vector<domain::Acknowledgement> acks = {}) {
    EXPECT_THAT(Do(Reviewer(reviewer), TaskAction::kClaim, id), IsOk());
    absl::StatusOr<domain::Task> t =
        Do(Reviewer(reviewer), TaskAction::kApprove, id, "", std::move(acks));
    EXPECT_THAT(t, IsOk());
    return t.ok() ? *t : domain::Task{};
  }

  // Task "t2" of housing, submitted with R-CAPACITY for community "fresh"
  // because "t1" was in force there, and "t1" revoked since: the re-check
  // at t2's approval finds the capacity free again.
  void CapacityFindingClearedSinceSubmit() {
    PutFreshCommunity("fresh");
    Submitted("t1", Hours15({"fresh"}), Clerk("civil-affairs"));
    EXPECT_EQ(Approved("t1", "r1").state, domain::TaskState::kActive);
    domain::Task t2 = Submitted("t2", Hours15({"fresh"}), Clerk("housing"));
    ASSERT_THAT(RuleIds(t2.findings), ElementsAre("R-CAPACITY"));
    ASSERT_THAT(
        Do(Reviewer("r1"), TaskAction::kRevoke, "t1", "merged elsewhere"),
        IsOk());
  }

  domain::AuditEvent LastEventOf(const std::string& id) {
    std::vector<store::StoredEvent> events = EventsOf(id);
    return events.empty() ? domain::AuditEvent{} : events.back().event;
  }
};

// SPEC §4.1, the issue's "Must show": two 15-hour tasks for a fresh
// 20-hour community pass their submits (neither is in force yet); the
// second's approval meets R-CAPACITY.
TEST_F(ApprovalRecheckTest,
       SecondOfTwoTasksOverCapacityMustAcknowledgeCapacityAtApproval) {
  PutFreshCommunity("fresh");
  EXPECT_THAT(
      Submitted("t1", Hours15({"fresh"}), Clerk("civil-affairs")).findings,
      IsEmpty());
  EXPECT_THAT(Submitted("t2", Hours15({"fresh"}), Clerk("housing")).findings,
              IsEmpty());
  EXPECT_EQ(Approved("t1", "r1").state, domain::TaskState::kActive);

  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "t2"), IsOk());
  const int64_t events_before = EventCount();
  absl::Status refused =
      Do(Reviewer("r2"), TaskAction::kApprove, "t2", "fits").status();
  EXPECT_THAT(refused,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("R-CAPACITY"),
                             HasSubstr("community fresh"), HasSubstr("2026-05"),
                             HasSubstr("acknowledged with a reason"))));
  EXPECT_THAT(Fields(refused), ElementsAre("acknowledgements"));
  // A refusal changes nothing.
  EXPECT_EQ(EventCount(), events_before);
  ASSERT_OK_AND_ASSIGN(domain::Task unchanged, GetTask("t2"));
  EXPECT_EQ(unchanged.state, domain::TaskState::kInReview);
  EXPECT_THAT(unchanged.findings, IsEmpty());

  ASSERT_OK_AND_ASSIGN(
      domain::Task active,
      Do(Reviewer("r2"), TaskAction::kApprove, "t2", "fits",
         {{"R-CAPACITY", "the street lends a staff member until July"}}));
  EXPECT_EQ(active.state, domain::TaskState::kActive);
  ASSERT_THAT(RuleIds(active.findings), ElementsAre("R-CAPACITY"));
  EXPECT_EQ(active.findings[0].severity, domain::Severity::kWarn);
  EXPECT_THAT(active.findings[0].communities, ElementsAre("fresh"));

  ASSERT_OK_AND_ASSIGN(auto decisions, sqlite_->ListDecisions("default", "t2"));
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].findings, active.findings);
  EXPECT_THAT(decisions[0].acknowledgements,
              ElementsAre(domain::Acknowledgement{
                  "R-CAPACITY", "the street lends a staff member until July"}));
  const domain::AuditEvent approve = LastEventOf("t2");
  EXPECT_EQ(approve.action, "task.approve");
  EXPECT_THAT(
      approve.details,
      AllOf(Contains(Pair("findings", "R-CAPACITY:WARN")),
            Contains(Pair("findings_new", "R-CAPACITY new: community fresh")),
            Contains(Pair("acknowledged", "R-CAPACITY"))));
}

// SPEC §4.1: a re-check finding carries its structured data, with the
// numbers of the approval's moment - in the task, the decision and the
// approve event's writes. Numbers that moved on the same community leave
// the finding unchanged (workflow/rules.h `CompareWithCarried`): nothing
// new to acknowledge beyond the finding in force.
TEST_F(ApprovalRecheckTest, RecheckFindingCarriesTheLoadOfTheApprovalsMoment) {
  PutFreshCommunity("fresh");  // 20 h a month
  Submitted("t1", Hours15({"fresh"}), Clerk("civil-affairs"));
  EXPECT_EQ(Approved("t1", "r1").state, domain::TaskState::kActive);
  domain::Task t2 = Submitted("t2", Hours15({"fresh"}), Clerk("housing"));
  ASSERT_THAT(RuleIds(t2.findings), ElementsAre("R-CAPACITY"));
  const domain::CapacityExcess at_submit{
      "fresh", absl::CivilMonth(2026, 5), absl::CivilMonth(2026, 7), 15, 15,
      20};
  EXPECT_EQ(t2.findings[0].data,
            domain::FindingData(domain::CapacityData{{at_submit}}));
  // 2 h more in force on "fresh" from June: 17 h in June and July.
  domain::TaskSpec two_hours = Hours15({"fresh"});
  two_hours.hours_per_community_month = 2;
  two_hours.start_date = absl::CivilDay(2026, 6, 1);
  Submitted("t3", two_hours, Clerk("health"));
  EXPECT_EQ(Approved("t3", "r1").state, domain::TaskState::kActive);

  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "t2"), IsOk());
  ASSERT_OK_AND_ASSIGN(domain::Task active,
                       Do(Reviewer("r2"), TaskAction::kApprove, "t2", "",
                          {{"R-CAPACITY", "the street lends staff"}}));
  ASSERT_THAT(RuleIds(active.findings), ElementsAre("R-CAPACITY"));
  const domain::FindingData now =
      domain::CapacityData{{{"fresh", absl::CivilMonth(2026, 5),
                             absl::CivilMonth(2026, 5), 15, 15, 20},
                            {"fresh", absl::CivilMonth(2026, 6),
                             absl::CivilMonth(2026, 7), 17, 15, 20}}};
  EXPECT_EQ(active.findings[0].data, now);
  ASSERT_OK_AND_ASSIGN(domain::Task stored, GetTask("t2"));
  EXPECT_EQ(stored.findings, active.findings);
  ASSERT_OK_AND_ASSIGN(auto decisions, sqlite_->ListDecisions("default", "t2"));
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].findings[0].data, now);

  // The event: the same finding, not new or changed; its task write holds
  // the numbers before and after.
  const domain::AuditEvent approve = LastEventOf("t2");
  EXPECT_EQ(approve.action, "task.approve");
  EXPECT_THAT(approve.details,
              Not(Contains(Pair("findings_new", ::testing::_))));
  const domain::FieldChange* findings = nullptr;
  for (const domain::EntityWrite& w : approve.writes) {
    if (w.kind != "task" || w.id != "t2") continue;
    for (const domain::FieldChange& c : w.changes) {
      if (c.field == "findings") findings = &c;
    }
  }
  ASSERT_NE(findings, nullptr);
  EXPECT_THAT(findings->before, HasSubstr(R"("load_hours":15.0)"));
  EXPECT_THAT(findings->before, Not(HasSubstr(R"("load_hours":17.0)")));
  EXPECT_THAT(findings->after,
              HasSubstr(R"("first_month":"2026-06","last_month":"2026-07",)"
                        R"("load_hours":17.0,"task_hours":15.0})"));
}

class CapacityBlocksTest : public ApprovalRecheckTest {
 protected:
  EngineOptions Options() const override {
    EngineOptions options;
    options.rules.capacity_blocks = true;
    return options;
  }
};

TEST_F(CapacityBlocksTest, CapacityConfiguredAsBlockRefusesTheApproval) {
  PutFreshCommunity("fresh");
  Submitted("t1", Hours15({"fresh"}), Clerk("civil-affairs"));
  Submitted("t2", Hours15({"fresh"}), Clerk("housing"));
  EXPECT_EQ(Approved("t1", "r1").state, domain::TaskState::kActive);

  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "t2"), IsOk());
  EXPECT_THAT(Do(Reviewer("r2"), TaskAction::kApprove, "t2", "",
                 {{"R-CAPACITY", "we accept the load"}}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("BLOCK finding R-CAPACITY"),
                             HasSubstr("community fresh"),
                             HasSubstr("reject it or return it"))));
  ASSERT_OK_AND_ASSIGN(domain::Task t2, GetTask("t2"));
  EXPECT_EQ(t2.state, domain::TaskState::kInReview);
  ASSERT_OK_AND_ASSIGN(auto decisions, sqlite_->ListDecisions("default", "t2"));
  EXPECT_THAT(decisions, IsEmpty());
  // Returning it is still open to the reviewer.
  EXPECT_THAT(Do(Reviewer("r2"), TaskAction::kReturn, "t2", "lower the hours"),
              IsOk());
}

TEST_F(CapacityBlocksTest, BlockThatDisappearedBeforeApprovalNoLongerRefuses) {
  PutFreshCommunity("fresh");
  Submitted("t1", Hours15({"fresh"}), Clerk("civil-affairs"));
  EXPECT_EQ(Approved("t1", "r1").state, domain::TaskState::kActive);
  domain::Task t2 = Submitted("t2", Hours15({"fresh"}), Clerk("housing"));
  ASSERT_THAT(RuleIds(t2.findings), ElementsAre("R-CAPACITY"));
  ASSERT_EQ(t2.findings[0].severity, domain::Severity::kBlock);
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kRevoke, "t1", "merged elsewhere"),
              IsOk());

  domain::Task active = Approved("t2", "r2");
  EXPECT_EQ(active.state, domain::TaskState::kActive);
  EXPECT_THAT(active.findings, IsEmpty());
}

// SPEC §4.1: date ranges intersect inclusively. One shared day makes a
// duplicate through the whole path (the store's date filter, then the
// rule), whether the other task ends on this one's first day or starts on
// its last.
TEST_F(ApprovalRecheckTest, DuplicateSharingOnlyOneDayIsFoundEitherWay) {
  Submitted("t-a", CleanAssistSpec(), Clerk());  // 2026-05-01 .. 07-31
  domain::TaskSpec after = CleanAssistSpec();
  after.start_date = absl::CivilDay(2026, 7, 31);
  after.end_date = absl::CivilDay(2026, 9, 30);
  domain::Task b = Submitted("t-b", after, Clerk());
  ASSERT_THAT(RuleIds(b.findings), ElementsAre("R-DUPLICATE"));
  EXPECT_EQ(b.findings[0].related_task_id, "t-a");

  domain::TaskSpec before = CleanAssistSpec();
  before.start_date = absl::CivilDay(2026, 4, 15);
  before.end_date = absl::CivilDay(2026, 5, 1);
  domain::Task c = Submitted("t-c", before, Clerk());
  ASSERT_THAT(RuleIds(c.findings), ElementsAre("R-DUPLICATE"));
  EXPECT_EQ(c.findings[0].related_task_id, "t-a");

  // A day apart is no duplicate.
  domain::TaskSpec apart = CleanAssistSpec();
  apart.start_date = absl::CivilDay(2026, 10, 1);
  apart.end_date = absl::CivilDay(2026, 10, 31);
  EXPECT_THAT(Submitted("t-d", apart, Clerk()).findings, IsEmpty());
}

// R-DUPLICATE found only at approval: t-b's draft is older than t-a, but it
// was submitted after t-a, so t-a's submit saw no open duplicate.
TEST_F(ApprovalRecheckTest, DuplicateAppearingAfterSubmitMustBeAcknowledged) {
  Create("t-b", CleanAssistSpec());
  EXPECT_THAT(Submitted("t-a", CleanAssistSpec(), Clerk()).findings, IsEmpty());
  ASSERT_OK_AND_ASSIGN(domain::Task b, Do(Clerk(), TaskAction::kSubmit, "t-b"));
  ASSERT_THAT(RuleIds(b.findings), ElementsAre("R-DUPLICATE"));

  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t-a"), IsOk());
  EXPECT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, "t-a"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("R-DUPLICATE"), HasSubstr("task t-b"),
                             HasSubstr("acknowledged with a reason"))));
  ASSERT_OK_AND_ASSIGN(domain::Task a,
                       Do(Reviewer("r1"), TaskAction::kApprove, "t-a", "",
                          {{"R-DUPLICATE", "t-b covers other households"}}));
  EXPECT_EQ(a.state, domain::TaskState::kActive);
  ASSERT_THAT(RuleIds(a.findings), ElementsAre("R-DUPLICATE"));
  EXPECT_EQ(a.findings[0].related_task_id, "t-b");
  EXPECT_THAT(LastEventOf("t-a").details,
              Contains(Pair("findings_new", "R-DUPLICATE new: task t-b")));
}

// The semantics written in workflow/task_lifecycle.h: a finding the task
// carried since its submit and the re-check finds unchanged is not new, yet
// like every WARN finding in force it is acknowledged at each approval
// (SPEC §4.2).
TEST_F(ApprovalRecheckTest,
       UnchangedFindingIsNotNewButStillAcknowledgedAtEachApproval) {
  Submitted("t-a", CleanAssistSpec(), Clerk());
  domain::Task b = Submitted("t-b", CleanAssistSpec(), Clerk());
  ASSERT_THAT(RuleIds(b.findings), ElementsAre("R-DUPLICATE"));
  ASSERT_EQ(b.findings[0].related_task_id, "t-a");

  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t-b"), IsOk());
  EXPECT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, "t-b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("R-DUPLICATE"), HasSubstr("task t-a"))));
  ASSERT_OK_AND_ASSIGN(domain::Task approved,
                       Do(Reviewer("r1"), TaskAction::kApprove, "t-b", "",
                          {{"R-DUPLICATE", "a second round of visits"}}));
  EXPECT_EQ(approved.state, domain::TaskState::kActive);
  ASSERT_THAT(RuleIds(approved.findings), ElementsAre("R-DUPLICATE"));
  const domain::AuditEvent approve = LastEventOf("t-b");
  EXPECT_THAT(approve.details, Contains(Pair("findings", "R-DUPLICATE:WARN")));
  EXPECT_THAT(approve.details,
              Not(Contains(Pair("findings_new", ::testing::_))));
  EXPECT_THAT(approve.details,
              Not(Contains(Pair("findings_cleared", ::testing::_))));
}

TEST_F(ApprovalRecheckTest, FindingThatDisappearedNeedsNoAcknowledgement) {
  ASSERT_NO_FATAL_FAILURE(CapacityFindingClearedSinceSubmit());

  domain::Task active = Approved("t2", "r2");
  EXPECT_EQ(active.state, domain::TaskState::kActive);
  EXPECT_THAT(active.findings, IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto decisions, sqlite_->ListDecisions("default", "t2"));
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_THAT(decisions[0].findings, IsEmpty());
  EXPECT_THAT(decisions[0].acknowledgements, IsEmpty());
  EXPECT_THAT(LastEventOf("t2").details,
              AllOf(Contains(Pair("findings", "")),
                    Contains(Pair("findings_cleared",
                                  "R-CAPACITY cleared: community fresh"))));
}

// A reviewer who acknowledged what the task showed is not refused because
// the re-check cleared it meanwhile: the acknowledgement still names a
// finding the task had (SPEC §9). One naming a rule the task never had is
// refused.
TEST_F(ApprovalRecheckTest, AcknowledgingAFindingTheRecheckClearedIsAccepted) {
  ASSERT_NO_FATAL_FAILURE(CapacityFindingClearedSinceSubmit());

  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "t2"), IsOk());
  const absl::Status never =
      Do(Reviewer("r2"), TaskAction::kApprove, "t2", "",
         {{"R-CAPACITY", "seen"}, {"R-DUPLICATE", "just in case"}})
          .status();
  EXPECT_THAT(never, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("'R-DUPLICATE' names no WARN finding "
                                        "of task t2; acknowledge only its "
                                        "WARN findings (R-CAPACITY)")));
  EXPECT_THAT(Fields(never), ElementsAre("acknowledgements[1].rule_id"));

  ASSERT_OK_AND_ASSIGN(domain::Task active,
                       Do(Reviewer("r2"), TaskAction::kApprove, "t2", "",
                          {{"R-CAPACITY", "seen in the queue"}}));
  EXPECT_EQ(active.state, domain::TaskState::kActive);
  EXPECT_THAT(active.findings, IsEmpty());
}

// "Changed" (workflow/rules.h `CompareWithCarried`): the same rule over
// another set of communities.
TEST_F(ApprovalRecheckTest, FindingOverMoreCommunitiesIsChanged) {
  PutFreshCommunity("f1");
  PutFreshCommunity("f2");
  Submitted("on-f1", Hours15({"f1"}), Clerk("civil-affairs"));
  EXPECT_EQ(Approved("on-f1", "r1").state, domain::TaskState::kActive);
  domain::Task both = Submitted("both", Hours15({"f1", "f2"}), Clerk("health"));
  ASSERT_THAT(RuleIds(both.findings), ElementsAre("R-CAPACITY"));
  ASSERT_THAT(both.findings[0].communities, ElementsAre("f1"));
  Submitted("on-f2", Hours15({"f2"}), Clerk("housing"));
  EXPECT_EQ(Approved("on-f2", "r1").state, domain::TaskState::kActive);

  domain::Task active =
      Approved("both", "r2", {{"R-CAPACITY", "both streets add staff"}});
  EXPECT_EQ(active.state, domain::TaskState::kActive);
  ASSERT_THAT(RuleIds(active.findings), ElementsAre("R-CAPACITY"));
  EXPECT_THAT(active.findings[0].communities, ElementsAre("f1", "f2"));
  EXPECT_THAT(
      LastEventOf("both").details,
      Contains(Pair("findings_new", "R-CAPACITY changed: communities f1, f2")));
}

TEST_F(ApprovalRecheckTest, FirstOfTwoApprovalsAlsoRechecks) {
  PutFreshCommunity("fresh");
  domain::TaskSpec new_item = Hours15({"fresh"});
  new_item.item_code = "";
  new_item.new_item_justification = "a new national programme";
  domain::Task two = Submitted("two", new_item, Clerk("civil-affairs"));
  ASSERT_TRUE(two.needs_two_approvals);
  ASSERT_THAT(RuleIds(two.findings), ElementsAre("R-NEW-ITEM"));
  Submitted("other", Hours15({"fresh"}), Clerk("housing"));
  EXPECT_EQ(Approved("other", "r1").state, domain::TaskState::kActive);

  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "two"), IsOk());
  EXPECT_THAT(
      Do(Reviewer("r1"), TaskAction::kApprove, "two", "",
         {{"R-NEW-ITEM", "reviewed"}}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("R-CAPACITY"), HasSubstr("community fresh"))));
  const std::vector<domain::Acknowledgement> acks = {
      {"R-NEW-ITEM", "reviewed"}, {"R-CAPACITY", "the street lends staff"}};
  ASSERT_OK_AND_ASSIGN(
      domain::Task first,
      Do(Reviewer("r1"), TaskAction::kApprove, "two", "", acks));
  EXPECT_EQ(first.state, domain::TaskState::kSubmitted);  // awaits the second
  EXPECT_THAT(RuleIds(first.findings), ElementsAre("R-CAPACITY", "R-NEW-ITEM"));
  EXPECT_THAT(
      LastEventOf("two").details,
      AllOf(Contains(Pair("findings", "R-CAPACITY:WARN,R-NEW-ITEM:WARN")),
            Contains(Pair("approval", "1 of 2")),
            Contains(Pair("findings_new", "R-CAPACITY new: community fresh"))));

  // The second approval compares with what the first left: unchanged.
  ASSERT_THAT(Do(Reviewer("r2"), TaskAction::kClaim, "two"), IsOk());
  ASSERT_OK_AND_ASSIGN(
      domain::Task second,
      Do(Reviewer("r2"), TaskAction::kApprove, "two", "", acks));
  EXPECT_EQ(second.state, domain::TaskState::kActive);
  EXPECT_THAT(LastEventOf("two").details,
              Not(Contains(Pair("findings_new", ::testing::_))));
  ASSERT_OK_AND_ASSIGN(auto decisions,
                       sqlite_->ListDecisions("default", "two"));
  ASSERT_EQ(decisions.size(), 2u);
  EXPECT_THAT(RuleIds(decisions[0].findings),
              ElementsAre("R-CAPACITY", "R-NEW-ITEM"));
  EXPECT_THAT(RuleIds(decisions[1].findings),
              ElementsAre("R-CAPACITY", "R-NEW-ITEM"));
}

// R-CONTROLLED too: two certificate tasks each fit the community's limit
// at submit, but not both once the first is in force.
TEST_F(ApprovalRecheckTest, ControlledLimitReachedByAnotherApprovalIsNew) {
  domain::Community c;
  c.id = "certs";
  c.name = "Certificates";
  ASSERT_NO_FATAL_FAILURE(PutStreet("north"));
  c.street_id = "north";
  c.staff_count = 5;
  c.baseline_units = {{domain::ControlledBucket::kCertificate, 4}};  // of 5
  ASSERT_THAT(engine_->directory().PutCommunity(Admin(), "", c, 0), IsOk());
  domain::TaskSpec cert = CleanAssistSpec();
  cert.target_communities = {"certs"};
  cert.types = {domain::TaskType::kCertificate};
  cert.type_justifications = {
      {domain::TaskType::kCertificate, "required by the city"}};
  EXPECT_THAT(Submitted("x", cert, Clerk("civil-affairs")).findings, IsEmpty());
  EXPECT_THAT(Submitted("y", cert, Clerk("housing")).findings, IsEmpty());
  EXPECT_EQ(Approved("x", "r1").state, domain::TaskState::kActive);

  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "y"), IsOk());
  EXPECT_THAT(Do(Reviewer("r1"), TaskAction::kApprove, "y"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("R-CONTROLLED"),
                             HasSubstr("controlled type certificate"),
                             HasSubstr("community certs"))));
  ASSERT_OK_AND_ASSIGN(domain::Task y,
                       Do(Reviewer("r1"), TaskAction::kApprove, "y", "",
                          {{"R-CONTROLLED", "the old certificate lapses"}}));
  EXPECT_EQ(y.state, domain::TaskState::kActive);
  ASSERT_THAT(RuleIds(y.findings), ElementsAre("R-CONTROLLED"));
  EXPECT_EQ(y.findings[0].controlled_type, "certificate");
  EXPECT_THAT(LastEventOf("y").details,
              Contains(Pair("findings_new",
                            "R-CONTROLLED new: controlled type certificate, "
                            "community certs")));
}

}  // namespace
}  // namespace taskgate::workflow
