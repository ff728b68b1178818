// `taskgate admin calendar ...`: the working-day calendar (SPEC §2, §4.1),
// per year the holidays (法定节假日) and make-up working days (调休上班日).
// An admin publishes; every role may show and list it, since the review
// deadlines are counted with it.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/time/civil_time.h>

#include "clients/cli.h"
#include "clients/list_command.h"
#include "domain/codec.h"

namespace taskgate::clients::cli {
namespace {

using Stub = v1::AdminService::Stub;

// The longest range one argument may name: a year.
constexpr int kMaxRangeDays = 366;

std::string_view WeekdayText(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return "Mon";
    case absl::Weekday::tuesday:
      return "Tue";
    case absl::Weekday::wednesday:
      return "Wed";
    case absl::Weekday::thursday:
      return "Thu";
    case absl::Weekday::friday:
      return "Fri";
    case absl::Weekday::saturday:
      return "Sat";
    case absl::Weekday::sunday:
      return "Sun";
  }
  return "";
}

// "2026-02-15" or "2026-02-15..2026-02-23" (inclusive) as single days, each
// "YYYY-MM-DD", appended to `out`. `what` names the argument in errors.
absl::Status ExpandDays(const std::string& text, std::string_view what,
                        google::protobuf::RepeatedPtrField<std::string>* out) {
  const std::vector<std::string> ends = absl::StrSplit(text, "..");
  if (ends.size() == 1) {
    // The server checks single days and names a bad one by its position.
    *out->Add() = text;
    return absl::OkStatus();
  }
  absl::StatusOr<absl::CivilDay> from = ends.size() == 2
                                            ? domain::ParseCivilDay(ends[0])
                                            : absl::InvalidArgumentError("");
  absl::StatusOr<absl::CivilDay> to = ends.size() == 2
                                          ? domain::ParseCivilDay(ends[1])
                                          : absl::InvalidArgumentError("");
  if (!from.ok() || !to.ok() || *to < *from || *to - *from >= kMaxRangeDays) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(what), " '", text,
        "': write a day YYYY-MM-DD or a range FIRST..LAST of at most ",
        kMaxRangeDays, " days, e.g. 2026-02-15..2026-02-23"));
  }
  for (absl::CivilDay day = *from; day <= *to; ++day) {
    *out->Add() = domain::FormatCivilDay(day);
  }
  return absl::OkStatus();
}

// The days of a list with their ranges expanded, in place.
absl::Status ExpandList(std::string_view what,
                        google::protobuf::RepeatedPtrField<std::string>* days) {
  google::protobuf::RepeatedPtrField<std::string> expanded;
  for (const std::string& text : *days) {
    if (absl::Status s = ExpandDays(text, what, &expanded); !s.ok()) return s;
  }
  days->Swap(&expanded);
  return absl::OkStatus();
}

struct Run {
  absl::CivilDay first;
  absl::CivilDay last;
  bool holiday = true;
};

// The year's days as runs of consecutive days of one kind, by date.
std::vector<Run> RunsOf(const v1::CalendarYear& c) {
  std::vector<std::pair<absl::CivilDay, bool>> days;
  for (const std::string& d : c.holidays()) {
    if (auto day = domain::ParseCivilDay(d); day.ok()) {
      days.emplace_back(*day, true);
    }
  }
  for (const std::string& d : c.makeup_workdays()) {
    if (auto day = domain::ParseCivilDay(d); day.ok()) {
      days.emplace_back(*day, false);
    }
  }
  std::sort(days.begin(), days.end());
  std::vector<Run> runs;
  for (const auto& [day, holiday] : days) {
    if (!runs.empty() && runs.back().holiday == holiday &&
        runs.back().last + 1 == day) {
      runs.back().last = day;
    } else {
      runs.push_back({day, day, holiday});
    }
  }
  return runs;
}

// "1 holiday", "33 holidays".
std::string Count(int n, std::string_view one, std::string_view many) {
  return absl::StrCat(n, " ", std::string(n == 1 ? one : many));
}

// "33 holidays (法定节假日), 6 make-up working days (调休上班日)".
std::string Counts(const v1::CalendarYear& c) {
  return absl::StrCat(Count(c.holidays_size(), "holiday", "holidays"),
                      " (法定节假日), ",
                      Count(c.makeup_workdays_size(), "make-up working day",
                            "make-up working days"),
                      " (调休上班日)");
}

std::string Heading(const v1::CalendarYear& c) {
  return absl::StrCat("calendar of ", c.year(), ", version ", c.version(),
                      ", published ", TimeText(c.publish_time()), " by ",
                      c.published_by(), ": ", Counts(c));
}

void PrintCalendar(std::ostream& out, const v1::CalendarYear& c) {
  out << Heading(c) << "\n";
  if (!c.note().empty()) out << "note: " << Cut(c.note(), 200) << "\n";
  Table t({"DATES", "DAYS", "KIND"});
  for (const Run& r : RunsOf(c)) {
    std::string dates = absl::StrCat(domain::FormatCivilDay(r.first), " ",
                                     std::string(WeekdayText(r.first)));
    if (r.last != r.first) {
      absl::StrAppend(&dates, " .. ", domain::FormatCivilDay(r.last), " ",
                      std::string(WeekdayText(r.last)));
    }
    t.Add(
        {dates, absl::StrCat(r.last - r.first + 1),
         r.holiday ? "holiday 法定节假日" : "make-up working day 调休上班日"});
  }
  t.Print(out);
  out << "Other days: Monday to Friday work, Saturday and Sunday do not.\n";
}

void PrintCalendarTable(std::ostream& out,
                        const std::vector<v1::CalendarYear>& items) {
  Table t({"YEAR", "VERSION", "HOLIDAYS", "MAKE-UP DAYS", "PUBLISHED", "BY",
           "NOTE"});
  for (const auto& c : items) {
    t.Add({absl::StrCat(c.year()), absl::StrCat(c.version()),
           absl::StrCat(c.holidays_size()),
           absl::StrCat(c.makeup_workdays_size()), TimeText(c.publish_time()),
           c.published_by(), Cut(c.note(), 40)});
  }
  t.Print(out);
}

constexpr ListView<v1::CalendarYear> kCalendarList = {
    [](const v1::CalendarYear& c) { return absl::StrCat(c.year()); },
    &PrintCalendarTable};

void AddPublish(CLI::App* group, Registry& registry) {
  struct Flags {
    std::string file, note;
    int year = 0;
    std::vector<std::string> holidays, workdays;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* app = registry.Leaf(
      group, "publish",
      "Publish a year's working-day calendar, the whole year: its holidays "
      "(法定节假日) and make-up working days (调休上班日, a Saturday or "
      "Sunday that works), as the year's next version. Review clocks that "
      "start from then on count with it; due dates already set stay (output "
      "name: the version)",
      "taskgate admin calendar publish --year 2026 --holiday "
      "2026-02-15..2026-02-23 --workday 2026-02-14 --workday 2026-02-28 "
      "--note '国务院办公厅关于2026年部分节假日安排的通知'",
      [f](Context& ctx) {
        v1::PublishCalendarRequest r;
        if (!f->file.empty()) {
          if (absl::Status read = ReadMessageFile(f->file, &r); !read.ok()) {
            return ctx.Usage(std::string(read.message()));
          }
        }
        if (f->year != 0) r.set_year(f->year);
        if (r.year() == 0) {
          return ctx.Usage(
              "give the year: --year 2026 (or year = 2026 in "
              "--file)");
        }
        if (!f->note.empty()) r.set_note(f->note);
        for (const std::string& h : f->holidays) r.add_holidays(h);
        for (const std::string& w : f->workdays) r.add_makeup_workdays(w);
        if (absl::Status s = ExpandList("holiday", r.mutable_holidays());
            !s.ok()) {
          return ctx.Usage(std::string(s.message()));
        }
        if (absl::Status s = ExpandList("workday", r.mutable_makeup_workdays());
            !s.ok()) {
          return ctx.Usage(std::string(s.message()));
        }
        r.set_request_id(NewRequestId());
        v1::CalendarYear c;
        if (int code = ctx.Call(&Client::admin, &Stub::PublishCalendar, r, &c);
            code != kExitOk) {
          return code;
        }
        return PrintResource(
            ctx, c, absl::StrCat(c.version()), [&](std::ostream& out) {
              out << "published the calendar of " << c.year() << " as version "
                  << c.version() << ": " << Counts(c) << "\n";
            });
      });
  app->add_option("--year", f->year, "The year, e.g. 2026");
  app->add_option("--holiday", f->holidays,
                  "Holiday (法定节假日): YYYY-MM-DD or FIRST..LAST; repeat it");
  app->add_option("--workday", f->workdays,
                  "Make-up working day (调休上班日), a Saturday or Sunday: "
                  "YYYY-MM-DD or FIRST..LAST; repeat it");
  app->add_option("--file", f->file,
                  "Calendar file, TOML (.toml) or JSON: year = 2026, note = "
                  "\"...\", holidays = [\"2026-01-01..2026-01-03\", ...], "
                  "makeup_workdays = [2026-01-04, ...]; the flags add to its "
                  "lists, --year and --note override it")
      ->check(CLI::ExistingFile);
  app->add_option("--note", f->note,
                  "What the calendar follows, e.g. the State Council notice");
}

}  // namespace

void AddCalendarCommands(CLI::App* admin, Registry& registry) {
  CLI::App* group = Registry::Group(
      admin, "calendar",
      "The working-day calendar: holidays and make-up working days per year "
      "(every role may show and list it)",
      "taskgate admin calendar show --year 2026");
  AddPublish(group, registry);
  {
    struct Flags {
      int year = 0;
      int64_t version = 0;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        group, "show",
        "A year's calendar, the version in force (or --version), day by day "
        "(output name: the year)",
        "taskgate admin calendar show --year 2026", [f](Context& ctx) {
          v1::GetCalendarRequest r;
          r.set_year(f->year);
          r.set_version(f->version);
          v1::CalendarYear c;
          if (int code = ctx.Call(&Client::admin, &Stub::GetCalendar, r, &c);
              code != kExitOk) {
            return code;
          }
          return PrintResource(
              ctx, c, absl::StrCat(c.year()),
              [&](std::ostream& out) { PrintCalendar(out, c); });
        });
    app->add_option("--year", f->year, "The year, e.g. 2026")->required();
    app->add_option("--version", f->version,
                    "Version number (0: the one in force)");
  }
  {
    auto paging = std::make_shared<ListFlags>();
    CLI::App* app = registry.Leaf(
        group, "list",
        "The calendar in force of every published year (output name: the "
        "years)",
        "taskgate admin calendar list", [paging](Context& ctx) {
          return RunList(ctx, &Client::admin, &Stub::ListCalendars,
                         v1::ListCalendarsRequest(),
                         &v1::ListCalendarsResponse::calendars, kCalendarList,
                         *paging);
        });
    AddListFlags(app, *paging);
  }
}

}  // namespace taskgate::clients::cli
