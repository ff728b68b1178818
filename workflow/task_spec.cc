#include "workflow/task_spec.h"

#include <utility>
#include <vector>

#include "workflow/validation.h"

namespace taskgate::workflow {

absl::StatusOr<DraftSpec> DraftSpec::Check(domain::TaskSpec spec,
                                           std::string_view field_prefix,
                                           std::vector<FieldViolation> also) {
  for (FieldViolation& v : ValidateTaskSpec(spec, false, field_prefix)) {
    also.push_back(std::move(v));
  }
  if (!also.empty()) return InvalidArgumentWithViolations(also);
  return DraftSpec(std::move(spec));
}

std::vector<FieldViolation> CheckSubmittable(const domain::TaskSpec& spec) {
  return ValidateTaskSpec(spec, true, kTaskSpecField);
}

}  // namespace taskgate::workflow
