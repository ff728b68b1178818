// End to end through the real server: the structured data of findings
// (SPEC §4.1 "A finding carries structured data") reaches clients in the
// API's typed fields and the record in the audit events, and a task shows
// that it awaits its second approval, which the review queue filters by
// (SPEC §4.1 "Two approvals").
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_fixture.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class FindingsTest : public E2eTest {
 protected:
  // The finding of `rule_id` in `task` with `severity`; fails the test and
  // returns an empty one when there is none.
  static v1::Finding FindingOf(const v1::Task& task, const std::string& rule_id,
                               v1::Severity severity = v1::SEVERITY_WARN) {
    for (const v1::Finding& f : task.findings()) {
      if (f.rule_id() == rule_id && f.severity() == severity) return f;
    }
    ADD_FAILURE() << "task " << task.id() << " has no " << rule_id;
    return v1::Finding();
  }

  // The ids of the review queue under `filter`, as reviewer 2 reads it.
  std::vector<std::string> QueueIds(const std::string& filter) {
    v1::ListReviewQueueRequest r;
    r.set_filter(filter);
    absl::StatusOr<v1::ListTasksResponse> queue =
        Call(reviewer2_, *reviews_, &ReviewStub::ListReviewQueue, r);
    EXPECT_THAT(queue, IsOk()) << filter;
    std::vector<std::string> ids;
    if (queue.ok()) {
      for (const v1::Task& t : queue->tasks()) ids.push_back(t.id());
    }
    return ids;
  }
};

// One task that meets every rule with data: over capacity in two
// communities (months of different load apart), starting in 18 days,
// duplicating an ACTIVE task of its department, with a signboard over the
// limit of 0 and a ledger without justification.
TEST_F(FindingsTest, TheDataOfEveryRuleWithNumbersArrivesThroughTheApi) {
  v1::TaskSpec in_force = CleanAssistSpec();  // 2026-05-01..02, c1
  in_force.set_hours_per_community_month(45);
  const std::string active_id = SubmittedTask(in_force, &reviewer_);
  ASSERT_OK_AND_ASSIGN(v1::Task active,
                       Act(reviewer_, Step::kApprove, active_id));
  ASSERT_EQ(active.state(), v1::TASK_STATE_ACTIVE);

  v1::TaskSpec spec = CleanAssistSpec();
  spec.set_start_date("2026-03-20");  // submitted 2026-03-02: 18 days
  spec.set_end_date("2026-05-31");
  spec.add_target_communities("c2");
  spec.set_hours_per_community_month(90);  // c1 and c2: 20 h baseline
  spec.set_funding_per_community_yuan(9000);
  spec.add_types(v1::TASK_TYPE_SIGNBOARD);
  spec.add_types(v1::TASK_TYPE_LEDGER);
  (*spec.mutable_type_justifications())["signboard"] = "服务站标识";
  spec.set_signboards_per_community(1);
  ASSERT_OK_AND_ASSIGN(v1::Task draft, CreateTask(clerk_, spec, "t-data"));
  ASSERT_OK_AND_ASSIGN(v1::Task t, Act(clerk_, Step::kSubmit, "t-data"));

  // R-CAPACITY: c1 carries 20 h in March and April and 65 h in May (the
  // ACTIVE task), c2 20 h throughout; 90 h more is over 100 h in each.
  const v1::Finding capacity = FindingOf(t, "R-CAPACITY");
  ASSERT_EQ(capacity.details_case(), v1::Finding::kCapacity);
  ASSERT_EQ(capacity.capacity().excesses_size(), 3);
  const auto& c1_spring = capacity.capacity().excesses(0);
  EXPECT_EQ(c1_spring.community_id(), "c1");
  EXPECT_EQ(c1_spring.first_month(), "2026-03");
  EXPECT_EQ(c1_spring.last_month(), "2026-04");
  EXPECT_EQ(c1_spring.load_hours(), 20);
  EXPECT_EQ(c1_spring.task_hours(), 90);
  EXPECT_EQ(c1_spring.capacity_hours(), 100);
  const auto& c1_may = capacity.capacity().excesses(1);
  EXPECT_EQ(c1_may.community_id(), "c1");
  EXPECT_EQ(c1_may.first_month(), "2026-05");
  EXPECT_EQ(c1_may.last_month(), "2026-05");
  EXPECT_EQ(c1_may.load_hours(), 65);
  const auto& c2 = capacity.capacity().excesses(2);
  EXPECT_EQ(c2.community_id(), "c2");
  EXPECT_EQ(c2.first_month(), "2026-03");
  EXPECT_EQ(c2.last_month(), "2026-05");
  EXPECT_EQ(c2.load_hours(), 20);

  // R-LEAD-TIME: 18 days of the 30 required.
  const v1::Finding lead = FindingOf(t, "R-LEAD-TIME");
  ASSERT_EQ(lead.details_case(), v1::Finding::kLeadTime);
  EXPECT_EQ(lead.lead_time().lead_days(), 18);
  EXPECT_EQ(lead.lead_time().required_days(), 30);

  // R-DUPLICATE: the ACTIVE task of the same department and item.
  const v1::Finding duplicate = FindingOf(t, "R-DUPLICATE");
  ASSERT_EQ(duplicate.details_case(), v1::Finding::kDuplicate);
  EXPECT_THAT(duplicate.duplicate().task_ids(), ElementsAre(active_id));
  EXPECT_EQ(duplicate.related_task_id(), active_id);

  // R-CONTROLLED: the ledger without justification (BLOCK), the signboard
  // over its limit in both communities (WARN).
  const v1::Finding unjustified =
      FindingOf(t, "R-CONTROLLED", v1::SEVERITY_BLOCK);
  ASSERT_EQ(unjustified.details_case(), v1::Finding::kControlled);
  EXPECT_THAT(unjustified.controlled().unjustified_types(),
              ElementsAre(v1::TASK_TYPE_LEDGER));
  EXPECT_THAT(unjustified.controlled().excesses(), IsEmpty());
  const v1::Finding signboard = FindingOf(t, "R-CONTROLLED");
  ASSERT_EQ(signboard.details_case(), v1::Finding::kControlled);
  EXPECT_EQ(signboard.controlled().controlled_type(), "signboard");
  ASSERT_EQ(signboard.controlled().excesses_size(), 2);
  for (int i = 0; i < 2; ++i) {
    const v1::ControlledExcess& e = signboard.controlled().excesses(i);
    EXPECT_EQ(e.community_id(), i == 0 ? "c1" : "c2");
    EXPECT_EQ(e.baseline_units(), 0);
    EXPECT_EQ(e.tasks_units(), 0);
    EXPECT_EQ(e.task_units(), 1);
    EXPECT_EQ(e.units_in_force(), 1);
    EXPECT_EQ(e.limit(), 0);
  }

  // The rules without numbers have none.
  for (const v1::Finding& f : t.findings()) {
    if (f.rule_id() == "R-CAPACITY" || f.rule_id() == "R-LEAD-TIME" ||
        f.rule_id() == "R-DUPLICATE" || f.rule_id() == "R-CONTROLLED") {
      continue;
    }
    EXPECT_EQ(f.details_case(), v1::Finding::DETAILS_NOT_SET) << f.rule_id();
  }

  // The same as read back later, and in the submit's audit event.
  ASSERT_OK_AND_ASSIGN(v1::Task read, GetTask(auditor_, "t-data"));
  ASSERT_EQ(read.findings_size(), t.findings_size());
  for (int i = 0; i < t.findings_size(); ++i) {
    EXPECT_EQ(read.findings(i).SerializeAsString(),
              t.findings(i).SerializeAsString())
        << t.findings(i).rule_id();
  }
  v1::ListEventsRequest events;
  events.set_task_id("t-data");
  events.set_action("task.submit");
  const std::vector<v1::AuditEvent> submits = Events(events);
  ASSERT_EQ(submits.size(), 1u);
  std::string recorded;
  for (const v1::EntityWrite& w : submits[0].writes()) {
    for (const v1::FieldChange& c : w.changes()) {
      if (w.kind() == "task" && c.field() == "findings") {
        recorded = c.after();
      }
    }
  }
  EXPECT_THAT(recorded,
              HasSubstr(R"("lead_time":{"lead_days":18,"required_days":30})"));
  EXPECT_THAT(recorded, HasSubstr(R"("duplicate":{"task_ids":[")"));
}

// SPEC §4.1 "Two approvals": the task's own field, from the first approval
// to the second, and the review queue's filter by it.
TEST_F(FindingsTest, AwaitingSecondApprovalIsShownAndFiltersTheQueue) {
  v1::TaskSpec new_item = CleanAssistSpec();
  new_item.clear_item_code();
  new_item.set_new_item_justification("a new national programme");
  ASSERT_OK_AND_ASSIGN(v1::Task draft, CreateTask(clerk_, new_item, "t-two"));
  ASSERT_OK_AND_ASSIGN(v1::Task submitted, Act(clerk_, Step::kSubmit, "t-two"));
  EXPECT_FALSE(submitted.awaiting_second_approval());
  const std::string single = SubmittedTask(CleanAssistSpec());
  const std::vector<std::pair<std::string, std::string>> acks = {
      {"R-NEW-ITEM", "funded by the city"}};

  ASSERT_THAT(Act(reviewer_, Step::kClaim, "t-two"), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Task first,
                       Act(reviewer_, Step::kApprove, "t-two", "", acks));
  EXPECT_EQ(first.state(), v1::TASK_STATE_SUBMITTED);
  EXPECT_TRUE(first.awaiting_second_approval());
  ASSERT_OK_AND_ASSIGN(v1::Task seen_by_clerk, GetTask(clerk_, "t-two"));
  EXPECT_TRUE(seen_by_clerk.awaiting_second_approval());
  EXPECT_THAT(QueueIds("awaiting_second_approval=true"), ElementsAre("t-two"));
  EXPECT_THAT(QueueIds("awaiting_second_approval=false"), ElementsAre(single));

  // Claimed by the second reviewer it still awaits that approval.
  ASSERT_OK_AND_ASSIGN(v1::Task claimed,
                       Act(reviewer2_, Step::kClaim, "t-two"));
  EXPECT_TRUE(claimed.awaiting_second_approval());
  EXPECT_THAT(QueueIds("awaiting_second_approval=true AND state=IN_REVIEW"),
              ElementsAre("t-two"));
  ASSERT_OK_AND_ASSIGN(v1::Task second,
                       Act(reviewer2_, Step::kApprove, "t-two", "", acks));
  EXPECT_EQ(second.state(), v1::TASK_STATE_ACTIVE);
  EXPECT_FALSE(second.awaiting_second_approval());
  EXPECT_THAT(QueueIds("awaiting_second_approval=true"), IsEmpty());

  // A bad filter names the field and changes nothing.
  v1::ListReviewQueueRequest bad;
  bad.set_filter("awaiting_second_approval=soon");
  grpc::Status raw;
  EXPECT_THAT(
      Call(reviewer2_, *reviews_, &ReviewStub::ListReviewQueue, bad, &raw),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("use true or false")));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("filter"));
  bad.set_filter("state=ACTIVE");
  EXPECT_THAT(
      Call(reviewer2_, *reviews_, &ReviewStub::ListReviewQueue, bad, &raw),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("never in the review queue")));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("filter"));
}

}  // namespace
}  // namespace taskgate::e2e
