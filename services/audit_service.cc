// AuditService: reading and checking the record (see audit_service.proto).
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

#include "common/status_macros.h"
#include "services/audit_ledger.h"
#include "services/convert.h"
#include "services/handler.h"
#include "taskgate/v1/audit_service.grpc.pb.h"
#include "workflow/access.h"
#include "workflow/statistics.h"
#include "workflow/validation.h"

namespace taskgate::services::internal {
namespace {

using domain::Principal;

void AddHexes(const std::vector<audit::Hash>& hashes,
              google::protobuf::RepeatedPtrField<std::string>* out) {
  for (const audit::Hash& h : hashes) out->Add(audit::ToHex(h));
}

std::string TimeText(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

// Reads of the whole log by inspectors and admins are recorded (SPEC §7);
// reviewers read it as part of their work and departments only their own
// tasks' history.
bool ReadIsAudited(const Principal& p) {
  return p.role == domain::Role::kAuditor || p.role == domain::Role::kAdmin;
}

// The filters of a query, for its audit.query event.
std::map<std::string, std::string> QueryDetails(
    const v1::ListEventsRequest& r) {
  std::map<std::string, std::string> d;
  const auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) d[key] = value;
  };
  put("task_id", r.task_id());
  put("department_id", r.department_id());
  put("community_id", r.community_id());
  put("actor_id", r.actor_id());
  put("action", r.action());
  put("entity_type", r.entity_type());
  put("entity_id", r.entity_id());
  put("state", r.state());
  if (r.has_start_time())
    put("start_time", TimeText(FromTimestamp(r.start_time())));
  if (r.has_end_time()) put("end_time", TimeText(FromTimestamp(r.end_time())));
  if (r.start_seq() > 0) put("start_seq", absl::StrCat(r.start_seq()));
  if (r.end_seq() > 0) put("end_seq", absl::StrCat(r.end_seq()));
  return d;
}

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
          q.state_after = request->state();
          if (request->start_seq() < 0 || request->end_seq() < 0) {
            violations.push_back(
                {request->start_seq() < 0 ? "start_seq" : "end_seq",
                 "must be 0 (unbounded) or a sequence number from 1"});
          }
          q.after_seq = std::max<int64_t>(0, request->start_seq() - 1);
          q.max_seq = request->end_seq();
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
            TASKGATE_ASSIGN_OR_RETURN(
                domain::Task task,
                ctx_.engine.queries().GetTask(request->task_id()));
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
          } else if (ReadIsAudited(caller)) {
            TASKGATE_RETURN_IF_ERROR(ctx_.engine.recorder().RecordAuditRead(
                caller, "audit.query", QueryDetails(*request)));
          }
          const int32_t page = q.limit;
          q.limit = page + 1;
          TASKGATE_ASSIGN_OR_RETURN(std::vector<store::StoredEvent> events,
                                    ctx_.store.ListEvents(q));
          const bool more = static_cast<int32_t>(events.size()) > page;
          if (more) events.resize(page);
          for (const store::StoredEvent& e : events) {
            v1::AuditEvent* out = response->add_events();
            ToProto(e, out);
            if (request->include_canonical()) out->set_canonical(e.canonical);
          }
          if (more && !events.empty()) {
            response->set_next_page_token(
                EncodePageToken(query_key, absl::StrCat(events.back().seq)));
          }
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* GetTreeHead(grpc::CallbackServerContext* context,
                                        const v1::GetTreeHeadRequest* request,
                                        v1::TreeHead* response) override {
    return Handle(ctx_, context, "AuditService/GetTreeHead", "",
                  [&](const Principal& caller) {
                    TASKGATE_RETURN_IF_ERROR(workflow::CanReadAuditLog(caller));
                    int64_t size = request->tree_size();
                    if (size == 0) {
                      TASKGATE_ASSIGN_OR_RETURN(size, ctx_.ledger.Sync());
                    }
                    TASKGATE_ASSIGN_OR_RETURN(audit::Hash root,
                                              ctx_.ledger.Root(size));
                    response->set_tree_size(size);
                    response->set_root_hash(audit::ToHex(root));
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* GetInclusionProof(
      grpc::CallbackServerContext* context,
      const v1::GetInclusionProofRequest* request,
      v1::InclusionProof* response) override {
    return Handle(ctx_, context, "AuditService/GetInclusionProof", "",
                  [&](const Principal& caller) {
                    TASKGATE_RETURN_IF_ERROR(workflow::CanReadAuditLog(caller));
                    int64_t size = request->tree_size();
                    if (size == 0) {
                      TASKGATE_ASSIGN_OR_RETURN(size, ctx_.ledger.Sync());
                    }
                    TASKGATE_ASSIGN_OR_RETURN(
                        AuditLedger::Inclusion inclusion,
                        ctx_.ledger.InclusionProof(request->seq(), size));
                    response->set_seq(request->seq());
                    response->set_tree_size(size);
                    response->set_leaf_hash(audit::ToHex(inclusion.leaf_hash));
                    response->set_root_hash(audit::ToHex(inclusion.root));
                    AddHexes(inclusion.proof, response->mutable_proof());
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* GetConsistencyProof(
      grpc::CallbackServerContext* context,
      const v1::GetConsistencyProofRequest* request,
      v1::ConsistencyProof* response) override {
    return Handle(
        ctx_, context, "AuditService/GetConsistencyProof", "",
        [&](const Principal& caller) {
          TASKGATE_RETURN_IF_ERROR(workflow::CanReadAuditLog(caller));
          int64_t size = request->new_size();
          if (size == 0) {
            TASKGATE_ASSIGN_OR_RETURN(size, ctx_.ledger.Sync());
          }
          TASKGATE_ASSIGN_OR_RETURN(
              std::vector<audit::Hash> proof,
              ctx_.ledger.ConsistencyProof(request->old_size(), size));
          TASKGATE_ASSIGN_OR_RETURN(audit::Hash old_root,
                                    ctx_.ledger.Root(request->old_size()));
          TASKGATE_ASSIGN_OR_RETURN(audit::Hash new_root,
                                    ctx_.ledger.Root(size));
          response->set_old_size(request->old_size());
          response->set_new_size(size);
          response->set_old_root_hash(audit::ToHex(old_root));
          response->set_new_root_hash(audit::ToHex(new_root));
          AddHexes(proof, response->mutable_proof());
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
          TASKGATE_RETURN_IF_ERROR(workflow::CanReadAuditLog(caller));
          std::vector<FieldViolation> violations;
          const int32_t page = PageSize(request->page_size(), violations, 100);
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          int64_t after = 0;
          if (!request->page_token().empty()) {
            TASKGATE_ASSIGN_OR_RETURN(
                std::string position,
                DecodePageToken(request->page_token(), "checkpoints"));
            if (!absl::SimpleAtoi(position, &after)) {
              return InvalidArgumentWithViolations(
                  {{"page_token", "is not a page token this server issued"}});
            }
          }
          TASKGATE_ASSIGN_OR_RETURN(
              std::vector<audit::Checkpoint> checkpoints,
              ctx_.store.ListCheckpoints(ctx_.engine.options().district_id,
                                         after, page + 1));
          const bool more = static_cast<int32_t>(checkpoints.size()) > page;
          if (more) checkpoints.resize(page);
          for (const audit::Checkpoint& c : checkpoints) {
            ToProto(c, response->add_checkpoints());
          }
          if (more) {
            response->set_next_page_token(EncodePageToken(
                "checkpoints", absl::StrCat(checkpoints.back().tree_size)));
          }
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* GetLatestCheckpoint(
      grpc::CallbackServerContext* context,
      const v1::GetLatestCheckpointRequest* /*request*/,
      v1::Checkpoint* response) override {
    return Handle(ctx_, context, "AuditService/GetLatestCheckpoint", "",
                  [&](const Principal& caller) {
                    TASKGATE_RETURN_IF_ERROR(workflow::CanReadAuditLog(caller));
                    TASKGATE_ASSIGN_OR_RETURN(audit::Checkpoint c,
                                              ctx_.ledger.CurrentCheckpoint());
                    ToProto(c, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* GetLogInfo(grpc::CallbackServerContext* context,
                                       const v1::GetLogInfoRequest* /*request*/,
                                       v1::LogInfo* response) override {
    return Handle(
        ctx_, context, "AuditService/GetLogInfo", "",
        [&](const Principal& caller) {
          TASKGATE_RETURN_IF_ERROR(workflow::CanReadAuditLog(caller));
          TASKGATE_ASSIGN_OR_RETURN(const int64_t size, ctx_.ledger.Sync());
          response->set_log_id(ctx_.ledger.log_id());
          response->set_district_id(ctx_.engine.options().district_id);
          response->set_public_key_pem(ctx_.ledger.public_key().PublicKeyPem());
          response->set_key_id(ctx_.ledger.public_key().KeyId());
          response->set_tree_size(size);
          response->set_signing_refused(
              ctx_.ledger.signing_refused().value_or(""));
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* ExportBundle(grpc::CallbackServerContext* context,
                                         const v1::ExportBundleRequest* request,
                                         v1::BundleHeader* response) override {
    return Handle(
        ctx_, context, "AuditService/ExportBundle", "",
        [&](const Principal& caller) {
          TASKGATE_RETURN_IF_ERROR(workflow::CanReadAuditLog(caller));
          if (request->since_tree_size() < 0) {
            return InvalidArgumentWithViolations(
                {{"since_tree_size", "must be 0 (none) or a tree size"}});
          }
          TASKGATE_ASSIGN_OR_RETURN(audit::Checkpoint head,
                                    ctx_.ledger.CurrentCheckpoint());
          const int64_t size = head.tree_size;
          TASKGATE_ASSIGN_OR_RETURN(
              const int64_t first,
              FirstSeqAtOrAfter(
                  request->has_start_time()
                      ? std::optional(FromTimestamp(request->start_time()))
                      : std::nullopt,
                  size, 1));
          TASKGATE_ASSIGN_OR_RETURN(
              const int64_t end,
              FirstSeqAtOrAfter(
                  request->has_end_time()
                      ? std::optional(FromTimestamp(request->end_time()))
                      : std::nullopt,
                  size, size + 1));
          int64_t last = end - 1;
          // An altered log is not signed any more: a whole-log export then
          // also carries the events after the newest checkpoint it still
          // reaches, so that a kept checkpoint places a cut tail exactly.
          if (first == 1 && last == size && !request->has_end_time() &&
              ctx_.ledger.signing_refused().has_value()) {
            TASKGATE_ASSIGN_OR_RETURN(last, ctx_.ledger.Sync());
          }
          ToProto(head, response->mutable_checkpoint());
          response->set_district_id(ctx_.engine.options().district_id);
          response->set_first_seq(first);
          response->set_last_seq(last);
          if (first == 1 && last >= size) {
            TASKGATE_ASSIGN_OR_RETURN(
                std::vector<audit::Checkpoint> earlier,
                ctx_.store.ListCheckpoints(ctx_.engine.options().district_id, 0,
                                           0));
            for (const audit::Checkpoint& c : earlier) {
              if (c.tree_size < size) ToProto(c, response->add_checkpoints());
            }
          } else if (first <= last) {
            TASKGATE_ASSIGN_OR_RETURN(
                std::vector<audit::Hash> proof,
                ctx_.ledger.RangeProof(first, last, size));
            AddHexes(proof, response->mutable_range_proof());
          }
          // A kept checkpoint larger than the log gets no proof: the
          // verifier then reports the cut tail.
          const int64_t since = request->since_tree_size();
          if (since > 0 && since <= size) {
            TASKGATE_ASSIGN_OR_RETURN(
                std::vector<audit::Hash> proof,
                ctx_.ledger.ConsistencyProof(since, size));
            response->set_consistency_from(since);
            AddHexes(proof, response->mutable_consistency_proof());
          }
          response->set_exported_by(caller.id);
          ToTimestamp(ctx_.clock.Now(), response->mutable_export_time());
          std::map<std::string, std::string> details = {
              {"first_seq", absl::StrCat(first)},
              {"last_seq", absl::StrCat(last)},
              {"tree_size", absl::StrCat(size)}};
          if (request->has_start_time()) {
            details["start_time"] =
                TimeText(FromTimestamp(request->start_time()));
          }
          if (request->has_end_time()) {
            details["end_time"] = TimeText(FromTimestamp(request->end_time()));
          }
          return ctx_.engine.recorder().RecordAuditRead(caller, "audit.export",
                                                        std::move(details));
        });
  }

  grpc::ServerUnaryReactor* GetStatistics(
      grpc::CallbackServerContext* context,
      const v1::GetStatisticsRequest* request,
      v1::Statistics* response) override {
    return Handle(
        ctx_, context, "AuditService/GetStatistics", "",
        [&](const Principal& caller) {
          TASKGATE_RETURN_IF_ERROR(workflow::CanReadAuditLog(caller));
          std::vector<FieldViolation> violations;
          if (!request->has_start_time()) {
            violations.push_back({"start_time", "is required"});
          }
          if (!request->has_end_time()) {
            violations.push_back({"end_time", "is required"});
          }
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          const workflow::EngineOptions& options = ctx_.engine.options();
          workflow::StatisticsQuery query;
          query.from = FromTimestamp(request->start_time());
          query.until = FromTimestamp(request->end_time());
          query.time_zone = options.time_zone;
          query.calendar = options.calendar;
          store::EventQuery q;
          q.district_id = options.district_id;
          q.until = query.until;
          TASKGATE_ASSIGN_OR_RETURN(std::vector<store::StoredEvent> stored,
                                    ctx_.store.ListEvents(q));
          std::vector<domain::AuditEvent> events;
          events.reserve(stored.size());
          for (store::StoredEvent& e : stored) {
            events.push_back(std::move(e.event));
          }
          store::TaskQuery tasks_query;
          tasks_query.district_id = options.district_id;
          TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Task> tasks,
                                    ctx_.store.ListTasks(tasks_query));
          TASKGATE_ASSIGN_OR_RETURN(
              std::vector<domain::Community> communities,
              ctx_.store.ListCommunities(options.district_id, ""));
          TASKGATE_ASSIGN_OR_RETURN(
              workflow::Statistics stats,
              workflow::ComputeStatistics(query, events, tasks, communities));
          ToProto(stats, response);
          if (!ReadIsAudited(caller)) return absl::OkStatus();
          return ctx_.engine.recorder().RecordAuditRead(
              caller, "audit.stats",
              {{"start_time", TimeText(query.from)},
               {"end_time", TimeText(query.until)}});
        });
  }

 private:
  // The first seq at or after `t` among the first `size` events, or
  // `fallback` when `t` is unset; size + 1 when none is. Events are
  // appended in time order, so a time range is a run of seqs.
  absl::StatusOr<int64_t> FirstSeqAtOrAfter(std::optional<absl::Time> t,
                                            int64_t size, int64_t fallback) {
    if (!t.has_value()) return fallback;
    store::EventQuery q;
    q.district_id = ctx_.engine.options().district_id;
    q.from = *t;
    q.max_seq = size;
    q.limit = 1;
    TASKGATE_ASSIGN_OR_RETURN(std::vector<store::StoredEvent> first,
                              ctx_.store.ListEvents(q));
    return first.empty() ? size + 1 : first[0].seq;
  }

  ApiContext& ctx_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewAuditService(ApiContext& ctx) {
  return std::make_unique<AuditServiceImpl>(ctx);
}

}  // namespace taskgate::services::internal
