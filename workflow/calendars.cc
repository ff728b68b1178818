#include "workflow/calendars.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/civil_time.h>

#include "common/field_violations.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "domain/fields.h"
#include "workflow/access.h"
#include "workflow/internal/changes.h"
#include "workflow/internal/commit_once.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

using internal::CommitOnce;
using internal::Fingerprint;
using internal::NewEvent;
using internal::Outcome;

constexpr char kPublish[] = "calendar.publish";

// "2026-01-01,2026-01-02": how the event's details list days.
std::string DayList(const std::vector<absl::CivilDay>& days) {
  return absl::StrJoin(days, ",", [](std::string* out, absl::CivilDay day) {
    out->append(domain::FormatCivilDay(day));
  });
}

// The days of `a` not in `b`, both ascending.
std::vector<absl::CivilDay> Minus(const std::vector<absl::CivilDay>& a,
                                  const std::vector<absl::CivilDay>& b) {
  std::vector<absl::CivilDay> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(),
                      std::back_inserter(out));
  return out;
}

std::vector<absl::CivilDay> Sorted(std::vector<absl::CivilDay> days) {
  std::sort(days.begin(), days.end());
  return days;
}

// The "calendar.publish" event of `c`: the whole year in its details and,
// after an earlier version `previous`, the days each list gained and lost,
// so that an inspector reads the change without comparing two events.
domain::AuditEvent PublishEvent(const domain::Principal& actor,
                                const domain::CalendarYear& c,
                                const domain::CalendarYear* previous,
                                const std::string& request_id,
                                std::string reason) {
  domain::AuditEvent e =
      NewEvent(c.district_id, actor, kPublish, domain::kCalendarEntity,
               absl::StrCat(c.year), c.published_at, request_id);
  e.reason = std::move(reason);
  e.details["year"] = absl::StrCat(c.year);
  e.details["version"] = absl::StrCat(c.version);
  e.details["holidays"] = DayList(c.holidays);
  e.details["makeup_workdays"] = DayList(c.makeup_workdays);
  if (previous != nullptr) {
    e.details["previous_version"] = absl::StrCat(previous->version);
    const auto changed = [&](const std::string& name,
                             const std::vector<absl::CivilDay>& now,
                             const std::vector<absl::CivilDay>& before) {
      if (std::vector<absl::CivilDay> added = Minus(now, before);
          !added.empty()) {
        e.details[name + "_added"] = DayList(added);
      }
      if (std::vector<absl::CivilDay> removed = Minus(before, now);
          !removed.empty()) {
        e.details[name + "_removed"] = DayList(removed);
      }
    };
    changed("holidays", c.holidays, previous->holidays);
    changed("makeup_workdays", c.makeup_workdays, previous->makeup_workdays);
  }
  return e;
}

// The stored latest version of `year`, or nullopt when none is published.
absl::StatusOr<std::optional<domain::CalendarYear>> Latest(
    store::Store& store, const std::string& district_id, int32_t year) {
  absl::StatusOr<domain::CalendarYear> latest =
      store.GetCalendarYear(district_id, year, 0);
  if (absl::IsNotFound(latest.status())) {
    return std::optional<domain::CalendarYear>();
  }
  TASKGATE_RETURN_IF_ERROR(latest.status());
  return std::optional<domain::CalendarYear>(*std::move(latest));
}

}  // namespace

absl::StatusOr<WorkingCalendar> CalendarInForce(store::Store& store,
                                                const std::string& district_id,
                                                int32_t first_year) {
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::CalendarYear> years,
                            store.ListCalendarYears(district_id, first_year));
  return WorkingCalendar::Of(years);
}

Calendars::Calendars(store::Store& store, Writer& writer, const Clock& clock,
                     EngineOptions options)
    : store_(store),
      writer_(writer),
      clock_(clock),
      options_(std::move(options)) {}

absl::StatusOr<domain::CalendarYear> Calendars::Publish(
    const domain::Principal& principal, const std::string& request_id,
    domain::CalendarYear calendar) {
  TASKGATE_RETURN_IF_ERROR(CanPublishCalendar(principal));
  if (std::vector<FieldViolation> violations = ValidateCalendarYear(calendar);
      !violations.empty()) {
    return InvalidArgumentWithViolations(violations);
  }
  domain::CalendarYear draft;
  draft.district_id = options_.district_id;
  draft.year = calendar.year;
  draft.holidays = Sorted(std::move(calendar.holidays));
  draft.makeup_workdays = Sorted(std::move(calendar.makeup_workdays));
  draft.note = std::move(calendar.note);
  const std::string fingerprint = Fingerprint(
      {principal.id, "calendar", domain::CalendarYearToJson(draft)});
  return CommitOnce<domain::CalendarYear>(
      writer_, store_,
      {options_.district_id, principal.id, request_id, kPublish, fingerprint,
       &domain::CalendarYearToJson, &domain::CalendarYearFromJson},
      [&](store::Store& tx) -> absl::StatusOr<Outcome<domain::CalendarYear>> {
        TASKGATE_ASSIGN_OR_RETURN(std::optional<domain::CalendarYear> previous,
                                  Latest(tx, options_.district_id, draft.year));
        Outcome<domain::CalendarYear> out;
        out.value = draft;
        out.value.version = previous.has_value() ? previous->version + 1 : 1;
        out.value.published_at = clock_.Now();
        out.value.published_by = principal.id;
        out.change.district_id = options_.district_id;
        out.change.calendars.push_back(out.value);
        out.change.events.push_back(PublishEvent(
            principal, out.value, previous.has_value() ? &*previous : nullptr,
            request_id, out.value.note));
        return out;
      });
}

absl::StatusOr<std::vector<domain::CalendarYear>> Calendars::SeedIfEmpty() {
  if (options_.initial_holidays.empty()) {
    return std::vector<domain::CalendarYear>();
  }
  const std::string& district = options_.district_id;
  const domain::Principal system = domain::SystemPrincipal(district);
  std::map<int32_t, std::set<absl::CivilDay>> by_year;
  for (absl::CivilDay day : options_.initial_holidays) {
    by_year[static_cast<int32_t>(day.year())].insert(day);
  }
  std::vector<domain::CalendarYear> seeded;
  for (const auto& [year, days] : by_year) {
    domain::CalendarYear c;
    c.district_id = district;
    c.year = year;
    c.version = 1;
    c.holidays.assign(days.begin(), days.end());
    c.note =
        "the initial calendar: the configuration's holidays list (no "
        "make-up working days)";
    c.published_by = system.id;
    if (std::vector<FieldViolation> violations = ValidateCalendarYear(c);
        !violations.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("holidays: the configuration's holidays of ", year,
                       " cannot be the initial calendar: ",
                       InvalidArgumentWithViolations(violations).message()));
    }
    seeded.push_back(std::move(c));
  }
  bool stored_already = false;
  // One writer step: the check and every year's commit are one
  // transaction, so a start cut short leaves all of the seed or none.
  TASKGATE_RETURN_IF_ERROR(writer_.Run([&](store::Store& tx) -> absl::Status {
    TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::CalendarYear> stored,
                              tx.ListCalendarYears(district, 0));
    stored_already = !stored.empty();
    if (stored_already) return absl::OkStatus();
    const absl::Time now = clock_.Now();
    // One change per year: each event carries its own year's write.
    for (domain::CalendarYear& c : seeded) {
      c.published_at = now;
      store::ChangeSet change;
      change.district_id = district;
      change.calendars.push_back(c);
      change.events.push_back(PublishEvent(
          system, c, nullptr, "",
          "the initial calendar, from the configuration's holidays list: no "
          "calendar was stored yet; from now on the calendar is published "
          "data (taskgate admin calendar publish)"));
      TASKGATE_RETURN_IF_ERROR(tx.Commit(change).status());
    }
    return absl::OkStatus();
  }));
  if (stored_already) return std::vector<domain::CalendarYear>();
  return seeded;
}

absl::StatusOr<domain::CalendarYear> Calendars::Get(
    const domain::Principal& /*principal*/, int32_t year, int64_t version) {
  std::vector<FieldViolation> violations;
  if (year < kMinCalendarYear || year > kMaxCalendarYear) {
    violations.push_back(
        {"year", absl::StrCat("is ", year, "; ask for a year from ",
                              kMinCalendarYear, " to ", kMaxCalendarYear)});
  }
  if (version < 0) {
    violations.push_back({"version",
                          "must be 0 (the one in force) or a "
                          "version"});
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  absl::StatusOr<domain::CalendarYear> c =
      store_.GetCalendarYear(options_.district_id, year, version);
  if (absl::IsNotFound(c.status()) && version == 0) {
    return absl::NotFoundError(absl::StrCat(
        c.status().message(),
        ": its review deadlines count Monday to Friday as working days until "
        "an admin publishes its calendar"));
  }
  return c;
}

absl::StatusOr<Page<domain::CalendarYear>> Calendars::List(
    const domain::Principal& /*principal*/, const PageRequest& page) {
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<domain::CalendarYear> all,
      store_.ListCalendarYears(options_.district_id, kMinCalendarYear));
  return PageOfList(
      std::move(all), page, "calendars",
      // Years are four digits, so their text sorts as they do.
      [](const domain::CalendarYear& c) { return absl::StrCat(c.year); },
      [](const domain::CalendarYear& c) {
        return domain::CalendarYearToJson(c).size();
      });
}

}  // namespace taskgate::workflow
