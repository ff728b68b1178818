// Prometheus metrics of the server: request counts and latencies by method
// and code, the review queue depth, the number of overdue reviews, the
// state of the audit log's signing, the refused calls the audit log could
// not record or aggregated, unauthenticated callers throttled, requests
// that did not parse, reads of the public list, and the streams
// following events.
// Exposed as text on the HTTP listener's /metrics. Thread-safe.
#ifndef TASKGATE_SERVICES_METRICS_H_
#define TASKGATE_SERVICES_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <absl/time/time.h>

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace taskgate::services {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Counts one finished RPC and records its latency. `code` is the gRPC
  // status code name, e.g. "OK", "PERMISSION_DENIED".
  void ObserveRpc(std::string_view method, std::string_view code,
                  absl::Duration latency);
  // Tasks in the review queue (SUBMITTED, IN_REVIEW, PROVISIONAL).
  void SetQueueDepth(int64_t depth);
  // Reviews past their SLA.
  void SetOverdue(int64_t overdue);
  // The audit log: its events, those not yet covered by a signed
  // checkpoint, and whether signing was refused (the log failed
  // verification at start) — the alarm an operator watches.
  void SetAuditLog(int64_t events, int64_t unsigned_events,
                   bool signing_refused);

  // Counts `n` refused calls (`code` "UNAUTHENTICATED", "PERMISSION_DENIED"
  // or "RESOURCE_EXHAUSTED") whose audit event could not be committed, e.g.
  // on a full disk: the refusals still happened, and the log does not show
  // them (SPEC §9).
  void CountUnrecordedRefusal(std::string_view code, int64_t n = 1);
  // Counts a refused call counted into its source's aggregated audit event
  // rather than given one of its own (workflow/audit_recorder.h).
  void CountAggregatedRefusal(std::string_view code);
  // Counts a call refused before authentication because its source failed
  // to authenticate too often (services/source_limiter.h).
  void CountThrottled();
  // Counts a request whose bytes did not parse as `method`'s request.
  void CountUnparseable(std::string_view method);
  // Counts a read of the public list (公示) through `via` ("grpc" or
  // "http") answered with `code` (the gRPC code name, e.g. "OK",
  // "RESOURCE_EXHAUSTED" when its source read too often). Public reads are
  // not audit events; this is their record.
  void CountPublicRead(std::string_view via, std::string_view code);

  // Streams following events now (EventService/WatchEvents).
  void SetFollowers(int64_t followers);

  // The Prometheus text exposition of every metric.
  std::string Serialize() const;

  prometheus::Registry& registry();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_METRICS_H_
