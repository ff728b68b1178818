// ReviewService: the district admission reviewers (see review_service.proto).
#include <memory>
#include <string>
#include <vector>

#include "common/status_macros.h"
#include "services/convert.h"
#include "services/handler.h"
#include "services/parse_check.h"
#include "taskgate/v1/review_service.grpc.pb.h"
#include "workflow/paging.h"
#include "workflow/validation.h"

namespace taskgate::services::internal {
namespace {

using domain::Principal;
using workflow::TaskAction;

class ReviewServiceImpl final
    : public ParseCheckedService<v1::ReviewService::CallbackService> {
 public:
  explicit ReviewServiceImpl(ApiContext& ctx) : ctx_(ctx) {
    CheckParsing(ctx, "ReviewService/ListReviewQueue", this,
                 &ReviewServiceImpl::ListReviewQueue);
    CheckParsing(ctx, "ReviewService/ClaimTask", this,
                 &ReviewServiceImpl::ClaimTask);
    CheckParsing(ctx, "ReviewService/ReleaseTask", this,
                 &ReviewServiceImpl::ReleaseTask);
    CheckParsing(ctx, "ReviewService/ApproveTask", this,
                 &ReviewServiceImpl::ApproveTask);
    CheckParsing(ctx, "ReviewService/RejectTask", this,
                 &ReviewServiceImpl::RejectTask);
    CheckParsing(ctx, "ReviewService/ReturnTask", this,
                 &ReviewServiceImpl::ReturnTask);
    CheckParsing(ctx, "ReviewService/RevokeTask", this,
                 &ReviewServiceImpl::RevokeTask);
    CheckParsing(ctx, "ReviewService/ListFundingReports", this,
                 &ReviewServiceImpl::ListFundingReports);
    CheckParsing(ctx, "ReviewService/ListComplaints", this,
                 &ReviewServiceImpl::ListComplaints);
    CheckParsing(ctx, "ReviewService/UpdateComplaint", this,
                 &ReviewServiceImpl::UpdateComplaint);
  }

  grpc::ServerUnaryReactor* ListReviewQueue(
      grpc::CallbackServerContext* context,
      const v1::ListReviewQueueRequest* request,
      v1::ListTasksResponse* response) override {
    return Handle(ctx_, context, "ReviewService/ListReviewQueue", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        workflow::Page<domain::Task> page,
                        ctx_.engine.queries().ListReviewQueue(
                            caller, request->filter(),
                            {request->page_size(), request->page_token()}));
                    ToProto(page, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* ClaimTask(grpc::CallbackServerContext* context,
                                      const v1::TaskActionRequest* request,
                                      v1::Task* response) override {
    return HandleTaskAction(ctx_, context, "ReviewService/ClaimTask",
                            TaskAction::kClaim, request, response);
  }
  grpc::ServerUnaryReactor* ReleaseTask(grpc::CallbackServerContext* context,
                                        const v1::TaskActionRequest* request,
                                        v1::Task* response) override {
    return HandleTaskAction(ctx_, context, "ReviewService/ReleaseTask",
                            TaskAction::kRelease, request, response);
  }
  grpc::ServerUnaryReactor* ApproveTask(grpc::CallbackServerContext* context,
                                        const v1::TaskActionRequest* request,
                                        v1::Task* response) override {
    return HandleTaskAction(ctx_, context, "ReviewService/ApproveTask",
                            TaskAction::kApprove, request, response);
  }
  grpc::ServerUnaryReactor* RejectTask(grpc::CallbackServerContext* context,
                                       const v1::TaskActionRequest* request,
                                       v1::Task* response) override {
    return HandleTaskAction(ctx_, context, "ReviewService/RejectTask",
                            TaskAction::kReject, request, response);
  }
  grpc::ServerUnaryReactor* ReturnTask(grpc::CallbackServerContext* context,
                                       const v1::TaskActionRequest* request,
                                       v1::Task* response) override {
    return HandleTaskAction(ctx_, context, "ReviewService/ReturnTask",
                            TaskAction::kReturn, request, response);
  }
  grpc::ServerUnaryReactor* RevokeTask(grpc::CallbackServerContext* context,
                                       const v1::TaskActionRequest* request,
                                       v1::Task* response) override {
    return HandleTaskAction(ctx_, context, "ReviewService/RevokeTask",
                            TaskAction::kRevoke, request, response);
  }

  grpc::ServerUnaryReactor* ListFundingReports(
      grpc::CallbackServerContext* context,
      const v1::ListFundingReportsRequest* request,
      v1::ListFundingReportsResponse* response) override {
    return Handle(ctx_, context, "ReviewService/ListFundingReports", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        workflow::Page<domain::FundingReport> page,
                        ctx_.engine.queries().ListFundingReports(
                            caller, request->task_id(), request->community_id(),
                            {request->page_size(), request->page_token()}));
                    for (const domain::FundingReport& r : page.items) {
                      ToProto(r, response->add_reports());
                    }
                    response->set_next_page_token(page.next_page_token);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* ListComplaints(
      grpc::CallbackServerContext* context,
      const v1::ListComplaintsRequest* request,
      v1::ListComplaintsResponse* response) override {
    return Handle(
        ctx_, context, "ReviewService/ListComplaints", "",
        [&](const Principal& caller) {
          std::vector<domain::ComplaintState> states;
          std::vector<FieldViolation> violations;
          // A list longer than the states there are is reported
          // alone (workflow/validation.h), its items unread.
          const int listed = static_cast<size_t>(request->states_size()) >
                                     workflow::kMaxComplaintStates
                                 ? 0
                                 : request->states_size();
          if (listed != request->states_size()) {
            violations.push_back(
                {"states", absl::StrCat("lists ", request->states_size(),
                                        " states; there are ",
                                        workflow::kMaxComplaintStates,
                                        ": list each at most once")});
          }
          for (int i = 0; i < listed; ++i) {
            std::optional<domain::ComplaintState> s =
                FromProto(static_cast<v1::ComplaintState>(request->states(i)));
            if (!s.has_value()) {
              violations.push_back(
                  {absl::StrCat("states[", i, "]"),
                   "use COMPLAINT_STATE_OPEN, _VERIFIED, _UNFOUNDED "
                   "or _RESOLVED"});
              continue;
            }
            states.push_back(*s);
          }
          // A caller who may not read complaints hears that
          // before any word on bad states: the query authorizes
          // first.
          TASKGATE_ASSIGN_OR_RETURN(
              workflow::Page<domain::Complaint> page,
              ctx_.engine.queries().ListComplaints(
                  caller, request->community_id(), states,
                  {request->page_size(), request->page_token()}));
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          for (const domain::Complaint& c : page.items) {
            ToProto(c, response->add_complaints());
          }
          response->set_next_page_token(page.next_page_token);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* UpdateComplaint(
      grpc::CallbackServerContext* context,
      const v1::UpdateComplaintRequest* request,
      v1::Complaint* response) override {
    return Handle(
        ctx_, context, "ReviewService/UpdateComplaint", request->request_id(),
        [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          CheckRequestId(request->request_id(), violations);
          workflow::CheckId("complaint_id", request->complaint_id(),
                            violations);
          const int64_t version = FromEtag("etag", request->etag(), violations);
          std::optional<domain::ComplaintState> to =
              FromProto(request->state());
          if (!to.has_value() || *to == domain::ComplaintState::kOpen) {
            violations.push_back(
                {"state",
                 "set COMPLAINT_STATE_VERIFIED, COMPLAINT_STATE_UNFOUNDED or "
                 "COMPLAINT_STATE_RESOLVED"});
          }
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          TASKGATE_ASSIGN_OR_RETURN(
              domain::Complaint complaint,
              ctx_.engine.desk().HandleComplaint(
                  caller, request->request_id(), request->complaint_id(),
                  version, *to, request->resolution()));
          ToProto(complaint, response);
          return absl::OkStatus();
        });
  }

 private:
  ApiContext& ctx_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewReviewService(ApiContext& ctx) {
  return std::make_unique<ReviewServiceImpl>(ctx);
}

}  // namespace taskgate::services::internal
