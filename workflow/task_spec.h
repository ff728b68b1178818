// The one place a task spec is validated (SPEC §3, §9). A spec enters the
// workflow as a `DraftSpec`, which only `DraftSpec::Check` makes, so every
// draft is checked exactly once per request and its fields are named as
// the caller's request names them; a submission adds its own check of the
// stored spec (`CheckSubmittable`). Pure; thread-safe.
#ifndef TASKGATE_WORKFLOW_TASK_SPEC_H_
#define TASKGATE_WORKFLOW_TASK_SPEC_H_

#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>

#include "common/field_violations.h"
#include "domain/types.h"

namespace taskgate::workflow {

// The field prefix of a stored task's spec, as the workflow names it.
inline constexpr std::string_view kTaskSpecField = "task.";

// A task spec that passed the draft check: lengths, UTF-8, codes, types
// and their justifications, the numbers' ranges (workflow/validation.h
// `ValidateTaskSpec`). What the rules judge is left to the rules.
class DraftSpec final {
 public:
  // Checks `spec` as a draft, naming its fields under `field_prefix` ("spec."
  // in an API request). `also` holds what the caller found wrong elsewhere
  // in the same request (its request id, the wire format); it comes first in
  // the answer, so that one answer names every bad field (SPEC §9).
  // INVALID_ARGUMENT with field violations when anything is wrong.
  static absl::StatusOr<DraftSpec> Check(
      domain::TaskSpec spec, std::string_view field_prefix = kTaskSpecField,
      std::vector<FieldViolation> also = {});

  const domain::TaskSpec& spec() const& { return spec_; }
  domain::TaskSpec spec() && { return std::move(spec_); }

 private:
  explicit DraftSpec(domain::TaskSpec spec) : spec_(std::move(spec)) {}

  domain::TaskSpec spec_;
};

// What a submission needs beyond a draft: a title, target communities or
// streets, dates in order, an emergency reason, a new-item justification.
// Fields are named under `kTaskSpecField`: a submit judges the stored task.
std::vector<FieldViolation> CheckSubmittable(const domain::TaskSpec& spec);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_TASK_SPEC_H_
