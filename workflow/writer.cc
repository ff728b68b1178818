#include "workflow/writer.h"

#include <algorithm>
#include <utility>

#include <absl/synchronization/notification.h>

namespace taskgate::workflow {

Writer::Writer(store::Store& store, Options options)
    : store_(store),
      options_(std::move(options)),
      thread_([this] { Loop(); }) {}

Writer::~Writer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    paused_ = false;
  }
  thread_.join();
}

void Writer::SetListener(CommitListener* listener) {
  absl::MutexLock lock(&listener_mu_);
  listener_ = listener;
}

void Writer::Enqueue(Step step, Done done) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(Command{std::move(step), std::move(done)});
}

absl::Status Writer::Run(Step step) {
  absl::Status result;
  auto keep = [&result](absl::Status status) { result = std::move(status); };
  if (std::this_thread::get_id() == thread_.get_id()) {
    // Answering a batch: no batch is open, so this one runs at once.
    std::vector<Command> alone;
    alone.push_back(Command{std::move(step), keep});
    RunBatch(alone);
    return result;
  }
  absl::Notification answered;
  Enqueue(std::move(step), [&](absl::Status status) {
    keep(std::move(status));
    answered.Notify();
  });
  answered.WaitForNotification();
  return result;
}

void Writer::Pause() {
  absl::MutexLock lock(&mu_);
  paused_ = true;
}

void Writer::Resume() {
  absl::MutexLock lock(&mu_);
  paused_ = false;
}

void Writer::Loop() {
  std::vector<Command> batch;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return (!queue_.empty() && !paused_) || (stopping_ && queue_.empty());
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, nothing left to answer
      const size_t n = std::min(queue_.size(), options_.max_batch);
      batch.clear();
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
  }
}

void Writer::RunBatch(std::vector<Command>& batch) {
  std::vector<store::BatchStep> steps;
  steps.reserve(batch.size());
  for (Command& c : batch) steps.push_back(store::BatchStep{std::move(c.step)});
  absl::StatusOr<store::BatchResult> result = store_.CommitBatch(steps);
  absl::Status lost;
  if (result.ok() && options_.after_commit) lost = options_.after_commit();

  {
    // Held through the call, so that unsetting the listener waits for it.
    absl::MutexLock lock(&listener_mu_);
    if (result.ok() && listener_ != nullptr)
      listener_->Committed(result->appended);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!result.ok()) {
      batch[i].done(result.status());
    } else if (!lost.ok()) {
      batch[i].done(lost);
    } else {
      batch[i].done(std::move(result->statuses[i]));
    }
  }
  absl::MutexLock lock(&listener_mu_);
  if (result.ok() && listener_ != nullptr) listener_->Answered();
}

}  // namespace taskgate::workflow
