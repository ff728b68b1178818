// Idempotent commits shared by the workflow's writers: every change goes
// through the district's `Writer`, and a request id's first answer is
// stored with its change and replayed on retries. The answer is kept for
// the district's request retention only (`EngineOptions::request_retention`,
// AIP-155): `Timers` drops older records, and a retry after that is
// executed as a new request, so clients must retry within minutes, not
// days.
//
// Request ids belong to the principal that sends them: a record is kept
// under `<principal>/<request id>` (`Idempotency::Key`; principal ids hold
// no '/'), so that another principal's request with the same id is a
// request of its own, never answered with, nor told about, the first. And
// callers check the caller's permission for the operation before calling
// `CommitOnce` (SPEC §4.1; its role, and where it depends on stored data,
// such as a task's department, against what `reads` holds): a caller who
// may not perform it hears PERMISSION_DENIED whatever request id it sends,
// while a retry of a caller's own request, which was permitted, is still
// replayed. Internal to workflow/; thread-safe.
#ifndef TASKGATE_WORKFLOW_INTERNAL_COMMIT_ONCE_H_
#define TASKGATE_WORKFLOW_INTERNAL_COMMIT_ONCE_H_

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/notification.h>

#include "audit/merkle.h"
#include "common/field_violations.h"
#include "common/status_macros.h"
#include "store/store.h"
#include "workflow/writer.h"

namespace taskgate::workflow::internal {

// Identifies a request's parameters, so that a request id that a principal
// reuses for a different request is refused, not replayed.
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

// Decides one change inside the writer's batch, reading through `tx`.
template <typename T>
using Prepare = std::function<absl::StatusOr<Outcome<T>>(store::Store& tx)>;

// Where a request id's first answer is kept and how it is read back.
template <typename T>
struct Idempotency {
  std::string district_id;
  std::string principal_id;  // whose request id it is
  std::string request_id;    // empty: not idempotent
  std::string operation;
  std::string fingerprint;
  std::string (*encode)(const T&);
  absl::StatusOr<T> (*decode)(std::string_view);

  // What the request is kept under in the store: the principal's own.
  std::string Key() const {
    return absl::StrCat(principal_id, "/", request_id);
  }

  // The answer stored under `Key()` in `store`, if any.
  absl::StatusOr<std::optional<T>> Replay(store::Store& store) const {
    if (request_id.empty()) return std::optional<T>();
    TASKGATE_ASSIGN_OR_RETURN(std::optional<store::StoredRequest> stored,
                              store.FindRequest(district_id, Key()));
    if (!stored.has_value()) return std::optional<T>();
    if (stored->operation != operation || stored->fingerprint != fingerprint) {
      return InvalidArgumentWithViolations(
          {{"request_id",
            absl::StrCat("'", request_id,
                         "' was already used for another request of yours (",
                         stored->operation,
                         "); send a new request id for a new request")}});
    }
    TASKGATE_ASSIGN_OR_RETURN(T value, decode(stored->response));
    return std::optional<T>(std::move(value));
  }
};

// Runs one change through the district's writer: an earlier answer to the
// request id is replayed from `reads` without entering a batch; otherwise
// the writer prepares the change against the batch's state and commits it
// with its answer. A duplicate queued in the same or a concurrent batch
// finds the first answer inside the batch and replays it. An outcome with
// no events changes nothing: its answer is given without a change and is
// not kept. `done` runs once, on the writer's thread or (replays and
// errors found before queueing) on the caller's.
template <typename T>
void CommitOnceAsync(Writer& writer, store::Store& reads,
                     Idempotency<T> idempotency, Prepare<T> prepare,
                     Callback<T> done) {
  absl::StatusOr<std::optional<T>> earlier = idempotency.Replay(reads);
  if (!earlier.ok()) return done(earlier.status());
  if (earlier->has_value()) return done(**std::move(earlier));
  auto answer = std::make_shared<std::optional<T>>();
  auto step = [idempotency = std::move(idempotency),
               prepare = std::move(prepare),
               answer](store::Store& tx) -> absl::Status {
    TASKGATE_ASSIGN_OR_RETURN(std::optional<T> replayed,
                              idempotency.Replay(tx));
    if (replayed.has_value()) {
      *answer = std::move(replayed);
      return absl::OkStatus();
    }
    TASKGATE_ASSIGN_OR_RETURN(Outcome<T> outcome, prepare(tx));
    if (!outcome.change.events.empty()) {
      if (!idempotency.request_id.empty()) {
        // Kept from the time of the change it answers.
        outcome.change.request = store::StoredRequest{
            idempotency.Key(), idempotency.operation, idempotency.fingerprint,
            idempotency.encode(outcome.value),
            outcome.change.events.front().time};
      }
      TASKGATE_RETURN_IF_ERROR(tx.Commit(outcome.change).status());
    }
    *answer = std::move(outcome.value);
    return absl::OkStatus();
  };
  writer.Enqueue(std::move(step),
                 [answer, done = std::move(done)](absl::Status status) {
                   if (!status.ok()) return done(status);
                   done(**std::move(answer));
                 });
}

// Commits `change` as one step of the writer's next batch and waits.
inline absl::Status CommitThrough(Writer& writer,
                                  const store::ChangeSet& change) {
  return writer.Run(
      [&change](store::Store& tx) { return tx.Commit(change).status(); });
}

// Calls `start` with a callback and waits for its answer. Not on the
// writer's thread.
template <typename T>
absl::StatusOr<T> Wait(const std::function<void(Callback<T>)>& start) {
  absl::Notification answered;
  absl::StatusOr<T> result = absl::UnknownError("not answered");
  start([&](absl::StatusOr<T> r) {
    result = std::move(r);
    answered.Notify();
  });
  answered.WaitForNotification();
  return result;
}

// `CommitOnceAsync`, waiting for the answer. Not on the writer's thread.
template <typename T>
absl::StatusOr<T> CommitOnce(Writer& writer, store::Store& reads,
                             Idempotency<T> idempotency, Prepare<T> prepare) {
  return Wait<T>([&](Callback<T> done) {
    CommitOnceAsync<T>(writer, reads, std::move(idempotency),
                       std::move(prepare), std::move(done));
  });
}

}  // namespace taskgate::workflow::internal

#endif  // TASKGATE_WORKFLOW_INTERNAL_COMMIT_ONCE_H_
