#include "services/event_hub.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <future>
#include <utility>

#include <absl/strings/str_cat.h>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace taskgate::services {

EventHub::EventHub(Metrics& metrics, Options options, int64_t head)
    : metrics_(metrics), options_(options), head_(head) {
  work_.emplace(io_.get_executor());
  metrics_.SetFollowers(0);
  ArmHeartbeat();
  thread_ = std::thread([this] {
    // A follower reports errors by status; this only keeps the thread
    // alive should a library throw.
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("event hub: unexpected exception: {}", e.what());
      }
    }
  });
}

EventHub::~EventHub() {
  Close();
  // The timer's cancel runs on the hub's thread; once it ran and the guard
  // is gone, `run` returns when the streams' last callbacks have run.
  boost::asio::post(io_, [this] { heartbeat_.cancel(); });
  work_.reset();
  if (thread_.joinable()) thread_.join();
}

absl::Status EventHub::Add(std::shared_ptr<Follower> follower) {
  int now = 0;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) {
      return absl::UnavailableError(
          "the server is shutting down; follow again (with after_seq) once "
          "it is back");
    }
    if (static_cast<int>(followers_.size()) >= options_.max_followers) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the server already has ", followers_.size(),
          " streams following events (watch_max_followers); retry later"));
    }
    followers_.push_back(std::move(follower));
    now = static_cast<int>(followers_.size());
  }
  metrics_.SetFollowers(now);
  return absl::OkStatus();
}

void EventHub::Remove(const Follower* follower) {
  int now = 0;
  {
    absl::MutexLock lock(&mu_);
    std::erase_if(followers_, [&](const std::shared_ptr<Follower>& f) {
      return f.get() == follower;
    });
    now = static_cast<int>(followers_.size());
  }
  metrics_.SetFollowers(now);
}

int EventHub::followers() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(followers_.size());
}

void EventHub::Post(std::function<void()> work) {
  boost::asio::post(io_, std::move(work));
}

std::vector<std::shared_ptr<Follower>> EventHub::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return followers_;
}

void EventHub::Committed(int64_t head) {
  int64_t seen = head_.load();
  while (seen < head && !head_.compare_exchange_weak(seen, head)) {
  }
  // One notification in flight at a time: the followers read up to the
  // head they find, which covers every commit before it ran.
  if (!notify_posted_.exchange(true)) Post([this] { Notify(); });
}

void EventHub::Notify() {
  notify_posted_ = false;
  const int64_t head = head_.load();
  for (const std::shared_ptr<Follower>& f : Snapshot()) f->OnHead(head);
}

void EventHub::ArmHeartbeat() {
  heartbeat_.expires_after(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          absl::ToChronoNanoseconds(options_.heartbeat)));
  heartbeat_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the hub is going away
    const int64_t head = head_.load();
    for (const std::shared_ptr<Follower>& f : Snapshot()) f->OnHeartbeat(head);
    ArmHeartbeat();
  });
}

void EventHub::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
  }
  std::promise<void> told;
  Post([this, &told] {
    for (const std::shared_ptr<Follower>& f : Snapshot()) f->OnClose();
    told.set_value();
  });
  told.get_future().wait();
}

}  // namespace taskgate::services
