#include "services/metrics.h"

#include <memory>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace taskgate::services {

// prometheus-cpp's families and registry lock internally, so the State needs
// no lock of its own; `Family::Add` returns the existing series for labels
// seen before.
struct Metrics::State {
  std::shared_ptr<prometheus::Registry> registry =
      std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("taskgate_rpc_requests_total")
          .Help("Finished RPCs by method and gRPC status code.")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("taskgate_rpc_latency_seconds")
          .Help("RPC latency in seconds by method.")
          .Register(*registry);
  prometheus::Gauge& queue_depth =
      prometheus::BuildGauge()
          .Name("taskgate_review_queue_depth")
          .Help(
              "Tasks in the review queue (SUBMITTED, IN_REVIEW, "
              "PROVISIONAL).")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& overdue = prometheus::BuildGauge()
                                   .Name("taskgate_reviews_overdue")
                                   .Help("Reviews past their SLA.")
                                   .Register(*registry)
                                   .Add({});
  prometheus::Gauge& followers =
      prometheus::BuildGauge()
          .Name("taskgate_event_followers")
          .Help("Streams following events (EventService/WatchEvents).")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& audit_events =
      prometheus::BuildGauge()
          .Name("taskgate_audit_events")
          .Help("Events in the district's audit log.")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& audit_unsigned =
      prometheus::BuildGauge()
          .Name("taskgate_audit_events_unsigned")
          .Help("Audit events not yet covered by a signed checkpoint.")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& audit_refused =
      prometheus::BuildGauge()
          .Name("taskgate_audit_signing_refused")
          .Help(
              "1 when the stored audit log failed verification at start and "
              "is no longer signed; run taskgated --verify-db.")
          .Register(*registry)
          .Add({});
  prometheus::Family<prometheus::Counter>& refusals_unrecorded =
      prometheus::BuildCounter()
          .Name("taskgate_refusals_unrecorded_total")
          .Help(
              "Refused calls (unauthenticated, permission denied) whose audit "
              "event could not be committed, by gRPC status code; the log "
              "misses them. Check the disk and the server's log.")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& refusals_aggregated =
      prometheus::BuildCounter()
          .Name("taskgate_refusals_aggregated_total")
          .Help(
              "Refused calls counted into their source's aggregated audit "
              "event (one per source and interval) instead of an event of "
              "their own, by gRPC status code.")
          .Register(*registry);
  prometheus::Counter& throttled =
      prometheus::BuildCounter()
          .Name("taskgate_unauthenticated_throttled_total")
          .Help(
              "Calls refused with RESOURCE_EXHAUSTED before authentication "
              "because their source failed to authenticate too often.")
          .Register(*registry)
          .Add({});
  prometheus::Family<prometheus::Counter>& unparseable =
      prometheus::BuildCounter()
          .Name("taskgate_requests_unparseable_total")
          .Help(
              "Requests whose bytes are not a valid request message of their "
              "method, refused with INVALID_ARGUMENT, by method.")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& public_reads =
      prometheus::BuildCounter()
          .Name("taskgate_public_reads_total")
          .Help(
              "Reads of the public list (without credentials), by way in "
              "(grpc, http) and gRPC status code; RESOURCE_EXHAUSTED: refused "
              "because the source read too often.")
          .Register(*registry);
};

namespace {

// From sub-millisecond reads to multi-second commits under a busy database.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* const kBuckets =
      new prometheus::Histogram::BucketBoundaries{
          0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return *kBuckets;
}

}  // namespace

Metrics::Metrics() : state_(std::make_unique<State>()) {
  // Both series exist from the start, so that an alert on their increase
  // sees the first one.
  for (const char* code :
       {"UNAUTHENTICATED", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED"}) {
    state_->refusals_unrecorded.Add({{"code", code}});
    state_->refusals_aggregated.Add({{"code", code}});
  }
  for (const char* via : {"grpc", "http"}) {
    for (const char* code : {"OK", "RESOURCE_EXHAUSTED"}) {
      state_->public_reads.Add({{"via", via}, {"code", code}});
    }
  }
}
Metrics::~Metrics() = default;

void Metrics::ObserveRpc(std::string_view method, std::string_view code,
                         absl::Duration latency) {
  const std::string m(method);
  state_->requests.Add({{"method", m}, {"code", std::string(code)}})
      .Increment();
  state_->latency.Add({{"method", m}}, LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(latency));
}

void Metrics::SetQueueDepth(int64_t depth) {
  state_->queue_depth.Set(static_cast<double>(depth));
}

void Metrics::SetOverdue(int64_t overdue) {
  state_->overdue.Set(static_cast<double>(overdue));
}

void Metrics::SetFollowers(int64_t followers) {
  state_->followers.Set(static_cast<double>(followers));
}

void Metrics::SetAuditLog(int64_t events, int64_t unsigned_events,
                          bool signing_refused) {
  state_->audit_events.Set(static_cast<double>(events));
  state_->audit_unsigned.Set(static_cast<double>(unsigned_events));
  state_->audit_refused.Set(signing_refused ? 1 : 0);
}

void Metrics::CountUnrecordedRefusal(std::string_view code, int64_t n) {
  state_->refusals_unrecorded.Add({{"code", std::string(code)}})
      .Increment(static_cast<double>(n));
}

void Metrics::CountAggregatedRefusal(std::string_view code) {
  state_->refusals_aggregated.Add({{"code", std::string(code)}}).Increment();
}

void Metrics::CountThrottled() { state_->throttled.Increment(); }

void Metrics::CountUnparseable(std::string_view method) {
  state_->unparseable.Add({{"method", std::string(method)}}).Increment();
}

void Metrics::CountPublicRead(std::string_view via, std::string_view code) {
  state_->public_reads
      .Add({{"via", std::string(via)}, {"code", std::string(code)}})
      .Increment();
}

std::string Metrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(state_->registry->Collect());
}

prometheus::Registry& Metrics::registry() { return *state_->registry; }

}  // namespace taskgate::services
