// The JSON codec of every domain type: the writers, then the one overload
// set of readers, then each type's pair of public functions. One file on
// purpose (domain/codec.h says why).
#include "domain/codec.h"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>

#include "common/status_macros.h"
#include "domain/types.h"

namespace taskgate::domain {
namespace {

using Json = nlohmann::json;

// Stable names of the enums, so that the generic readers and writers below
// can handle every enum (and maps keyed by one) alike.
template <typename Enum>
struct EnumNames;

template <>
struct EnumNames<Role> {
  static std::string_view Name(Role v) { return RoleName(v); }
  static std::optional<Role> Parse(std::string_view s) { return ParseRole(s); }
};
template <>
struct EnumNames<TaskState> {
  static std::string_view Name(TaskState v) { return TaskStateName(v); }
  static std::optional<TaskState> Parse(std::string_view s) {
    return ParseTaskState(s);
  }
};
template <>
struct EnumNames<ListKind> {
  static std::string_view Name(ListKind v) { return ListKindName(v); }
  static std::optional<ListKind> Parse(std::string_view s) {
    return ParseListKind(s);
  }
};
template <>
struct EnumNames<TaskType> {
  static std::string_view Name(TaskType v) { return TaskTypeName(v); }
  static std::optional<TaskType> Parse(std::string_view s) {
    return ParseTaskType(s);
  }
};
template <>
struct EnumNames<Severity> {
  static std::string_view Name(Severity v) { return SeverityName(v); }
  static std::optional<Severity> Parse(std::string_view s) {
    return ParseSeverity(s);
  }
};
template <>
struct EnumNames<DecisionKind> {
  static std::string_view Name(DecisionKind v) { return DecisionKindName(v); }
  static std::optional<DecisionKind> Parse(std::string_view s) {
    return ParseDecisionKind(s);
  }
};
template <>
struct EnumNames<ControlledBucket> {
  static std::string_view Name(ControlledBucket v) {
    return ControlledBucketName(v);
  }
  static std::optional<ControlledBucket> Parse(std::string_view s) {
    return ParseControlledBucket(s);
  }
};

template <>
struct EnumNames<ComplaintState> {
  static std::string_view Name(ComplaintState v) {
    return ComplaintStateName(v);
  }
  static std::optional<ComplaintState> Parse(std::string_view s) {
    return ParseComplaintState(s);
  }
};

// ------------------------------------------------------------------ writing

template <typename Enum>
std::string EnumToJson(Enum value) {
  return std::string(EnumNames<Enum>::Name(value));
}

int64_t TimeToJson(absl::Time t) { return absl::ToUnixMicros(t); }

Json OptionalTimeToJson(const std::optional<absl::Time>& t) {
  return t.has_value() ? Json(TimeToJson(*t)) : Json(nullptr);
}

Json OptionalDayToJson(const std::optional<absl::CivilDay>& day) {
  return day.has_value() ? Json(FormatCivilDay(*day)) : Json(nullptr);
}

template <typename Enum>
Json EnumListToJson(const std::vector<Enum>& values) {
  Json out = Json::array();
  for (Enum v : values) out.push_back(EnumToJson(v));
  return out;
}

template <typename Enum, typename V>
Json EnumMapToJson(const std::map<Enum, V>& values) {
  Json out = Json::object();
  for (const auto& [key, value] : values) out[EnumToJson(key)] = value;
  return out;
}

std::string MonthToJson(absl::CivilMonth month) {
  return absl::FormatCivilTime(month);
}

// The members a finding's data is written under, one per kind; a finding
// without data has none of them.
constexpr const char* kCapacityData = "capacity";
constexpr const char* kControlledData = "controlled";
constexpr const char* kDuplicateData = "duplicate";
constexpr const char* kLeadTimeData = "lead_time";

Json FindingDataToJson(const CapacityData& d) {
  Json excesses = Json::array();
  for (const CapacityExcess& e : d.excesses) {
    excesses.push_back(Json{
        {"community_id", e.community_id},
        {"first_month", MonthToJson(e.first_month)},
        {"last_month", MonthToJson(e.last_month)},
        {"load_hours", e.load_hours},
        {"task_hours", e.task_hours},
        {"capacity_hours", e.capacity_hours},
    });
  }
  return Json{{"excesses", std::move(excesses)}};
}

Json FindingDataToJson(const ControlledData& d) {
  Json excesses = Json::array();
  for (const ControlledExcess& e : d.excesses) {
    excesses.push_back(Json{
        {"community_id", e.community_id},
        {"baseline_units", e.baseline_units},
        {"tasks_units", e.tasks_units},
        {"task_units", e.task_units},
        {"limit", e.limit},
    });
  }
  return Json{{"excesses", std::move(excesses)},
              {"unjustified_types", EnumListToJson(d.unjustified_types)}};
}

Json FindingDataToJson(const DuplicateData& d) {
  return Json{{"task_ids", d.task_ids}};
}

Json FindingDataToJson(const LeadTimeData& d) {
  return Json{{"lead_days", d.lead_days}, {"required_days", d.required_days}};
}

// Adds the member of `data`'s kind to `out`; nothing for no data.
void AddFindingData(const FindingData& data, Json& out) {
  if (const auto* d = std::get_if<CapacityData>(&data)) {
    out[kCapacityData] = FindingDataToJson(*d);
  } else if (const auto* d = std::get_if<ControlledData>(&data)) {
    out[kControlledData] = FindingDataToJson(*d);
  } else if (const auto* d = std::get_if<DuplicateData>(&data)) {
    out[kDuplicateData] = FindingDataToJson(*d);
  } else if (const auto* d = std::get_if<LeadTimeData>(&data)) {
    out[kLeadTimeData] = FindingDataToJson(*d);
  }
}

Json FindingToJson(const Finding& f) {
  Json out{
      {"rule_id", f.rule_id},
      {"severity", EnumToJson(f.severity)},
      {"fields", f.fields},
      {"message", f.message},
      {"communities", f.communities},
      {"related_task_id", f.related_task_id},
      {"catalog_item_code", f.catalog_item_code},
  };
  // Only R-CONTROLLED has one, and only findings with data have data:
  // the others keep their stored form byte for byte, so that the digests
  // the audit log holds of stored tasks and decisions still match.
  if (!f.controlled_type.empty()) out["controlled_type"] = f.controlled_type;
  AddFindingData(f.data, out);
  return out;
}

Json SpecToJson(const TaskSpec& s) {
  return Json{
      {"title", s.title},
      {"description", s.description},
      {"item_code", s.item_code},
      {"new_item_justification", s.new_item_justification},
      {"legal_basis", s.legal_basis},
      {"types", EnumListToJson(s.types)},
      {"type_justifications", EnumMapToJson(s.type_justifications)},
      {"long_term", s.long_term},
      {"start_date", FormatCivilDay(s.start_date)},
      {"end_date", FormatCivilDay(s.end_date)},
      {"target_communities", s.target_communities},
      {"target_street_ids", s.target_street_ids},
      {"target_streets", s.target_streets},
      {"hours_per_community_month", s.hours_per_community_month},
      {"funding_per_community_yuan", s.funding_per_community_yuan},
      {"funding_source", s.funding_source},
      {"authority_delegated", s.authority_delegated},
      {"department_duties", s.department_duties},
      {"community_duties", s.community_duties},
      {"support_given", s.support_given},
      {"assessment_method", s.assessment_method},
      {"forms_ledgers_added", s.forms_ledgers_added},
      {"signboards_per_community", s.signboards_per_community},
      {"emergency", s.emergency},
      {"emergency_reason", s.emergency_reason},
  };
}

Json SlaToJson(const SlaState& s) {
  return Json{
      {"total_working_days", s.total_working_days},
      {"used_working_days", s.used_working_days},
      {"clock_start", FormatCivilDay(s.clock_start)},
      {"due_date", OptionalDayToJson(s.due_date)},
      {"overdue", s.overdue},
  };
}

Json ApprovalToJson(const Approval& a) {
  return Json{{"reviewer_id", a.reviewer_id}, {"at", TimeToJson(a.at)}};
}

Json CatalogItemToJson(const CatalogItem& item) {
  return Json{
      {"code", item.code},         {"kind", EnumToJson(item.kind)},
      {"title", item.title},       {"legal_basis", item.legal_basis},
      {"keywords", item.keywords},
  };
}

Json AcknowledgementToJson(const Acknowledgement& a) {
  return Json{{"rule_id", a.rule_id}, {"reason", a.reason}};
}

// Compact, keys sorted (nlohmann's objects are ordered maps), so equal values
// give equal bytes. Invalid UTF-8 becomes U+FFFD rather than throwing: the
// API validates text as UTF-8 before it reaches a store.
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', /*ensure_ascii=*/false,
                   Json::error_handler_t::replace);
}

// ------------------------------------------------------------------ reading

// Builds the errors of one *FromJson call, e.g.
// "task json: member 'spec.start_date' has invalid date '2026-02-30'".
class Context {
 public:
  explicit Context(std::string_view kind) : kind_(kind) {}

  absl::Status Error(std::string_view path, std::string_view problem) const {
    if (path.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(kind_), ": ", std::string(problem)));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(kind_), ": member '", std::string(path), "' ",
                     std::string(problem)));
  }

  absl::Status WrongType(std::string_view path, std::string_view want,
                         const Json& got) const {
    return Error(path,
                 absl::StrCat("has wrong type: expected ", std::string(want),
                              ", got ", std::string(got.type_name())));
  }

 private:
  std::string_view kind_;
};

// Struct readers; declared up front so that the templates below find them.
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Department* out);
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Street* out);
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Finding* out);
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  CapacityExcess* out);
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  ControlledExcess* out);
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  TaskSpec* out);
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  SlaState* out);
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Approval* out);
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  CatalogItem* out);
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Acknowledgement* out);

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  std::string* out) {
  if (!v.is_string()) return c.WrongType(path, "string", v);
  *out = v.get_ref<const std::string&>();
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  bool* out) {
  if (!v.is_boolean()) return c.WrongType(path, "boolean", v);
  *out = v.get<bool>();
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  int64_t* out) {
  if (!v.is_number_integer()) return c.WrongType(path, "integer", v);
  if (v.is_number_unsigned() &&
      v.get<uint64_t>() >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return c.Error(path, "is out of range");
  }
  *out = v.get<int64_t>();
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  int32_t* out) {
  int64_t wide = 0;
  TASKGATE_RETURN_IF_ERROR(Read(c, v, path, &wide));
  if (wide < std::numeric_limits<int32_t>::min() ||
      wide > std::numeric_limits<int32_t>::max()) {
    return c.Error(path, "is out of range");
  }
  *out = static_cast<int32_t>(wide);
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  double* out) {
  if (!v.is_number()) return c.WrongType(path, "number", v);
  *out = v.get<double>();
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  absl::Time* out) {
  int64_t micros = 0;
  TASKGATE_RETURN_IF_ERROR(Read(c, v, path, &micros));
  *out = absl::FromUnixMicros(micros);
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  absl::CivilDay* out) {
  std::string text;
  TASKGATE_RETURN_IF_ERROR(Read(c, v, path, &text));
  absl::StatusOr<absl::CivilDay> day = ParseCivilDay(text);
  if (!day.ok()) {
    return c.Error(
        path, absl::StrCat("has invalid date '", text, "': want YYYY-MM-DD"));
  }
  *out = *day;
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  absl::CivilMonth* out) {
  std::string text;
  TASKGATE_RETURN_IF_ERROR(Read(c, v, path, &text));
  absl::CivilMonth month;
  // Parsing normalizes ("2026-13" would be 2027-01): only the canonical
  // form of a month reads back.
  if (!absl::ParseCivilTime(text, &month) ||
      absl::FormatCivilTime(month) != text) {
    return c.Error(
        path, absl::StrCat("has invalid month '", text, "': want YYYY-MM"));
  }
  *out = month;
  return absl::OkStatus();
}

template <typename T>
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  std::optional<T>* out) {
  if (v.is_null()) {
    out->reset();
    return absl::OkStatus();
  }
  T value{};
  TASKGATE_RETURN_IF_ERROR(Read(c, v, path, &value));
  *out = value;
  return absl::OkStatus();
}

template <typename Enum>
requires std::is_enum_v<Enum> absl::Status Read(const Context& c, const Json& v,
                                                const std::string& path,
                                                Enum* out) {
  std::string name;
  TASKGATE_RETURN_IF_ERROR(Read(c, v, path, &name));
  std::optional<Enum> value = EnumNames<Enum>::Parse(name);
  if (!value.has_value()) {
    return c.Error(path, absl::StrCat("has unknown value '", name, "'"));
  }
  *out = *value;
  return absl::OkStatus();
}

template <typename T>
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  std::vector<T>* out) {
  if (!v.is_array()) return c.WrongType(path, "array", v);
  out->clear();
  out->reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    T item{};
    TASKGATE_RETURN_IF_ERROR(
        Read(c, v[i], absl::StrCat(path, "[", i, "]"), &item));
    out->push_back(std::move(item));
  }
  return absl::OkStatus();
}

// A list of days (a calendar year's), read without building each
// element's path unless it is bad: a year is read at every submit.
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  std::vector<absl::CivilDay>* out) {
  if (!v.is_array()) return c.WrongType(path, "array", v);
  out->clear();
  out->reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    absl::StatusOr<absl::CivilDay> day =
        v[i].is_string() ? ParseCivilDay(v[i].get_ref<const std::string&>())
                         : absl::InvalidArgumentError("not a string");
    if (!day.ok()) {
      absl::CivilDay ignored;
      return Read(c, v[i], absl::StrCat(path, "[", i, "]"), &ignored);
    }
    out->push_back(*day);
  }
  return absl::OkStatus();
}

template <typename Enum, typename V>
absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  std::map<Enum, V>* out) {
  if (!v.is_object()) return c.WrongType(path, "object", v);
  out->clear();
  for (const auto& [key, element] : v.items()) {
    std::optional<Enum> parsed = EnumNames<Enum>::Parse(key);
    if (!parsed.has_value()) {
      return c.Error(path, absl::StrCat("has unknown key '", key, "'"));
    }
    V value{};
    TASKGATE_RETURN_IF_ERROR(
        Read(c, element, absl::StrCat(path, ".", key), &value));
    (*out)[*parsed] = std::move(value);
  }
  return absl::OkStatus();
}

// Reads member `name` of `object` into `out`. An absent or null member leaves
// `out` at its default, so that older bodies still read.
template <typename T>
absl::Status Member(const Context& c, const Json& object,
                    const std::string& path, const char* name, T* out) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  return Read(c, *it,
              path.empty() ? std::string(name) : absl::StrCat(path, ".", name),
              out);
}

absl::Status RequireObject(const Context& c, const Json& v,
                           const std::string& path) {
  if (v.is_object()) return absl::OkStatus();
  if (path.empty()) {
    return c.Error(path, absl::StrCat("expected an object, got ",
                                      std::string(v.type_name())));
  }
  return c.WrongType(path, "object", v);
}

// The data of a finding: the one member of its kind, or none (a finding
// stored before findings carried data, or of a rule without numbers).
absl::Status ReadFindingData(const Context& c, const Json& v,
                             const std::string& path, FindingData* out) {
  const char* found = nullptr;
  for (const char* kind :
       {kCapacityData, kControlledData, kDuplicateData, kLeadTimeData}) {
    auto it = v.find(kind);
    if (it == v.end() || it->is_null()) continue;
    if (found != nullptr) {
      return c.Error(path, absl::StrCat("has both '", found, "' and '", kind,
                                        "': a finding has one kind of data"));
    }
    found = kind;
    const std::string at =
        path.empty() ? std::string(kind) : absl::StrCat(path, ".", kind);
    TASKGATE_RETURN_IF_ERROR(RequireObject(c, *it, at));
    const std::string_view name = kind;
    if (name == kCapacityData) {
      CapacityData d;
      TASKGATE_RETURN_IF_ERROR(Member(c, *it, at, "excesses", &d.excesses));
      *out = std::move(d);
    } else if (name == kControlledData) {
      ControlledData d;
      TASKGATE_RETURN_IF_ERROR(Member(c, *it, at, "excesses", &d.excesses));
      TASKGATE_RETURN_IF_ERROR(
          Member(c, *it, at, "unjustified_types", &d.unjustified_types));
      *out = std::move(d);
    } else if (name == kDuplicateData) {
      DuplicateData d;
      TASKGATE_RETURN_IF_ERROR(Member(c, *it, at, "task_ids", &d.task_ids));
      *out = std::move(d);
    } else {
      LeadTimeData d;
      TASKGATE_RETURN_IF_ERROR(Member(c, *it, at, "lead_days", &d.lead_days));
      TASKGATE_RETURN_IF_ERROR(
          Member(c, *it, at, "required_days", &d.required_days));
      *out = d;
    }
  }
  if (found == nullptr) *out = std::monostate();
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Finding* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "rule_id", &out->rule_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "severity", &out->severity));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "fields", &out->fields));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "message", &out->message));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "communities", &out->communities));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "related_task_id", &out->related_task_id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "catalog_item_code", &out->catalog_item_code));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "controlled_type", &out->controlled_type));
  return ReadFindingData(c, v, path, &out->data);
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  CapacityExcess* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "community_id", &out->community_id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "first_month", &out->first_month));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "last_month", &out->last_month));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "load_hours", &out->load_hours));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "task_hours", &out->task_hours));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "capacity_hours", &out->capacity_hours));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  ControlledExcess* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "community_id", &out->community_id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "baseline_units", &out->baseline_units));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "tasks_units", &out->tasks_units));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "task_units", &out->task_units));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "limit", &out->limit));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  TaskSpec* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "title", &out->title));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "description", &out->description));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "item_code", &out->item_code));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "new_item_justification",
                                  &out->new_item_justification));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "legal_basis", &out->legal_basis));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "types", &out->types));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "type_justifications", &out->type_justifications));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "long_term", &out->long_term));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "start_date", &out->start_date));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "end_date", &out->end_date));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "target_communities", &out->target_communities));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "target_streets", &out->target_streets));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "target_street_ids", &out->target_street_ids));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "hours_per_community_month",
                                  &out->hours_per_community_month));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "funding_per_community_yuan",
                                  &out->funding_per_community_yuan));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "funding_source", &out->funding_source));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "authority_delegated", &out->authority_delegated));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "department_duties", &out->department_duties));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "community_duties", &out->community_duties));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "support_given", &out->support_given));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "assessment_method", &out->assessment_method));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "forms_ledgers_added", &out->forms_ledgers_added));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "signboards_per_community",
                                  &out->signboards_per_community));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "emergency", &out->emergency));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "emergency_reason", &out->emergency_reason));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  SlaState* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "total_working_days", &out->total_working_days));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "used_working_days", &out->used_working_days));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "clock_start", &out->clock_start));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "due_date", &out->due_date));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "overdue", &out->overdue));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Approval* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "reviewer_id", &out->reviewer_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "at", &out->at));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  CatalogItem* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "code", &out->code));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "kind", &out->kind));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "title", &out->title));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "legal_basis", &out->legal_basis));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "keywords", &out->keywords));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Acknowledgement* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "rule_id", &out->rule_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "reason", &out->reason));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Task* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "id", &out->id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "department_id", &out->department_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "spec", &out->spec));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "state", &out->state));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "version", &out->version));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "resolved_communities", &out->resolved_communities));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "findings", &out->findings));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "catalog_version", &out->catalog_version));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "needs_two_approvals", &out->needs_two_approvals));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "approvals", &out->approvals));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "claimed_by", &out->claimed_by));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "sla", &out->sla));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "admitted_by_duty_list", &out->admitted_by_duty_list));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "submitted_at", &out->submitted_at));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "created_at", &out->created_at));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "updated_at", &out->updated_at));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "timer_at", &out->timer_at));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Community* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "id", &out->id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "name", &out->name));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "street_id", &out->street_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "street", &out->street));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "staff_count", &out->staff_count));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "monthly_capacity_hours",
                                  &out->monthly_capacity_hours));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "baseline_hours", &out->baseline_hours));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "baseline_units", &out->baseline_units));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "version", &out->version));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  CatalogVersion* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "version", &out->version));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "published_at", &out->published_at));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "published_by", &out->published_by));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "note", &out->note));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "items", &out->items));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "controlled_limits", &out->controlled_limits));
  return absl::OkStatus();
}

// Departments and streets share their shape.
template <typename NamedResource>
absl::Status ReadNamed(const Context& c, const Json& v, const std::string& path,
                       NamedResource* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "id", &out->id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "name", &out->name));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "version", &out->version));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Department* out) {
  return ReadNamed(c, v, path, out);
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Street* out) {
  return ReadNamed(c, v, path, out);
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  CalendarYear* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "year", &out->year));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "version", &out->version));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "holidays", &out->holidays));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "makeup_workdays", &out->makeup_workdays));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "note", &out->note));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "published_at", &out->published_at));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "published_by", &out->published_by));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Decision* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "task_id", &out->task_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "kind", &out->kind));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "decided_by", &out->decided_by));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "decided_by_role", &out->decided_by_role));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "reason", &out->reason));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "acknowledgements", &out->acknowledgements));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "catalog_version", &out->catalog_version));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "decided_at", &out->decided_at));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "findings", &out->findings));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  District* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "id", &out->id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "name", &out->name));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "time_zone", &out->time_zone));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Principal* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "id", &out->id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "role", &out->role));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "department_id", &out->department_id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "community_id", &out->community_id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "home_department_id", &out->home_department_id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "display_name", &out->display_name));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "disabled", &out->disabled));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "version", &out->version));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "created_at", &out->created_at));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Credential* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "id", &out->id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "principal_id", &out->principal_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "token_hash", &out->token_hash));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "certificate_identity", &out->certificate_identity));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "description", &out->description));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "created_at", &out->created_at));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "created_by", &out->created_by));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "revoked", &out->revoked));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "revoked_at", &out->revoked_at));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "version", &out->version));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Complaint* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "id", &out->id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "community_id", &out->community_id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "department_id", &out->department_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "task_id", &out->task_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "title", &out->title));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "description", &out->description));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "state", &out->state));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "filed_by", &out->filed_by));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "filed_at", &out->filed_at));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "handled_by", &out->handled_by));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "resolution", &out->resolution));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "version", &out->version));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "updated_at", &out->updated_at));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  FundingReport* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "id", &out->id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "task_id", &out->task_id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "community_id", &out->community_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "note", &out->note));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "reported_by", &out->reported_by));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "reported_at", &out->reported_at));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  Attachment* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "task_id", &out->task_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "name", &out->name));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "media_type", &out->media_type));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "size_bytes", &out->size_bytes));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "sha256", &out->sha256));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "added_by", &out->added_by));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "added_at", &out->added_at));
  return absl::OkStatus();
}

absl::Status Read(const Context& c, const Json& v, const std::string& path,
                  AssignmentAck* out) {
  TASKGATE_RETURN_IF_ERROR(RequireObject(c, v, path));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "district_id", &out->district_id));
  TASKGATE_RETURN_IF_ERROR(Member(c, v, path, "task_id", &out->task_id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "community_id", &out->community_id));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "acknowledged_by", &out->acknowledged_by));
  TASKGATE_RETURN_IF_ERROR(
      Member(c, v, path, "acknowledged_at", &out->acknowledged_at));
  return absl::OkStatus();
}

// Parses `text` and reads the top-level object into a fresh `T`, so that
// absent members keep `T`'s defaults. Exceptions stay inside.
template <typename T>
absl::StatusOr<T> Decode(std::string_view kind, std::string_view text) {
  const Context c(kind);
  try {
    const Json json = Json::parse(text.data(), text.data() + text.size());
    T out{};
    TASKGATE_RETURN_IF_ERROR(Read(c, json, "", &out));
    return out;
  } catch (const Json::parse_error& e) {
    return c.Error("", absl::StrCat("is not valid json (byte ", e.byte, ")"));
  } catch (const Json::exception& e) {
    return c.Error("", absl::StrCat("cannot be read: ", e.what()));
  }
}

}  // namespace

std::string FormatCivilDay(absl::CivilDay day) {
  return absl::FormatCivilTime(day);
}

absl::StatusOr<absl::CivilDay> ParseCivilDay(std::string_view text) {
  // The common shape, "YYYY-MM-DD" with a four-digit year, read by hand:
  // absl's parse and the round trip below cost a microsecond or two a day,
  // and a calendar year is read with dozens of days at every submit.
  const auto digit = [&](size_t i) {
    return text[i] >= '0' && text[i] <= '9' ? text[i] - '0' : -1;
  };
  if (text.size() == 10 && text[4] == '-' && text[7] == '-' && digit(0) > 0) {
    int year = 0;
    bool digits = true;
    for (size_t i : {0, 1, 2, 3}) {
      digits = digits && digit(i) >= 0;
      year = year * 10 + digit(i);
    }
    const int month = digit(5) * 10 + digit(6);
    const int day = digit(8) * 10 + digit(9);
    if (digits && digit(5) >= 0 && digit(6) >= 0 && digit(8) >= 0 &&
        digit(9) >= 0) {
      const absl::CivilDay parsed(year, month, day);
      // absl normalizes 2026-02-30 to 2026-03-02: only an unchanged day is
      // a date.
      if (parsed.month() == month && parsed.day() == day) return parsed;
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid date '", std::string(text), "': want YYYY-MM-DD"));
    }
  }
  const std::string s(text);
  absl::CivilDay day;
  // absl accepts more than one spelling of a day and normalizes impossible
  // ones (2026-02-30 -> 2026-03-02); only the canonical form is a date here.
  if (!absl::ParseCivilTime(s, &day) || FormatCivilDay(day) != s) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid date '", s, "': want YYYY-MM-DD"));
  }
  return day;
}

std::string TaskToJson(const Task& task) {
  Json findings = Json::array();
  for (const Finding& f : task.findings) findings.push_back(FindingToJson(f));
  Json approvals = Json::array();
  for (const Approval& a : task.approvals) {
    approvals.push_back(ApprovalToJson(a));
  }
  return Dump(Json{
      {"district_id", task.district_id},
      {"id", task.id},
      {"department_id", task.department_id},
      {"spec", SpecToJson(task.spec)},
      {"state", EnumToJson(task.state)},
      {"version", task.version},
      {"resolved_communities", task.resolved_communities},
      {"findings", std::move(findings)},
      {"catalog_version", task.catalog_version},
      {"needs_two_approvals", task.needs_two_approvals},
      {"approvals", std::move(approvals)},
      {"claimed_by", task.claimed_by},
      {"sla", SlaToJson(task.sla)},
      {"admitted_by_duty_list", task.admitted_by_duty_list},
      {"submitted_at", OptionalTimeToJson(task.submitted_at)},
      {"created_at", TimeToJson(task.created_at)},
      {"updated_at", TimeToJson(task.updated_at)},
      {"timer_at", OptionalTimeToJson(task.timer_at)},
  });
}

absl::StatusOr<Task> TaskFromJson(std::string_view json) {
  return Decode<Task>("task json", json);
}

std::string CommunityToJson(const Community& community) {
  return Dump(Json{
      {"district_id", community.district_id},
      {"id", community.id},
      {"name", community.name},
      {"street_id", community.street_id},
      {"street", community.street},
      {"staff_count", community.staff_count},
      {"monthly_capacity_hours", community.monthly_capacity_hours},
      {"baseline_hours", community.baseline_hours},
      {"baseline_units", EnumMapToJson(community.baseline_units)},
      {"version", community.version},
  });
}

absl::StatusOr<Community> CommunityFromJson(std::string_view json) {
  return Decode<Community>("community json", json);
}

std::string DepartmentToJson(const Department& department) {
  return Dump(Json{
      {"district_id", department.district_id},
      {"id", department.id},
      {"name", department.name},
      {"version", department.version},
  });
}

absl::StatusOr<Department> DepartmentFromJson(std::string_view json) {
  return Decode<Department>("department json", json);
}

std::string StreetToJson(const Street& street) {
  return Dump(Json{
      {"district_id", street.district_id},
      {"id", street.id},
      {"name", street.name},
      {"version", street.version},
  });
}

absl::StatusOr<Street> StreetFromJson(std::string_view json) {
  return Decode<Street>("street json", json);
}

std::string CatalogToJson(const CatalogVersion& catalog) {
  Json items = Json::array();
  for (const CatalogItem& item : catalog.items) {
    items.push_back(CatalogItemToJson(item));
  }
  return Dump(Json{
      {"district_id", catalog.district_id},
      {"version", catalog.version},
      {"published_at", TimeToJson(catalog.published_at)},
      {"published_by", catalog.published_by},
      {"note", catalog.note},
      {"items", std::move(items)},
      {"controlled_limits", EnumMapToJson(catalog.controlled_limits)},
  });
}

absl::StatusOr<CatalogVersion> CatalogFromJson(std::string_view json) {
  return Decode<CatalogVersion>("catalog json", json);
}

std::string CalendarYearToJson(const CalendarYear& calendar) {
  const auto days = [](const std::vector<absl::CivilDay>& list) {
    Json out = Json::array();
    for (absl::CivilDay day : list) out.push_back(FormatCivilDay(day));
    return out;
  };
  return Dump(Json{
      {"district_id", calendar.district_id},
      {"year", calendar.year},
      {"version", calendar.version},
      {"holidays", days(calendar.holidays)},
      {"makeup_workdays", days(calendar.makeup_workdays)},
      {"note", calendar.note},
      {"published_at", TimeToJson(calendar.published_at)},
      {"published_by", calendar.published_by},
  });
}

absl::StatusOr<CalendarYear> CalendarYearFromJson(std::string_view json) {
  return Decode<CalendarYear>("calendar json", json);
}

std::string DecisionToJson(const Decision& decision) {
  Json acknowledgements = Json::array();
  for (const Acknowledgement& a : decision.acknowledgements) {
    acknowledgements.push_back(AcknowledgementToJson(a));
  }
  Json findings = Json::array();
  for (const Finding& f : decision.findings) {
    findings.push_back(FindingToJson(f));
  }
  return Dump(Json{
      {"district_id", decision.district_id},
      {"task_id", decision.task_id},
      {"kind", EnumToJson(decision.kind)},
      {"decided_by", decision.decided_by},
      {"decided_by_role", EnumToJson(decision.decided_by_role)},
      {"reason", decision.reason},
      {"acknowledgements", std::move(acknowledgements)},
      {"catalog_version", decision.catalog_version},
      {"decided_at", TimeToJson(decision.decided_at)},
      {"findings", std::move(findings)},
  });
}

absl::StatusOr<Decision> DecisionFromJson(std::string_view json) {
  return Decode<Decision>("decision json", json);
}

std::string DistrictToJson(const District& district) {
  return Dump(Json{
      {"id", district.id},
      {"name", district.name},
      {"time_zone", district.time_zone},
  });
}

absl::StatusOr<District> DistrictFromJson(std::string_view json) {
  return Decode<District>("district json", json);
}

std::string PrincipalToJson(const Principal& principal) {
  return Dump(Json{
      {"id", principal.id},
      {"role", EnumToJson(principal.role)},
      {"district_id", principal.district_id},
      {"department_id", principal.department_id},
      {"community_id", principal.community_id},
      {"home_department_id", principal.home_department_id},
      {"display_name", principal.display_name},
      {"disabled", principal.disabled},
      {"version", principal.version},
      {"created_at", TimeToJson(principal.created_at)},
  });
}

absl::StatusOr<Principal> PrincipalFromJson(std::string_view json) {
  return Decode<Principal>("principal json", json);
}

std::string CredentialToJson(const Credential& credential) {
  Json json{
      {"district_id", credential.district_id},
      {"id", credential.id},
      {"principal_id", credential.principal_id},
      {"token_hash", credential.token_hash},
      {"description", credential.description},
      {"created_at", TimeToJson(credential.created_at)},
      {"created_by", credential.created_by},
      {"revoked", credential.revoked},
      {"revoked_at", OptionalTimeToJson(credential.revoked_at)},
      {"version", credential.version},
  };
  // Only a certificate binding has it, so that a token's body (and each
  // record of one) keeps the bytes it had before bindings existed.
  if (!credential.certificate_identity.empty()) {
    json["certificate_identity"] = credential.certificate_identity;
  }
  return Dump(json);
}

absl::StatusOr<Credential> CredentialFromJson(std::string_view json) {
  return Decode<Credential>("credential json", json);
}

std::string ComplaintToJson(const Complaint& complaint) {
  return Dump(Json{
      {"district_id", complaint.district_id},
      {"id", complaint.id},
      {"community_id", complaint.community_id},
      {"department_id", complaint.department_id},
      {"task_id", complaint.task_id},
      {"title", complaint.title},
      {"description", complaint.description},
      {"state", EnumToJson(complaint.state)},
      {"filed_by", complaint.filed_by},
      {"filed_at", TimeToJson(complaint.filed_at)},
      {"handled_by", complaint.handled_by},
      {"resolution", complaint.resolution},
      {"version", complaint.version},
      {"updated_at", TimeToJson(complaint.updated_at)},
  });
}

absl::StatusOr<Complaint> ComplaintFromJson(std::string_view json) {
  return Decode<Complaint>("complaint json", json);
}

std::string FundingReportToJson(const FundingReport& report) {
  return Dump(Json{
      {"district_id", report.district_id},
      {"id", report.id},
      {"task_id", report.task_id},
      {"community_id", report.community_id},
      {"note", report.note},
      {"reported_by", report.reported_by},
      {"reported_at", TimeToJson(report.reported_at)},
  });
}

absl::StatusOr<FundingReport> FundingReportFromJson(std::string_view json) {
  return Decode<FundingReport>("funding report json", json);
}

std::string AttachmentToJson(const Attachment& a) {
  return Dump(Json{
      {"district_id", a.district_id},
      {"task_id", a.task_id},
      {"name", a.name},
      {"media_type", a.media_type},
      {"size_bytes", a.size_bytes},
      {"sha256", a.sha256},
      {"added_by", a.added_by},
      {"added_at", TimeToJson(a.added_at)},
  });
}

absl::StatusOr<Attachment> AttachmentFromJson(std::string_view json) {
  return Decode<Attachment>("attachment json", json);
}

std::string AssignmentAckToJson(const AssignmentAck& ack) {
  return Dump(Json{
      {"district_id", ack.district_id},
      {"task_id", ack.task_id},
      {"community_id", ack.community_id},
      {"acknowledged_by", ack.acknowledged_by},
      {"acknowledged_at", TimeToJson(ack.acknowledged_at)},
  });
}

absl::StatusOr<AssignmentAck> AssignmentAckFromJson(std::string_view json) {
  return Decode<AssignmentAck>("assignment ack json", json);
}

}  // namespace taskgate::domain
