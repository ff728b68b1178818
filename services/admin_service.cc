// AdminService: the lists, the working-day calendar, communities,
// principals and credentials (see admin_service.proto).
#include <memory>
#include <string>
#include <vector>

#include "common/status_macros.h"
#include "services/auth.h"
#include "services/convert.h"
#include "services/handler.h"
#include "services/parse_check.h"
#include "taskgate/v1/admin_service.grpc.pb.h"
#include "workflow/validation.h"

namespace taskgate::services::internal {
namespace {

using domain::Principal;

class AdminServiceImpl final
    : public ParseCheckedService<v1::AdminService::CallbackService> {
 public:
  explicit AdminServiceImpl(ApiContext& ctx) : ctx_(ctx) {
    CheckParsing(ctx, "AdminService/PublishCatalog", this,
                 &AdminServiceImpl::PublishCatalog);
    CheckParsing(ctx, "AdminService/GetCatalog", this,
                 &AdminServiceImpl::GetCatalog);
    CheckParsing(ctx, "AdminService/PublishCalendar", this,
                 &AdminServiceImpl::PublishCalendar);
    CheckParsing(ctx, "AdminService/GetCalendar", this,
                 &AdminServiceImpl::GetCalendar);
    CheckParsing(ctx, "AdminService/ListCalendars", this,
                 &AdminServiceImpl::ListCalendars);
    CheckParsing(ctx, "AdminService/PutCommunity", this,
                 &AdminServiceImpl::PutCommunity);
    CheckParsing(ctx, "AdminService/ListCommunities", this,
                 &AdminServiceImpl::ListCommunities);
    CheckParsing(ctx, "AdminService/CreatePrincipal", this,
                 &AdminServiceImpl::CreatePrincipal);
    CheckParsing(ctx, "AdminService/ListPrincipals", this,
                 &AdminServiceImpl::ListPrincipals);
    CheckParsing(ctx, "AdminService/SetPrincipalDisabled", this,
                 &AdminServiceImpl::SetPrincipalDisabled);
    CheckParsing(ctx, "AdminService/IssueToken", this,
                 &AdminServiceImpl::IssueToken);
    CheckParsing(ctx, "AdminService/RevokeToken", this,
                 &AdminServiceImpl::RevokeToken);
    CheckParsing(ctx, "AdminService/ListTokens", this,
                 &AdminServiceImpl::ListTokens);
    CheckParsing(ctx, "AdminService/BindCertificate", this,
                 &AdminServiceImpl::BindCertificate);
    CheckParsing(ctx, "AdminService/PutDepartment", this,
                 &AdminServiceImpl::PutDepartment);
    CheckParsing(ctx, "AdminService/GetDepartment", this,
                 &AdminServiceImpl::GetDepartment);
    CheckParsing(ctx, "AdminService/ListDepartments", this,
                 &AdminServiceImpl::ListDepartments);
    CheckParsing(ctx, "AdminService/PutStreet", this,
                 &AdminServiceImpl::PutStreet);
    CheckParsing(ctx, "AdminService/GetStreet", this,
                 &AdminServiceImpl::GetStreet);
    CheckParsing(ctx, "AdminService/ListStreets", this,
                 &AdminServiceImpl::ListStreets);
  }

  grpc::ServerUnaryReactor* PutDepartment(
      grpc::CallbackServerContext* context,
      const v1::PutDepartmentRequest* request,
      v1::Department* response) override {
    return Handle(ctx_, context, "AdminService/PutDepartment",
                  request->request_id(), [&](const Principal& caller) {
                    std::vector<FieldViolation> violations;
                    CheckRequestId(request->request_id(), violations);
                    const int64_t version =
                        FromEtag("department.etag",
                                 request->department().etag(), violations);
                    TASKGATE_RETURN_IF_ERROR(Violations(violations));
                    TASKGATE_ASSIGN_OR_RETURN(
                        domain::Department stored,
                        ctx_.engine.directory().PutDepartment(
                            caller, request->request_id(),
                            FromProto(request->department()), version));
                    ToProto(stored, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* GetDepartment(
      grpc::CallbackServerContext* context,
      const v1::GetDepartmentRequest* request,
      v1::Department* response) override {
    return Handle(
        ctx_, context, "AdminService/GetDepartment", "",
        [&](const Principal& caller) {
          TASKGATE_ASSIGN_OR_RETURN(
              domain::Department d,
              ctx_.engine.queries().GetDepartment(caller, request->id()));
          ToProto(d, response);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* ListDepartments(
      grpc::CallbackServerContext* context,
      const v1::ListDepartmentsRequest* request,
      v1::ListDepartmentsResponse* response) override {
    return Handle(
        ctx_, context, "AdminService/ListDepartments", "",
        [&](const Principal& caller) {
          TASKGATE_ASSIGN_OR_RETURN(
              workflow::Page<domain::Department> page,
              ctx_.engine.queries().ListDepartments(
                  caller, {request->page_size(), request->page_token()}));
          for (const domain::Department& d : page.items) {
            ToProto(d, response->add_departments());
          }
          response->set_next_page_token(page.next_page_token);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* PutStreet(grpc::CallbackServerContext* context,
                                      const v1::PutStreetRequest* request,
                                      v1::Street* response) override {
    return Handle(
        ctx_, context, "AdminService/PutStreet", request->request_id(),
        [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          CheckRequestId(request->request_id(), violations);
          const int64_t version =
              FromEtag("street.etag", request->street().etag(), violations);
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          TASKGATE_ASSIGN_OR_RETURN(domain::Street stored,
                                    ctx_.engine.directory().PutStreet(
                                        caller, request->request_id(),
                                        FromProto(request->street()), version));
          ToProto(stored, response);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* GetStreet(grpc::CallbackServerContext* context,
                                      const v1::GetStreetRequest* request,
                                      v1::Street* response) override {
    return Handle(ctx_, context, "AdminService/GetStreet", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        domain::Street s,
                        ctx_.engine.queries().GetStreet(caller, request->id()));
                    ToProto(s, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* ListStreets(
      grpc::CallbackServerContext* context,
      const v1::ListStreetsRequest* request,
      v1::ListStreetsResponse* response) override {
    return Handle(
        ctx_, context, "AdminService/ListStreets", "",
        [&](const Principal& caller) {
          TASKGATE_ASSIGN_OR_RETURN(
              workflow::Page<domain::Street> page,
              ctx_.engine.queries().ListStreets(
                  caller, {request->page_size(), request->page_token()}));
          for (const domain::Street& s : page.items) {
            ToProto(s, response->add_streets());
          }
          response->set_next_page_token(page.next_page_token);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* PublishCatalog(
      grpc::CallbackServerContext* context,
      const v1::PublishCatalogRequest* request,
      v1::CatalogVersion* response) override {
    return Handle(ctx_, context, "AdminService/PublishCatalog",
                  request->request_id(), [&](const Principal& caller) {
                    std::vector<FieldViolation> violations;
                    CheckRequestId(request->request_id(), violations);
                    std::vector<domain::CatalogItem> items =
                        FromProto(request->items(), violations);
                    const std::map<domain::ControlledBucket, int32_t> limits =
                        BucketsFromProto(request->controlled_limits(),
                                         "controlled_limits", violations);
                    TASKGATE_RETURN_IF_ERROR(Violations(violations));
                    TASKGATE_ASSIGN_OR_RETURN(
                        domain::CatalogVersion catalog,
                        ctx_.engine.directory().PublishCatalog(
                            caller, request->request_id(), std::move(items),
                            request->note(), limits));
                    ToProto(catalog, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* GetCatalog(grpc::CallbackServerContext* context,
                                       const v1::GetCatalogRequest* request,
                                       v1::CatalogVersion* response) override {
    return Handle(ctx_, context, "AdminService/GetCatalog", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(domain::CatalogVersion catalog,
                                              ctx_.engine.queries().GetCatalog(
                                                  caller, request->version()));
                    ToProto(catalog, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* PublishCalendar(
      grpc::CallbackServerContext* context,
      const v1::PublishCalendarRequest* request,
      v1::CalendarYear* response) override {
    return Handle(ctx_, context, "AdminService/PublishCalendar",
                  request->request_id(), [&](const Principal& caller) {
                    std::vector<FieldViolation> violations;
                    CheckRequestId(request->request_id(), violations);
                    domain::CalendarYear c = FromProto(*request, violations);
                    TASKGATE_RETURN_IF_ERROR(Violations(violations));
                    TASKGATE_ASSIGN_OR_RETURN(
                        domain::CalendarYear published,
                        ctx_.engine.calendars().Publish(
                            caller, request->request_id(), std::move(c)));
                    ToProto(published, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* GetCalendar(grpc::CallbackServerContext* context,
                                        const v1::GetCalendarRequest* request,
                                        v1::CalendarYear* response) override {
    return Handle(ctx_, context, "AdminService/GetCalendar", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        domain::CalendarYear c,
                        ctx_.engine.calendars().Get(caller, request->year(),
                                                    request->version()));
                    ToProto(c, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* ListCalendars(
      grpc::CallbackServerContext* context,
      const v1::ListCalendarsRequest* request,
      v1::ListCalendarsResponse* response) override {
    return Handle(
        ctx_, context, "AdminService/ListCalendars", "",
        [&](const Principal& caller) {
          TASKGATE_ASSIGN_OR_RETURN(
              workflow::Page<domain::CalendarYear> page,
              ctx_.engine.calendars().List(
                  caller, {request->page_size(), request->page_token()}));
          for (const domain::CalendarYear& c : page.items) {
            ToProto(c, response->add_calendars());
          }
          response->set_next_page_token(page.next_page_token);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* PutCommunity(grpc::CallbackServerContext* context,
                                         const v1::PutCommunityRequest* request,
                                         v1::Community* response) override {
    return Handle(
        ctx_, context, "AdminService/PutCommunity", request->request_id(),
        [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          CheckRequestId(request->request_id(), violations);
          domain::Community c = FromProto(request->community(), violations);
          const int64_t version = FromEtag(
              "community.etag", request->community().etag(), violations);
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          TASKGATE_ASSIGN_OR_RETURN(
              domain::Community stored,
              ctx_.engine.directory().PutCommunity(
                  caller, request->request_id(), std::move(c), version));
          ToProto(stored, response);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* ListCommunities(
      grpc::CallbackServerContext* context,
      const v1::ListCommunitiesRequest* request,
      v1::ListCommunitiesResponse* response) override {
    return Handle(ctx_, context, "AdminService/ListCommunities", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        workflow::Page<domain::Community> page,
                        ctx_.engine.queries().ListCommunities(
                            caller, request->street(),
                            {request->page_size(), request->page_token()},
                            request->street_id()));
                    for (const domain::Community& c : page.items) {
                      ToProto(c, response->add_communities());
                    }
                    response->set_next_page_token(page.next_page_token);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* CreatePrincipal(
      grpc::CallbackServerContext* context,
      const v1::CreatePrincipalRequest* request,
      v1::Principal* response) override {
    return Handle(ctx_, context, "AdminService/CreatePrincipal",
                  request->request_id(), [&](const Principal& caller) {
                    std::vector<FieldViolation> violations;
                    CheckRequestId(request->request_id(), violations);
                    Principal p = FromProto(request->principal(), violations);
                    TASKGATE_RETURN_IF_ERROR(Violations(violations));
                    TASKGATE_ASSIGN_OR_RETURN(
                        Principal created,
                        ctx_.engine.principals().CreatePrincipal(
                            caller, request->request_id(), std::move(p)));
                    ToProto(created, response);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* ListPrincipals(
      grpc::CallbackServerContext* context,
      const v1::ListPrincipalsRequest* request,
      v1::ListPrincipalsResponse* response) override {
    return Handle(
        ctx_, context, "AdminService/ListPrincipals", "",
        [&](const Principal& caller) {
          TASKGATE_ASSIGN_OR_RETURN(
              workflow::Page<Principal> page,
              ctx_.engine.queries().ListPrincipals(
                  caller, {request->page_size(), request->page_token()}));
          for (const Principal& p : page.items) {
            ToProto(p, response->add_principals());
          }
          response->set_next_page_token(page.next_page_token);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* SetPrincipalDisabled(
      grpc::CallbackServerContext* context,
      const v1::SetPrincipalDisabledRequest* request,
      v1::Principal* response) override {
    return Handle(
        ctx_, context, "AdminService/SetPrincipalDisabled",
        request->request_id(), [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          CheckRequestId(request->request_id(), violations);
          workflow::CheckId("principal_id", request->principal_id(),
                            violations);
          const int64_t version = FromEtag("etag", request->etag(), violations);
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          TASKGATE_ASSIGN_OR_RETURN(
              Principal p,
              ctx_.engine.principals().SetPrincipalDisabled(
                  caller, request->request_id(), request->principal_id(),
                  request->disabled(), version));
          ToProto(p, response);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* IssueToken(
      grpc::CallbackServerContext* context,
      const v1::IssueTokenRequest* request,
      v1::IssueTokenResponse* response) override {
    return Handle(
        ctx_, context, "AdminService/IssueToken", request->request_id(),
        [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          CheckRequestId(request->request_id(), violations);
          workflow::CheckId("principal_id", request->principal_id(),
                            violations);
          workflow::CheckText("description", request->description(),
                              workflow::kMaxTitleLength, false, violations);
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          // A retry replays the stored credential but cannot show the secret
          // again: the server never kept it.
          TASKGATE_ASSIGN_OR_RETURN(std::string secret, NewTokenSecret());
          TASKGATE_ASSIGN_OR_RETURN(std::string token_id, NewTokenId());
          TASKGATE_ASSIGN_OR_RETURN(
              domain::Credential credential,
              ctx_.engine.principals().IssueToken(
                  caller, request->request_id(), request->principal_id(),
                  token_id, HashToken(secret), request->description()));
          ToProto(credential, response->mutable_credential());
          if (credential.id == token_id) response->set_token(secret);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext* context,
                                        const v1::RevokeTokenRequest* request,
                                        v1::Credential* response) override {
    return Handle(
        ctx_, context, "AdminService/RevokeToken", request->request_id(),
        [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          CheckRequestId(request->request_id(), violations);
          workflow::CheckId("token_id", request->token_id(), violations);
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          TASKGATE_ASSIGN_OR_RETURN(
              domain::Credential c,
              ctx_.engine.principals().RevokeToken(
                  caller, request->request_id(), request->token_id()));
          ToProto(c, response);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* ListTokens(
      grpc::CallbackServerContext* context,
      const v1::ListTokensRequest* request,
      v1::ListTokensResponse* response) override {
    return Handle(ctx_, context, "AdminService/ListTokens", "",
                  [&](const Principal& caller) {
                    TASKGATE_ASSIGN_OR_RETURN(
                        workflow::Page<domain::Credential> page,
                        ctx_.engine.queries().ListCredentials(
                            caller, request->principal_id(),
                            {request->page_size(), request->page_token()}));
                    for (const domain::Credential& c : page.items) {
                      ToProto(c, response->add_credentials());
                    }
                    response->set_next_page_token(page.next_page_token);
                    return absl::OkStatus();
                  });
  }

  grpc::ServerUnaryReactor* BindCertificate(
      grpc::CallbackServerContext* context,
      const v1::BindCertificateRequest* request,
      v1::Credential* response) override {
    return Handle(
        ctx_, context, "AdminService/BindCertificate", request->request_id(),
        [&](const Principal& caller) {
          std::vector<FieldViolation> violations;
          CheckRequestId(request->request_id(), violations);
          TASKGATE_RETURN_IF_ERROR(Violations(violations));
          // Derived from the request, so that a retry names the same
          // binding.
          const std::string id =
              DerivedId("crt", caller.id, request->request_id());
          TASKGATE_ASSIGN_OR_RETURN(
              domain::Credential c,
              ctx_.engine.principals().BindCertificate(
                  caller, request->request_id(), request->principal_id(), id,
                  request->certificate_identity(), request->description()));
          ToProto(c, response);
          return absl::OkStatus();
        });
  }

 private:
  ApiContext& ctx_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewAdminService(ApiContext& ctx) {
  return std::make_unique<AdminServiceImpl>(ctx);
}

}  // namespace taskgate::services::internal
