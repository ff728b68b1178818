// TaskService: a department's own tasks (see task_service.proto).
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

#include "common/status_macros.h"
#include "services/auth.h"
#include "services/convert.h"
#include "services/handler.h"
#include "taskgate/v1/task_service.grpc.pb.h"
#include "workflow/access.h"
#include "workflow/task_spec.h"
#include "workflow/validation.h"

namespace taskgate::services::internal {
namespace {

using domain::Principal;
using workflow::TaskAction;

// The filter grammar of ListTasks: `key=value` terms joined by " AND ".
absl::Status ParseTaskFilter(const std::string& filter, store::TaskQuery& q) {
  if (filter.empty()) return absl::OkStatus();
  for (absl::string_view term : absl::StrSplit(filter, " AND ")) {
    const std::vector<std::string> kv = absl::StrSplit(term, '=');
    if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
      return InvalidArgumentWithViolations(
          {{"filter", absl::StrCat("'", std::string(term),
                                   "' is not key=value; e.g. "
                                   "state=SUBMITTED AND community=c1")}});
    }
    const std::string& key = kv[0];
    const std::string& value = kv[1];
    if (key == "state") {
      std::optional<domain::TaskState> state = domain::ParseTaskState(value);
      if (!state.has_value()) {
        return InvalidArgumentWithViolations(
            {{"filter", absl::StrCat("'", value,
                                     "' is not a task state; use e.g. "
                                     "SUBMITTED, ACTIVE")}});
      }
      q.states.push_back(*state);
    } else if (key == "department") {
      q.department_id = value;
    } else if (key == "community") {
      q.community_id = value;
    } else if (key == "item_code") {
      q.item_code = value;
    } else {
      return InvalidArgumentWithViolations(
          {{"filter", absl::StrCat("unknown key '", key,
                                   "'; use state, department, community or "
                                   "item_code")}});
    }
  }
  return absl::OkStatus();
}

class TaskServiceImpl final : public v1::TaskService::CallbackService {
 public:
  explicit TaskServiceImpl(ApiContext& ctx) : ctx_(ctx) {}

  grpc::ServerUnaryReactor* CreateTask(grpc::CallbackServerContext* context,
                                       const v1::CreateTaskRequest* request,
                                       v1::Task* response) override {
    return Handle(ctx_, context, "TaskService/CreateTask",
                  request->request_id(), [&](const Principal& caller) {
                    std::vector<FieldViolation> violations;
                    CheckRequestId(request->request_id(), violations);
                    domain::TaskSpec spec =
                        FromProto(request->spec(), "spec.", violations);
                    // Named as in the request ("spec."), not as the workflow
                    // names a stored task's ("task.").
                    TASKGATE_ASSIGN_OR_RETURN(
                        workflow::DraftSpec draft,
                        workflow::DraftSpec::Check(std::move(spec), "spec.",
                                                   std::move(violations)));
                    std::string id = request->task_id();
                    if (id.empty()) {
                      // Derived from the request, so that a retry names the
                      // same task and gets the first answer.
                      id = DerivedId("t", caller.id, request->request_id());
                    }
                    TASKGATE_ASSIGN_OR_RETURN(domain::Task task,
                                              ctx_.engine.tasks().CreateTask(
                                                  caller, request->request_id(),
                                                  id, std::move(draft)));
                    ToProto(task, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* GetTask(grpc::CallbackServerContext* context,
                                    const v1::GetTaskRequest* request,
                                    v1::Task* response) override {
    return Handle(
        ctx_, context, "TaskService/GetTask", "", [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          workflow::CheckId("task_id", request->task_id(), violations);
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          TASKGATE_ASSIGN_OR_RETURN(
              domain::Task task,
              ctx_.engine.queries().GetTask(request->task_id()));
          TASKGATE_RETURN_IF_ERROR(workflow::CanReadTask(caller, task));
          ToProto(task, response);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* ListTasks(
      grpc::CallbackServerContext* context, const v1::ListTasksRequest* request,
      v1::ListTasksResponse* response) override {
    return Handle(
        ctx_, context, "TaskService/ListTasks", "",
        [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          store::TaskQuery q;
          q.district_id = ctx_.engine.options().district_id;
          q.limit = PageSize(request->page_size(), violations);
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          TASKGATE_RETURN_IF_ERROR(ParseTaskFilter(request->filter(), q));
          TASKGATE_RETURN_IF_ERROR(workflow::ScopeTaskListing(
              caller, q.department_id, q.community_id));
          return ListTaskPage(ctx_, q, request->filter(), request->page_token(),
                              response);
        });
  }

  grpc::ServerUnaryReactor* UpdateTask(grpc::CallbackServerContext* context,
                                       const v1::UpdateTaskRequest* request,
                                       v1::Task* response) override {
    return Handle(
        ctx_, context, "TaskService/UpdateTask", request->request_id(),
        [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          CheckRequestId(request->request_id(), violations);
          workflow::CheckId("task_id", request->task_id(), violations);
          const int64_t version = FromEtag("etag", request->etag(), violations);
          domain::TaskSpec spec =
              FromProto(request->spec(), "spec.", violations);
          // Named as in the request ("spec."), not as the workflow names
          // a stored task's ("task.").
          TASKGATE_ASSIGN_OR_RETURN(
              workflow::DraftSpec draft,
              workflow::DraftSpec::Check(std::move(spec), "spec.",
                                         std::move(violations)));
          TASKGATE_ASSIGN_OR_RETURN(
              domain::Task task,
              ctx_.engine.tasks().EditTask(caller, request->request_id(),
                                           request->task_id(), version,
                                           std::move(draft)));
          ToProto(task, response);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* SubmitTask(grpc::CallbackServerContext* context,
                                       const v1::TaskActionRequest* request,
                                       v1::Task* response) override {
    return HandleTaskAction(ctx_, context, "TaskService/SubmitTask",
                            TaskAction::kSubmit, request, response);
  }
  grpc::ServerUnaryReactor* WithdrawTask(grpc::CallbackServerContext* context,
                                         const v1::TaskActionRequest* request,
                                         v1::Task* response) override {
    return HandleTaskAction(ctx_, context, "TaskService/WithdrawTask",
                            TaskAction::kWithdraw, request, response);
  }
  grpc::ServerUnaryReactor* CloseTask(grpc::CallbackServerContext* context,
                                      const v1::TaskActionRequest* request,
                                      v1::Task* response) override {
    return HandleTaskAction(ctx_, context, "TaskService/CloseTask",
                            TaskAction::kClose, request, response);
  }

  grpc::ServerUnaryReactor* ListDecisions(
      grpc::CallbackServerContext* context,
      const v1::ListDecisionsRequest* request,
      v1::ListDecisionsResponse* response) override {
    return Handle(
        ctx_, context, "TaskService/ListDecisions", "",
        [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          workflow::CheckId("task_id", request->task_id(), violations);
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          TASKGATE_ASSIGN_OR_RETURN(
              domain::Task task,
              ctx_.engine.queries().GetTask(request->task_id()));
          TASKGATE_RETURN_IF_ERROR(workflow::CanReadTask(caller, task));
          TASKGATE_ASSIGN_OR_RETURN(
              std::vector<domain::Decision> decisions,
              ctx_.store.ListDecisions(ctx_.engine.options().district_id,
                                       task.id));
          for (const domain::Decision& d : decisions) {
            ToProto(d, response->add_decisions());
          }
          return absl::OkStatus();
        });
  }

 private:
  ApiContext& ctx_;
};

}  // namespace

absl::Status ListTaskPage(ApiContext& ctx, store::TaskQuery q,
                          const std::string& filter_key,
                          const std::string& page_token,
                          v1::ListTasksResponse* response) {
  if (!page_token.empty()) {
    TASKGATE_ASSIGN_OR_RETURN(q.after_id,
                              DecodePageToken(page_token, filter_key));
  }
  const int32_t page = q.limit;
  q.limit = page + 1;  // one more tells whether another page follows
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Task> tasks,
                            ctx.store.ListTasks(q));
  const bool more = static_cast<int32_t>(tasks.size()) > page;
  if (more) tasks.resize(page);
  for (const domain::Task& t : tasks) ToProto(t, response->add_tasks());
  if (more && !tasks.empty()) {
    response->set_next_page_token(EncodePageToken(filter_key, tasks.back().id));
  }
  return absl::OkStatus();
}

absl::Status RunTaskAction(ApiContext& ctx, const Principal& caller,
                           TaskAction action,
                           const v1::TaskActionRequest& request,
                           v1::Task* response) {
  std::vector<FieldViolation> violations;
  CheckRequestId(request.request_id(), violations);
  workflow::CheckId("task_id", request.task_id(), violations);
  workflow::ActionRequest r;
  r.action = action;
  r.task_id = request.task_id();
  r.expected_version = FromEtag("etag", request.etag(), violations);
  r.request_id = request.request_id();
  r.reason = request.reason();
  for (const v1::Acknowledgement& a : request.acknowledgements()) {
    r.acknowledgements.push_back({a.rule_id(), a.reason()});
  }
  r.emergency_unjustified = request.emergency_unjustified();
  TASKGATE_RETURN_IF_ERROR(Violations(violations));
  TASKGATE_ASSIGN_OR_RETURN(domain::Task task,
                            ctx.engine.tasks().Act(caller, r));
  ToProto(task, response);
  return absl::OkStatus();
}

std::unique_ptr<grpc::Service> NewTaskService(ApiContext& ctx) {
  return std::make_unique<TaskServiceImpl>(ctx);
}

}  // namespace taskgate::services::internal
