#include "workflow/rules.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/civil_time.h>

#include "domain/types.h"

namespace taskgate::workflow {
namespace {

// Hours are doubles; sums such as 0.1 + 0.2 must not turn "exactly at
// capacity" into "over capacity" through rounding noise.
constexpr double kHoursEpsilon = 1e-9;

// The ideographic space (U+3000) in UTF-8: Chinese text often pads with it.
constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";

constexpr std::string_view kEvaluationTerms[] = {
    "考核", "评比", "排名", "打分", "评分", "一票否决",
};

// absl::StrCat does not take std::string_view on this abseil build.
std::string S(std::string_view sv) { return std::string(sv); }

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
         c == '\r';
}

// True when `text` holds nothing but ASCII whitespace and U+3000.
bool IsBlank(std::string_view text) {
  while (!text.empty()) {
    if (IsAsciiSpace(text.front())) {
      text.remove_prefix(1);
    } else if (text.starts_with(kIdeographicSpace)) {
      text.remove_prefix(kIdeographicSpace.size());
    } else {
      return false;
    }
  }
  return true;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool Reaches(const domain::Task& task, const std::string& community_id) {
  return std::find(task.resolved_communities.begin(),
                   task.resolved_communities.end(),
                   community_id) != task.resolved_communities.end();
}

bool TouchesMonth(const domain::Task& task, absl::CivilMonth month) {
  return absl::CivilMonth(task.spec.start_date) <= month &&
         month <= absl::CivilMonth(task.spec.end_date);
}

bool SharesCommunity(const domain::Task& a, const domain::Task& b) {
  for (const std::string& id : a.resolved_communities) {
    if (Reaches(b, id)) return true;
  }
  return false;
}

std::string Hours(double hours) { return absl::StrCat(hours, " h"); }

std::string MonthName(absl::CivilMonth month) {
  return absl::FormatCivilTime(month);
}

std::string DayName(absl::CivilDay day) { return absl::FormatCivilTime(day); }

// "c-1 (一社区)", or just the id when the community has no name.
std::string CommunityLabel(const domain::Community& community) {
  if (community.name.empty()) return community.id;
  return absl::StrCat(community.id, " (", community.name, ")");
}

// A finding's message details this many communities and counts the rest:
// a list of hundreds is no reading for people, and the finding's data
// names each (with the task's record, findings must stay well inside an
// audit event: store/change_validation.h `kMaxAuditEventBytes`).
constexpr size_t kDetailedCommunities = 10;

// "; and 290 more communities (...)" when `over` names more communities
// than the message details; "" otherwise.
std::string MoreCommunities(const std::vector<std::string>& over) {
  if (over.size() <= kDetailedCommunities) return "";
  const size_t more = over.size() - kDetailedCommunities;
  return absl::StrCat("; and ", more,
                      more == 1 ? " more community" : " more communities",
                      " (the finding's data lists each)");
}

// The months of `first`..`last` in which `community` is over capacity with
// `hours` more a month, given the hours of the tasks in force by month, as
// runs of consecutive months of equal load (domain::CapacityExcess).
std::vector<domain::CapacityExcess> CapacityExcessesOf(
    const domain::Community& community,
    const std::map<absl::CivilMonth, double>& hours_by_month,
    absl::CivilMonth first, absl::CivilMonth last, double hours) {
  std::vector<domain::CapacityExcess> runs;
  auto it = hours_by_month.lower_bound(first);
  for (absl::CivilMonth m = first; m <= last; ++m) {
    double load = community.baseline_hours;
    if (it != hours_by_month.end() && it->first == m) {
      load += it->second;
      ++it;
    }
    if (load + hours <= community.monthly_capacity_hours + kHoursEpsilon) {
      continue;
    }
    if (!runs.empty() && runs.back().last_month + 1 == m &&
        std::abs(runs.back().load_hours - load) <= kHoursEpsilon) {
      runs.back().last_month = m;
      continue;
    }
    domain::CapacityExcess run;
    run.community_id = community.id;
    run.first_month = m;
    run.last_month = m;
    run.load_hours = load;
    run.task_hours = hours;
    run.capacity_hours = community.monthly_capacity_hours;
    runs.push_back(std::move(run));
  }
  return runs;
}

// The target communities once each, ordered by id, so findings are stable
// whatever order the caller resolved them in.
std::vector<const domain::Community*> SortedCommunities(
    const std::vector<domain::Community>& communities) {
  std::vector<const domain::Community*> out;
  std::set<std::string> seen;
  for (const domain::Community& c : communities) {
    if (seen.insert(c.id).second) out.push_back(&c);
  }
  std::sort(out.begin(), out.end(),
            [](const domain::Community* a, const domain::Community* b) {
              return a->id < b->id;
            });
  return out;
}

// Units one task puts in force for `bucket` in each community it reaches.
int64_t UnitsOf(const domain::TaskSpec& spec, domain::ControlledBucket bucket) {
  switch (bucket) {
    case domain::ControlledBucket::kSignboard:
      return spec.signboards_per_community;
    case domain::ControlledBucket::kFormsAndLedgers:
      return spec.forms_ledgers_added;
    default:
      return 1;
  }
}

const CommunityWorkload& WorkloadOf(const RuleInput& in,
                                    const std::string& community_id) {
  static const CommunityWorkload* const kNone = new CommunityWorkload;
  auto it = in.workloads.find(community_id);
  return it == in.workloads.end() ? *kNone : it->second;
}

std::string BucketField(domain::ControlledBucket bucket) {
  switch (bucket) {
    case domain::ControlledBucket::kSignboard:
      return "signboards_per_community";
    case domain::ControlledBucket::kFormsAndLedgers:
      return "forms_ledgers_added";
    default:
      return "types";
  }
}

domain::Finding MakeFinding(std::string_view rule_id, domain::Severity severity,
                            std::vector<std::string> fields,
                            std::string message) {
  domain::Finding f;
  f.rule_id = std::string(rule_id);
  f.severity = severity;
  f.fields = std::move(fields);
  f.message = std::move(message);
  return f;
}

// A rule of SPEC §4's table, in the table's order.
struct RuleEntry {
  std::string_view id;
  std::vector<domain::Finding> (*check)(const RuleInput&);
  // Reads other tasks (workloads, the department's tasks): re-run at every
  // approval (SPEC §4.1).
  bool on_other_tasks;
};

// The rule functions are declared in rules.h, so the table can name them.
constexpr RuleEntry kRules[] = {
    {kRuleNegative, CheckNegative, false},
    {kRuleLegalBasis, CheckLegalBasis, false},
    {kRuleDutySplit, CheckDutySplit, false},
    {kRuleFunding, CheckFunding, false},
    {kRuleEvaluation, CheckEvaluation, false},
    {kRuleCapacity, CheckCapacity, true},
    {kRuleLeadTime, CheckLeadTime, false},
    {kRuleDuplicate, CheckDuplicate, true},
    {kRuleControlled, CheckControlled, true},
    {kRuleNewItem, CheckNewItem, false},
};

// Position of `rule_id` in the table; rules outside it come after.
size_t RuleRank(std::string_view rule_id) {
  for (size_t i = 0; i < std::size(kRules); ++i) {
    if (kRules[i].id == rule_id) return i;
  }
  return std::size(kRules);
}

// See `CompareWithCarried`.
bool SameSubject(const domain::Finding& a, const domain::Finding& b) {
  return a.rule_id == b.rule_id && a.related_task_id == b.related_task_id &&
         a.controlled_type == b.controlled_type;
}

bool SameConcern(const domain::Finding& a, const domain::Finding& b) {
  std::set<std::string> ca(a.communities.begin(), a.communities.end());
  std::set<std::string> cb(b.communities.begin(), b.communities.end());
  return a.severity == b.severity && ca == cb;
}

}  // namespace

std::map<domain::ControlledBucket, int32_t> DefaultControlledLimits() {
  return {
      {domain::ControlledBucket::kWorkBody, 1},
      {domain::ControlledBucket::kFormsAndLedgers, 10},
      {domain::ControlledBucket::kCreationCampaign, 2},
      {domain::ControlledBucket::kInspection, 4},
      {domain::ControlledBucket::kSignboard, 0},
      {domain::ControlledBucket::kCertificate, 5},
      {domain::ControlledBucket::kTraining, 4},
  };
}

const std::map<domain::ControlledBucket, int32_t>& ControlledLimitsOf(
    const domain::CatalogVersion& catalog, const RulesConfig& config) {
  return catalog.controlled_limits.empty() ? config.controlled_limits
                                           : catalog.controlled_limits;
}

RulesConfig DefaultRulesConfig() {
  RulesConfig config;
  config.lead_time_days = 30;
  config.capacity_blocks = false;
  config.two_approval_hours = 120;
  config.controlled_limits = DefaultControlledLimits();
  return config;
}

const domain::CatalogItem* FindItem(const domain::CatalogVersion& catalog,
                                    std::string_view code) {
  for (const domain::CatalogItem& item : catalog.items) {
    if (item.code == code) return &item;
  }
  return nullptr;
}

std::map<domain::ControlledBucket, int64_t> ControlledUnitsOf(
    const domain::TaskSpec& spec) {
  std::map<domain::ControlledBucket, int64_t> out;
  for (domain::TaskType type : spec.types) {
    if (std::optional<domain::ControlledBucket> bucket = domain::BucketOf(type);
        bucket.has_value()) {
      out[*bucket] = UnitsOf(spec, *bucket);
    }
  }
  return out;
}

Workloads WorkloadsOf(const std::vector<domain::Task>& tasks,
                      std::string_view except_task_id) {
  Workloads out;
  for (const domain::Task& t : tasks) {
    if (!domain::CountsInWorkload(t.state)) continue;
    if (!except_task_id.empty() && t.id == except_task_id) continue;
    const std::map<domain::ControlledBucket, int64_t> units =
        ControlledUnitsOf(t.spec);
    for (const std::string& community : t.resolved_communities) {
      CommunityWorkload& w = out[community];
      for (absl::CivilMonth m(t.spec.start_date);
           m <= absl::CivilMonth(t.spec.end_date); ++m) {
        w.task_hours[m] += t.spec.hours_per_community_month;
      }
      for (const auto& [bucket, n] : units) w.units[bucket] += n;
    }
  }
  return out;
}

double MonthlyLoad(const domain::Community& community, absl::CivilMonth month,
                   const std::vector<domain::Task>& workload_tasks) {
  double load = community.baseline_hours;
  for (const domain::Task& t : workload_tasks) {
    if (!domain::CountsInWorkload(t.state)) continue;
    if (!Reaches(t, community.id)) continue;
    if (!TouchesMonth(t, month)) continue;
    load += t.spec.hours_per_community_month;
  }
  return load;
}

std::vector<domain::Finding> CheckNegative(const RuleInput& in) {
  const domain::TaskSpec& spec = in.task.spec;
  std::vector<domain::Finding> out;
  for (const domain::CatalogItem& item : in.catalog.items) {
    if (item.kind != domain::ListKind::kNegative) continue;
    std::vector<std::string> fields;
    std::vector<std::string> reasons;
    if (!spec.item_code.empty() && spec.item_code == item.code) {
      fields.push_back("item_code");
      reasons.push_back(absl::StrCat("item code ", item.code));
    }
    std::vector<std::string> in_title;
    std::vector<std::string> in_description;
    for (const std::string& keyword : item.keywords) {
      // An empty keyword would match every task; it is a catalog slip.
      if (keyword.empty()) continue;
      if (Contains(spec.title, keyword)) in_title.push_back(keyword);
      if (Contains(spec.description, keyword)) {
        in_description.push_back(keyword);
      }
    }
    if (!in_title.empty()) {
      fields.push_back("title");
      reasons.push_back(absl::StrCat(
          "keyword \"", absl::StrJoin(in_title, "\", \""), "\" in title"));
    }
    if (!in_description.empty()) {
      fields.push_back("description");
      reasons.push_back(absl::StrCat("keyword \"",
                                     absl::StrJoin(in_description, "\", \""),
                                     "\" in description"));
    }
    if (fields.empty()) continue;
    domain::Finding f = MakeFinding(
        kRuleNegative, domain::Severity::kBlock, std::move(fields),
        absl::StrCat(
            "matches negative-list item ", item.code, " \"", item.title,
            "\" (负面清单, 社区不应承担事项): ", absl::StrJoin(reasons, "; "),
            "; such a task can never be admitted"));
    f.catalog_item_code = item.code;
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<domain::Finding> CheckLegalBasis(const RuleInput& in) {
  if (!IsBlank(in.task.spec.legal_basis)) return {};
  return {MakeFinding(kRuleLegalBasis, domain::Severity::kBlock,
                      {"legal_basis"},
                      "no legal or policy basis (法律法规依据) is given; "
                      "state the law, regulation or policy document, "
                      "even when it is the catalog item's own basis")};
}

std::vector<domain::Finding> CheckDutySplit(const RuleInput& in) {
  const domain::TaskSpec& spec = in.task.spec;
  std::vector<std::string> fields;
  std::vector<std::string> missing;
  if (IsBlank(spec.department_duties)) {
    fields.push_back("department_duties");
    missing.push_back("what the department does");
  }
  if (IsBlank(spec.community_duties)) {
    fields.push_back("community_duties");
    missing.push_back("what the community does");
  }
  if (fields.empty()) return {};
  return {MakeFinding(
      kRuleDutySplit, domain::Severity::kBlock, std::move(fields),
      absl::StrCat("the split of duties (职责分工) is incomplete: ",
                   absl::StrJoin(missing, " and "),
                   missing.size() == 1 ? " is missing" : " are missing"))};
}

std::vector<domain::Finding> CheckFunding(const RuleInput& in) {
  const domain::TaskSpec& spec = in.task.spec;
  bool new_item = spec.item_code.empty();
  const domain::CatalogItem* item =
      new_item ? nullptr : FindItem(in.catalog, spec.item_code);
  bool assist = item != nullptr && item->kind == domain::ListKind::kAssist;
  if (!new_item && !assist) return {};
  if (spec.hours_per_community_month <= 0) return {};
  if (spec.funding_per_community_yuan > 0) return {};
  std::string what = new_item ? std::string("a new item (清单外事项)")
                              : absl::StrCat("assist-list item ", item->code,
                                             " (社区依法协助政府事项)");
  return {MakeFinding(
      kRuleFunding, domain::Severity::kBlock,
      {"funding_per_community_yuan", "hours_per_community_month"},
      absl::StrCat(what, " asks ", Hours(spec.hours_per_community_month),
                   " per community per month but gives funding of ",
                   spec.funding_per_community_yuan,
                   " yuan per community; funding must follow the task "
                   "(费随事转)"))};
}

std::vector<domain::Finding> CheckEvaluation(const RuleInput& in) {
  const domain::TaskSpec& spec = in.task.spec;
  std::vector<std::string> fields;
  std::vector<std::string> reasons;
  std::vector<std::string> terms;
  for (std::string_view term : kEvaluationTerms) {
    if (Contains(spec.assessment_method, term)) terms.push_back(S(term));
  }
  if (!terms.empty()) {
    fields.push_back("assessment_method");
    reasons.push_back(absl::StrCat("the assessment method mentions \"",
                                   absl::StrJoin(terms, "\", \""), "\""));
  }
  if (std::find(spec.types.begin(), spec.types.end(),
                domain::TaskType::kEvaluation) != spec.types.end()) {
    fields.push_back("types");
    reasons.push_back("the task declares an evaluation/ranking type");
  }
  if (fields.empty()) return {};
  return {MakeFinding(
      kRuleEvaluation, domain::Severity::kBlock, std::move(fields),
      absl::StrCat("a department may not run its own evaluation or ranking "
                   "of communities (考核评比): ",
                   absl::StrJoin(reasons, "; ")))};
}

std::vector<domain::Finding> CheckCapacity(const RuleInput& in) {
  const domain::TaskSpec& spec = in.task.spec;
  const double hours = spec.hours_per_community_month;
  const absl::CivilMonth first(spec.start_date);
  const absl::CivilMonth last =
      std::max(first, absl::CivilMonth(spec.end_date));

  std::vector<std::string> over;
  std::vector<std::string> details;
  domain::CapacityData data;
  for (const domain::Community* c : SortedCommunities(in.communities)) {
    std::vector<domain::CapacityExcess> runs = CapacityExcessesOf(
        *c, WorkloadOf(in, c->id).task_hours, first, last, hours);
    if (runs.empty()) continue;
    over.push_back(c->id);
    if (details.size() < kDetailedCommunities) {
      // The message names the worst month: the highest load, the
      // earliest of equal ones.
      const domain::CapacityExcess* worst = &runs.front();
      for (const domain::CapacityExcess& run : runs) {
        if (run.load_hours > worst->load_hours + kHoursEpsilon) worst = &run;
      }
      details.push_back(absl::StrCat(
          CommunityLabel(*c), " would carry ", Hours(worst->load_hours + hours),
          " in ", MonthName(worst->first_month), " (load ",
          Hours(worst->load_hours), " + this task ", Hours(hours),
          ") against a capacity of ", Hours(c->monthly_capacity_hours)));
    }
    data.excesses.insert(data.excesses.end(),
                         std::make_move_iterator(runs.begin()),
                         std::make_move_iterator(runs.end()));
  }
  if (over.empty()) return {};
  domain::Finding f = MakeFinding(
      kRuleCapacity,
      in.config.capacity_blocks ? domain::Severity::kBlock
                                : domain::Severity::kWarn,
      {"hours_per_community_month", "target_communities"},
      absl::StrCat("over monthly capacity (社区减负) in ", over.size(),
                   over.size() == 1 ? " community: " : " communities: ",
                   absl::StrJoin(details, "; "), MoreCommunities(over)));
  f.communities = std::move(over);
  f.data = std::move(data);
  return {std::move(f)};
}

std::vector<domain::Finding> CheckLeadTime(const RuleInput& in) {
  const domain::TaskSpec& spec = in.task.spec;
  if (spec.emergency) return {};
  const int64_t days = spec.start_date - in.submission_date;
  if (days >= in.config.lead_time_days) return {};
  domain::Finding f = MakeFinding(
      kRuleLeadTime, domain::Severity::kWarn, {"start_date"},
      absl::StrCat("starts on ", DayName(spec.start_date), ", ", days,
                   " days after submission on ", DayName(in.submission_date),
                   "; at least ", in.config.lead_time_days,
                   " days' notice is expected unless the task is flagged "
                   "as an emergency"));
  f.data = domain::LeadTimeData{days, in.config.lead_time_days};
  return {std::move(f)};
}

std::vector<domain::Finding> CheckDuplicate(const RuleInput& in) {
  const domain::Task& task = in.task;
  if (task.spec.item_code.empty()) return {};
  std::vector<domain::Finding> out;
  for (const domain::Task& other : in.department_tasks) {
    if (other.id == task.id) continue;
    if (other.department_id != task.department_id) continue;
    if (other.spec.item_code != task.spec.item_code) continue;
    switch (other.state) {
      case domain::TaskState::kSubmitted:
      case domain::TaskState::kInReview:
      case domain::TaskState::kReturned:
      case domain::TaskState::kProvisional:
      case domain::TaskState::kActive:
        break;
      default:
        continue;
    }
    if (!SharesCommunity(task, other)) continue;
    if (other.spec.start_date > task.spec.end_date ||
        task.spec.start_date > other.spec.end_date) {
      continue;
    }
    domain::Finding f = MakeFinding(
        kRuleDuplicate, domain::Severity::kWarn,
        {"item_code", "target_communities", "start_date", "end_date"},
        absl::StrCat("overlaps task ", other.id, " (",
                     S(domain::TaskStateName(other.state)), ", ",
                     DayName(other.spec.start_date), " to ",
                     DayName(other.spec.end_date),
                     ") of the same department "
                     "for item ",
                     task.spec.item_code,
                     " in at least one of the same communities; possible "
                     "duplicate (重复下派)"));
    f.related_task_id = other.id;
    f.data = domain::DuplicateData{{other.id}};
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<domain::Finding> CheckControlled(const RuleInput& in) {
  const domain::TaskSpec& spec = in.task.spec;
  std::vector<domain::Finding> out;

  std::vector<domain::TaskType> unjustified;
  std::set<domain::ControlledBucket> buckets;
  for (domain::TaskType type : spec.types) {
    std::optional<domain::ControlledBucket> bucket = domain::BucketOf(type);
    if (!bucket.has_value()) continue;
    buckets.insert(*bucket);
    auto it = spec.type_justifications.find(type);
    if (it != spec.type_justifications.end() && !IsBlank(it->second)) {
      continue;
    }
    if (std::find(unjustified.begin(), unjustified.end(), type) ==
        unjustified.end()) {
      unjustified.push_back(type);
    }
  }
  if (!unjustified.empty()) {
    std::vector<std::string> fields;
    std::vector<std::string> names;
    for (domain::TaskType type : unjustified) {
      names.push_back(S(domain::TaskTypeName(type)));
      fields.push_back(absl::StrCat("type_justifications.", names.back()));
    }
    domain::Finding f = MakeFinding(
        kRuleControlled, domain::Severity::kBlock, std::move(fields),
        absl::StrCat("controlled task types (受控事项) without a "
                     "justification: ",
                     absl::StrJoin(names, ", "), "; give a reason for each"));
    domain::ControlledData data;
    data.unjustified_types = std::move(unjustified);
    f.data = std::move(data);
    out.push_back(std::move(f));
  }

  const std::vector<const domain::Community*> communities =
      SortedCommunities(in.communities);
  const std::map<domain::ControlledBucket, int32_t>& limits =
      ControlledLimitsOf(in.catalog, in.config);
  for (domain::ControlledBucket bucket : buckets) {
    auto limit_it = limits.find(bucket);
    if (limit_it == limits.end()) continue;
    const int64_t limit = limit_it->second;
    const int64_t own = UnitsOf(spec, bucket);
    std::vector<std::string> over;
    std::vector<std::string> details;
    domain::ControlledData data;
    for (const domain::Community* c : communities) {
      domain::ControlledExcess excess;
      excess.community_id = c->id;
      excess.task_units = own;
      excess.limit = limit;
      if (auto b = c->baseline_units.find(bucket);
          b != c->baseline_units.end()) {
        excess.baseline_units = b->second;
      }
      const std::map<domain::ControlledBucket, int64_t>& in_force =
          WorkloadOf(in, c->id).units;
      if (auto u = in_force.find(bucket); u != in_force.end()) {
        excess.tasks_units = u->second;
      }
      if (excess.units_in_force() <= limit) continue;
      over.push_back(c->id);
      if (details.size() < kDetailedCommunities) {
        const int64_t before = excess.baseline_units + excess.tasks_units;
        details.push_back(absl::StrCat(CommunityLabel(*c), " would have ",
                                       excess.units_in_force(), " (in force ",
                                       before, " + this task ", own, ")"));
      }
      data.excesses.push_back(std::move(excess));
    }
    if (over.empty()) continue;
    std::vector<std::string> fields = {"types"};
    if (std::string f = BucketField(bucket); f != "types") {
      fields.push_back(std::move(f));
    }
    fields.push_back("target_communities");
    domain::Finding f = MakeFinding(
        kRuleControlled, domain::Severity::kWarn, std::move(fields),
        absl::StrCat("controlled type ",
                     S(domain::ControlledBucketName(bucket)),
                     " (受控事项) over the limit of ", limit,
                     " per community: ", absl::StrJoin(details, "; "),
                     MoreCommunities(over)));
    f.communities = std::move(over);
    f.controlled_type = S(domain::ControlledBucketName(bucket));
    f.data = std::move(data);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<domain::Finding> CheckNewItem(const RuleInput& in) {
  if (!in.task.spec.item_code.empty()) return {};
  return {MakeFinding(kRuleNewItem, domain::Severity::kWarn, {"item_code"},
                      "the task is on no list (清单外事项): it needs the "
                      "approval of two distinct reviewers")};
}

std::vector<domain::Finding> EvaluateRules(const RuleInput& in) {
  std::vector<domain::Finding> out;
  for (const RuleEntry& rule : kRules) {
    std::vector<domain::Finding> found = rule.check(in);
    out.insert(out.end(), std::make_move_iterator(found.begin()),
               std::make_move_iterator(found.end()));
  }
  return out;
}

bool DependsOnOtherTasks(std::string_view rule_id) {
  for (const RuleEntry& rule : kRules) {
    if (rule.id == rule_id) return rule.on_other_tasks;
  }
  return false;
}

std::vector<domain::Finding> EvaluateRulesOnOtherTasks(const RuleInput& in) {
  std::vector<domain::Finding> out;
  for (const RuleEntry& rule : kRules) {
    if (!rule.on_other_tasks) continue;
    std::vector<domain::Finding> found = rule.check(in);
    out.insert(out.end(), std::make_move_iterator(found.begin()),
               std::make_move_iterator(found.end()));
  }
  return out;
}

std::vector<domain::Finding> ReplaceRecheckedFindings(
    const std::vector<domain::Finding>& carried,
    std::vector<domain::Finding> rechecked) {
  std::vector<domain::Finding> out;
  for (const domain::Finding& f : carried) {
    if (!DependsOnOtherTasks(f.rule_id)) out.push_back(f);
  }
  out.insert(out.end(), std::make_move_iterator(rechecked.begin()),
             std::make_move_iterator(rechecked.end()));
  // Stable: findings of one rule keep their order, and rules outside the
  // table (R-EMERGENCY) stay behind the table's.
  std::stable_sort(out.begin(), out.end(),
                   [](const domain::Finding& a, const domain::Finding& b) {
                     return RuleRank(a.rule_id) < RuleRank(b.rule_id);
                   });
  return out;
}

FindingChange CompareWithCarried(const domain::Finding& finding,
                                 const std::vector<domain::Finding>& carried) {
  FindingChange change = FindingChange::kNew;
  for (const domain::Finding& c : carried) {
    if (!SameSubject(c, finding)) continue;
    if (SameConcern(c, finding)) return FindingChange::kUnchanged;
    change = FindingChange::kChanged;
  }
  return change;
}

std::string DescribeConcern(const domain::Finding& finding) {
  std::vector<std::string> parts;
  if (!finding.related_task_id.empty()) {
    parts.push_back(absl::StrCat("task ", finding.related_task_id));
  }
  if (!finding.controlled_type.empty()) {
    parts.push_back(absl::StrCat("controlled type ", finding.controlled_type));
  }
  if (!finding.communities.empty()) {
    parts.push_back(absl::StrCat(
        finding.communities.size() == 1 ? "community " : "communities ",
        absl::StrJoin(finding.communities, ", ")));
  }
  return absl::StrJoin(parts, ", ");
}

bool NeedsTwoApprovals(const domain::Task& task, const RulesConfig& config) {
  if (task.spec.item_code.empty()) return true;
  const double burden = task.spec.hours_per_community_month *
                        static_cast<double>(task.resolved_communities.size());
  return burden > config.two_approval_hours + kHoursEpsilon;
}

}  // namespace taskgate::workflow
