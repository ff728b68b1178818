// The gRPC services of taskgate.v1 (TaskService, ReviewService,
// CommunityService, AuditService, AdminService, EventService (following
// events as a server stream: services/event_hub.h), and PublicService, the
// public list read without credentials: services/public_list.h) as
// callback services.
//
// Each RPC but PublicService's authenticates the bearer token (or, under
// mutual TLS, the client certificate's bound identity), converts proto <->
// domain, calls
// the workflow (which validates, decides who may do what, reads and
// writes), logs one structured line, records metrics, and maps the status
// to gRPC in one place (services/grpc_status.h). The services hold no
// store: every read and change goes through a workflow object.
// Thread-safe; everything in `ApiContext` must outlive the services.
#ifndef TASKGATE_SERVICES_API_H_
#define TASKGATE_SERVICES_API_H_

#include <memory>
#include <vector>

#include <grpcpp/impl/codegen/service_type.h>

#include "common/clock.h"
#include "services/event_hub.h"
#include "services/metrics.h"
#include "services/public_list.h"
#include "services/source_limiter.h"
#include "workflow/audit_ledger.h"
#include "workflow/audit_reader.h"
#include "workflow/engine.h"
#include "workflow/event_feed.h"

namespace taskgate::services {

struct ApiContext {
  workflow::Engine& engine;
  workflow::AuditReader& audit;
  // Signs a checkpoint after a change when one is due.
  workflow::AuditLedger& ledger;
  const Clock& clock;
  Metrics& metrics;
  // Throttles sources that fail to authenticate.
  SourceLimiter& limiter;
  // Bounds the log lines of requests that do not parse, per source.
  SourceLimiter& unparseable_log;
  // The public list's reads, limited per source (PublicService and HTTP).
  PublicReads& public_reads;
  // True when the server requires and verifies client certificates (mutual
  // TLS): only then may a call without a bearer token authenticate by its
  // certificate's bound identity (services/peer_identity.h).
  bool client_certificates = false;
  // The streams following events (EventService/WatchEvents) and what they
  // read; null in a server that serves none.
  EventHub* events = nullptr;
  workflow::EventFeed* event_feed = nullptr;
};

// Writes the aggregated events of refused calls whose interval has ended
// (of all, when `all`: at shutdown), logs one line for each, and counts on
// /metrics the refusals whose event could not be committed.
void FlushRefusals(ApiContext& ctx, bool all);

// Creates the seven services; register each with a grpc::ServerBuilder.
std::vector<std::unique_ptr<grpc::Service>> MakeApiServices(ApiContext& ctx);

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_API_H_
