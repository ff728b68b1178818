// A stream of EventService/WatchEvents as one principal, read on the test's
// thread: what tests of following events, the authorization matrix and the
// unparseable-request test share. Every read is bounded by the stream's
// deadline (a hung server fails the test; nothing is timed).
#ifndef TASKGATE_TESTS_E2E_WATCH_STREAM_H_
#define TASKGATE_TESTS_E2E_WATCH_STREAM_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <grpcpp/grpcpp.h>

#include "taskgate/v1/event_service.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace taskgate::e2e {

class WatchStream {
 public:
  WatchStream(v1::EventService::Stub& stub, const Actor& who,
              const v1::WatchEventsRequest& request) {
    context_.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(60));
    if (!who.token.empty()) {
      context_.AddMetadata("authorization", absl::StrCat("Bearer ", who.token));
    }
    reader_ = stub.WatchEvents(&context_, request);
  }
  WatchStream(v1::EventService::Stub& stub, const Actor& who,
              int64_t after_seq = 0)
      : WatchStream(stub, who, Request(after_seq)) {}
  ~WatchStream() {
    if (!finished_) (void)Cancel();
  }

  static v1::WatchEventsRequest Request(int64_t after_seq) {
    v1::WatchEventsRequest r;
    r.set_after_seq(after_seq);
    return r;
  }

  // The next message, or nullopt when the stream ended (see `Finish`).
  std::optional<v1::WatchEventsResponse> Next() {
    v1::WatchEventsResponse m;
    if (!reader_->Read(&m)) return std::nullopt;
    return m;
  }

  // The events up to the next heartbeat (the client is up to date then);
  // `head`, when given, gets the heartbeat's head seq. Stops early when
  // the stream ends.
  std::vector<v1::AuditEvent> UntilHeartbeat(int64_t* head = nullptr) {
    std::vector<v1::AuditEvent> out;
    while (std::optional<v1::WatchEventsResponse> m = Next()) {
      if (m->has_heartbeat()) {
        if (head != nullptr) *head = m->heartbeat().head_seq();
        return out;
      }
      out.push_back(m->event());
    }
    return out;
  }

  // The next `n` events, heartbeats skipped; fewer when the stream ends.
  std::vector<v1::AuditEvent> Events(size_t n) {
    std::vector<v1::AuditEvent> out;
    while (out.size() < n) {
      std::optional<v1::WatchEventsResponse> m = Next();
      if (!m.has_value()) break;
      if (m->has_event()) out.push_back(m->event());
    }
    return out;
  }

  // The status the stream ended with (reads what is left first).
  grpc::Status Finish() {
    v1::WatchEventsResponse ignored;
    while (reader_->Read(&ignored)) {
    }
    finished_ = true;
    return reader_->Finish();
  }

  // Ends the stream from the client's side, as a dropped connection does.
  grpc::Status Cancel() {
    context_.TryCancel();
    return Finish();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader_;
  bool finished_ = false;
};

// How a call to WatchEvents as `who` starts: OK once its first message (the
// heartbeat after the stored events) arrives, else the status it ended
// with. The stream is cancelled after.
inline absl::Status WatchStarts(v1::EventService::Stub& stub, const Actor& who,
                                const v1::WatchEventsRequest& request) {
  WatchStream stream(stub, who, request);
  // Events first (as many as the caller may follow), then the heartbeat.
  for (;;) {
    std::optional<v1::WatchEventsResponse> m = stream.Next();
    if (!m.has_value()) return ToAbsl(stream.Finish());
    if (m->has_heartbeat()) return absl::OkStatus();
  }
}

}  // namespace taskgate::e2e

#endif  // TASKGATE_TESTS_E2E_WATCH_STREAM_H_
