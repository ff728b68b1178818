// EventService: following events as a server stream (see
// event_service.proto). Each call is a `WatchReactor`: it authenticates and
// opens the feed on the gRPC thread, then joins the `EventHub`
// (services/event_hub.h), whose one thread runs everything the stream does
// from there: reading the log after the last seq it looked at
// (workflow/event_feed.h), writing one message at a time, heartbeats,
// re-checking the credential, and ending. gRPC's callbacks (a write done,
// the client gone, the call done) only post to that thread, so the
// stream's state needs no lock.
//
// No gap, no duplicate: the stream joins the hub before its first read, so
// a commit after that wakes it; it always reads after the last seq it
// looked at, and reads again whenever the hub has heard of a commit since
// its last read began. Memory: one page of events at most, read only when
// the previous one was written.
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>
#include <spdlog/spdlog.h>

#include "services/convert.h"
#include "services/event_hub.h"
#include "services/handler.h"
#include "services/parse_check.h"
#include "taskgate/v1/event_service.grpc.pb.h"
#include "workflow/event_feed.h"

namespace taskgate::services::internal {
namespace {

constexpr char kMethod[] = "EventService/WatchEvents";
// Stored events looked at per read.
constexpr int32_t kPageSize = 128;

class WatchReactor final
    : public grpc::ServerWriteReactor<v1::WatchEventsResponse>,
      public Follower,
      public std::enable_shared_from_this<WatchReactor> {
 public:
  // Starts the call; the reactor owns itself until `OnDone`.
  static grpc::ServerWriteReactor<v1::WatchEventsResponse>* Start(
      ApiContext& ctx, grpc::CallbackServerContext* context,
      const v1::WatchEventsRequest& request) {
    auto self = std::shared_ptr<WatchReactor>(new WatchReactor(ctx, context));
    self->self_ = self;
    self->Begin(request);
    return self.get();
  }

  // ---- gRPC's callbacks, on its threads: post to the hub's.
  void OnWriteDone(bool ok) override {
    Post([ok](WatchReactor& r) { r.WriteDone(ok); });
  }
  void OnCancel() override {
    Post([](WatchReactor& r) {
      r.End(absl::CancelledError("the client ended the stream"));
    });
  }
  void OnDone() override {
    if (ctx_.events == nullptr || !joined_) {
      self_.reset();
      return;
    }
    // The last callback: after it nothing posts for this stream again.
    ctx_.events->Post(
        [self = std::move(self_)] { self->ctx_.events->Remove(self.get()); });
  }

  // ---- the hub's callbacks, on its thread.
  void OnHead(int64_t head) override {
    head_ = std::max(head_, head);
    dirty_ = true;
    Pump();
  }
  void OnHeartbeat(int64_t head) override {
    if (finished_) return;
    // At every tick, busy or idle: a revoked credential or a disabled
    // principal stops following, and a changed scope applies from here on.
    absl::StatusOr<domain::Principal> again =
        Authenticate(ctx_, *context_, source_);
    if (!again.ok()) {
      End(again.status());
      return;
    }
    principal_ = *std::move(again);
    // A heartbeat promises every event up to its head: never one past what
    // this stream has read (a commit whose notice is still on its way).
    if (head > head_) {
      head_ = head;
      dirty_ = true;
    }
    const bool idle =
        !sent_since_heartbeat_ && !writing_ && queue_.empty() && !dirty_;
    sent_since_heartbeat_ = false;
    if (idle) QueueHeartbeat();
    Pump();
  }
  void OnClose() override {
    End(absl::UnavailableError(absl::StrCat(
        "the server is shutting down; follow again with after_seq=",
        last_event_, " once it is back")));
  }

 private:
  WatchReactor(ApiContext& ctx, grpc::CallbackServerContext* context)
      : ctx_(ctx),
        context_(context),
        source_(SourceOf(context->peer())),
        start_(absl::Now()) {}

  // On the gRPC thread that started the call.
  void Begin(const v1::WatchEventsRequest& request) {
    absl::StatusOr<domain::Principal> caller =
        Authenticate(ctx_, *context_, source_);
    if (!caller.ok()) {
      FinishNow(nullptr, caller.status());
      return;
    }
    principal_ = *caller;
    request_.after_seq = request.after_seq();
    request_.task_id = request.task_id();
    request_.action_prefix = request.action_prefix();
    if (ctx_.events == nullptr || ctx_.event_feed == nullptr) {
      FinishNow(&principal_,
                absl::UnimplementedError("this server does not serve events"));
      return;
    }
    absl::StatusOr<int64_t> head;
    try {
      head = ctx_.event_feed->Open(principal_, request_);
    } catch (const std::exception& e) {
      head = absl::InternalError(e.what());
    }
    if (!head.ok()) {
      FinishNow(&principal_, head.status());
      return;
    }
    // Joined before the first read: every commit from here on wakes it.
    if (absl::Status added = ctx_.events->Add(shared_from_this());
        !added.ok()) {
      FinishNow(&principal_, added);
      return;
    }
    joined_ = true;
    head_ = std::max(*head, ctx_.events->head());
    last_scanned_ = request_.after_seq;
    last_event_ = request_.after_seq;
    Post([](WatchReactor& r) { r.Pump(); });
  }

  void Post(std::function<void(WatchReactor&)> work) {
    if (ctx_.events == nullptr) return;
    ctx_.events->Post(
        [self = shared_from_this(), work = std::move(work)] { work(*self); });
  }

  // Reads and writes what is due; on the hub's thread.
  void Pump() {
    if (finished_ || writing_) return;
    if (queue_.empty() && dirty_) Read();
    if (finished_ || queue_.empty()) return;
    writing_ = true;
    StartWrite(&queue_.front());
  }

  void Read() {
    dirty_ = false;
    absl::StatusOr<workflow::FeedPage> page;
    try {
      page =
          ctx_.event_feed->Read(principal_, request_, last_scanned_, kPageSize);
    } catch (const std::exception& e) {
      page = absl::InternalError(e.what());
    }
    if (!page.ok()) {
      End(page.status());
      return;
    }
    last_scanned_ = page->scanned_to;
    head_ = std::max(head_, last_scanned_);
    for (const store::StoredEvent& e : page->events) {
      ToProto(e, queue_.emplace_back().mutable_event());
    }
    if (page->more) {
      dirty_ = true;  // more at once, once this page is written
    } else if (!caught_up_) {
      // The stored events are sent: the client is up to date.
      caught_up_ = true;
      QueueHeartbeat();
    }
  }

  void QueueHeartbeat() {
    queue_.emplace_back().mutable_heartbeat()->set_head_seq(head_);
  }

  void WriteDone(bool ok) {
    writing_ = false;
    if (!ok) {
      End(absl::CancelledError("the client is gone"));
      return;
    }
    if (queue_.front().has_event()) last_event_ = queue_.front().event().seq();
    queue_.pop_front();
    sent_since_heartbeat_ = true;
    Pump();
  }

  // Ends the stream once; on the hub's thread.
  void End(const absl::Status& status) {
    if (finished_) return;
    finished_ = true;
    // A message being written must live until its write is done.
    queue_.erase(writing_ ? queue_.begin() + 1 : queue_.begin(), queue_.end());
    Finish(internal::Finish(ctx_, kMethod, &principal_, source_, "", status,
                            absl::Now() - start_));
  }

  // Ends the stream before it joined the hub; on the gRPC thread.
  void FinishNow(const domain::Principal* caller, const absl::Status& status) {
    finished_ = true;
    Finish(internal::Finish(ctx_, kMethod, caller, source_, "", status,
                            absl::Now() - start_));
  }

  ApiContext& ctx_;
  grpc::CallbackServerContext* const context_;
  const std::string source_;
  const absl::Time start_;
  // Keeps the reactor alive until gRPC is done with it.
  std::shared_ptr<WatchReactor> self_;
  bool joined_ = false;

  // From `Begin` on, touched only on the hub's thread.
  domain::Principal principal_;
  workflow::FollowRequest request_;
  int64_t head_ = 0;          // the log's head as last heard
  int64_t last_scanned_ = 0;  // the next read starts after it
  int64_t last_event_ = 0;    // the seq of the last event written
  bool dirty_ = true;         // something may be after `last_scanned_`
  bool caught_up_ = false;    // the first heartbeat was queued
  bool writing_ = false;
  bool finished_ = false;
  bool sent_since_heartbeat_ = false;
  // What is to be written, front first: at most one page and a heartbeat.
  std::deque<v1::WatchEventsResponse> queue_;
};

class EventServiceImpl final
    : public ParseCheckedService<v1::EventService::CallbackService> {
 public:
  explicit EventServiceImpl(ApiContext& ctx) : ctx_(ctx) {
    CheckParsing(ctx, kMethod, this, &EventServiceImpl::WatchEvents);
  }

  grpc::ServerWriteReactor<v1::WatchEventsResponse>* WatchEvents(
      grpc::CallbackServerContext* context,
      const v1::WatchEventsRequest* request) override {
    return WatchReactor::Start(ctx_, context, *request);
  }

 private:
  ApiContext& ctx_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewEventService(ApiContext& ctx) {
  return std::make_unique<EventServiceImpl>(ctx);
}

}  // namespace taskgate::services::internal
