// Idempotent commits shared by the engine's operations (engine.cc,
// engine_people.cc): a request id's first answer is stored with its change
// and replayed on retries. Internal to workflow/; thread-safe when the
// store is.
#ifndef TASKGATE_WORKFLOW_INTERNAL_COMMIT_ONCE_H_
#define TASKGATE_WORKFLOW_INTERNAL_COMMIT_ONCE_H_

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "audit/merkle.h"
#include "common/field_violations.h"
#include "common/status_macros.h"
#include "store/store.h"

namespace taskgate::workflow::internal {

// Identifies a request's parameters, so that a request id reused for a
// different request (or by another principal) is refused, not replayed.
inline std::string Fingerprint(std::initializer_list<std::string_view> parts) {
  std::string buf;
  for (std::string_view p : parts) {
    absl::StrAppend(&buf, p.size(), ":", std::string(p), ";");
  }
  return audit::ToHex(audit::Sha256(buf));
}

template <typename T>
struct Outcome {
  store::ChangeSet change;
  T value;
};

// Runs one change: looks up an earlier answer to `request_id`, otherwise
// prepares the change and commits it with its answer. A concurrent duplicate
// loses at commit (ALREADY_EXISTS) and then replays the winner's answer.
// An outcome with no events changes nothing: its answer is returned without
// a commit (no change, no event), and is not kept.
template <typename T>
absl::StatusOr<T> CommitOnce(
    store::Store& store, const std::string& district_id,
    const std::string& request_id, std::string_view operation,
    const std::string& fingerprint, std::string (*encode)(const T&),
    absl::StatusOr<T> (*decode)(std::string_view),
    const std::function<absl::StatusOr<Outcome<T>>()>& prepare) {
  auto replay = [&]() -> absl::StatusOr<std::optional<T>> {
    TASKGATE_ASSIGN_OR_RETURN(std::optional<store::StoredRequest> stored,
                              store.FindRequest(district_id, request_id));
    if (!stored.has_value()) return std::optional<T>();
    if (stored->operation != operation || stored->fingerprint != fingerprint) {
      return InvalidArgumentWithViolations(
          {{"request_id",
            absl::StrCat("'", request_id,
                         "' was already used for another request (",
                         stored->operation,
                         "); send a new request id for a new request")}});
    }
    TASKGATE_ASSIGN_OR_RETURN(T value, decode(stored->response));
    return std::optional<T>(std::move(value));
  };
  if (!request_id.empty()) {
    TASKGATE_ASSIGN_OR_RETURN(std::optional<T> earlier, replay());
    if (earlier.has_value()) return *std::move(earlier);
  }
  TASKGATE_ASSIGN_OR_RETURN(Outcome<T> outcome, prepare());
  if (outcome.change.events.empty()) return std::move(outcome.value);
  if (!request_id.empty()) {
    outcome.change.request = store::StoredRequest{
        request_id, std::string(operation), fingerprint, encode(outcome.value)};
  }
  absl::StatusOr<store::CommitResult> committed = store.Commit(outcome.change);
  if (committed.ok()) return std::move(outcome.value);
  if (absl::IsAlreadyExists(committed.status()) && !request_id.empty()) {
    TASKGATE_ASSIGN_OR_RETURN(std::optional<T> earlier, replay());
    if (earlier.has_value()) return *std::move(earlier);
  }
  return committed.status();
}

}  // namespace taskgate::workflow::internal

#endif  // TASKGATE_WORKFLOW_INTERNAL_COMMIT_ONCE_H_
