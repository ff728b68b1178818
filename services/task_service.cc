// TaskService: a department's own tasks (see task_service.proto).
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>

#include "common/status_macros.h"
#include "services/attachment_streams.h"
#include "services/auth.h"
#include "services/convert.h"
#include "services/handler.h"
#include "services/parse_check.h"
#include "taskgate/v1/task_service.grpc.pb.h"
#include "workflow/paging.h"
#include "workflow/task_spec.h"
#include "workflow/validation.h"

namespace taskgate::services::internal {
namespace {

using domain::Principal;
using workflow::TaskAction;

class TaskServiceImpl final
    : public ParseCheckedService<v1::TaskService::CallbackService> {
 public:
  explicit TaskServiceImpl(ApiContext& ctx) : ctx_(ctx) {
    CheckParsing(ctx, "TaskService/CreateTask", this,
                 &TaskServiceImpl::CreateTask);
    CheckParsing(ctx, "TaskService/GetTask", this, &TaskServiceImpl::GetTask);
    CheckParsing(ctx, "TaskService/ListTasks", this,
                 &TaskServiceImpl::ListTasks);
    CheckParsing(ctx, "TaskService/UpdateTask", this,
                 &TaskServiceImpl::UpdateTask);
    CheckParsing(ctx, "TaskService/SubmitTask", this,
                 &TaskServiceImpl::SubmitTask);
    CheckParsing(ctx, "TaskService/WithdrawTask", this,
                 &TaskServiceImpl::WithdrawTask);
    CheckParsing(ctx, "TaskService/CloseTask", this,
                 &TaskServiceImpl::CloseTask);
    CheckParsing(ctx, "TaskService/ListDecisions", this,
                 &TaskServiceImpl::ListDecisions);
    CheckParsing(ctx, "TaskService/ListAttachments", this,
                 &TaskServiceImpl::ListAttachments);
    CheckParsing(ctx, "TaskService/DownloadAttachment", this,
                 &TaskServiceImpl::DownloadAttachment);
  }

  grpc::ServerUnaryReactor* CreateTask(grpc::CallbackServerContext* context,
                                       const v1::CreateTaskRequest* request,
                                       v1::Task* response) override {
    return HandleAsync(
        ctx_, context, "TaskService/CreateTask", request->request_id(),
        [&](const Principal& caller, FinishCall finish) {
          std::vector<FieldViolation> violations;
          CheckRequestId(request->request_id(), violations);
          domain::TaskSpec spec =
              FromProto(request->spec(), "spec.", violations);
          // Named as in the request ("spec."), not as the workflow names a
          // stored task's ("task.").
          absl::StatusOr<workflow::DraftSpec> draft =
              workflow::DraftSpec::Check(std::move(spec), "spec.",
                                         std::move(violations));
          if (!draft.ok()) return finish(draft.status());
          std::string id = request->task_id();
          if (id.empty()) {
            // Derived from the request, so that a retry names the same task
            // and gets the first answer.
            id = DerivedId("t", caller.id, request->request_id());
          }
          ctx_.engine.tasks().CreateTaskAsync(
              caller, request->request_id(), id, *std::move(draft),
              [response,
               finish = std::move(finish)](absl::StatusOr<domain::Task> task) {
                if (task.ok()) ToProto(*task, response);
                finish(task.status());
              });
        });
  }

  grpc::ServerUnaryReactor* GetTask(grpc::CallbackServerContext* context,
                                    const v1::GetTaskRequest* request,
                                    v1::Task* response) override {
    return Handle(
        ctx_, context, "TaskService/GetTask", "", [&](const Principal& caller) {
          TASKGATE_ASSIGN_OR_RETURN(
              domain::Task task,
              ctx_.engine.queries().GetTask(caller, request->task_id()));
          ToProto(task, response);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* ListTasks(
      grpc::CallbackServerContext* context, const v1::ListTasksRequest* request,
      v1::ListTasksResponse* response) override {
    return Handle(ctx_, context, "TaskService/ListTasks", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        workflow::Page<domain::Task> page,
                        ctx_.engine.queries().ListTasks(
                            caller, request->filter(),
                            {request->page_size(), request->page_token()}));
                    ToProto(page, response);
                    return absl::OkStatus();
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
          TASKGATE_ASSIGN_OR_RETURN(
              std::vector<domain::Decision> decisions,
              ctx_.engine.queries().ListDecisions(caller, request->task_id()));
          for (const domain::Decision& d : decisions) {
            ToProto(d, response->add_decisions());
          }
          return absl::OkStatus();
        });
  }

  // Attachments (services/attachment_streams.h for the streams).
  grpc::ServerReadReactor<v1::UploadAttachmentRequest>* UploadAttachment(
      grpc::CallbackServerContext* context, v1::Attachment* response) override {
    return NewUploadReactor(ctx_, context, response);
  }

  grpc::ServerWriteReactor<v1::DownloadAttachmentResponse>* DownloadAttachment(
      grpc::CallbackServerContext* context,
      const v1::DownloadAttachmentRequest* request) override {
    return NewDownloadReactor(ctx_, context, request);
  }

  grpc::ServerUnaryReactor* ListAttachments(
      grpc::CallbackServerContext* context,
      const v1::ListAttachmentsRequest* request,
      v1::ListAttachmentsResponse* response) override {
    return Handle(
        ctx_, context, "TaskService/ListAttachments", "",
        [&](const Principal& caller) {
          TASKGATE_ASSIGN_OR_RETURN(
              std::vector<domain::Attachment> attachments,
              ctx_.engine.attachments().List(caller, request->task_id()));
          for (const domain::Attachment& a : attachments) {
            ToProto(a, response->add_attachments());
          }
          return absl::OkStatus();
        });
  }

 private:
  ApiContext& ctx_;
};

}  // namespace

void RunTaskAction(ApiContext& ctx, const Principal& caller, TaskAction action,
                   const v1::TaskActionRequest& request, v1::Task* response,
                   FinishCall finish) {
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
  if (!violations.empty()) return finish(Violations(violations));
  ctx.engine.tasks().ActAsync(caller, r,
                              [response, finish = std::move(finish)](
                                  absl::StatusOr<domain::Task> task) {
                                if (task.ok()) ToProto(*task, response);
                                finish(task.status());
                              });
}

std::unique_ptr<grpc::Service> NewTaskService(ApiContext& ctx) {
  return std::make_unique<TaskServiceImpl>(ctx);
}

}  // namespace taskgate::services::internal
