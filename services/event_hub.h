// `EventHub`: the streams following a district's events
// (EventService/WatchEvents, SPEC §8), and the thread they run on.
//
// The district's writer tells the hub after each committed batch what the
// log's head is now (`Committed`, cheap and non-blocking: it never waits
// for a follower). Each follower then reads what it has not seen from the
// store itself, a page at a time (workflow/event_feed.h), so a slow
// follower holds up neither the writer nor another follower's memory: its
// whole backlog stays in the log, and it holds at most one page. Every
// follower's work (reading, deciding what to send, heartbeats) runs on the
// hub's one thread, an Asio io_context of its own, so a follower's state
// needs no lock; gRPC's callbacks only post to it.
//
// Life: built with the server; `Close` (at shutdown, before the gRPC server
// waits for its calls) ends every stream with UNAVAILABLE and refuses new
// ones; the destructor runs what is still posted (the streams' last
// callbacks) and joins the thread.
//
// Thread-safety: every method may be called from any thread. `metrics`
// must outlive the hub.
#ifndef TASKGATE_SERVICES_EVENT_HUB_H_
#define TASKGATE_SERVICES_EVENT_HUB_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/status.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "services/metrics.h"

namespace taskgate::services {

// One stream, as the hub sees it. Each method runs on the hub's thread.
class Follower {
 public:
  virtual ~Follower() = default;
  // The log's head is now `head` (at least): read what is new.
  virtual void OnHead(int64_t head) = 0;
  // A heartbeat is due: send one if nothing else was sent since the last.
  virtual void OnHeartbeat(int64_t head) = 0;
  // The server shuts down: end the stream (UNAVAILABLE).
  virtual void OnClose() = 0;
};

class EventHub final {
 public:
  struct Options {
    // Between heartbeats.
    absl::Duration heartbeat = absl::Seconds(15);
    // Streams at once.
    int max_followers = 256;
  };

  // `head` is the log's head when the hub is built.
  EventHub(Metrics& metrics, Options options, int64_t head);
  // Runs what is still posted, then joins the thread. `Close` first when
  // streams may be open.
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Adds a follower. RESOURCE_EXHAUSTED when `max_followers` follow
  // already; UNAVAILABLE once closed.
  absl::Status Add(std::shared_ptr<Follower> follower);
  // Removes it (no-op when absent); its callbacks stop.
  void Remove(const Follower* follower);

  // Runs `work` on the hub's thread (never, once the hub is destroyed).
  void Post(std::function<void()> work);

  // The log's head is now at least `head`; called by the writer's commit
  // listener. Coalesces: followers hear once of several quick commits.
  void Committed(int64_t head);
  int64_t head() const { return head_.load(); }

  // Ends every stream (`Follower::OnClose`) and refuses new ones; returns
  // once every follower was told. Idempotent.
  void Close();

  int followers() const;

 private:
  void Notify();
  void ArmHeartbeat();
  // Copies of the followers, to call without holding `mu_`.
  std::vector<std::shared_ptr<Follower>> Snapshot() const;

  Metrics& metrics_;
  const Options options_;
  std::atomic<int64_t> head_;
  std::atomic<bool> notify_posted_{false};

  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<Follower>> followers_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  boost::asio::io_context io_;
  std::optional<
      boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      work_;
  boost::asio::steady_timer heartbeat_{io_};
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_EVENT_HUB_H_
