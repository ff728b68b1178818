// One client connection to taskgated and the generated stubs over it.
//
// Each `Connection` gets its own HTTP/2 connection (a local subchannel
// pool), as separate clients would. Stubs are thread-safe (gRPC's
// guarantee); the struct itself is built once and then only read.
#ifndef TASKGATE_BENCH_LOADGEN_CONNECTION_H_
#define TASKGATE_BENCH_LOADGEN_CONNECTION_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "taskgate/v1/admin_service.grpc.pb.h"
#include "taskgate/v1/audit_service.grpc.pb.h"
#include "taskgate/v1/review_service.grpc.pb.h"
#include "taskgate/v1/task_service.grpc.pb.h"

namespace taskgate::bench {

struct Connection {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
  std::unique_ptr<v1::AdminService::Stub> admin;
  std::unique_ptr<v1::TaskService::Stub> tasks;
  std::unique_ptr<v1::ReviewService::Stub> review;
  std::unique_ptr<v1::AuditService::Stub> audit;
};

// A plaintext connection to `target` ("127.0.0.1:port").
inline Connection Connect(const std::string& target) {
  grpc::ChannelArguments args;
  // Without it, channels with equal arguments share one TCP connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  Connection c;
  c.channel = grpc::CreateCustomChannel(
      target, grpc::InsecureChannelCredentials(), args);
  c.health = grpc::health::v1::Health::NewStub(c.channel);
  c.admin = v1::AdminService::NewStub(c.channel);
  c.tasks = v1::TaskService::NewStub(c.channel);
  c.review = v1::ReviewService::NewStub(c.channel);
  c.audit = v1::AuditService::NewStub(c.channel);
  return c;
}

}  // namespace taskgate::bench

#endif  // TASKGATE_BENCH_LOADGEN_CONNECTION_H_
