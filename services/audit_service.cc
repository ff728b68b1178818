// AuditService: reading and checking the record (see audit_service.proto).
// Each RPC converts its request, calls the `AuditReader` (which authorizes,
// reads and records audited reads) and converts the answer.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status_macros.h"
#include "services/convert.h"
#include "services/handler.h"
#include "services/parse_check.h"
#include "taskgate/v1/audit_service.grpc.pb.h"
#include "workflow/audit_reader.h"
#include "workflow/paging.h"

namespace taskgate::services::internal {
namespace {

using domain::Principal;

void AddHexes(const std::vector<audit::Hash>& hashes,
              google::protobuf::RepeatedPtrField<std::string>* out) {
  for (const audit::Hash& h : hashes) out->Add(audit::ToHex(h));
}

template <typename Request>
std::optional<absl::Time> StartTime(const Request& r) {
  if (!r.has_start_time()) return std::nullopt;
  return FromTimestamp(r.start_time());
}

template <typename Request>
std::optional<absl::Time> EndTime(const Request& r) {
  if (!r.has_end_time()) return std::nullopt;
  return FromTimestamp(r.end_time());
}

class AuditServiceImpl final
    : public ParseCheckedService<v1::AuditService::CallbackService> {
 public:
  explicit AuditServiceImpl(ApiContext& ctx) : ctx_(ctx) {
    CheckParsing(ctx, "AuditService/ListEvents", this,
                 &AuditServiceImpl::ListEvents);
    CheckParsing(ctx, "AuditService/GetTreeHead", this,
                 &AuditServiceImpl::GetTreeHead);
    CheckParsing(ctx, "AuditService/GetInclusionProof", this,
                 &AuditServiceImpl::GetInclusionProof);
    CheckParsing(ctx, "AuditService/GetConsistencyProof", this,
                 &AuditServiceImpl::GetConsistencyProof);
    CheckParsing(ctx, "AuditService/ListCheckpoints", this,
                 &AuditServiceImpl::ListCheckpoints);
    CheckParsing(ctx, "AuditService/GetLatestCheckpoint", this,
                 &AuditServiceImpl::GetLatestCheckpoint);
    CheckParsing(ctx, "AuditService/GetLogInfo", this,
                 &AuditServiceImpl::GetLogInfo);
    CheckParsing(ctx, "AuditService/ExportBundle", this,
                 &AuditServiceImpl::ExportBundle);
    CheckParsing(ctx, "AuditService/GetStatistics", this,
                 &AuditServiceImpl::GetStatistics);
  }

  grpc::ServerUnaryReactor* ListEvents(
      grpc::CallbackServerContext* context,
      const v1::ListEventsRequest* request,
      v1::ListEventsResponse* response) override {
    return Handle(
        ctx_, context, "AuditService/ListEvents", "",
        [&](const Principal& caller) {
          workflow::EventFilter filter;
          filter.task_id = request->task_id();
          filter.entity_type = request->entity_type();
          filter.entity_id = request->entity_id();
          filter.department_id = request->department_id();
          filter.community_id = request->community_id();
          filter.actor_id = request->actor_id();
          filter.action = request->action();
          filter.state = request->state();
          filter.start_time = StartTime(*request);
          filter.end_time = EndTime(*request);
          filter.start_seq = request->start_seq();
          filter.end_seq = request->end_seq();
          // Page tokens are bound to the whole request but its paging.
          v1::ListEventsRequest key = *request;
          key.clear_page_token();
          key.clear_page_size();
          TASKGATE_ASSIGN_OR_RETURN(
              workflow::Page<store::StoredEvent> page,
              ctx_.audit.ListEvents(
                  caller, filter, {request->page_size(), request->page_token()},
                  key.SerializeAsString()));
          for (const store::StoredEvent& e : page.items) {
            v1::AuditEvent* out = response->add_events();
            ToProto(e, out);
            if (request->include_canonical()) out->set_canonical(e.canonical);
          }
          response->set_next_page_token(page.next_page_token);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* GetTreeHead(grpc::CallbackServerContext* context,
                                        const v1::GetTreeHeadRequest* request,
                                        v1::TreeHead* response) override {
    return Handle(ctx_, context, "AuditService/GetTreeHead", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        workflow::TreeHead head,
                        ctx_.audit.GetTreeHead(caller, request->tree_size()));
                    response->set_tree_size(head.tree_size);
                    response->set_root_hash(audit::ToHex(head.root));
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* GetInclusionProof(
      grpc::CallbackServerContext* context,
      const v1::GetInclusionProofRequest* request,
      v1::InclusionProof* response) override {
    return Handle(ctx_, context, "AuditService/GetInclusionProof", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        workflow::InclusionProof proof,
                        ctx_.audit.GetInclusionProof(caller, request->seq(),
                                                     request->tree_size()));
                    response->set_seq(proof.seq);
                    response->set_tree_size(proof.tree_size);
                    response->set_leaf_hash(audit::ToHex(proof.leaf_hash));
                    response->set_root_hash(audit::ToHex(proof.root));
                    AddHexes(proof.proof, response->mutable_proof());
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* GetConsistencyProof(
      grpc::CallbackServerContext* context,
      const v1::GetConsistencyProofRequest* request,
      v1::ConsistencyProof* response) override {
    return Handle(ctx_, context, "AuditService/GetConsistencyProof", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        workflow::ConsistencyProof proof,
                        ctx_.audit.GetConsistencyProof(
                            caller, request->old_size(), request->new_size()));
                    response->set_old_size(proof.old_size);
                    response->set_new_size(proof.new_size);
                    response->set_old_root_hash(audit::ToHex(proof.old_root));
                    response->set_new_root_hash(audit::ToHex(proof.new_root));
                    AddHexes(proof.proof, response->mutable_proof());
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* ListCheckpoints(
      grpc::CallbackServerContext* context,
      const v1::ListCheckpointsRequest* request,
      v1::ListCheckpointsResponse* response) override {
    return Handle(
        ctx_, context, "AuditService/ListCheckpoints", "",
        [&](const Principal& caller) {
          TASKGATE_ASSIGN_OR_RETURN(
              workflow::Page<audit::Checkpoint> page,
              ctx_.audit.ListCheckpoints(
                  caller, {request->page_size(), request->page_token()}));
          for (const audit::Checkpoint& c : page.items) {
            ToProto(c, response->add_checkpoints());
          }
          response->set_next_page_token(page.next_page_token);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* GetLatestCheckpoint(
      grpc::CallbackServerContext* context,
      const v1::GetLatestCheckpointRequest* /*request*/,
      v1::Checkpoint* response) override {
    return Handle(ctx_, context, "AuditService/GetLatestCheckpoint", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        audit::Checkpoint c,
                        ctx_.audit.GetLatestCheckpoint(caller));
                    ToProto(c, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* GetLogInfo(grpc::CallbackServerContext* context,
                                       const v1::GetLogInfoRequest* /*request*/,
                                       v1::LogInfo* response) override {
    return Handle(ctx_, context, "AuditService/GetLogInfo", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(workflow::LogInfo info,
                                              ctx_.audit.GetLogInfo(caller));
                    response->set_log_id(info.log_id);
                    response->set_district_id(info.district_id);
                    response->set_public_key_pem(info.public_key_pem);
                    response->set_key_id(info.key_id);
                    response->set_tree_size(info.tree_size);
                    response->set_signing_refused(info.signing_refused);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* ExportBundle(grpc::CallbackServerContext* context,
                                         const v1::ExportBundleRequest* request,
                                         v1::BundleHeader* response) override {
    return Handle(ctx_, context, "AuditService/ExportBundle", "",
                  [&](const Principal& caller) {
                    workflow::ExportRequest export_request;
                    export_request.start_time = StartTime(*request);
                    export_request.end_time = EndTime(*request);
                    export_request.since_tree_size = request->since_tree_size();
                    TASKGATE_ASSIGN_OR_RETURN(
                        workflow::ExportPlan plan,
                        ctx_.audit.PlanExport(caller, export_request));
                    ToProto(plan.checkpoint, response->mutable_checkpoint());
                    response->set_district_id(plan.district_id);
                    response->set_first_seq(plan.first_seq);
                    response->set_last_seq(plan.last_seq);
                    for (const audit::Checkpoint& c : plan.checkpoints) {
                      ToProto(c, response->add_checkpoints());
                    }
                    AddHexes(plan.range_proof, response->mutable_range_proof());
                    response->set_consistency_from(plan.consistency_from);
                    AddHexes(plan.consistency_proof,
                             response->mutable_consistency_proof());
                    response->set_exported_by(plan.exported_by);
                    ToTimestamp(plan.export_time,
                                response->mutable_export_time());
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* GetStatistics(
      grpc::CallbackServerContext* context,
      const v1::GetStatisticsRequest* request,
      v1::Statistics* response) override {
    return Handle(ctx_, context, "AuditService/GetStatistics", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        workflow::Statistics stats,
                        ctx_.audit.GetStatistics(caller, StartTime(*request),
                                                 EndTime(*request)));
                    ToProto(stats, response);
                    return absl::OkStatus();
                  });
  }

 private:
  ApiContext& ctx_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewAuditService(ApiContext& ctx) {
  return std::make_unique<AuditServiceImpl>(ctx);
}

}  // namespace taskgate::services::internal
