// CommunityService: a community's workload, acknowledgements, funding
// reports and complaints (see community_service.proto).
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>

#include "common/safe_text.h"
#include "common/status_macros.h"
#include "services/auth.h"
#include "services/convert.h"
#include "services/handler.h"
#include "services/parse_check.h"
#include "taskgate/v1/community_service.grpc.pb.h"
#include "workflow/validation.h"

namespace taskgate::services::internal {
namespace {

using domain::Principal;

// Parses "YYYY-MM"; appends a violation when malformed.
absl::CivilMonth MonthFrom(std::string_view field, const std::string& text,
                           absl::CivilMonth fallback,
                           std::vector<FieldViolation>& violations) {
  if (text.empty()) return fallback;
  absl::CivilMonth month;
  if (!absl::ParseCivilTime(text, &month) ||
      absl::FormatCivilTime(month) != text) {
    violations.push_back(
        {std::string(field), absl::StrCat("'", EchoValue(text, 20),
                                          "' is not a month; use YYYY-MM")});
    return fallback;
  }
  return month;
}

class CommunityServiceImpl final
    : public ParseCheckedService<v1::CommunityService::CallbackService> {
 public:
  explicit CommunityServiceImpl(ApiContext& ctx) : ctx_(ctx) {
    CheckParsing(ctx, "CommunityService/GetWorkload", this,
                 &CommunityServiceImpl::GetWorkload);
    CheckParsing(ctx, "CommunityService/AcknowledgeAssignment", this,
                 &CommunityServiceImpl::AcknowledgeAssignment);
    CheckParsing(ctx, "CommunityService/ReportMissingFunding", this,
                 &CommunityServiceImpl::ReportMissingFunding);
    CheckParsing(ctx, "CommunityService/FileComplaint", this,
                 &CommunityServiceImpl::FileComplaint);
  }

  grpc::ServerUnaryReactor* GetWorkload(grpc::CallbackServerContext* context,
                                        const v1::GetWorkloadRequest* request,
                                        v1::Workload* response) override {
    return Handle(
        ctx_, context, "CommunityService/GetWorkload", "",
        [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          const absl::CivilMonth this_month(absl::ToCivilDay(
              ctx_.clock.Now(), ctx_.engine.options().time_zone));
          const absl::CivilMonth from = MonthFrom(
              "from_month", request->from_month(), this_month, violations);
          const absl::CivilMonth to =
              MonthFrom("to_month", request->to_month(), from + 5, violations);
          if (to < from || to - from > 36) {
            violations.push_back(
                {"to_month", "must be from from_month to 36 months after it"});
          }
          const std::string community = request->community_id().empty()
                                            ? caller.community_id
                                            : request->community_id();
          if (community.empty()) {
            violations.push_back(
                {"community_id", "name the community whose workload to show"});
          }
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          TASKGATE_ASSIGN_OR_RETURN(
              workflow::Workload workload,
              ctx_.engine.queries().GetWorkload(caller, community, from, to));
          ToProto(workload.community, response->mutable_community());
          for (const domain::Task& t : workload.assignments) {
            v1::Assignment* a = response->add_assignments();
            ToProto(t, a->mutable_task());
            a->set_provisional(t.state == domain::TaskState::kProvisional);
            for (const domain::AssignmentAck& ack : workload.acks) {
              if (ack.task_id == t.id) a->set_acknowledged(true);
            }
          }
          for (const auto& [month, load] : workload.monthly_load) {
            v1::MonthlyLoad* m = response->add_months();
            m->set_month(absl::FormatCivilTime(month));
            m->set_load_hours(load);
            m->set_capacity_hours(workload.community.monthly_capacity_hours);
          }
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* AcknowledgeAssignment(
      grpc::CallbackServerContext* context,
      const v1::AcknowledgeAssignmentRequest* request,
      v1::AssignmentAcknowledgement* response) override {
    return Handle(ctx_, context, "CommunityService/AcknowledgeAssignment",
                  request->request_id(), [&](const Principal& caller) {
                    std::vector<FieldViolation> violations;
                    CheckRequestId(request->request_id(), violations);
                    workflow::CheckId("task_id", request->task_id(),
                                      violations);
                    TASKGATE_RETURN_IF_ERROR(Violations(violations));
                    TASKGATE_ASSIGN_OR_RETURN(
                        domain::AssignmentAck ack,
                        ctx_.engine.desk().AcknowledgeAssignment(
                            caller, request->request_id(), request->task_id()));
                    response->set_task_id(ack.task_id);
                    response->set_community_id(ack.community_id);
                    response->set_acknowledged_by(ack.acknowledged_by);
                    ToTimestamp(ack.acknowledged_at,
                                response->mutable_acknowledge_time());
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* ReportMissingFunding(
      grpc::CallbackServerContext* context,
      const v1::ReportMissingFundingRequest* request,
      v1::FundingReport* response) override {
    return Handle(ctx_, context, "CommunityService/ReportMissingFunding",
                  request->request_id(), [&](const Principal& caller) {
                    std::vector<FieldViolation> violations;
                    CheckRequestId(request->request_id(), violations);
                    workflow::CheckId("task_id", request->task_id(),
                                      violations);
                    TASKGATE_RETURN_IF_ERROR(Violations(violations));
                    // Derived from the request, so that a retry names the
                    // same report and gets the first answer.
                    const std::string id =
                        DerivedId("fr", caller.id, request->request_id());
                    TASKGATE_ASSIGN_OR_RETURN(
                        domain::FundingReport report,
                        ctx_.engine.desk().ReportFundingMissing(
                            caller, request->request_id(), request->task_id(),
                            id, request->note()));
                    ToProto(report, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* FileComplaint(
      grpc::CallbackServerContext* context,
      const v1::FileComplaintRequest* request,
      v1::Complaint* response) override {
    return Handle(ctx_, context, "CommunityService/FileComplaint",
                  request->request_id(), [&](const Principal& caller) {
                    std::vector<FieldViolation> violations;
                    CheckRequestId(request->request_id(), violations);
                    domain::Complaint c =
                        FromProto(request->complaint(), violations);
                    TASKGATE_RETURN_IF_ERROR(Violations(violations));
                    if (c.id.empty()) {  // derived: see ReportMissingFunding
                      c.id = DerivedId("cp", caller.id, request->request_id());
                    }
                    TASKGATE_ASSIGN_OR_RETURN(
                        domain::Complaint filed,
                        ctx_.engine.desk().FileComplaint(
                            caller, request->request_id(), std::move(c)));
                    ToProto(filed, response);
                    return absl::OkStatus();
                  });
  }

 private:
  ApiContext& ctx_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewCommunityService(ApiContext& ctx) {
  return std::make_unique<CommunityServiceImpl>(ctx);
}

}  // namespace taskgate::services::internal
