// The working-day calendar as published data (SPEC §2, §4.1): per year,
// the official holidays (法定节假日) and the make-up working days
// (调休上班日, weekend days that are working days), published by an admin,
// versioned per year and audited; the calendar in force (the latest version
// of each year) is what the review SLA counts with (workflow/sla.h).
//
// Each publish of a year is a new version of it (1, 2, ...) with a
// "calendar.publish" event (entity "calendar", id the year) whose details
// hold the whole year, in the same transaction as the row; the event's
// write lets the log's replay reproduce the row (workflow/record_check.h).
// The configuration's `holidays` are only the initial value: `SeedIfEmpty`
// publishes them as the first versions when no calendar is stored yet.
//
// When the calendar counts: a clock starts (submit, resubmit, provisional
// admission) with the calendar in force at that moment and keeps the due
// date it got; a return measures the days used with the calendar in force
// at the return; the statistics' review days with the calendar in force at
// the decision. A change of the calendar therefore reaches the tasks
// submitted after it, never a due date already set.
//
// Errors of the methods, in the order checked: PERMISSION_DENIED for a role
// that may never make the call (workflow/access.h), INVALID_ARGUMENT (with
// field violations) for bad input, NOT_FOUND, the store's errors.
//
// Thread-safe when the `Store` is; holds no mutable state of its own.
// `store`, `writer` and `clock` must outlive it.
#ifndef TASKGATE_WORKFLOW_CALENDARS_H_
#define TASKGATE_WORKFLOW_CALENDARS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/paging.h"
#include "workflow/sla.h"
#include "workflow/writer.h"

namespace taskgate::workflow {

// The calendar in force for the days of `first_year` and after: the latest
// version of each year published from then on, read through `store` (inside
// a writer's batch, its `tx`, which sees the batch's earlier steps). Years
// nobody published work Monday to Friday. The store's errors.
absl::StatusOr<WorkingCalendar> CalendarInForce(store::Store& store,
                                                const std::string& district_id,
                                                int32_t first_year);

class Calendars final {
 public:
  Calendars(store::Store& store, Writer& writer, const Clock& clock,
            EngineOptions options);
  Calendars(const Calendars&) = delete;
  Calendars& operator=(const Calendars&) = delete;

  // Publishes `calendar.year`'s holidays and make-up working days (and
  // `note`, e.g. the notice they follow) as the year's next version, by
  // `principal`, idempotent by a non-empty `request_id`. The days may come
  // in any order; they are stored ascending. Admin only. INVALID_ARGUMENT
  // as `ValidateCalendarYear` (workflow/validation.h) says. Returns the
  // stored version.
  absl::StatusOr<domain::CalendarYear> Publish(
      const domain::Principal& principal, const std::string& request_id,
      domain::CalendarYear calendar);

  // On a start with no calendar stored at all: publishes
  // `EngineOptions::initial_holidays` as version 1 of each year they fall
  // in (no make-up working days: the configuration has none), as the
  // system, in one transaction, one event per year. Returns the years
  // published; none when a calendar is stored already or there are no
  // initial holidays. INVALID_ARGUMENT when a year is out of range.
  absl::StatusOr<std::vector<domain::CalendarYear>> SeedIfEmpty();

  // Version `version` of `year`'s calendar (0: the one in force). Every
  // signed-in principal may read it (a department needs to know its
  // deadlines). INVALID_ARGUMENT for a year out of range or a negative
  // version; NOT_FOUND when that year (or version) is not published.
  absl::StatusOr<domain::CalendarYear> Get(const domain::Principal& principal,
                                           int32_t year, int64_t version);

  // The calendar in force of every published year, by year, paged. Every
  // signed-in principal may read it.
  absl::StatusOr<Page<domain::CalendarYear>> List(
      const domain::Principal& principal, const PageRequest& page);

 private:
  store::Store& store_;  // reads outside the writer
  Writer& writer_;
  const Clock& clock_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_CALENDARS_H_
