// The authorization matrix (SPEC §1, §4.1): every RPC of the seven services,
// called by every role with a request that is valid and whose target is in a
// state that allows the call, so that a refusal can only come from
// authorization. Allowed roles must succeed; the others get
// PERMISSION_DENIED. Calls without a valid credential get UNAUTHENTICATED,
// and every refused call is in the audit log. The public list (公示,
// PublicService, SPEC §6) is the exception the matrix also checks: every
// role, no credential and a forged one all get the same answer.
#include <algorithm>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <absl/strings/str_replace.h>
#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "clients/client.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/watch_stream.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// The roles of the matrix, each with the scope that matters for the task,
// community or complaint under test (owned by department civil-affairs,
// targeting community c1).
enum class Who {
  kDepartment,       // clerk of civil-affairs, which owns the task
  kOtherDepartment,  // clerk of housing
  kReviewer,         // reviewer of another home department
  kHomeReviewer,     // reviewer whose home department owns the task
  kCommunity,        // office of c1, a target
  kOtherCommunity,   // office of c3, not a target
  kAuditor,
  kAdmin,
};

constexpr Who kEveryone[] = {
    Who::kDepartment, Who::kOtherDepartment, Who::kReviewer, Who::kHomeReviewer,
    Who::kCommunity,  Who::kOtherCommunity,  Who::kAuditor,  Who::kAdmin,
};

std::string WhoName(Who who) {
  switch (who) {
    case Who::kDepartment:
      return "department";
    case Who::kOtherDepartment:
      return "other department";
    case Who::kReviewer:
      return "reviewer";
    case Who::kHomeReviewer:
      return "reviewer of the owning department";
    case Who::kCommunity:
      return "targeted community";
    case Who::kOtherCommunity:
      return "community not targeted";
    case Who::kAuditor:
      return "auditor";
    case Who::kAdmin:
      return "admin";
  }
  return "?";
}

using Allowed = std::set<Who>;
const Allowed kAll(std::begin(kEveryone), std::end(kEveryone));
const Allowed kTaskReaders = {Who::kDepartment,   Who::kReviewer,
                              Who::kHomeReviewer, Who::kCommunity,
                              Who::kAuditor,      Who::kAdmin};
const Allowed kLogReaders = {Who::kReviewer, Who::kHomeReviewer, Who::kAuditor,
                             Who::kAdmin};
const Allowed kReportReaders = {Who::kReviewer, Who::kHomeReviewer,
                                Who::kAuditor};

// One row: an RPC (with, after a space, the variant of its request when a
// method has more than one scope worth checking) and who may call it.
struct Row {
  std::string rpc;
  Allowed allowed;
};

// Every row; the call each one makes is in `AuthzMatrixTest::CallAs`.
const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = {
      // TaskService: a department's own tasks; readers see them.
      {"TaskService/CreateTask", {Who::kDepartment, Who::kOtherDepartment}},
      {"TaskService/GetTask", kTaskReaders},
      {"TaskService/ListTasks", kAll},
      {"TaskService/ListTasks department",
       {Who::kDepartment, Who::kReviewer, Who::kHomeReviewer, Who::kCommunity,
        Who::kOtherCommunity, Who::kAuditor, Who::kAdmin}},
      {"TaskService/ListTasks community",
       {Who::kDepartment, Who::kOtherDepartment, Who::kReviewer,
        Who::kHomeReviewer, Who::kCommunity, Who::kAuditor, Who::kAdmin}},
      {"TaskService/UpdateTask", {Who::kDepartment}},
      {"TaskService/SubmitTask", {Who::kDepartment}},
      {"TaskService/WithdrawTask", {Who::kDepartment}},
      {"TaskService/CloseTask", {Who::kDepartment}},
      {"TaskService/ListDecisions", kTaskReaders},
      // Attachments: the task's own department adds (while it may edit the
      // task); whoever reads the task lists and downloads (streams through
      // the client library, clients/client.h).
      {"TaskService/UploadAttachment", {Who::kDepartment}},
      {"TaskService/ListAttachments", kTaskReaders},
      {"TaskService/DownloadAttachment", kTaskReaders},
      // ReviewService: reviewers decide, never on their home department.
      {"ReviewService/ListReviewQueue",
       {Who::kReviewer, Who::kHomeReviewer, Who::kAuditor}},
      {"ReviewService/ClaimTask", {Who::kReviewer}},
      {"ReviewService/ReleaseTask", {Who::kReviewer}},
      {"ReviewService/ApproveTask", {Who::kReviewer}},
      {"ReviewService/RejectTask", {Who::kReviewer}},
      {"ReviewService/ReturnTask", {Who::kReviewer}},
      {"ReviewService/RevokeTask", {Who::kReviewer}},
      {"ReviewService/ListFundingReports", kReportReaders},
      {"ReviewService/ListFundingReports community",
       {Who::kReviewer, Who::kHomeReviewer, Who::kAuditor, Who::kCommunity}},
      {"ReviewService/ListComplaints", kReportReaders},
      {"ReviewService/ListComplaints community",
       {Who::kReviewer, Who::kHomeReviewer, Who::kAuditor, Who::kCommunity}},
      {"ReviewService/UpdateComplaint", {Who::kReviewer}},
      // CommunityService: a community's own workload.
      {"CommunityService/GetWorkload",
       {Who::kCommunity, Who::kReviewer, Who::kHomeReviewer, Who::kAuditor,
        Who::kAdmin}},
      {"CommunityService/AcknowledgeAssignment", {Who::kCommunity}},
      {"CommunityService/ReportMissingFunding", {Who::kCommunity}},
      {"CommunityService/FileComplaint",
       {Who::kCommunity, Who::kOtherCommunity}},
      // AuditService: read-only; departments and communities one task's.
      {"AuditService/ListEvents", kLogReaders},
      {"AuditService/ListEvents task", kTaskReaders},
      {"AuditService/GetTreeHead", kLogReaders},
      {"AuditService/GetInclusionProof", kLogReaders},
      {"AuditService/GetConsistencyProof", kLogReaders},
      {"AuditService/ListCheckpoints", kLogReaders},
      {"AuditService/GetLatestCheckpoint", kLogReaders},
      {"AuditService/GetLogInfo", kLogReaders},
      {"AuditService/ExportBundle", kLogReaders},
      {"AuditService/GetStatistics", kLogReaders},
      // AdminService: the operator changes; auditors read principals.
      {"AdminService/PublishCatalog", {Who::kAdmin}},
      {"AdminService/GetCatalog", kAll},
      // The working-day calendar: the admin publishes; every role reads it
      // (a department needs to know its deadlines).
      {"AdminService/PublishCalendar", {Who::kAdmin}},
      {"AdminService/GetCalendar", kAll},
      {"AdminService/ListCalendars", kAll},
      {"AdminService/PutCommunity", {Who::kAdmin}},
      {"AdminService/ListCommunities", kAll},
      {"AdminService/CreatePrincipal", {Who::kAdmin}},
      {"AdminService/ListPrincipals", {Who::kAdmin, Who::kAuditor}},
      {"AdminService/SetPrincipalDisabled", {Who::kAdmin}},
      {"AdminService/IssueToken", {Who::kAdmin}},
      {"AdminService/RevokeToken", {Who::kAdmin}},
      {"AdminService/ListTokens", {Who::kAdmin, Who::kAuditor}},
      {"AdminService/BindCertificate", {Who::kAdmin}},
      // Departments and streets (SPEC §1): the admin puts them; every role
      // reads them, as it reads communities.
      {"AdminService/PutDepartment", {Who::kAdmin}},
      {"AdminService/GetDepartment", kAll},
      {"AdminService/ListDepartments", kAll},
      {"AdminService/PutStreet", {Who::kAdmin}},
      {"AdminService/GetStreet", kAll},
      {"AdminService/ListStreets", kAll},
      // PublicService: the public list, read without credentials.
      {"PublicService/ListPublicCommunities", kAll},
      {"PublicService/ListPublicTasks", kAll},
      // EventService: everyone follows what it may read (the per-event
      // decision is tests/workflow/event_follow_test.cc); one task's events
      // as reading its history.
      {"EventService/WatchEvents", kAll},
      {"EventService/WatchEvents task", kTaskReaders},
  };
  return rows;
}

void PrintTo(const Row& row, std::ostream* os) { *os << row.rpc; }

std::string MethodOf(const std::string& rpc) {
  return rpc.substr(0, rpc.find(' '));
}

// The public list's methods need no credential and read none.
bool IsPublic(const std::string& rpc) {
  return rpc.starts_with("PublicService/");
}

template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

class AuthzMatrixTest : public E2eTest {
 protected:
  const Actor& ActorFor(Who who) const {
    switch (who) {
      case Who::kDepartment:
        return clerk_;
      case Who::kOtherDepartment:
        return other_clerk_;
      case Who::kReviewer:
        return reviewer_;
      case Who::kHomeReviewer:
        return home_reviewer_;
      case Who::kCommunity:
        return community_;
      case Who::kOtherCommunity:
        return other_community_;
      case Who::kAuditor:
        return auditor_;
      case Who::kAdmin:
        return admin_;
    }
    return admin_;
  }

  // A principal only the admin knows about, for the admin's own RPCs.
  std::string SparePrincipal() {
    const std::string id = absl::StrCat("spare-", ++spares_);
    v1::CreatePrincipalRequest r;
    r.set_request_id(NextRequestId());
    r.mutable_principal()->set_id(id);
    r.mutable_principal()->set_role(v1::ROLE_AUDITOR);
    r.mutable_principal()->set_display_name("Spare inspector");
    EXPECT_THAT(Call(admin_, *admins_, &AdminStub::CreatePrincipal, r), IsOk());
    return id;
  }

  // A complaint of c1 against the task's department, OPEN.
  std::string OpenComplaint() {
    v1::FileComplaintRequest r;
    r.set_request_id(NextRequestId());
    r.mutable_complaint()->set_title("Forms without admission");
    r.mutable_complaint()->set_description("A survey was sent by e-mail.");
    r.mutable_complaint()->set_department_id(kDepartment);
    absl::StatusOr<v1::Complaint> c =
        Call(community_, *communities_, &CommunityStub::FileComplaint, r);
    EXPECT_THAT(c, IsOk());
    return c.ok() ? c->id() : "";
  }

  // National Day 2026 with its two make-up working days, as a publish.
  v1::PublishCalendarRequest NationalDay2026() {
    v1::PublishCalendarRequest r;
    r.set_request_id(NextRequestId());
    r.set_year(2026);
    for (int d = 1; d <= 7; ++d) {
      r.add_holidays(DateText(absl::CivilDay(2026, 10, d)));
    }
    r.add_makeup_workdays("2026-09-20");
    r.add_makeup_workdays("2026-10-10");
    return r;
  }

  static constexpr std::string_view kAttachmentBytes = "区政府文件 2026-1";

  std::unique_ptr<clients::Client> ClientOf(const Actor& who) {
    clients::ClientOptions options;
    options.token = who.token;
    auto client = std::make_unique<clients::Client>(options, channel_);
    client->set_sleeper([](absl::Duration) {});
    return client;
  }

  v1::AttachmentHeader AttachmentHeader(const std::string& task_id) {
    v1::AttachmentHeader h;
    h.set_request_id(NextRequestId());
    h.set_task_id(task_id);
    h.set_name("policy.txt");
    h.set_media_type("text/plain");
    h.set_size_bytes(static_cast<int64_t>(kAttachmentBytes.size()));
    h.set_sha256(clients::Sha256Hex(kAttachmentBytes));
    return h;
  }

  // An ACTIVE task reaching c1 with the attachment "policy.txt", added by
  // its department while it was a draft.
  std::string AttachedTask() {
    absl::StatusOr<v1::Task> draft = CreateTask(clerk_, DutySpec());
    EXPECT_THAT(draft, IsOk());
    if (!draft.ok()) return "";
    v1::Attachment added;
    EXPECT_TRUE(ClientOf(clerk_)
                    ->UploadAttachment(AttachmentHeader(draft->id()),
                                       kAttachmentBytes, &added)
                    .ok());
    EXPECT_THAT(Act(clerk_, Step::kSubmit, draft->id()), IsOk());
    return draft->id();
  }

  v1::TaskActionRequest ActionOn(const std::string& id,
                                 const std::string& reason = "") {
    v1::TaskActionRequest r;
    r.set_request_id(NextRequestId());
    r.set_task_id(id);
    r.set_reason(reason);
    return r;
  }

  // Prepares what `rpc` needs (as the principals entitled to prepare it)
  // and calls it as `who`.
  absl::Status CallAs(const std::string& rpc, const Actor& who) {
    // ---- TaskService
    if (rpc == "TaskService/CreateTask") {
      return StatusOf(CreateTask(who, CleanAssistSpec()));
    }
    if (rpc == "TaskService/GetTask") {
      return StatusOf(GetTask(who, ActiveTask()));
    }
    if (rpc.starts_with("TaskService/ListTasks")) {
      ActiveTask();
      v1::ListTasksRequest r;
      if (rpc.ends_with(" department")) {
        r.set_filter(absl::StrCat("department=", kDepartment));
      } else if (rpc.ends_with(" community")) {
        r.set_filter("community=c1");
      }
      return StatusOf(Call(who, *tasks_, &TaskStub::ListTasks, r));
    }
    if (rpc == "TaskService/UpdateTask") {
      absl::StatusOr<v1::Task> draft = CreateTask(clerk_, CleanAssistSpec());
      EXPECT_THAT(draft, IsOk());
      v1::UpdateTaskRequest r;
      r.set_request_id(NextRequestId());
      r.set_task_id(draft->id());
      r.set_etag(draft->etag());
      *r.mutable_spec() = draft->spec();
      r.mutable_spec()->set_support_given("forms are pre-filled");
      return StatusOf(Call(who, *tasks_, &TaskStub::UpdateTask, r));
    }
    if (rpc == "TaskService/SubmitTask") {
      absl::StatusOr<v1::Task> draft = CreateTask(clerk_, CleanAssistSpec());
      EXPECT_THAT(draft, IsOk());
      return StatusOf(Act(who, Step::kSubmit, ActionOn(draft->id())));
    }
    if (rpc == "TaskService/WithdrawTask") {
      return StatusOf(Act(who, Step::kWithdraw,
                          ActionOn(SubmittedTask(CleanAssistSpec()))));
    }
    if (rpc == "TaskService/CloseTask") {
      return StatusOf(Act(who, Step::kClose, ActionOn(ActiveTask())));
    }
    if (rpc == "TaskService/ListDecisions") {
      v1::ListDecisionsRequest r;
      r.set_task_id(ActiveTask());
      return StatusOf(Call(who, *tasks_, &TaskStub::ListDecisions, r));
    }
    if (rpc == "TaskService/UploadAttachment") {
      absl::StatusOr<v1::Task> draft = CreateTask(clerk_, CleanAssistSpec());
      EXPECT_THAT(draft, IsOk());
      v1::Attachment added;
      return ToAbsl(ClientOf(who)->UploadAttachment(
          AttachmentHeader(draft->id()), kAttachmentBytes, &added));
    }
    if (rpc == "TaskService/ListAttachments") {
      v1::ListAttachmentsRequest r;
      r.set_task_id(AttachedTask());
      return StatusOf(Call(who, *tasks_, &TaskStub::ListAttachments, r));
    }
    if (rpc == "TaskService/DownloadAttachment") {
      v1::DownloadAttachmentRequest r;
      r.set_task_id(AttachedTask());
      r.set_attachment("policy.txt");
      v1::Attachment metadata;
      std::string content;
      return ToAbsl(ClientOf(who)->DownloadAttachment(r, &metadata, &content));
    }
    // ---- ReviewService
    if (rpc == "ReviewService/ListReviewQueue") {
      SubmittedTask(CleanAssistSpec());
      return StatusOf(Call(who, *reviews_, &ReviewStub::ListReviewQueue,
                           v1::ListReviewQueueRequest()));
    }
    if (rpc == "ReviewService/ClaimTask") {
      return StatusOf(
          Act(who, Step::kClaim, ActionOn(SubmittedTask(CleanAssistSpec()))));
    }
    if (rpc == "ReviewService/ReleaseTask") {
      return StatusOf(
          Act(who, Step::kRelease,
              ActionOn(SubmittedTask(CleanAssistSpec(), &reviewer_))));
    }
    if (rpc == "ReviewService/ApproveTask") {
      return StatusOf(
          Act(who, Step::kApprove,
              ActionOn(SubmittedTask(CleanAssistSpec(), &reviewer_))));
    }
    if (rpc == "ReviewService/RejectTask") {
      return StatusOf(
          Act(who, Step::kReject,
              ActionOn(SubmittedTask(CleanAssistSpec(), &reviewer_), "no")));
    }
    if (rpc == "ReviewService/ReturnTask") {
      return StatusOf(Act(
          who, Step::kReturn,
          ActionOn(SubmittedTask(CleanAssistSpec(), &reviewer_), "fix it")));
    }
    if (rpc == "ReviewService/RevokeTask") {
      return StatusOf(
          Act(who, Step::kRevoke, ActionOn(ActiveTask(), "residents reject")));
    }
    if (rpc.starts_with("ReviewService/ListFundingReports")) {
      v1::ListFundingReportsRequest r;
      if (rpc.ends_with(" community")) r.set_community_id("c1");
      return StatusOf(Call(who, *reviews_, &ReviewStub::ListFundingReports, r));
    }
    if (rpc.starts_with("ReviewService/ListComplaints")) {
      OpenComplaint();
      v1::ListComplaintsRequest r;
      if (rpc.ends_with(" community")) r.set_community_id("c1");
      return StatusOf(Call(who, *reviews_, &ReviewStub::ListComplaints, r));
    }
    if (rpc == "ReviewService/UpdateComplaint") {
      v1::UpdateComplaintRequest r;
      r.set_request_id(NextRequestId());
      r.set_complaint_id(OpenComplaint());
      r.set_state(v1::COMPLAINT_STATE_VERIFIED);
      r.set_resolution("confirmed with the department");
      return StatusOf(Call(who, *reviews_, &ReviewStub::UpdateComplaint, r));
    }
    // ---- CommunityService
    if (rpc == "CommunityService/GetWorkload") {
      ActiveTask();
      v1::GetWorkloadRequest r;
      r.set_community_id("c1");
      return StatusOf(Call(who, *communities_, &CommunityStub::GetWorkload, r));
    }
    if (rpc == "CommunityService/AcknowledgeAssignment") {
      v1::AcknowledgeAssignmentRequest r;
      r.set_request_id(NextRequestId());
      r.set_task_id(ActiveTask());
      return StatusOf(
          Call(who, *communities_, &CommunityStub::AcknowledgeAssignment, r));
    }
    if (rpc == "CommunityService/ReportMissingFunding") {
      v1::ReportMissingFundingRequest r;
      r.set_request_id(NextRequestId());
      r.set_task_id(ActiveTask());
      r.set_note("nothing arrived");
      return StatusOf(
          Call(who, *communities_, &CommunityStub::ReportMissingFunding, r));
    }
    if (rpc == "CommunityService/FileComplaint") {
      v1::FileComplaintRequest r;
      r.set_request_id(NextRequestId());
      r.mutable_complaint()->set_title("Signboard without admission");
      r.mutable_complaint()->set_description("A plaque was delivered.");
      return StatusOf(
          Call(who, *communities_, &CommunityStub::FileComplaint, r));
    }
    // ---- AuditService
    if (rpc.starts_with("AuditService/ListEvents")) {
      v1::ListEventsRequest r;
      if (rpc.ends_with(" task")) r.set_task_id(ActiveTask());
      return StatusOf(Call(who, *audit_, &AuditStub::ListEvents, r));
    }
    if (rpc == "AuditService/GetTreeHead") {
      return StatusOf(Call(who, *audit_, &AuditStub::GetTreeHead,
                           v1::GetTreeHeadRequest()));
    }
    if (rpc == "AuditService/GetInclusionProof") {
      v1::GetInclusionProofRequest r;
      r.set_seq(1);
      return StatusOf(Call(who, *audit_, &AuditStub::GetInclusionProof, r));
    }
    if (rpc == "AuditService/GetConsistencyProof") {
      v1::GetConsistencyProofRequest r;
      r.set_old_size(1);
      return StatusOf(Call(who, *audit_, &AuditStub::GetConsistencyProof, r));
    }
    if (rpc == "AuditService/ListCheckpoints") {
      return StatusOf(Call(who, *audit_, &AuditStub::ListCheckpoints,
                           v1::ListCheckpointsRequest()));
    }
    if (rpc == "AuditService/GetLatestCheckpoint") {
      return StatusOf(Call(who, *audit_, &AuditStub::GetLatestCheckpoint,
                           v1::GetLatestCheckpointRequest()));
    }
    if (rpc == "AuditService/GetLogInfo") {
      return StatusOf(
          Call(who, *audit_, &AuditStub::GetLogInfo, v1::GetLogInfoRequest()));
    }
    if (rpc == "AuditService/ExportBundle") {
      return StatusOf(Call(who, *audit_, &AuditStub::ExportBundle,
                           v1::ExportBundleRequest()));
    }
    if (rpc == "AuditService/GetStatistics") {
      v1::GetStatisticsRequest r;
      r.mutable_start_time()->set_seconds(1767196800);  // 2026-01-01 +08:00
      r.mutable_end_time()->set_seconds(1798732800);    // 2027-01-01 +08:00
      return StatusOf(Call(who, *audit_, &AuditStub::GetStatistics, r));
    }
    // ---- AdminService
    if (rpc == "AdminService/PublishCatalog") {
      v1::PublishCatalogRequest r;
      r.set_request_id(NextRequestId());
      r.set_note("annual revision");
      AddItem(r, "D-001", v1::LIST_KIND_DUTY, "Elections", "组织法", {});
      AddItem(r, "N-001", v1::LIST_KIND_NEGATIVE, "Quotas", "", {"招商引资"});
      return StatusOf(Call(who, *admins_, &AdminStub::PublishCatalog, r));
    }
    if (rpc == "AdminService/GetCatalog") {
      return StatusOf(
          Call(who, *admins_, &AdminStub::GetCatalog, v1::GetCatalogRequest()));
    }
    if (rpc == "AdminService/PublishCalendar") {
      return StatusOf(
          Call(who, *admins_, &AdminStub::PublishCalendar, NationalDay2026()));
    }
    if (rpc == "AdminService/GetCalendar") {
      EXPECT_THAT(Call(admin_, *admins_, &AdminStub::PublishCalendar,
                       NationalDay2026()),
                  IsOk());
      v1::GetCalendarRequest r;
      r.set_year(2026);
      return StatusOf(Call(who, *admins_, &AdminStub::GetCalendar, r));
    }
    if (rpc == "AdminService/ListCalendars") {
      EXPECT_THAT(Call(admin_, *admins_, &AdminStub::PublishCalendar,
                       NationalDay2026()),
                  IsOk());
      return StatusOf(Call(who, *admins_, &AdminStub::ListCalendars,
                           v1::ListCalendarsRequest()));
    }
    if (rpc == "AdminService/PutCommunity") {
      v1::PutCommunityRequest r;
      r.set_request_id(NextRequestId());
      r.mutable_community()->set_id(absl::StrCat("c-new-", ++spares_));
      r.mutable_community()->set_name("New community");
      r.mutable_community()->set_street_id("east");
      r.mutable_community()->set_staff_count(4);
      return StatusOf(Call(who, *admins_, &AdminStub::PutCommunity, r));
    }
    if (rpc == "AdminService/ListCommunities") {
      return StatusOf(Call(who, *admins_, &AdminStub::ListCommunities,
                           v1::ListCommunitiesRequest()));
    }
    if (rpc == "AdminService/CreatePrincipal") {
      v1::CreatePrincipalRequest r;
      r.set_request_id(NextRequestId());
      r.mutable_principal()->set_id(absl::StrCat("new-clerk-", ++spares_));
      r.mutable_principal()->set_role(v1::ROLE_DEPARTMENT);
      r.mutable_principal()->set_department_id(kOtherDepartment);
      r.mutable_principal()->set_display_name("New clerk");
      return StatusOf(Call(who, *admins_, &AdminStub::CreatePrincipal, r));
    }
    if (rpc == "AdminService/ListPrincipals") {
      return StatusOf(Call(who, *admins_, &AdminStub::ListPrincipals,
                           v1::ListPrincipalsRequest()));
    }
    if (rpc == "AdminService/SetPrincipalDisabled") {
      v1::SetPrincipalDisabledRequest r;
      r.set_request_id(NextRequestId());
      r.set_principal_id(SparePrincipal());
      r.set_disabled(true);
      return StatusOf(Call(who, *admins_, &AdminStub::SetPrincipalDisabled, r));
    }
    if (rpc == "AdminService/IssueToken") {
      v1::IssueTokenRequest r;
      r.set_request_id(NextRequestId());
      r.set_principal_id(SparePrincipal());
      r.set_description("laptop");
      return StatusOf(Call(who, *admins_, &AdminStub::IssueToken, r));
    }
    if (rpc == "AdminService/RevokeToken") {
      v1::IssueTokenRequest issue;
      issue.set_request_id(NextRequestId());
      issue.set_principal_id(SparePrincipal());
      absl::StatusOr<v1::IssueTokenResponse> issued =
          Call(admin_, *admins_, &AdminStub::IssueToken, issue);
      EXPECT_THAT(issued, IsOk());
      v1::RevokeTokenRequest r;
      r.set_request_id(NextRequestId());
      r.set_token_id(issued.ok() ? issued->credential().id() : "");
      return StatusOf(Call(who, *admins_, &AdminStub::RevokeToken, r));
    }
    if (rpc == "AdminService/ListTokens") {
      return StatusOf(
          Call(who, *admins_, &AdminStub::ListTokens, v1::ListTokensRequest()));
    }
    if (rpc == "AdminService/BindCertificate") {
      v1::BindCertificateRequest r;
      r.set_request_id(NextRequestId());
      r.set_principal_id(SparePrincipal());
      r.set_certificate_identity(
          absl::StrCat("uri:spiffe://district/spare-", ++spares_));
      return StatusOf(Call(who, *admins_, &AdminStub::BindCertificate, r));
    }
    // ---- departments and streets
    if (rpc == "AdminService/PutDepartment") {
      v1::PutDepartmentRequest r;
      r.set_request_id(NextRequestId());
      r.mutable_department()->set_id(absl::StrCat("dept-new-", ++spares_));
      r.mutable_department()->set_name("区教育局");
      return StatusOf(Call(who, *admins_, &AdminStub::PutDepartment, r));
    }
    if (rpc == "AdminService/GetDepartment") {
      v1::GetDepartmentRequest r;
      r.set_id(kDepartment);
      return StatusOf(Call(who, *admins_, &AdminStub::GetDepartment, r));
    }
    if (rpc == "AdminService/ListDepartments") {
      return StatusOf(Call(who, *admins_, &AdminStub::ListDepartments,
                           v1::ListDepartmentsRequest()));
    }
    if (rpc == "AdminService/PutStreet") {
      v1::PutStreetRequest r;
      r.set_request_id(NextRequestId());
      r.mutable_street()->set_id(absl::StrCat("street-new-", ++spares_));
      r.mutable_street()->set_name(absl::StrCat("新街道", spares_));
      return StatusOf(Call(who, *admins_, &AdminStub::PutStreet, r));
    }
    if (rpc == "AdminService/GetStreet") {
      v1::GetStreetRequest r;
      r.set_id("east");
      return StatusOf(Call(who, *admins_, &AdminStub::GetStreet, r));
    }
    if (rpc == "AdminService/ListStreets") {
      return StatusOf(Call(who, *admins_, &AdminStub::ListStreets,
                           v1::ListStreetsRequest()));
    }
    // ---- PublicService
    if (rpc == "PublicService/ListPublicCommunities") {
      return StatusOf(Call(who, *public_, &PublicStub::ListPublicCommunities,
                           v1::ListPublicCommunitiesRequest()));
    }
    if (rpc == "PublicService/ListPublicTasks") {
      const std::string id = ActiveTask();
      v1::ListPublicTasksRequest r;
      r.set_community_id("c1");
      r.set_page_size(100);
      absl::StatusOr<v1::ListPublicTasksResponse> listed =
          Call(who, *public_, &PublicStub::ListPublicTasks, r);
      // Whoever asks, the task in force is there.
      if (listed.ok()) {
        EXPECT_TRUE(
            std::any_of(listed->tasks().begin(), listed->tasks().end(),
                        [&](const v1::PublicTask& t) { return t.id() == id; }));
      }
      return StatusOf(listed);
    }
    // ---- EventService: allowed once its first message (the heartbeat
    // after the stored events) arrives; a refusal ends the stream at once.
    if (rpc.starts_with("EventService/WatchEvents")) {
      v1::WatchEventsRequest r;
      if (rpc == "EventService/WatchEvents task") r.set_task_id(ActiveTask());
      return WatchStarts(EventStub(), who, r);
    }
    ADD_FAILURE() << "no call written for " << rpc;
    return absl::InternalError("no call");
  }

  v1::EventService::Stub& EventStub() {
    if (events_ == nullptr) events_ = v1::EventService::NewStub(channel_);
    return *events_;
  }

  void TearDown() override {
    events_.reset();  // holds the in-process channel
    E2eTest::TearDown();
  }

  int spares_ = 0;
  std::unique_ptr<v1::EventService::Stub> events_;
};

// Every method of the seven services has a row.
TEST(AuthzMatrixCoverage, EveryRpcOfTheSevenServicesHasARow) {
  std::set<std::string> rows;
  for (const Row& row : Rows()) rows.insert(MethodOf(row.rpc));
  std::set<std::string> methods;
  for (const char* service :
       {"TaskService", "ReviewService", "CommunityService", "AuditService",
        "AdminService", "PublicService", "EventService"}) {
    const google::protobuf::ServiceDescriptor* d =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            absl::StrCat("taskgate.v1.", service));
    ASSERT_NE(d, nullptr) << service;
    for (int i = 0; i < d->method_count(); ++i) {
      methods.insert(absl::StrCat(service, "/", d->method(i)->name()));
    }
  }
  EXPECT_EQ(methods.size(), 57u);
  EXPECT_EQ(rows, methods);
}

class AuthzMatrixRowTest : public AuthzMatrixTest,
                           public ::testing::WithParamInterface<Row> {};

TEST_P(AuthzMatrixRowTest, AllowsExactlyTheRolesTheSpecNames) {
  const Row& row = GetParam();
  for (Who who : kEveryone) {
    SCOPED_TRACE(absl::StrCat(row.rpc, " as ", WhoName(who)));
    const absl::Status s = CallAs(row.rpc, ActorFor(who));
    if (row.allowed.contains(who)) {
      EXPECT_THAT(s, IsOk());
    } else {
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied));
    }
  }
  if (IsPublic(row.rpc)) {
    // No credential is needed, and a bad one is not even read.
    EXPECT_THAT(CallAs(row.rpc, Actor{"nobody", ""}), IsOk());
    EXPECT_THAT(CallAs(row.rpc, Actor{"forger", "tg_forged-token"}), IsOk());
    return;
  }
  // No credentials, or a token the server never issued: UNAUTHENTICATED.
  EXPECT_THAT(CallAs(row.rpc, Actor{"nobody", ""}),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(CallAs(row.rpc, Actor{"forger", "tg_forged-token"}),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

INSTANTIATE_TEST_SUITE_P(
    EveryRpc, AuthzMatrixRowTest, ::testing::ValuesIn(Rows()),
    [](const ::testing::TestParamInfo<Row>& info) {
      return absl::StrReplaceAll(info.param.rpc, {{"/", ""}, {" ", ""}});
    });

TEST_F(AuthzMatrixTest, RefusedCallsAreInTheAuditLog) {
  const std::string id = ActiveTask();
  EXPECT_THAT(GetTask(other_clerk_, id),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(GetTask(Actor{"nobody", ""}, id),
              StatusIs(absl::StatusCode::kUnauthenticated));

  v1::ListEventsRequest denied;
  denied.set_action("access.denied");
  std::vector<v1::AuditEvent> events = Events(denied);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].actor_id(), "clerk-housing");
  EXPECT_EQ(events[0].actor_role(), v1::ROLE_DEPARTMENT);
  EXPECT_EQ(events[0].entity_type(), "rpc");
  EXPECT_EQ(events[0].entity_id(), "TaskService/GetTask");

  v1::ListEventsRequest unauthenticated;
  unauthenticated.set_action("access.unauthenticated");
  events = Events(unauthenticated);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].actor_id(), "anonymous");
  EXPECT_EQ(events[0].entity_id(), "TaskService/GetTask");
}

// A refusal whose event cannot be committed (a full disk, say) is still a
// refusal, and the operator learns of the gap in the record on /metrics
// (SPEC §9, issue 15 defect 11).
TEST_F(AuthzMatrixTest, RefusalsThatCouldNotBeRecordedAreCounted) {
  const std::string id = ActiveTask();
  const std::string metrics = server_->metrics().Serialize();
  EXPECT_THAT(metrics,
              HasSubstr("taskgate_refusals_unrecorded_total{code=\"PERMISSION_"
                        "DENIED\"} 0\n"));
  EXPECT_THAT(metrics, HasSubstr("taskgate_refusals_unrecorded_total{code="
                                 "\"UNAUTHENTICATED\"} 0\n"));
  const int64_t size = TreeSize();

  const absl::Status full = absl::UnavailableError(
      "write access.denied: the disk holding the database is full");
  store_->FailNextCommit(full);
  EXPECT_THAT(GetTask(other_clerk_, id),
              StatusIs(absl::StatusCode::kPermissionDenied));
  store_->FailNextCommit(full);
  EXPECT_THAT(GetTask(Actor{"nobody", ""}, id),
              StatusIs(absl::StatusCode::kUnauthenticated));
  store_->FailNextCommit(full);
  EXPECT_THAT(GetTask(Actor{"forger", "tg_forged-token"}, id),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(TreeSize(), size);  // none of the three is in the log

  // Recorded refusals are not counted.
  EXPECT_THAT(GetTask(other_clerk_, id),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(TreeSize(), size + 1);
  EXPECT_THAT(server_->metrics().Serialize(),
              AllOf(HasSubstr("taskgate_refusals_unrecorded_total{code=\"PER"
                              "MISSION_DENIED\"} 1\n"),
                    HasSubstr("taskgate_refusals_unrecorded_total{code=\"UNA"
                              "UTHENTICATED\"} 2\n")));
}

// No answer tells a department or a community that a task it may not see
// exists (issue 15, defect 13): another's task and a missing one get the
// same PERMISSION_DENIED, word for word (and both are audited as refused);
// an id another department holds is refused without naming it; and a
// request id is the sender's own, its permission checked first.
TEST_F(AuthzMatrixTest, NoAnswerRevealsATaskOutsideTheCallersScope) {
  const std::string id = ActiveTask();
  const auto same =
      [&](const Actor& who, const std::string& what,
          const std::function<absl::Status(const std::string&)>& call) {
        SCOPED_TRACE(absl::StrCat(who.id, " ", what));
        const absl::Status existing = call(id);
        const absl::Status missing = call("t-none");
        EXPECT_THAT(existing, StatusIs(absl::StatusCode::kPermissionDenied));
        EXPECT_EQ(missing.code(), existing.code());
        EXPECT_EQ(absl::StrReplaceAll(missing.message(), {{"t-none", "<id>"}}),
                  absl::StrReplaceAll(existing.message(), {{id, "<id>"}}));
        EXPECT_THAT(existing.message(), ::testing::Not(HasSubstr(kDepartment)));
      };
  for (const Actor* who : {&other_clerk_, &other_community_}) {
    same(*who, "GetTask",
         [&](const std::string& t) { return GetTask(*who, t).status(); });
    same(*who, "ListDecisions", [&](const std::string& t) {
      v1::ListDecisionsRequest r;
      r.set_task_id(t);
      return Call(*who, *tasks_, &TaskStub::ListDecisions, r).status();
    });
    same(*who, "ListEvents", [&](const std::string& t) {
      v1::ListEventsRequest r;
      r.set_task_id(t);
      return Call(*who, *audit_, &AuditStub::ListEvents, r).status();
    });
  }
  same(other_clerk_, "CloseTask", [&](const std::string& t) {
    return Act(other_clerk_, Step::kClose, t).status();
  });
  same(other_community_, "AcknowledgeAssignment", [&](const std::string& t) {
    v1::AcknowledgeAssignmentRequest r;
    r.set_request_id(NextRequestId());
    r.set_task_id(t);
    return Call(other_community_, *communities_,
                &CommunityStub::AcknowledgeAssignment, r)
        .status();
  });
  // Overseers learn nothing they could not read.
  EXPECT_THAT(GetTask(auditor_, "t-none"),
              StatusIs(absl::StatusCode::kNotFound));

  // An id another department holds.
  const absl::StatusOr<v1::Task> taken =
      CreateTask(other_clerk_, CleanAssistSpec(), id);
  EXPECT_THAT(taken, StatusIs(absl::StatusCode::kPermissionDenied,
                              AllOf(HasSubstr("may not use task id"),
                                    ::testing::Not(HasSubstr(kDepartment)),
                                    ::testing::Not(HasSubstr("exist")))));

  // The issue's probe: an auditor reusing a clerk's request id heard that it
  // named a "task.create".
  v1::CreateTaskRequest create;
  create.set_request_id("shared-request-id");
  *create.mutable_spec() = CleanAssistSpec();
  ASSERT_OK_AND_ASSIGN(v1::Task created,
                       Call(clerk_, *tasks_, &TaskStub::CreateTask, create));
  v1::TaskActionRequest approve;
  approve.set_request_id("shared-request-id");
  approve.set_task_id(created.id());
  const absl::StatusOr<v1::Task> probe = Act(auditor_, Step::kApprove, approve);
  EXPECT_THAT(probe, StatusIs(absl::StatusCode::kPermissionDenied,
                              ::testing::Not(HasSubstr("task.create"))));
  // Another clerk's request of its own under the same id is its own.
  v1::CreateTaskRequest housing = create;
  housing.mutable_spec()->set_title("Housing survey");
  ASSERT_OK_AND_ASSIGN(v1::Task theirs, Call(other_clerk_, *tasks_,
                                             &TaskStub::CreateTask, housing));
  EXPECT_NE(theirs.id(), created.id());
  EXPECT_EQ(theirs.department_id(), kOtherDepartment);
  // And the clerk's retry still gets its first answer.
  ASSERT_OK_AND_ASSIGN(v1::Task again,
                       Call(clerk_, *tasks_, &TaskStub::CreateTask, create));
  EXPECT_EQ(again.id(), created.id());
}

TEST_F(AuthzMatrixTest, MalformedRevokedAndDisabledCredentialsAreRefused) {
  // A scheme other than Bearer.
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Basic " + clerk_.token);
  v1::ListTasksResponse response;
  EXPECT_EQ(tasks_->ListTasks(&context, v1::ListTasksRequest(), &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // A revoked token stops working; another token of the same principal not.
  const Actor second =
      NewPrincipal("clerk-civil-2", v1::ROLE_DEPARTMENT, kDepartment);
  v1::ListTokensRequest list;
  list.set_principal_id("clerk-civil-2");
  ASSERT_OK_AND_ASSIGN(v1::ListTokensResponse tokens,
                       Call(admin_, *admins_, &AdminStub::ListTokens, list));
  ASSERT_THAT(tokens.credentials(), SizeIs(1));
  EXPECT_THAT(
      Call(second, *tasks_, &TaskStub::ListTasks, v1::ListTasksRequest()),
      IsOk());
  v1::RevokeTokenRequest revoke;
  revoke.set_request_id(NextRequestId());
  revoke.set_token_id(tokens.credentials(0).id());
  ASSERT_OK_AND_ASSIGN(v1::Credential revoked,
                       Call(admin_, *admins_, &AdminStub::RevokeToken, revoke));
  EXPECT_TRUE(revoked.revoked());
  EXPECT_THAT(
      Call(second, *tasks_, &TaskStub::ListTasks, v1::ListTasksRequest()),
      StatusIs(absl::StatusCode::kUnauthenticated));

  // A disabled principal cannot call until it is enabled again.
  v1::SetPrincipalDisabledRequest disable;
  disable.set_request_id(NextRequestId());
  disable.set_principal_id("office-c3");
  disable.set_disabled(true);
  ASSERT_THAT(Call(admin_, *admins_, &AdminStub::SetPrincipalDisabled, disable),
              IsOk());
  EXPECT_THAT(Call(other_community_, *communities_, &CommunityStub::GetWorkload,
                   v1::GetWorkloadRequest()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  disable.set_request_id(NextRequestId());
  disable.set_disabled(false);
  ASSERT_THAT(Call(admin_, *admins_, &AdminStub::SetPrincipalDisabled, disable),
              IsOk());
  EXPECT_THAT(Call(other_community_, *communities_, &CommunityStub::GetWorkload,
                   v1::GetWorkloadRequest()),
              IsOk());

  // Tokens are never listed with their secret or hash.
  ASSERT_OK_AND_ASSIGN(v1::ListTokensResponse all,
                       Call(auditor_, *admins_, &AdminStub::ListTokens,
                            v1::ListTokensRequest()));
  for (const v1::Credential& c : all.credentials()) {
    EXPECT_THAT(c.DebugString(),
                ::testing::Not(::testing::HasSubstr(clerk_.token)));
  }
}

}  // namespace
}  // namespace taskgate::e2e
