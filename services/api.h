// The gRPC services of taskgate.v1 (TaskService, ReviewService,
// CommunityService, AuditService, AdminService) as callback services.
//
// Each RPC authenticates the bearer token, converts proto <-> domain,
// validates, calls the workflow engine (which decides who may do what), logs
// one structured line, records metrics, and maps the status to gRPC in one
// place (services/grpc_status.h). Thread-safe; everything in `ApiContext`
// must outlive the services.
#ifndef TASKGATE_SERVICES_API_H_
#define TASKGATE_SERVICES_API_H_

#include <memory>
#include <vector>

#include <grpcpp/impl/codegen/service_type.h>

#include "common/clock.h"
#include "services/audit_ledger.h"
#include "services/metrics.h"
#include "store/store.h"
#include "workflow/engine.h"

namespace taskgate::services {

struct ApiContext {
  workflow::Engine& engine;
  store::Store& store;
  const Clock& clock;
  Metrics& metrics;
  AuditLedger& ledger;
};

// Creates the five services; register each with a grpc::ServerBuilder.
std::vector<std::unique_ptr<grpc::Service>> MakeApiServices(ApiContext& ctx);

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_API_H_
