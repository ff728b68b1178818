// Demo data for a first run (`taskgated --demo`): a catalog drawn from
// SPEC §2 (duty, assist and negative-list items), the official 2026
// working-day calendar (holidays and make-up working days, 调休), two
// departments and two streets by id, six communities in those streets with
// staff, capacity and baselines, and one principal for each role with a bearer
// token, so that a new user can try every role at once.
//
// Not for production districts: the tokens are written in clear to a file
// (mode 0600). Thread-compatible: run it once, before serving.
#ifndef TASKGATE_SERVICES_DEMO_SEED_H_
#define TASKGATE_SERVICES_DEMO_SEED_H_

#include <string>

#include <absl/status/statusor.h>

#include "workflow/engine.h"

namespace taskgate::services {

// When the district has no catalog yet: creates the demo departments and
// streets, then the communities and principals that name them by id, issues
// each principal a token, writes one line "principal_id role token" per
// principal to `tokens_path` (mode 0600), publishes the official 2026 calendar,
// and publishes the demo catalog last, which marks the seed as done. Acts as
// the bootstrap admin (principal "admin"), so every change is audited under it.
// Returns true when it loaded the data, false (changing nothing) when a
// catalog exists. A run cut short is completed by the next one (existing
// communities and principals are kept; tokens are issued afresh).
// Errors: FAILED_PRECONDITION when there is no admin principal "admin";
// the workflow's errors; FAILED_PRECONDITION when the tokens file
// cannot be written.
absl::StatusOr<bool> LoadDemoData(workflow::Engine& engine,
                                  const std::string& tokens_path);

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_DEMO_SEED_H_
