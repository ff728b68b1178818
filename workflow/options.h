// The settings of one district's workflow, shared by the parts of the
// engine (workflow/engine.h) and its read side. A plain value;
// thread-compatible.
#ifndef TASKGATE_WORKFLOW_OPTIONS_H_
#define TASKGATE_WORKFLOW_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "domain/types.h"
#include "workflow/rules.h"
#include "workflow/sla.h"

namespace taskgate::workflow {

struct EngineOptions {
  std::string district_id{domain::kDefaultDistrictId};
  // Dates are local dates in the district's zone (Asia/Shanghai has no DST,
  // so a fixed +08:00 is exact; the server loads the configured zone).
  absl::TimeZone time_zone = absl::FixedTimeZone(8 * 60 * 60);
  RulesConfig rules = DefaultRulesConfig();
  SlaConfig sla;
  // The configuration's `holidays`: only the initial calendar. When the
  // district has no calendar stored yet, the server publishes them as the
  // first version of each year they fall in, as the system
  // (`Calendars::SeedIfEmpty`); from then on the calendar is the published
  // data (SPEC §2) and these are not read.
  std::vector<absl::CivilDay> initial_holidays;
  // How many due tasks one `OnTick` handles at most; the rest wait for the
  // next tick, so one tick never holds the store for long.
  int32_t tick_batch = 200;
  // How long a request id's first answer is kept for retries (AIP-155).
  // After it the record is dropped (on the next tick) and the same request
  // id is a new request: clients retry within minutes, not days.
  absl::Duration request_retention = absl::Hours(24);
  // Idempotency records dropped by one writer command, and commands one
  // `OnTick` runs at most: each command holds the writer for one bounded
  // delete, and other commands run between them; a backlog larger than a
  // tick's share is left to the next ticks.
  int32_t request_expiry_chunk = 500;
  int32_t request_expiry_chunks_per_tick = 20;
  // Refused calls (SPEC §9): the first refusal of a source in an interval
  // of this length gets an event of its own at once; the source's further
  // refusals in the interval are counted and written as one aggregated
  // event when it ends (workflow/audit_recorder.h).
  absl::Duration refusal_interval = absl::Minutes(1);
  // Sources whose refusals are counted apart at most; refusals from further
  // sources in the interval share one "other sources" count per action.
  int32_t refusal_sources = 1000;
  // Attachments (SPEC §3, workflow/attachments.h): the largest one in
  // bytes, and how many one task may have.
  int64_t max_attachment_bytes = int64_t{20} << 20;
  int32_t max_attachments_per_task = 20;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_OPTIONS_H_
