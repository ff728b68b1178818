// `Writer`: the one writer of a district (SPEC §4.1: decisions are
// serialized per district with their commit).
//
// Every change of the district is a command queued here. The writer's
// thread takes what is queued as one batch (up to `max_batch`) and runs it
// through `Store::CommitBatch`: for each command in order it decides (the
// command reads through the batch's `Store&`, so it sees the batch's
// earlier commands) and writes inside its own savepoint; then the batch is
// committed with one transaction and one fsync, the listener is told what
// was appended, and only then is every command answered. A command that
// fails rolls back its own savepoint and gets its own error; a batch that
// fails to commit answers every command with that error, having written
// nothing. Two requests racing for the same last capacity are therefore
// decided one after the other against what the first one wrote.
//
// Engine-neutral: it knows the `Store` interface only, so a PostgreSQL store
// uses the same writer.
//
// Thread-safety: every method may be called from any thread. Commands and
// their `done` callbacks run on the writer's thread; a `done` callback may
// call `Run`, which then commits its command at once as a batch of its own
// (a refused call's audit event, say). A command's step must not call
// `Run`: the store refuses a batch inside a batch. Destruction answers
// what is queued, then stops the thread; the store must outlive the writer.
#ifndef TASKGATE_WORKFLOW_WRITER_H_
#define TASKGATE_WORKFLOW_WRITER_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>

#include "store/store.h"

namespace taskgate::workflow {

// The answer to an asynchronous workflow call, given once, on the writer's
// thread or (for answers found before queueing) on the caller's.
template <typename T>
using Callback = std::function<void(absl::StatusOr<T>)>;

// Told about each committed batch, on the writer's thread.
class CommitListener {
 public:
  virtual ~CommitListener() = default;
  // After the commit, before any command of the batch is answered: what
  // the batch appended to the audit log, in seq order (may be empty).
  virtual void Committed(const std::vector<store::AppendedEvent>& appended) = 0;
  // After every command of the batch was answered: for work that should not
  // delay the replies (signing a checkpoint that came due).
  virtual void Answered() {}
};

class Writer final {
 public:
  // Decides and writes one command through the batch's store; see
  // `store::BatchStep`.
  using Step = std::function<absl::Status(store::Store& tx)>;
  // The command's answer: OK when its step succeeded and the batch
  // committed.
  using Done = std::function<void(absl::Status)>;

  struct Options {
    // The most commands one batch takes.
    size_t max_batch = 256;
    // Test hook: runs after a batch committed, before the listener and the
    // replies. A non-OK result is given to every command of the batch in
    // place of its answer, as a crash at that point would lose the replies
    // (the batch stays committed).
    std::function<absl::Status()> after_commit;
  };

  Writer(store::Store& store, Options options);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Sets who hears of commits (null: nobody); waits for a call to the
  // previous listener in progress. `listener` must outlive the writer or be
  // unset first.
  void SetListener(CommitListener* listener);

  // Queues a command; `done` is called on the writer's thread.
  void Enqueue(Step step, Done done);

  // Queues a command and waits for its answer (see above for the writer's
  // own thread).
  absl::Status Run(Step step);

  // Test hooks: while paused, commands queue but no batch starts, so that
  // what is queued before `Resume` is taken together.
  void Pause();
  void Resume();

 private:
  struct Command {
    Step step;
    Done done;
  };

  void Loop();
  void RunBatch(std::vector<Command>& batch);

  store::Store& store_;
  const Options options_;

  absl::Mutex mu_;
  std::deque<Command> queue_ ABSL_GUARDED_BY(mu_);
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex listener_mu_;
  CommitListener* listener_ ABSL_GUARDED_BY(listener_mu_) = nullptr;

  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_WRITER_H_
