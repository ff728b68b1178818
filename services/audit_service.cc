// AuditService: reading and checking the record (see audit_service.proto).
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

#include "common/status_macros.h"
#include "services/convert.h"
#include "services/handler.h"
#include "taskgate/v1/audit_service.grpc.pb.h"
#include "workflow/access.h"
#include "workflow/validation.h"

namespace taskgate::services::internal {
namespace {

using workflow::Principal;

class AuditServiceImpl final : public v1::AuditService::CallbackService {
 public:
  explicit AuditServiceImpl(ApiContext& ctx) : ctx_(ctx) {}

  grpc::ServerUnaryReactor* ListEvents(
      grpc::CallbackServerContext* context,
      const v1::ListEventsRequest* request,
      v1::ListEventsResponse* response) override {
    return Handle(
        ctx_, context, "AuditService/ListEvents", "",
        [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          store::EventQuery q;
          q.district_id = ctx_.engine.options().district_id;
          q.limit = PageSize(request->page_size(), violations, 100);
          if (!request->task_id().empty()) {
            workflow::CheckId("task_id", request->task_id(), violations);
            q.entity_type = "task";
            q.entity_id = request->task_id();
          } else {
            q.entity_type = request->entity_type();
            q.entity_id = request->entity_id();
          }
          q.department_id = request->department_id();
          q.community_id = request->community_id();
          q.actor_id = request->actor_id();
          q.action = request->action();
          if (request->has_start_time()) {
            q.from = FromTimestamp(request->start_time());
          }
          if (request->has_end_time()) {
            q.until = FromTimestamp(request->end_time());
          }
          TASKGATE_RETURN_IF_ERROR(Violations(violations));

          // Auditors, admins and reviewers read everything; anyone else may
          // read the history of one task they may read.
          if (absl::Status whole = workflow::CanReadAuditLog(caller);
              !whole.ok()) {
            if (request->task_id().empty()) return whole;
            TASKGATE_ASSIGN_OR_RETURN(workflow::Task task,
                                      ctx_.engine.GetTask(request->task_id()));
            TASKGATE_RETURN_IF_ERROR(workflow::CanReadTask(caller, task));
          }

          // Page tokens are bound to the filters that produced them.
          v1::ListEventsRequest key = *request;
          key.clear_page_token();
          key.clear_page_size();
          const std::string query_key = key.SerializeAsString();
          if (!request->page_token().empty()) {
            TASKGATE_ASSIGN_OR_RETURN(
                std::string position,
                DecodePageToken(request->page_token(), query_key));
            if (!absl::SimpleAtoi(position, &q.after_seq)) {
              return InvalidArgumentWithViolations(
                  {{"page_token", "is not a page token this server issued"}});
            }
          }
          const int32_t page = q.limit;
          q.limit = page + 1;
          TASKGATE_ASSIGN_OR_RETURN(std::vector<store::StoredEvent> events,
                                    ctx_.store.ListEvents(q));
          const bool more = static_cast<int32_t>(events.size()) > page;
          if (more) events.resize(page);
          for (const store::StoredEvent& e : events) {
            ToProto(e, response->add_events());
          }
          if (more && !events.empty()) {
            response->set_next_page_token(EncodePageToken(
                query_key, absl::StrCat(events.back().event.seq)));
          }
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* GetTreeHead(grpc::CallbackServerContext* context,
                                        const v1::GetTreeHeadRequest* request,
                                        v1::TreeHead* response) override {
    return Handle(
        ctx_, context, "AuditService/GetTreeHead", "",
        [&](const Principal& caller) {
          TASKGATE_RETURN_IF_ERROR(workflow::CanReadAuditLog(caller));
          const std::string& district = ctx_.engine.options().district_id;
          int64_t size = request->tree_size();
          if (size == 0) {
            TASKGATE_ASSIGN_OR_RETURN(size, ctx_.store.EventCount(district));
          }
          TASKGATE_ASSIGN_OR_RETURN(merkle::Hash root,
                                    ctx_.store.MerkleRoot(district, size));
          response->set_tree_size(size);
          response->set_root_hash(merkle::ToHex(root));
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
