#include "workflow/validation.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>

#include "common/safe_text.h"
#include "domain/codec.h"

namespace taskgate::workflow {
namespace {

std::string Field(std::string_view prefix, std::string_view name) {
  return absl::StrCat(std::string(prefix), std::string(name));
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isspace(static_cast<unsigned char>(c));
  });
}

// Civil days before this are taken as "not set" (the default is 1970-01-01).
constexpr absl::CivilDay kEarliestDate(2000, 1, 1);
constexpr absl::CivilDay kLatestDate(2100, 12, 31);

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    if (DecodeUtf8(s, &pos) == kInvalidUtf8) return false;
  }
  return true;
}

size_t Utf8Length(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  }));
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  if (!absl::ascii_isalnum(static_cast<unsigned char>(id[0]))) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' ||
           c == '_' || c == '.';
  });
}

bool IsValidCode(std::string_view code) {
  if (code.empty() || code.size() > kMaxIdLength) return false;
  if (!absl::ascii_isalnum(static_cast<unsigned char>(code[0]))) return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
           c == '_' || c == '.';
  });
}

void CheckCode(std::string_view field, std::string_view code,
               std::vector<FieldViolation>& out) {
  if (!IsValidCode(code)) {
    out.push_back(
        {std::string(field),
         absl::StrCat("'", EchoValue(code),
                      "' is not a valid item code: use 1 to 63 characters of "
                      "A-Z, a-z, 0-9, '-', '_' or '.'")});
  }
}

void CheckId(std::string_view field, std::string_view id,
             std::vector<FieldViolation>& out) {
  if (!IsValidId(id)) {
    out.push_back(
        {std::string(field),
         absl::StrCat(
             "'", EchoValue(id),
             "' is not a valid id: use 1 to 63 characters of a-z, "
             "0-9, '-', '_' or '.', starting with a letter or digit")});
  }
}

void CheckText(std::string_view field, std::string_view text, size_t max_chars,
               bool required, std::vector<FieldViolation>& out) {
  if (!IsValidUtf8(text)) {
    out.push_back({std::string(field), "is not valid UTF-8 text"});
    return;
  }
  if (const size_t n = Utf8Length(text); n > max_chars) {
    out.push_back({std::string(field),
                   absl::StrCat("is ", n, " characters long; at most ",
                                max_chars, " are allowed")});
  }
  const bool multiline = IsMultiLineText(max_chars);
  if (const std::optional<UnsafeCharacter> bad =
          FindUnsafeCharacter(text, multiline)) {
    const bool bidi = bad->code_point > 0x9F;
    out.push_back(
        {std::string(field),
         absl::StrCat(
             "holds ",
             bidi ? "the bidirectional formatting character "
                  : "the control character ",
             CodePointName(bad->code_point), " at character ", bad->position,
             bidi ? ", which can make text show in another order than it "
                    "reads; remove it"
                  : "; remove it",
             multiline ? " (only newline and tab are allowed)"
                       : " (this field is one line)")});
  }
  if (required && IsBlank(text)) {
    out.push_back({std::string(field), "is required"});
  }
}

void CheckAcknowledgements(const std::vector<domain::Acknowledgement>& acks,
                           std::vector<FieldViolation>& out) {
  if (acks.size() > kMaxAcknowledgements) {
    out.push_back(
        {"acknowledgements",
         absl::StrCat("lists ", acks.size(), " acknowledgements; at most ",
                      kMaxAcknowledgements,
                      ": acknowledge each WARN finding of the task once, by "
                      "its rule id")});
    return;
  }
  std::map<std::string, size_t> first;  // rule id -> its first index
  for (size_t i = 0; i < acks.size(); ++i) {
    const std::string p = absl::StrCat("acknowledgements[", i, "].");
    const std::string& rule = acks[i].rule_id;
    const size_t before = out.size();
    CheckText(p + "rule_id", rule, kMaxIdLength, true, out);
    if (out.size() == before && !IsValidCode(rule)) {
      out.push_back(
          {p + "rule_id", absl::StrCat("'", EchoValue(rule),
                                       "' is not a rule id: name the rule of a "
                                       "WARN finding of the task, e.g. "
                                       "R-LEAD-TIME")});
    }
    if (const auto [it, inserted] = first.emplace(rule, i);
        !inserted && !rule.empty()) {
      out.push_back(
          {p + "rule_id",
           absl::StrCat("acknowledges ", EchoValue(rule),
                        " again (already at acknowledgements[", it->second,
                        "]): acknowledge each rule once, with one reason")});
    }
    CheckText(p + "reason", acks[i].reason, kMaxTextLength, true, out);
  }
}

std::vector<FieldViolation> ValidateTaskSpec(const domain::TaskSpec& spec,
                                             bool for_submit,
                                             std::string_view prefix) {
  std::vector<FieldViolation> out;
  auto f = [&](std::string_view name) { return Field(prefix, name); };
  CheckText(f("title"), spec.title, kMaxTitleLength, for_submit, out);
  CheckText(f("description"), spec.description, kMaxDescriptionLength, false,
            out);
  if (!spec.item_code.empty()) {
    CheckCode(f("item_code"), spec.item_code, out);
  }
  CheckText(f("new_item_justification"), spec.new_item_justification,
            kMaxTextLength, for_submit && spec.item_code.empty(), out);
  for (const auto& [field, text] :
       {std::pair{"legal_basis", &spec.legal_basis},
        {"funding_source", &spec.funding_source},
        {"authority_delegated", &spec.authority_delegated},
        {"department_duties", &spec.department_duties},
        {"community_duties", &spec.community_duties},
        {"support_given", &spec.support_given},
        {"assessment_method", &spec.assessment_method}}) {
    CheckText(f(field), *text, kMaxTextLength, false, out);
  }
  CheckText(f("emergency_reason"), spec.emergency_reason, kMaxTextLength,
            for_submit && spec.emergency, out);

  std::set<domain::TaskType> seen_types;
  const bool too_many_types = spec.types.size() > kMaxTaskTypes;
  if (too_many_types) {
    out.push_back(
        {f("types"),
         absl::StrCat("lists ", spec.types.size(), " types; there are ",
                      kMaxTaskTypes, " task types: list each at most once")});
  }
  for (domain::TaskType type : spec.types) {
    if (!seen_types.insert(type).second && !too_many_types) {
      out.push_back(
          {f("types"),
           absl::StrCat("lists '", std::string(domain::TaskTypeName(type)),
                        "' more than once")});
    }
  }
  for (const auto& [type, text] : spec.type_justifications) {
    const std::string field = f(absl::StrCat(
        "type_justifications.", std::string(domain::TaskTypeName(type))));
    if (!seen_types.contains(type)) {
      out.push_back(
          {field, "justifies a type the task does not list in types"});
    }
    CheckText(field, text, kMaxTextLength, false, out);
  }

  // A list over its bound is reported alone: its items are not looked at.
  if (spec.target_communities.size() > kMaxTargets) {
    out.push_back({f("target_communities"),
                   absl::StrCat("lists ", spec.target_communities.size(),
                                " communities; at most ", kMaxTargets)});
  } else {
    for (size_t i = 0; i < spec.target_communities.size(); ++i) {
      CheckId(f(absl::StrCat("target_communities[", i, "]")),
              spec.target_communities[i], out);
    }
  }
  if (spec.target_streets.size() > kMaxStreets) {
    out.push_back(
        {f("target_streets"), absl::StrCat("lists ", spec.target_streets.size(),
                                           " streets; at most ", kMaxStreets)});
  } else {
    for (size_t i = 0; i < spec.target_streets.size(); ++i) {
      CheckText(f(absl::StrCat("target_streets[", i, "]")),
                spec.target_streets[i], kMaxTitleLength, true, out);
    }
  }
  if (spec.target_street_ids.size() > kMaxStreets) {
    out.push_back({f("target_street_ids"),
                   absl::StrCat("lists ", spec.target_street_ids.size(),
                                " streets; at most ", kMaxStreets)});
  } else {
    for (size_t i = 0; i < spec.target_street_ids.size(); ++i) {
      CheckId(f(absl::StrCat("target_street_ids[", i, "]")),
              spec.target_street_ids[i], out);
    }
  }
  if (for_submit && spec.target_communities.empty() &&
      spec.target_streets.empty() && spec.target_street_ids.empty()) {
    out.push_back({f("target_communities"),
                   "name at least one target community or street"});
  }

  if (!(spec.hours_per_community_month >= 0 &&
        spec.hours_per_community_month <= kMaxHoursPerMonth)) {
    out.push_back({f("hours_per_community_month"),
                   absl::StrCat("must be between 0 and ", kMaxHoursPerMonth,
                                " hours per month")});
  }
  if (spec.funding_per_community_yuan < 0 ||
      spec.funding_per_community_yuan > kMaxFundingYuan) {
    out.push_back(
        {f("funding_per_community_yuan"),
         absl::StrCat("must be between 0 and ", kMaxFundingYuan, " yuan")});
  }
  for (const auto& [field, value] :
       {std::pair{"forms_ledgers_added", spec.forms_ledgers_added},
        {"signboards_per_community", spec.signboards_per_community}}) {
    if (value < 0 || value > kMaxUnits) {
      out.push_back(
          {f(field), absl::StrCat("must be between 0 and ", kMaxUnits)});
    }
  }

  if (for_submit) {
    const bool start_ok =
        spec.start_date >= kEarliestDate && spec.start_date <= kLatestDate;
    const bool end_ok =
        spec.end_date >= kEarliestDate && spec.end_date <= kLatestDate;
    if (!start_ok) {
      out.push_back({f("start_date"),
                     "set a start date between 2000-01-01 "
                     "and 2100-12-31"});
    }
    if (!end_ok) {
      out.push_back({f("end_date"),
                     "set an end date between 2000-01-01 and "
                     "2100-12-31"});
    }
    if (start_ok && end_ok && spec.end_date < spec.start_date) {
      out.push_back({f("end_date"), "is before start_date"});
    }
  }
  return out;
}

std::vector<FieldViolation> ValidateCatalogItems(
    const std::vector<domain::CatalogItem>& items) {
  std::vector<FieldViolation> out;
  if (items.size() > kMaxCatalogItems) {
    out.push_back(
        {"items", absl::StrCat("lists ", items.size(), " items; at most ",
                               kMaxCatalogItems)});
    return out;  // its items are not looked at
  }
  std::set<std::string> codes;
  for (size_t i = 0; i < items.size(); ++i) {
    const domain::CatalogItem& item = items[i];
    const std::string p = absl::StrCat("items[", i, "].");
    CheckCode(p + "code", item.code, out);
    if (!codes.insert(item.code).second) {
      out.push_back({p + "code", absl::StrCat("code '", EchoValue(item.code),
                                              "' appears more than once")});
    }
    CheckText(p + "title", item.title, kMaxTitleLength, true, out);
    CheckText(p + "legal_basis", item.legal_basis, kMaxTextLength, false, out);
    if (item.keywords.size() > kMaxKeywords) {
      out.push_back({p + "keywords", absl::StrCat("at most ", kMaxKeywords,
                                                  " keywords per item")});
    }
    for (size_t k = 0;
         item.keywords.size() <= kMaxKeywords && k < item.keywords.size();
         ++k) {
      CheckText(absl::StrCat(p, "keywords[", k, "]"), item.keywords[k],
                kMaxTitleLength, true, out);
    }
    if (item.kind != domain::ListKind::kNegative && !item.keywords.empty()) {
      out.push_back({p + "keywords",
                     "only negative-list (负面清单) items take keywords"});
    }
  }
  return out;
}

namespace {

std::string_view WeekdayName(absl::Weekday weekday) {
  switch (weekday) {
    case absl::Weekday::monday:
      return "a Monday";
    case absl::Weekday::tuesday:
      return "a Tuesday";
    case absl::Weekday::wednesday:
      return "a Wednesday";
    case absl::Weekday::thursday:
      return "a Thursday";
    case absl::Weekday::friday:
      return "a Friday";
    case absl::Weekday::saturday:
      return "a Saturday";
    case absl::Weekday::sunday:
      return "a Sunday";
  }
  return "a day";
}

// Checks the days of one list of `calendar` (`field`): the count, then each
// day in the year and listed once. Returns whether the days were looked at.
bool CheckCalendarDays(std::string_view field,
                       const std::vector<absl::CivilDay>& days,
                       const domain::CalendarYear& calendar, bool year_ok,
                       std::vector<FieldViolation>& out) {
  if (days.size() > kMaxCalendarDays) {
    out.push_back({std::string(field), absl::StrCat("lists ", days.size(),
                                                    " days; a year has at "
                                                    "most ",
                                                    kMaxCalendarDays)});
    return false;
  }
  std::set<absl::CivilDay> seen;
  for (size_t i = 0; i < days.size(); ++i) {
    const std::string f = absl::StrCat(std::string(field), "[", i, "]");
    const std::string text = domain::FormatCivilDay(days[i]);
    if (year_ok && days[i].year() != calendar.year) {
      out.push_back({f, absl::StrCat(text, " is not in ", calendar.year,
                                     "; publish each year's days with "
                                     "that year")});
    }
    if (!seen.insert(days[i]).second) {
      out.push_back({f, absl::StrCat(text, " is listed more than once")});
    }
  }
  return true;
}

}  // namespace

std::vector<FieldViolation> ValidateCalendarYear(
    const domain::CalendarYear& calendar) {
  std::vector<FieldViolation> out;
  const bool year_ok =
      calendar.year >= kMinCalendarYear && calendar.year <= kMaxCalendarYear;
  if (!year_ok) {
    out.push_back(
        {"year", absl::StrCat("is ", calendar.year, "; publish a year from ",
                              kMinCalendarYear, " to ", kMaxCalendarYear)});
  }
  const bool holidays_checked =
      CheckCalendarDays("holidays", calendar.holidays, calendar, year_ok, out);
  if (CheckCalendarDays("makeup_workdays", calendar.makeup_workdays, calendar,
                        year_ok, out)) {
    const std::set<absl::CivilDay> holidays(calendar.holidays.begin(),
                                            calendar.holidays.end());
    for (size_t i = 0; i < calendar.makeup_workdays.size(); ++i) {
      const absl::CivilDay day = calendar.makeup_workdays[i];
      const std::string f = absl::StrCat("makeup_workdays[", i, "]");
      const std::string text = domain::FormatCivilDay(day);
      const absl::Weekday weekday = absl::GetWeekday(day);
      if (weekday != absl::Weekday::saturday &&
          weekday != absl::Weekday::sunday) {
        out.push_back(
            {f, absl::StrCat(text, " is ", std::string(WeekdayName(weekday)),
                             ", a working day anyway; a make-up working day "
                             "(调休上班日) is a Saturday or Sunday declared a "
                             "working day")});
      }
      if (holidays_checked && holidays.contains(day)) {
        out.push_back({f, absl::StrCat(text,
                                       " is also on the holiday list; a day "
                                       "is either a holiday (法定节假日) or a "
                                       "make-up working day, not both")});
      }
    }
  }
  CheckText("note", calendar.note, kMaxTextLength, false, out);
  return out;
}

FieldViolation UnknownReference(std::string field, std::string_view noun,
                                const std::string& id,
                                const std::string& district,
                                std::string_view how) {
  return {std::move(field), absl::StrCat(std::string(noun), " '", id,
                                         "' does not exist in district ",
                                         district, "; ", std::string(how))};
}

std::vector<FieldViolation> ValidateNamedResource(std::string_view id,
                                                  std::string_view name) {
  std::vector<FieldViolation> out;
  CheckId("id", id, out);
  CheckText("name", name, kMaxTitleLength, true, out);
  return out;
}

std::vector<FieldViolation> ValidateCommunity(
    const domain::Community& community) {
  std::vector<FieldViolation> out;
  CheckId("id", community.id, out);
  CheckText("name", community.name, kMaxTitleLength, true, out);
  // The street by id; a name given instead was resolved to its id before
  // (workflow/directory.h `PutCommunity`).
  CheckId("street_id", community.street_id, out);
  if (community.staff_count < 0 || community.staff_count > 10000) {
    out.push_back({"staff_count", "must be between 0 and 10000"});
  }
  for (const auto& [field, value] :
       {std::pair{"monthly_capacity_hours", community.monthly_capacity_hours},
        {"baseline_hours", community.baseline_hours}}) {
    if (!(value >= 0 && value <= 1e7)) {
      out.push_back({field, "must be between 0 and 10000000 hours"});
    }
  }
  for (const auto& [bucket, units] : community.baseline_units) {
    if (units < 0 || units > kMaxUnits) {
      out.push_back(
          {absl::StrCat("baseline_units.",
                        std::string(domain::ControlledBucketName(bucket))),
           absl::StrCat("must be between 0 and ", kMaxUnits)});
    }
  }
  return out;
}

bool IsValidTokenHash(std::string_view hash) {
  return hash.size() == 64 && std::all_of(hash.begin(), hash.end(), [](char c) {
           return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                  (c >= 'a' && c <= 'f');
         });
}

void CheckTokenHash(std::string_view field, std::string_view hash,
                    std::vector<FieldViolation>& out) {
  if (!IsValidTokenHash(hash)) {
    // The value is not echoed: it is derived from a secret.
    out.push_back({std::string(field),
                   "must be the lower-case hex SHA-256 of the token secret "
                   "(64 characters of 0-9 and a-f)"});
  }
}

void CheckCertificateIdentity(std::string_view field, std::string_view identity,
                              std::vector<FieldViolation>& out) {
  const size_t colon = identity.find(':');
  const std::string_view kind =
      colon == std::string_view::npos ? "" : identity.substr(0, colon);
  if (kind != "uri" && kind != "dns" && kind != "email" && kind != "subject") {
    out.push_back(
        {std::string(field),
         absl::StrCat("'", EchoValue(identity),
                      "' does not name a certificate identity: write "
                      "'uri:<SAN URI>', 'dns:<SAN DNS name>', "
                      "'email:<SAN email>' or 'subject:<subject DN, RFC "
                      "2253>' as the certificate carries it")});
    return;
  }
  if (colon + 1 == identity.size()) {
    out.push_back({std::string(field), absl::StrCat("names no value after '",
                                                    std::string(kind), ":'")});
    return;
  }
  const size_t before = out.size();
  CheckText(field, identity, kMaxCertificateIdentityLength, true, out);
  // CheckText lets a text this long hold newlines and tabs; an identity is
  // one line, as the certificate carries it.
  if (out.size() == before &&
      identity.find_first_of("\n\t") != std::string_view::npos) {
    out.push_back({std::string(field),
                   "holds a control character (a newline or tab); a "
                   "certificate identity is one line"});
  }
}

std::vector<FieldViolation> ValidatePrincipal(
    const domain::Principal& principal, std::string_view prefix) {
  std::vector<FieldViolation> out;
  auto f = [&](std::string_view name) { return Field(prefix, name); };
  CheckId(f("id"), principal.id, out);
  // These name no principal in the audit log: timers and refused callers.
  if (principal.id == "system" || principal.id == "anonymous") {
    out.push_back({f("id"), absl::StrCat("'", principal.id,
                                         "' is reserved; choose another id")});
  }
  CheckText(f("display_name"), principal.display_name, kMaxTitleLength, false,
            out);
  if (principal.role == domain::Role::kSystem) {
    out.push_back({f("role"),
                   "'system' is reserved for timers and automatic "
                   "decisions; choose department, reviewer, community, "
                   "auditor or admin"});
  }
  const std::string role(domain::RoleName(principal.role));
  // Each scope field belongs to one role; any other role must leave it
  // empty, so that a principal's scope never says more than its role.
  const auto scope = [&](std::string_view name, const std::string& value,
                         domain::Role owner, bool required) {
    if (principal.role == owner) {
      if (required || !value.empty()) CheckId(f(name), value, out);
      return;
    }
    if (!value.empty()) {
      out.push_back(
          {f(name), absl::StrCat("must be empty for role ", role, "; only a ",
                                 std::string(domain::RoleName(owner)),
                                 " principal has one")});
    }
  };
  scope("department_id", principal.department_id, domain::Role::kDepartment,
        true);
  scope("community_id", principal.community_id, domain::Role::kCommunity, true);
  scope("home_department_id", principal.home_department_id,
        domain::Role::kReviewer, false);
  return out;
}

std::vector<FieldViolation> ValidateComplaint(
    const domain::Complaint& complaint, std::string_view prefix) {
  std::vector<FieldViolation> out;
  auto f = [&](std::string_view name) { return Field(prefix, name); };
  CheckId(f("id"), complaint.id, out);
  CheckText(f("title"), complaint.title, kMaxTitleLength, true, out);
  CheckText(f("description"), complaint.description, kMaxDescriptionLength,
            true, out);
  if (!complaint.department_id.empty()) {
    CheckId(f("department_id"), complaint.department_id, out);
  }
  if (!complaint.task_id.empty()) {
    CheckId(f("task_id"), complaint.task_id, out);
  }
  return out;
}

}  // namespace taskgate::workflow
