#include "services/convert.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>

#include "audit/merkle.h"
#include "common/safe_text.h"
#include "domain/codec.h"
#include "workflow/validation.h"

namespace taskgate::services {
namespace {

// Proto enums are the domain enums shifted by one (0 is UNSPECIFIED).
template <typename Domain, typename Proto>
Proto Shift(Domain d) {
  return static_cast<Proto>(static_cast<int>(d) + 1);
}

template <typename Domain, typename Proto>
std::optional<Domain> Unshift(Proto p, int max_domain) {
  const int v = static_cast<int>(p) - 1;
  if (v < 0 || v > max_domain) return std::nullopt;
  return static_cast<Domain>(v);
}

std::string Field(std::string_view prefix, std::string_view name) {
  return absl::StrCat(std::string(prefix), std::string(name));
}

absl::CivilDay DayFrom(std::string_view field, const std::string& text,
                       std::vector<FieldViolation>& violations) {
  if (text.empty()) return absl::CivilDay();  // "not set"; checked later
  absl::StatusOr<absl::CivilDay> day = domain::ParseCivilDay(text);
  if (!day.ok()) {
    violations.push_back(
        {std::string(field), absl::StrCat("'", EchoValue(text, 40),
                                          "' is not a date; use YYYY-MM-DD")});
    return absl::CivilDay();
  }
  return *day;
}

std::string DayText(absl::CivilDay day) {
  // The default civil day stands for "not set".
  return day == absl::CivilDay() ? std::string() : domain::FormatCivilDay(day);
}

// Counts of days and units are int32 on the wire (int64 would be a JSON
// string); no real count comes near the bound, which holds them if one did.
int32_t Int32(int64_t v) {
  return static_cast<int32_t>(
      std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                          std::numeric_limits<int32_t>::max()));
}

void ToProto(const domain::FindingData& data,
             const std::string& controlled_type, v1::Finding* out) {
  if (const auto* d = std::get_if<domain::CapacityData>(&data)) {
    v1::CapacityDetails* p = out->mutable_capacity();
    for (const domain::CapacityExcess& e : d->excesses) {
      v1::CapacityExcess* x = p->add_excesses();
      x->set_community_id(e.community_id);
      x->set_first_month(absl::FormatCivilTime(e.first_month));
      x->set_last_month(absl::FormatCivilTime(e.last_month));
      x->set_load_hours(e.load_hours);
      x->set_task_hours(e.task_hours);
      x->set_capacity_hours(e.capacity_hours);
    }
  } else if (const auto* d = std::get_if<domain::ControlledData>(&data)) {
    v1::ControlledDetails* p = out->mutable_controlled();
    p->set_controlled_type(controlled_type);
    for (const domain::ControlledExcess& e : d->excesses) {
      v1::ControlledExcess* x = p->add_excesses();
      x->set_community_id(e.community_id);
      x->set_baseline_units(Int32(e.baseline_units));
      x->set_tasks_units(Int32(e.tasks_units));
      x->set_task_units(Int32(e.task_units));
      x->set_units_in_force(Int32(e.units_in_force()));
      x->set_limit(Int32(e.limit));
    }
    for (domain::TaskType t : d->unjustified_types) {
      p->add_unjustified_types(Shift<domain::TaskType, v1::TaskType>(t));
    }
  } else if (const auto* d = std::get_if<domain::DuplicateData>(&data)) {
    v1::DuplicateDetails* p = out->mutable_duplicate();
    for (const std::string& id : d->task_ids) p->add_task_ids(id);
  } else if (const auto* d = std::get_if<domain::LeadTimeData>(&data)) {
    v1::LeadTimeDetails* p = out->mutable_lead_time();
    p->set_lead_days(Int32(d->lead_days));
    p->set_required_days(Int32(d->required_days));
  }
}

}  // namespace

std::string ToEtag(int64_t version) { return absl::StrCat(version); }

int64_t FromEtag(std::string_view field, std::string_view etag,
                 std::vector<FieldViolation>& violations) {
  if (etag.empty()) return 0;
  int64_t version = 0;
  if (!absl::SimpleAtoi(std::string(etag), &version) || version <= 0) {
    violations.push_back(
        {std::string(field),
         "is not an etag this server issued; send the etag of the resource "
         "as you read it, or leave it empty"});
    return 0;
  }
  return version;
}

void ToTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(t);
  out->set_seconds(micros / 1000000 - (micros % 1000000 < 0 ? 1 : 0));
  int64_t rem = micros % 1000000;
  if (rem < 0) rem += 1000000;
  out->set_nanos(static_cast<int32_t>(rem * 1000));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

domain::TaskSpec FromProto(const v1::TaskSpec& in, std::string_view prefix,
                           std::vector<FieldViolation>& violations) {
  domain::TaskSpec s;
  s.title = in.title();
  s.description = in.description();
  s.item_code = in.item_code();
  s.new_item_justification = in.new_item_justification();
  s.legal_basis = in.legal_basis();
  // A list longer than the values it may hold is reported alone, its items
  // unconverted (workflow/validation.h).
  if (static_cast<size_t>(in.types_size()) > workflow::kMaxTaskTypes) {
    violations.push_back(
        {Field(prefix, "types"),
         absl::StrCat("lists ", in.types_size(), " types; there are ",
                      workflow::kMaxTaskTypes,
                      " task types: list each at most once")});
  } else {
    for (int i = 0; i < in.types_size(); ++i) {
      std::optional<domain::TaskType> type =
          Unshift<domain::TaskType>(in.types(i), 8);
      if (!type.has_value()) {
        violations.push_back({Field(prefix, absl::StrCat("types[", i, "]")),
                              "is not a task type; use one of TASK_TYPE_*"});
        continue;
      }
      s.types.push_back(*type);
    }
  }
  if (static_cast<size_t>(in.type_justifications_size()) >
      workflow::kMaxTaskTypes) {
    violations.push_back(
        {Field(prefix, "type_justifications"),
         absl::StrCat("justifies ", in.type_justifications_size(),
                      " types; there are ", workflow::kMaxTaskTypes,
                      " task types: justify each at most once")});
  } else {
    for (const auto& [key, text] : in.type_justifications()) {
      std::optional<domain::TaskType> type = domain::ParseTaskType(key);
      if (!type.has_value()) {
        violations.push_back(
            {Field(prefix,
                   absl::StrCat("type_justifications.", EchoValue(key, 40))),
             "is not a task type name; use e.g. signboard, ledger, form"});
        continue;
      }
      s.type_justifications[*type] = text;
    }
  }
  s.long_term = in.long_term();
  s.start_date =
      DayFrom(Field(prefix, "start_date"), in.start_date(), violations);
  s.end_date = DayFrom(Field(prefix, "end_date"), in.end_date(), violations);
  s.target_communities.assign(in.target_communities().begin(),
                              in.target_communities().end());
  s.target_streets.assign(in.target_streets().begin(),
                          in.target_streets().end());
  s.target_street_ids.assign(in.target_street_ids().begin(),
                             in.target_street_ids().end());
  s.hours_per_community_month = in.hours_per_community_month();
  s.funding_per_community_yuan = in.funding_per_community_yuan();
  s.funding_source = in.funding_source();
  s.authority_delegated = in.authority_delegated();
  s.department_duties = in.department_duties();
  s.community_duties = in.community_duties();
  s.support_given = in.support_given();
  s.assessment_method = in.assessment_method();
  s.forms_ledgers_added = in.forms_ledgers_added();
  s.signboards_per_community = in.signboards_per_community();
  s.emergency = in.emergency();
  s.emergency_reason = in.emergency_reason();
  return s;
}

void ToProto(const domain::TaskSpec& s, v1::TaskSpec* out) {
  out->set_title(s.title);
  out->set_description(s.description);
  out->set_item_code(s.item_code);
  out->set_new_item_justification(s.new_item_justification);
  out->set_legal_basis(s.legal_basis);
  for (domain::TaskType t : s.types) {
    out->add_types(Shift<domain::TaskType, v1::TaskType>(t));
  }
  for (const auto& [type, text] : s.type_justifications) {
    (*out->mutable_type_justifications())[std::string(
        domain::TaskTypeName(type))] = text;
  }
  out->set_long_term(s.long_term);
  out->set_start_date(DayText(s.start_date));
  out->set_end_date(DayText(s.end_date));
  for (const std::string& c : s.target_communities) {
    out->add_target_communities(c);
  }
  for (const std::string& st : s.target_streets) out->add_target_streets(st);
  for (const std::string& st : s.target_street_ids) {
    out->add_target_street_ids(st);
  }
  out->set_hours_per_community_month(s.hours_per_community_month);
  out->set_funding_per_community_yuan(s.funding_per_community_yuan);
  out->set_funding_source(s.funding_source);
  out->set_authority_delegated(s.authority_delegated);
  out->set_department_duties(s.department_duties);
  out->set_community_duties(s.community_duties);
  out->set_support_given(s.support_given);
  out->set_assessment_method(s.assessment_method);
  out->set_forms_ledgers_added(s.forms_ledgers_added);
  out->set_signboards_per_community(s.signboards_per_community);
  out->set_emergency(s.emergency);
  out->set_emergency_reason(s.emergency_reason);
}

void ToProto(const domain::Finding& f, v1::Finding* out) {
  out->set_rule_id(f.rule_id);
  out->set_severity(Shift<domain::Severity, v1::Severity>(f.severity));
  for (const std::string& field : f.fields) out->add_fields(field);
  out->set_message(f.message);
  for (const std::string& c : f.communities) out->add_communities(c);
  out->set_related_task_id(f.related_task_id);
  out->set_catalog_item_code(f.catalog_item_code);
  out->set_controlled_type(f.controlled_type);
  ToProto(f.data, f.controlled_type, out);
}

void ToProto(const domain::Task& t, v1::Task* out) {
  out->set_id(t.id);
  out->set_department_id(t.department_id);
  ToProto(t.spec, out->mutable_spec());
  out->set_state(ToProto(t.state));
  out->set_etag(ToEtag(t.version));
  for (const std::string& c : t.resolved_communities) {
    out->add_resolved_communities(c);
  }
  for (const domain::Finding& f : t.findings) {
    ToProto(f, out->add_findings());
  }
  out->set_catalog_version(t.catalog_version);
  out->set_needs_two_approvals(t.needs_two_approvals);
  out->set_awaiting_second_approval(domain::AwaitsSecondApproval(t));
  for (const domain::Approval& a : t.approvals) {
    v1::Approval* p = out->add_approvals();
    p->set_reviewer_id(a.reviewer_id);
    ToTimestamp(a.at, p->mutable_approve_time());
  }
  out->set_claimed_by(t.claimed_by);
  const bool under_review = t.state == domain::TaskState::kSubmitted ||
                            t.state == domain::TaskState::kInReview ||
                            t.state == domain::TaskState::kProvisional;
  if (under_review && t.sla.due_date.has_value()) {
    out->set_due_date(domain::FormatCivilDay(*t.sla.due_date));
  }
  out->set_used_working_days(t.sla.used_working_days);
  out->set_overdue(t.sla.overdue);
  out->set_admitted_by_duty_list(t.admitted_by_duty_list);
  if (t.submitted_at.has_value()) {
    ToTimestamp(*t.submitted_at, out->mutable_submit_time());
  }
  ToTimestamp(t.created_at, out->mutable_create_time());
  ToTimestamp(t.updated_at, out->mutable_update_time());
}

void ToProto(const domain::Decision& d, v1::Decision* out) {
  out->set_task_id(d.task_id);
  out->set_kind(std::string(domain::DecisionKindName(d.kind)));
  out->set_decided_by(d.decided_by);
  out->set_decided_by_role(ToProto(d.decided_by_role));
  out->set_reason(d.reason);
  for (const domain::Acknowledgement& a : d.acknowledgements) {
    v1::Acknowledgement* p = out->add_acknowledgements();
    p->set_rule_id(a.rule_id);
    p->set_reason(a.reason);
  }
  out->set_catalog_version(d.catalog_version);
  ToTimestamp(d.decided_at, out->mutable_decide_time());
  for (const domain::Finding& f : d.findings) {
    ToProto(f, out->add_findings());
  }
}

void ToProto(const workflow::Page<domain::Task>& page,
             v1::ListTasksResponse* out) {
  for (const domain::Task& t : page.items) ToProto(t, out->add_tasks());
  out->set_next_page_token(page.next_page_token);
}

std::vector<domain::CatalogItem> FromProto(
    const google::protobuf::RepeatedPtrField<v1::CatalogItem>& items,
    std::vector<FieldViolation>& violations) {
  std::vector<domain::CatalogItem> out;
  if (static_cast<size_t>(items.size()) > workflow::kMaxCatalogItems) {
    violations.push_back(
        {"items", absl::StrCat("lists ", items.size(), " items; at most ",
                               workflow::kMaxCatalogItems)});
    return out;  // its items are not looked at
  }
  for (int i = 0; i < items.size(); ++i) {
    const v1::CatalogItem& in = items[i];
    std::optional<domain::ListKind> kind =
        Unshift<domain::ListKind>(in.kind(), 2);
    if (!kind.has_value()) {
      violations.push_back({absl::StrCat("items[", i, "].kind"),
                            "set the list: LIST_KIND_DUTY, LIST_KIND_ASSIST "
                            "or LIST_KIND_NEGATIVE"});
      continue;
    }
    out.push_back({in.code(),
                   *kind,
                   in.title(),
                   in.legal_basis(),
                   {in.keywords().begin(), in.keywords().end()}});
  }
  return out;
}

namespace {

// The days of `field` as sent; a list over the bound is reported alone.
std::vector<absl::CivilDay> DaysFrom(
    std::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& days,
    std::vector<FieldViolation>& violations) {
  std::vector<absl::CivilDay> out;
  if (static_cast<size_t>(days.size()) > workflow::kMaxCalendarDays) {
    violations.push_back(
        {std::string(field),
         absl::StrCat("lists ", days.size(), " days; a year has at most ",
                      workflow::kMaxCalendarDays)});
    return out;
  }
  for (int i = 0; i < days.size(); ++i) {
    const std::string f = absl::StrCat(std::string(field), "[", i, "]");
    if (days[i].empty()) {
      violations.push_back({f, "is empty; use YYYY-MM-DD"});
      continue;
    }
    out.push_back(DayFrom(f, days[i], violations));
  }
  return out;
}

void AddDays(const std::vector<absl::CivilDay>& days,
             google::protobuf::RepeatedPtrField<std::string>* out) {
  for (absl::CivilDay day : days) *out->Add() = domain::FormatCivilDay(day);
}

}  // namespace

domain::CalendarYear FromProto(const v1::PublishCalendarRequest& request,
                               std::vector<FieldViolation>& violations) {
  domain::CalendarYear c;
  c.year = request.year();
  c.holidays = DaysFrom("holidays", request.holidays(), violations);
  c.makeup_workdays =
      DaysFrom("makeup_workdays", request.makeup_workdays(), violations);
  c.note = request.note();
  return c;
}

void ToProto(const domain::CalendarYear& c, v1::CalendarYear* out) {
  out->set_year(c.year);
  out->set_version(c.version);
  AddDays(c.holidays, out->mutable_holidays());
  AddDays(c.makeup_workdays, out->mutable_makeup_workdays());
  out->set_note(c.note);
  ToTimestamp(c.published_at, out->mutable_publish_time());
  out->set_published_by(c.published_by);
}

void ToProto(const domain::CatalogVersion& c, v1::CatalogVersion* out) {
  out->set_version(c.version);
  BucketsToProto(c.controlled_limits, out->mutable_controlled_limits());
  ToTimestamp(c.published_at, out->mutable_publish_time());
  out->set_published_by(c.published_by);
  out->set_note(c.note);
  for (const domain::CatalogItem& item : c.items) {
    v1::CatalogItem* p = out->add_items();
    p->set_code(item.code);
    p->set_kind(Shift<domain::ListKind, v1::ListKind>(item.kind));
    p->set_title(item.title);
    p->set_legal_basis(item.legal_basis);
    for (const std::string& k : item.keywords) p->add_keywords(k);
  }
}

domain::Community FromProto(const v1::Community& in,
                            std::vector<FieldViolation>& violations) {
  domain::Community c;
  c.id = in.id();
  c.name = in.name();
  c.street = in.street();
  c.street_id = in.street_id();
  c.staff_count = in.staff_count();
  c.monthly_capacity_hours = in.monthly_capacity_hours();
  c.baseline_hours = in.baseline_hours();
  c.baseline_units = BucketsFromProto(in.baseline_units(),
                                      "community.baseline_units", violations);
  return c;
}

std::map<domain::ControlledBucket, int32_t> BucketsFromProto(
    const google::protobuf::Map<std::string, int32_t>& in,
    std::string_view field, std::vector<FieldViolation>& violations) {
  std::map<domain::ControlledBucket, int32_t> out;
  if (in.size() > workflow::kMaxBaselineUnits) {
    violations.push_back(
        {std::string(field),
         absl::StrCat("sets ", in.size(), " buckets; there are ",
                      workflow::kMaxBaselineUnits, ": set each at most once")});
    return out;  // its entries are not looked at
  }
  for (const auto& [key, units] : in) {
    std::optional<domain::ControlledBucket> bucket =
        domain::ParseControlledBucket(key);
    if (!bucket.has_value()) {
      violations.push_back(
          {absl::StrCat(std::string(field), ".", EchoValue(key, 40)),
           "is not a controlled bucket; use work_body, forms_and_ledgers, "
           "creation_campaign, inspection, signboard, certificate or "
           "training"});
      continue;
    }
    out[*bucket] = units;
  }
  return out;
}

void BucketsToProto(const std::map<domain::ControlledBucket, int32_t>& in,
                    google::protobuf::Map<std::string, int32_t>* out) {
  for (const auto& [bucket, units] : in) {
    (*out)[std::string(domain::ControlledBucketName(bucket))] = units;
  }
}

void ToProto(const domain::Community& c, v1::Community* out) {
  out->set_id(c.id);
  out->set_name(c.name);
  out->set_street(c.street);
  out->set_street_id(c.street_id);
  out->set_staff_count(c.staff_count);
  out->set_monthly_capacity_hours(c.monthly_capacity_hours);
  out->set_baseline_hours(c.baseline_hours);
  BucketsToProto(c.baseline_units, out->mutable_baseline_units());
  out->set_etag(ToEtag(c.version));
}

domain::Department FromProto(const v1::Department& in) {
  return {.district_id = "", .id = in.id(), .name = in.name(), .version = 0};
}

void ToProto(const domain::Department& d, v1::Department* out) {
  out->set_id(d.id);
  out->set_name(d.name);
  out->set_etag(ToEtag(d.version));
}

domain::Street FromProto(const v1::Street& in) {
  return {.district_id = "", .id = in.id(), .name = in.name(), .version = 0};
}

void ToProto(const domain::Street& s, v1::Street* out) {
  out->set_id(s.id);
  out->set_name(s.name);
  out->set_etag(ToEtag(s.version));
}

void ToProto(const store::StoredEvent& stored, v1::AuditEvent* out) {
  const domain::AuditEvent& e = stored.event;
  // The position in the log, which a bundle's verifier checks against the
  // seq inside the canonical bytes.
  out->set_seq(stored.seq);
  ToTimestamp(e.time, out->mutable_event_time());
  out->set_actor_id(e.actor_id);
  out->set_actor_role(ToProto(e.actor_role));
  out->set_action(e.action);
  out->set_entity_type(e.entity_type);
  out->set_entity_id(e.entity_id);
  out->set_state_before(e.state_before);
  out->set_state_after(e.state_after);
  out->set_reason(e.reason);
  out->set_request_id(e.request_id);
  out->set_department_id(e.department_id);
  for (const std::string& c : e.community_ids) out->add_community_ids(c);
  for (const auto& [k, v] : e.details) (*out->mutable_details())[k] = v;
  for (const domain::EntityWrite& w : e.writes) {
    v1::EntityWrite* pw = out->add_writes();
    pw->set_kind(w.kind);
    pw->set_id(w.id);
    pw->set_complete(w.complete);
    pw->set_state_digest(audit::BytesToHex(w.state_digest));
    for (const domain::FieldChange& c : w.changes) {
      v1::FieldChange* pc = pw->add_changes();
      pc->set_field(c.field);
      pc->set_before(c.before);
      pc->set_after(c.after);
    }
  }
  out->set_leaf_hash(audit::ToHex(stored.leaf_hash));
}

void ToProto(const audit::Checkpoint& c, v1::Checkpoint* out) {
  out->set_log_id(c.log_id);
  out->set_tree_size(c.tree_size);
  out->set_root_hash(audit::ToHex(c.root_hash));
  ToTimestamp(c.time, out->mutable_time());
  out->set_key_id(c.key_id);
  out->set_signature(c.signature);
  out->set_json(audit::CheckpointToJson(c));
}

void ToProto(const workflow::Statistics& stats, v1::Statistics* out) {
  ToTimestamp(stats.from, out->mutable_start_time());
  ToTimestamp(stats.until, out->mutable_end_time());
  for (const workflow::DepartmentStatistics& d : stats.departments) {
    v1::DepartmentStatistics* p = out->add_departments();
    p->set_department_id(d.department_id);
    p->set_department_name(d.department_name);
    p->set_submitted(d.submitted);
    p->set_resubmitted(d.resubmitted);
    p->set_admitted(d.admitted);
    p->set_admitted_by_duty_list(d.admitted_by_duty_list);
    p->set_provisionally_admitted(d.provisionally_admitted);
    p->set_rejected(d.rejected);
    p->set_rejected_by_negative_list(d.rejected_by_negative_list);
    p->set_returned(d.returned);
    p->set_revoked(d.revoked);
    p->set_reviews_measured(d.reviews_measured);
    if (d.median_review_days.has_value()) {
      p->set_median_review_days(*d.median_review_days);
    }
    if (d.p90_review_days.has_value()) {
      p->set_p90_review_days(*d.p90_review_days);
    }
  }
  for (const workflow::CommunityMonthLoad& l : stats.community_loads) {
    v1::CommunityMonthLoad* p = out->add_community_loads();
    p->set_community_id(l.community_id);
    p->set_month(absl::FormatCivilTime(l.month));
    p->set_baseline_hours(l.baseline_hours);
    p->set_task_hours(l.task_hours);
    p->set_load_hours(l.load_hours);
    p->set_capacity_hours(l.capacity_hours);
    if (l.load_ratio.has_value()) p->set_load_ratio(*l.load_ratio);
    p->set_tasks_in_force(l.tasks_in_force);
  }
  for (const workflow::BurdenMonth& b : stats.burden) {
    v1::BurdenMonth* p = out->add_burden();
    p->set_month(absl::FormatCivilTime(b.month));
    p->set_rejected_tasks(b.rejected_tasks);
    p->set_hours_kept_out(b.hours_kept_out);
  }
  out->set_burden_total_hours(stats.burden_total_hours);
}

domain::Principal FromProto(const v1::Principal& in,
                            std::vector<FieldViolation>& violations) {
  domain::Principal p;
  p.id = in.id();
  if (in.role() == v1::ROLE_UNSPECIFIED || in.role() == v1::ROLE_SYSTEM ||
      !v1::Role_IsValid(in.role())) {
    violations.push_back({"principal.role",
                          "set ROLE_DEPARTMENT, ROLE_REVIEWER, ROLE_COMMUNITY, "
                          "ROLE_AUDITOR or ROLE_ADMIN"});
  } else {
    p.role = FromProto(in.role());
  }
  p.display_name = in.display_name();
  p.department_id = in.department_id();
  p.community_id = in.community_id();
  p.home_department_id = in.home_department_id();
  return p;
}

void ToProto(const domain::Principal& p, v1::Principal* out) {
  out->set_id(p.id);
  out->set_role(ToProto(p.role));
  out->set_display_name(p.display_name);
  out->set_department_id(p.department_id);
  out->set_community_id(p.community_id);
  out->set_home_department_id(p.home_department_id);
  out->set_disabled(p.disabled);
  out->set_etag(ToEtag(p.version));
  ToTimestamp(p.created_at, out->mutable_create_time());
}

void ToProto(const domain::Credential& c, v1::Credential* out) {
  out->set_id(c.id);
  out->set_principal_id(c.principal_id);
  out->set_description(c.description);
  ToTimestamp(c.created_at, out->mutable_create_time());
  out->set_created_by(c.created_by);
  out->set_revoked(c.revoked);
  if (c.revoked_at.has_value()) {
    ToTimestamp(*c.revoked_at, out->mutable_revoke_time());
  }
  out->set_certificate_identity(c.certificate_identity);
}

domain::Complaint FromProto(const v1::Complaint& in,
                            std::vector<FieldViolation>& /*violations*/) {
  domain::Complaint c;
  c.id = in.id();
  c.department_id = in.department_id();
  c.task_id = in.task_id();
  c.title = in.title();
  c.description = in.description();
  return c;
}

void ToProto(const domain::Complaint& c, v1::Complaint* out) {
  out->set_id(c.id);
  out->set_community_id(c.community_id);
  out->set_department_id(c.department_id);
  out->set_task_id(c.task_id);
  out->set_title(c.title);
  out->set_description(c.description);
  out->set_state(ToProto(c.state));
  out->set_filed_by(c.filed_by);
  ToTimestamp(c.filed_at, out->mutable_file_time());
  out->set_handled_by(c.handled_by);
  out->set_resolution(c.resolution);
  out->set_etag(ToEtag(c.version));
}

void ToProto(const domain::FundingReport& r, v1::FundingReport* out) {
  out->set_id(r.id);
  out->set_task_id(r.task_id);
  out->set_community_id(r.community_id);
  out->set_note(r.note);
  out->set_reported_by(r.reported_by);
  ToTimestamp(r.reported_at, out->mutable_report_time());
}

void ToProto(const domain::Attachment& a, v1::Attachment* out) {
  out->set_task_id(a.task_id);
  out->set_name(a.name);
  out->set_media_type(a.media_type);
  out->set_size_bytes(a.size_bytes);
  out->set_sha256(a.sha256);
  out->set_added_by(a.added_by);
  ToTimestamp(a.added_at, out->mutable_add_time());
}

domain::Role FromProto(v1::Role role) {
  return Unshift<domain::Role>(role, 5).value_or(domain::Role::kSystem);
}
v1::Role ToProto(domain::Role role) {
  return Shift<domain::Role, v1::Role>(role);
}
v1::TaskState ToProto(domain::TaskState state) {
  return Shift<domain::TaskState, v1::TaskState>(state);
}
std::optional<domain::ComplaintState> FromProto(v1::ComplaintState state) {
  return Unshift<domain::ComplaintState>(state, 3);
}
v1::ComplaintState ToProto(domain::ComplaintState state) {
  return Shift<domain::ComplaintState, v1::ComplaintState>(state);
}

}  // namespace taskgate::services
