#include "domain/codec.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <absl/status/status.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/types.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::domain {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

// 2026-03-02T01:02:03.000004Z, with a microsecond part to catch truncation.
absl::Time T(int64_t seconds_after) {
  return absl::FromUnixMicros(1772413323000004) + absl::Seconds(seconds_after);
}

domain::Task FullTask() {
  domain::Task t;
  t.district_id = "d1";
  t.id = "task-42";
  t.department_id = "dept-civil";
  domain::TaskSpec& s = t.spec;
  s.title = "垃圾分类入户宣传";
  s.description = "line one\nline \"two\"\t\\ end";
  s.item_code = "A-017";
  s.new_item_justification = "needed because";
  s.legal_basis = "《固体废物污染环境防治法》第四十九条";
  s.types = {domain::TaskType::kLedger, domain::TaskType::kForm,
             domain::TaskType::kSignboard, domain::TaskType::kEvaluation};
  s.type_justifications = {{domain::TaskType::kLedger, "one ledger"},
                           {domain::TaskType::kSignboard, "one sign"}};
  s.long_term = true;
  s.start_date = absl::CivilDay(2026, 4, 1);
  s.end_date = absl::CivilDay(2026, 12, 31);
  s.target_communities = {"c1", "c2"};
  s.target_streets = {"street-east"};
  s.hours_per_community_month = 12.345678901234567;
  s.funding_per_community_yuan = 9000000000LL;  // beyond int32
  s.funding_source = "district budget";
  s.authority_delegated = "inspection authority";
  s.department_duties = "trains staff";
  s.community_duties = "door to door";
  s.support_given = "leaflets";
  s.assessment_method = "self report";
  s.forms_ledgers_added = 2;
  s.signboards_per_community = 1;
  s.emergency = true;
  s.emergency_reason = "typhoon";
  t.state = domain::TaskState::kInReview;
  t.version = 7;
  t.resolved_communities = {"c1", "c2", "c3"};
  domain::Finding f1;
  f1.rule_id = "R-CAPACITY";
  f1.severity = domain::Severity::kBlock;
  f1.fields = {"hours_per_community_month"};
  f1.message = "over capacity";
  f1.communities = {"c2", "c3"};
  domain::Finding f2;
  f2.rule_id = "R-DUPLICATE";
  f2.severity = domain::Severity::kWarn;
  f2.fields = {"item_code", "start_date"};
  f2.message = "duplicate";
  f2.related_task_id = "task-1";
  f2.catalog_item_code = "N-3";
  t.findings = {f1, f2};
  t.catalog_version = 3;
  t.needs_two_approvals = true;
  t.approvals = {{"rev-1", T(10)}, {"rev-2", T(20)}};
  t.claimed_by = "rev-2";
  t.sla.total_working_days = 15;
  t.sla.used_working_days = 4;
  t.sla.clock_start = absl::CivilDay(2026, 3, 2);
  t.sla.due_date = absl::CivilDay(2026, 3, 17);
  t.sla.overdue = true;
  t.admitted_by_duty_list = true;
  t.submitted_at = T(5);
  t.created_at = T(0);
  t.updated_at = T(30);
  t.timer_at = T(-86400);  // before created_at is still just a time
  return t;
}

void ExpectSameTask(const domain::Task& got, const domain::Task& want) {
  EXPECT_EQ(got.district_id, want.district_id);
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.department_id, want.department_id);
  const domain::TaskSpec& g = got.spec;
  const domain::TaskSpec& w = want.spec;
  EXPECT_EQ(g.title, w.title);
  EXPECT_EQ(g.description, w.description);
  EXPECT_EQ(g.item_code, w.item_code);
  EXPECT_EQ(g.new_item_justification, w.new_item_justification);
  EXPECT_EQ(g.legal_basis, w.legal_basis);
  EXPECT_EQ(g.types, w.types);
  EXPECT_EQ(g.type_justifications, w.type_justifications);
  EXPECT_EQ(g.long_term, w.long_term);
  EXPECT_EQ(g.start_date, w.start_date);
  EXPECT_EQ(g.end_date, w.end_date);
  EXPECT_EQ(g.target_communities, w.target_communities);
  EXPECT_EQ(g.target_streets, w.target_streets);
  EXPECT_EQ(g.hours_per_community_month, w.hours_per_community_month);
  EXPECT_EQ(g.funding_per_community_yuan, w.funding_per_community_yuan);
  EXPECT_EQ(g.funding_source, w.funding_source);
  EXPECT_EQ(g.authority_delegated, w.authority_delegated);
  EXPECT_EQ(g.department_duties, w.department_duties);
  EXPECT_EQ(g.community_duties, w.community_duties);
  EXPECT_EQ(g.support_given, w.support_given);
  EXPECT_EQ(g.assessment_method, w.assessment_method);
  EXPECT_EQ(g.forms_ledgers_added, w.forms_ledgers_added);
  EXPECT_EQ(g.signboards_per_community, w.signboards_per_community);
  EXPECT_EQ(g.emergency, w.emergency);
  EXPECT_EQ(g.emergency_reason, w.emergency_reason);
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.resolved_communities, want.resolved_communities);
  EXPECT_EQ(got.findings, want.findings);
  EXPECT_EQ(got.catalog_version, want.catalog_version);
  EXPECT_EQ(got.needs_two_approvals, want.needs_two_approvals);
  ASSERT_EQ(got.approvals.size(), want.approvals.size());
  for (size_t i = 0; i < want.approvals.size(); ++i) {
    EXPECT_EQ(got.approvals[i].reviewer_id, want.approvals[i].reviewer_id);
    EXPECT_EQ(got.approvals[i].at, want.approvals[i].at);
  }
  EXPECT_EQ(got.claimed_by, want.claimed_by);
  EXPECT_EQ(got.sla.total_working_days, want.sla.total_working_days);
  EXPECT_EQ(got.sla.used_working_days, want.sla.used_working_days);
  EXPECT_EQ(got.sla.clock_start, want.sla.clock_start);
  EXPECT_EQ(got.sla.due_date, want.sla.due_date);
  EXPECT_EQ(got.sla.overdue, want.sla.overdue);
  EXPECT_EQ(got.admitted_by_duty_list, want.admitted_by_duty_list);
  EXPECT_EQ(got.submitted_at, want.submitted_at);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.updated_at, want.updated_at);
  EXPECT_EQ(got.timer_at, want.timer_at);
}

TEST(TaskCodec, RoundTripsEveryField) {
  const domain::Task want = FullTask();
  const std::string json = domain::TaskToJson(want);
  ASSERT_OK_AND_ASSIGN(domain::Task got, domain::TaskFromJson(json));
  ExpectSameTask(got, want);
  EXPECT_EQ(domain::TaskToJson(got), json);
}

TEST(TaskCodec, RoundTripsDefaultTask) {
  const domain::Task want;
  ASSERT_OK_AND_ASSIGN(domain::Task got,
                       domain::TaskFromJson(domain::TaskToJson(want)));
  ExpectSameTask(got, want);
  EXPECT_FALSE(got.sla.due_date.has_value());
  EXPECT_FALSE(got.submitted_at.has_value());
  EXPECT_FALSE(got.timer_at.has_value());
}

TEST(TaskCodec, WritesStableNamesAndMicroseconds) {
  domain::Task t;
  t.state = domain::TaskState::kInReview;
  t.spec.type_justifications = {{domain::TaskType::kCreationCampaign, "x"}};
  t.created_at = absl::FromUnixMicros(1772413323000004);
  t.sla.clock_start = absl::CivilDay(2026, 3, 2);
  const std::string json = domain::TaskToJson(t);
  EXPECT_THAT(json, HasSubstr(R"("state":"IN_REVIEW")"));
  EXPECT_THAT(json,
              HasSubstr(R"("type_justifications":{"creation_campaign":"x"})"));
  EXPECT_THAT(json, HasSubstr(R"("created_at":1772413323000004)"));
  EXPECT_THAT(json, HasSubstr(R"("clock_start":"2026-03-02")"));
  EXPECT_THAT(json, HasSubstr(R"("due_date":null)"));
}

TEST(TaskCodec, EqualTasksEncodeToEqualBytes) {
  domain::Task a = FullTask();
  domain::Task b = FullTask();
  // Insertion order of a map must not matter.
  b.spec.type_justifications.clear();
  b.spec.type_justifications[domain::TaskType::kSignboard] = "one sign";
  b.spec.type_justifications[domain::TaskType::kLedger] = "one ledger";
  EXPECT_EQ(domain::TaskToJson(a), domain::TaskToJson(b));
  b.spec.title += "!";
  EXPECT_NE(domain::TaskToJson(a), domain::TaskToJson(b));
}

TEST(TaskCodec, MissingMembersTakeDefaultsAndUnknownOnesAreIgnored) {
  ASSERT_OK_AND_ASSIGN(
      domain::Task got,
      domain::TaskFromJson(
          R"({"id":"t1","future_member":{"a":[1,2]},"sla":{}})"));
  EXPECT_EQ(got.id, "t1");
  EXPECT_EQ(got.state, domain::TaskState::kDraft);
  EXPECT_EQ(got.version, 0);
  EXPECT_EQ(got.sla.clock_start, absl::CivilDay(1970, 1, 1));
  EXPECT_FALSE(got.sla.due_date.has_value());
  EXPECT_FALSE(got.submitted_at.has_value());
  EXPECT_EQ(got.created_at, absl::UnixEpoch());
}

TEST(TaskCodec, RejectsMalformedJson) {
  EXPECT_THAT(domain::TaskFromJson(R"({"id":"t1")"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("task json: is not valid json")));
  EXPECT_THAT(domain::TaskFromJson(""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("task json: is not valid json")));
  EXPECT_THAT(domain::TaskFromJson(R"({"id":"t1"} trailing)"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("task json: is not valid json")));
}

TEST(TaskCodec, RejectsNonObjectTopLevel) {
  EXPECT_THAT(domain::TaskFromJson("[1,2]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "task json: expected an object, got array"));
}

TEST(TaskCodec, RejectsWrongMemberType) {
  EXPECT_THAT(domain::TaskFromJson(R"({"version":"7"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "task json: member 'version' has wrong type: expected "
                       "integer, got string"));
  EXPECT_THAT(domain::TaskFromJson(R"({"spec":{"long_term":1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "task json: member 'spec.long_term' has wrong type: "
                       "expected boolean, got number"));
  EXPECT_THAT(domain::TaskFromJson(
                  R"({"findings":[{"rule_id":"R-X"},{"fields":"a"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "task json: member 'findings[1].fields' has wrong "
                       "type: expected array, got string"));
  EXPECT_THAT(domain::TaskFromJson(R"({"created_at":1.5})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("member 'created_at' has wrong type")));
}

TEST(TaskCodec, RejectsOutOfRangeIntegers) {
  EXPECT_THAT(
      domain::TaskFromJson(R"({"spec":{"forms_ledgers_added":2147483648}})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "task json: member 'spec.forms_ledgers_added' is out "
               "of range"));
  EXPECT_THAT(domain::TaskFromJson(R"({"version":9223372036854775808})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "task json: member 'version' is out of range"));
}

TEST(TaskCodec, RejectsUnknownEnumName) {
  EXPECT_THAT(domain::TaskFromJson(R"({"state":"FOO"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "task json: member 'state' has unknown value 'FOO'"));
  EXPECT_THAT(domain::TaskFromJson(R"({"spec":{"types":["ledger","bogus"]}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "task json: member 'spec.types[1]' has unknown value "
                       "'bogus'"));
  EXPECT_THAT(
      domain::TaskFromJson(R"({"spec":{"type_justifications":{"bogus":"x"}}})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "task json: member 'spec.type_justifications' has unknown key "
               "'bogus'"));
}

TEST(TaskCodec, RejectsBadDate) {
  EXPECT_THAT(domain::TaskFromJson(R"({"spec":{"start_date":"2026-02-30"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "task json: member 'spec.start_date' has invalid date "
                       "'2026-02-30': want YYYY-MM-DD"));
  EXPECT_THAT(domain::TaskFromJson(R"({"sla":{"due_date":"2026-3-1"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("member 'sla.due_date' has invalid date")));
}

TEST(CommunityCodec, RoundTrips) {
  domain::Community want;
  want.district_id = "d1";
  want.id = "c7";
  want.name = "东风社区";
  want.street = "东风街道";
  want.staff_count = 11;
  want.monthly_capacity_hours = 220.5;
  want.baseline_hours = 0.1;
  want.baseline_units = {{domain::ControlledBucket::kFormsAndLedgers, 12},
                         {domain::ControlledBucket::kSignboard, 3},
                         {domain::ControlledBucket::kTraining, 0}};
  want.version = 5;
  const std::string json = domain::CommunityToJson(want);
  EXPECT_THAT(json, HasSubstr(R"("baseline_units":{"forms_and_ledgers":12,)"
                              R"("signboard":3,"training":0})"));
  ASSERT_OK_AND_ASSIGN(domain::Community got, domain::CommunityFromJson(json));
  EXPECT_EQ(got.district_id, "d1");
  EXPECT_EQ(got.id, "c7");
  EXPECT_EQ(got.name, "东风社区");
  EXPECT_EQ(got.street, "东风街道");
  EXPECT_EQ(got.staff_count, 11);
  EXPECT_EQ(got.monthly_capacity_hours, 220.5);
  EXPECT_EQ(got.baseline_hours, 0.1);
  EXPECT_THAT(got.baseline_units,
              ElementsAre(Pair(domain::ControlledBucket::kFormsAndLedgers, 12),
                          Pair(domain::ControlledBucket::kSignboard, 3),
                          Pair(domain::ControlledBucket::kTraining, 0)));
  EXPECT_EQ(got.version, 5);
  EXPECT_EQ(domain::CommunityToJson(got), json);
}

TEST(CommunityCodec, RejectsUnknownBucketAndBadCount) {
  EXPECT_THAT(domain::CommunityFromJson(R"({"baseline_units":{"ledger":1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "community json: member 'baseline_units' has unknown "
                       "key 'ledger'"));
  EXPECT_THAT(
      domain::CommunityFromJson(R"({"baseline_units":{"signboard":"1"}})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "community json: member 'baseline_units.signboard' "
               "has wrong type: expected integer, got string"));
}

TEST(CatalogCodec, RoundTrips) {
  domain::CatalogVersion want;
  want.district_id = "d1";
  want.version = 2;
  want.published_at = T(100);
  want.published_by = "admin-1";
  want.note = "second edition";
  domain::CatalogItem duty;
  duty.code = "D-1";
  duty.kind = domain::ListKind::kDuty;
  duty.title = "resident registration";
  duty.legal_basis = "law 1";
  domain::CatalogItem negative;
  negative.code = "N-1";
  negative.kind = domain::ListKind::kNegative;
  negative.title = "enforcement";
  negative.keywords = {"执法", "拆违"};
  want.items = {duty, negative};
  const std::string json = domain::CatalogToJson(want);
  ASSERT_OK_AND_ASSIGN(domain::CatalogVersion got,
                       domain::CatalogFromJson(json));
  EXPECT_EQ(got.district_id, "d1");
  EXPECT_EQ(got.version, 2);
  EXPECT_EQ(got.published_at, T(100));
  EXPECT_EQ(got.published_by, "admin-1");
  EXPECT_EQ(got.note, "second edition");
  ASSERT_EQ(got.items.size(), 2u);
  EXPECT_EQ(got.items[0].code, "D-1");
  EXPECT_EQ(got.items[0].kind, domain::ListKind::kDuty);
  EXPECT_EQ(got.items[0].title, "resident registration");
  EXPECT_EQ(got.items[0].legal_basis, "law 1");
  EXPECT_TRUE(got.items[0].keywords.empty());
  EXPECT_EQ(got.items[1].code, "N-1");
  EXPECT_EQ(got.items[1].kind, domain::ListKind::kNegative);
  EXPECT_EQ(got.items[1].title, "enforcement");
  EXPECT_EQ(got.items[1].legal_basis, "");
  EXPECT_THAT(got.items[1].keywords, ElementsAre("执法", "拆违"));
  EXPECT_EQ(domain::CatalogToJson(got), json);
}

TEST(CatalogCodec, RejectsUnknownListKind) {
  EXPECT_THAT(
      domain::CatalogFromJson(R"({"items":[{"code":"X","kind":"maybe"}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "catalog json: member 'items[0].kind' has unknown "
               "value 'maybe'"));
}

TEST(CalendarCodec, RoundTrips) {
  domain::CalendarYear want;
  want.district_id = "d1";
  want.year = 2026;
  want.version = 3;
  want.holidays = {absl::CivilDay(2026, 2, 15), absl::CivilDay(2026, 2, 16)};
  want.makeup_workdays = {absl::CivilDay(2026, 2, 14)};
  want.note = "国务院办公厅通知";
  want.published_at = T(100);
  want.published_by = "admin-1";
  const std::string json = domain::CalendarYearToJson(want);
  EXPECT_THAT(json, HasSubstr(R"("makeup_workdays":["2026-02-14"])"));
  ASSERT_OK_AND_ASSIGN(domain::CalendarYear got,
                       domain::CalendarYearFromJson(json));
  EXPECT_EQ(got.district_id, "d1");
  EXPECT_EQ(got.year, 2026);
  EXPECT_EQ(got.version, 3);
  EXPECT_EQ(got.holidays, want.holidays);
  EXPECT_EQ(got.makeup_workdays, want.makeup_workdays);
  EXPECT_EQ(got.note, want.note);
  EXPECT_EQ(got.published_at, T(100));
  EXPECT_EQ(got.published_by, "admin-1");
  EXPECT_EQ(domain::CalendarYearToJson(got), json);
}

TEST(CalendarCodec, RejectsAnImpossibleDay) {
  EXPECT_THAT(domain::CalendarYearFromJson(
                  R"({"year":2026,"holidays":["2026-02-30"]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("member 'holidays[0]' has invalid date")));
}

TEST(DecisionCodec, RoundTrips) {
  domain::Decision want;
  want.district_id = "d1";
  want.task_id = "task-42";
  want.kind = domain::DecisionKind::kDutyListAdmit;
  want.decided_by = "system";
  want.decided_by_role = domain::Role::kSystem;
  want.reason = "duty list item D-1";
  want.acknowledgements = {{"R-LEAD-TIME", "agreed with street"},
                           {"R-CONTROLLED", "replaces an old ledger"}};
  want.catalog_version = 4;
  want.decided_at = T(200);
  const std::string json = domain::DecisionToJson(want);
  ASSERT_OK_AND_ASSIGN(domain::Decision got, domain::DecisionFromJson(json));
  EXPECT_EQ(got.district_id, "d1");
  EXPECT_EQ(got.task_id, "task-42");
  EXPECT_EQ(got.kind, domain::DecisionKind::kDutyListAdmit);
  EXPECT_EQ(got.decided_by, "system");
  EXPECT_EQ(got.decided_by_role, domain::Role::kSystem);
  EXPECT_EQ(got.reason, "duty list item D-1");
  EXPECT_THAT(
      got.acknowledgements,
      ElementsAre(
          domain::Acknowledgement{"R-LEAD-TIME", "agreed with street"},
          domain::Acknowledgement{"R-CONTROLLED", "replaces an old ledger"}));
  EXPECT_EQ(got.catalog_version, 4);
  EXPECT_EQ(got.decided_at, T(200));
  EXPECT_EQ(domain::DecisionToJson(got), json);
}

TEST(DecisionCodec, RoundTripsTheFindingsItWasMadeUnder) {
  domain::Decision want;
  want.task_id = "task-7";
  want.kind = domain::DecisionKind::kApprove;
  want.decided_by = "rev-1";
  domain::Finding capacity;
  capacity.rule_id = "R-CAPACITY";
  capacity.severity = domain::Severity::kWarn;
  capacity.fields = {"hours_per_community_month", "target_communities"};
  capacity.message = "over monthly capacity";
  capacity.communities = {"c1", "c2"};
  domain::Finding controlled;
  controlled.rule_id = "R-CONTROLLED";
  controlled.severity = domain::Severity::kWarn;
  controlled.communities = {"c1"};
  controlled.controlled_type = "signboard";
  want.findings = {capacity, controlled};
  want.acknowledgements = {{"R-CAPACITY", "street lends staff"},
                           {"R-CONTROLLED", "replaces an old board"}};
  const std::string json = domain::DecisionToJson(want);
  ASSERT_OK_AND_ASSIGN(domain::Decision got, domain::DecisionFromJson(json));
  EXPECT_THAT(got.findings, ElementsAre(capacity, controlled));
  EXPECT_EQ(domain::DecisionToJson(got), json);
}

TEST(DecisionCodec, DecisionStoredBeforeFindingsWereKeptHasNone) {
  ASSERT_OK_AND_ASSIGN(
      domain::Decision got,
      domain::DecisionFromJson(R"({"task_id":"t1","kind":"approve"})"));
  EXPECT_THAT(got.findings, IsEmpty());
}

// ------------------------------------------------- the data of findings

// One finding of each rule with data (SPEC §4.1), with every member set.
std::vector<domain::Finding> FindingsWithData() {
  domain::Finding capacity;
  capacity.rule_id = "R-CAPACITY";
  capacity.communities = {"c1", "c2"};
  capacity.data = domain::CapacityData{
      {{"c1", absl::CivilMonth(2026, 5), absl::CivilMonth(2026, 7), 87.5,
        12.345678901234567, 100},
       {"c2", absl::CivilMonth(2026, 12), absl::CivilMonth(2027, 1), 0, 101,
        100}}};
  domain::Finding over_limit;
  over_limit.rule_id = "R-CONTROLLED";
  over_limit.communities = {"c1"};
  over_limit.controlled_type = "signboard";
  over_limit.data = domain::ControlledData{{{"c1", 2, 3, 1, 4}}, {}};
  domain::Finding unjustified;
  unjustified.rule_id = "R-CONTROLLED";
  unjustified.severity = domain::Severity::kBlock;
  unjustified.data = domain::ControlledData{
      {}, {domain::TaskType::kLedger, domain::TaskType::kSignboard}};
  domain::Finding duplicate;
  duplicate.rule_id = "R-DUPLICATE";
  duplicate.related_task_id = "t-1";
  duplicate.data = domain::DuplicateData{{"t-1"}};
  domain::Finding lead;
  lead.rule_id = "R-LEAD-TIME";
  lead.data = domain::LeadTimeData{-3, 30};
  domain::Finding none;
  none.rule_id = "R-NEW-ITEM";
  return {capacity, over_limit, unjustified, duplicate, lead, none};
}

TEST(FindingCodec, RoundTripsTheDataOfEveryRuleInTasksAndDecisions) {
  domain::Task task = FullTask();
  task.findings = FindingsWithData();
  const std::string task_json = domain::TaskToJson(task);
  ASSERT_OK_AND_ASSIGN(domain::Task got_task, domain::TaskFromJson(task_json));
  EXPECT_EQ(got_task.findings, task.findings);
  EXPECT_EQ(domain::TaskToJson(got_task), task_json);
  EXPECT_THAT(task_json,
              HasSubstr(R"("capacity":{"excesses":[{"capacity_hours":100.0,)"
                        R"("community_id":"c1","first_month":"2026-05",)"
                        R"("last_month":"2026-07","load_hours":87.5,)"));
  EXPECT_THAT(task_json, HasSubstr(R"("lead_time":{"lead_days":-3,)"
                                   R"("required_days":30})"));
  EXPECT_THAT(task_json,
              HasSubstr(R"("unjustified_types":["ledger","signboard"])"));

  domain::Decision decision;
  decision.task_id = "t-7";
  decision.findings = FindingsWithData();
  const std::string decision_json = domain::DecisionToJson(decision);
  ASSERT_OK_AND_ASSIGN(domain::Decision got_decision,
                       domain::DecisionFromJson(decision_json));
  EXPECT_EQ(got_decision.findings, decision.findings);
  EXPECT_EQ(domain::DecisionToJson(got_decision), decision_json);
}

// A decision as the codec wrote it before findings carried data (taken
// from that codec's output). It reads with no data, and writes back to the
// same bytes, so that the digests the audit log holds of rows stored then
// still match (workflow/record_check.h).
TEST(FindingCodec, FindingsStoredBeforeDataReadWithoutDataAndKeepTheirBytes) {
  const std::string stored =
      R"({"acknowledgements":[],"catalog_version":2,"decided_at":0,)"
      R"("decided_by":"r1","decided_by_role":"reviewer","district_id":"",)"
      R"("findings":[{"catalog_item_code":"","communities":["c1"],)"
      R"("fields":["hours_per_community_month","target_communities"],)"
      R"("message":"over monthly capacity","related_task_id":"",)"
      R"("rule_id":"R-CAPACITY","severity":"WARN"},{"catalog_item_code":"",)"
      R"("communities":["c1"],"controlled_type":"signboard","fields":[],)"
      R"("message":"signboards","related_task_id":"",)"
      R"("rule_id":"R-CONTROLLED","severity":"WARN"}],"kind":"approve",)"
      R"("reason":"","task_id":"t-7"})";
  ASSERT_OK_AND_ASSIGN(domain::Decision got, domain::DecisionFromJson(stored));
  ASSERT_EQ(got.findings.size(), 2u);
  for (const domain::Finding& f : got.findings) {
    EXPECT_TRUE(std::holds_alternative<std::monostate>(f.data)) << f.rule_id;
  }
  EXPECT_EQ(got.findings[1].controlled_type, "signboard");
  EXPECT_EQ(domain::DecisionToJson(got), stored);

  ASSERT_OK_AND_ASSIGN(
      domain::Task task,
      domain::TaskFromJson(
          R"({"id":"t-7","findings":[{"rule_id":"R-LEAD-TIME",)"
          R"("severity":"WARN","message":"starts in 10 days"}]})"));
  ASSERT_EQ(task.findings.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(task.findings[0].data));
}

TEST(FindingCodec, RejectsTwoKindsOfDataAndBadMonths) {
  EXPECT_THAT(
      domain::TaskFromJson(
          R"({"findings":[{"rule_id":"R-LEAD-TIME","duplicate":)"
          R"({"task_ids":[]},"lead_time":{"lead_days":1}}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "task json: member 'findings[0]' has both 'duplicate' and "
               "'lead_time': a finding has one kind of data"));
  EXPECT_THAT(
      domain::TaskFromJson(
          R"({"findings":[{"rule_id":"R-CAPACITY","capacity":{"excesses":)"
          R"([{"community_id":"c1","first_month":"2026-13"}]}}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "task json: member 'findings[0].capacity.excesses[0]."
               "first_month' has invalid month '2026-13': want YYYY-MM"));
  EXPECT_THAT(
      domain::TaskFromJson(
          R"({"findings":[{"rule_id":"R-CONTROLLED","controlled":)"
          R"({"unjustified_types":["plaque"]}}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("'findings[0].controlled.unjustified_types[0]' has "
                         "unknown value 'plaque'")));
}

TEST(DecisionCodec, RejectsUnknownRole) {
  EXPECT_THAT(domain::DecisionFromJson(R"({"decided_by_role":"Reviewer"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "decision json: member 'decided_by_role' has unknown "
                       "value 'Reviewer'"));
}

TEST(DistrictCodec, RoundTrips) {
  domain::District want;
  want.id = "d9";
  want.name = "鼓楼区";
  want.time_zone = "Asia/Urumqi";
  const std::string json = domain::DistrictToJson(want);
  EXPECT_EQ(json, R"({"id":"d9","name":"鼓楼区","time_zone":"Asia/Urumqi"})");
  ASSERT_OK_AND_ASSIGN(domain::District got, domain::DistrictFromJson(json));
  EXPECT_EQ(got.id, "d9");
  EXPECT_EQ(got.name, "鼓楼区");
  EXPECT_EQ(got.time_zone, "Asia/Urumqi");
}

TEST(DistrictCodec, MissingTimeZoneKeepsDefault) {
  ASSERT_OK_AND_ASSIGN(domain::District got,
                       domain::DistrictFromJson(R"({"id":"d1"})"));
  EXPECT_EQ(got.time_zone, "Asia/Shanghai");
}

TEST(CivilDayCodec, FormatsZeroPadded) {
  EXPECT_EQ(domain::FormatCivilDay(absl::CivilDay(2026, 2, 3)), "2026-02-03");
  EXPECT_EQ(domain::FormatCivilDay(absl::CivilDay(2026, 12, 31)), "2026-12-31");
}

TEST(CivilDayCodec, ParsesCanonicalDays) {
  EXPECT_THAT(domain::ParseCivilDay("2026-02-03"), IsOk());
  EXPECT_EQ(*domain::ParseCivilDay("2026-02-03"), absl::CivilDay(2026, 2, 3));
  EXPECT_EQ(*domain::ParseCivilDay("2028-02-29"), absl::CivilDay(2028, 2, 29));
}

// Four-digit years are read by hand (a calendar year is read at every
// submit); every day of a century reads back as itself.
TEST(CivilDayCodec, EveryDayOfACenturyReadsBackAsItself) {
  for (absl::CivilDay day(2000, 1, 1); day <= absl::CivilDay(2100, 12, 31);
       ++day) {
    const absl::StatusOr<absl::CivilDay> read =
        domain::ParseCivilDay(domain::FormatCivilDay(day));
    ASSERT_THAT(read, IsOk()) << day;
    ASSERT_EQ(*read, day);
  }
}

TEST(CivilDayCodec, RejectsEverythingElse) {
  for (const char* bad :
       {"2026-02-30", "2027-02-29", "2026-13-01", "2026-00-10", "2026-2-3", "",
        "2026-02-03x", "2026-02-03 ", " 2026-02-03", "2026/02/03",
        "+2026-02-03", "2026-02-03T00:00", "20260203", "today", "2026-0a-03",
        "2026-02-3a", "-026-02-03", "2026x02-03"}) {
    EXPECT_THAT(domain::ParseCivilDay(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(std::string("invalid date '") + bad + "'")))
        << "input: '" << bad << "'";
  }
}

}  // namespace
}  // namespace taskgate::domain
