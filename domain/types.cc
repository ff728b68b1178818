#include "domain/types.h"

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace taskgate::domain {
namespace {

template <typename Enum, size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

template <typename Enum, size_t N>
std::string_view NameOf(const NameTable<Enum, N>& table, Enum value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "unknown";
}

template <typename Enum, size_t N>
std::optional<Enum> ParseName(const NameTable<Enum, N>& table,
                              std::string_view name) {
  for (const auto& [e, n] : table) {
    if (n == name) return e;
  }
  return std::nullopt;
}

constexpr NameTable<Role, 6> kRoles = {{
    {Role::kDepartment, "department"},
    {Role::kReviewer, "reviewer"},
    {Role::kCommunity, "community"},
    {Role::kAuditor, "auditor"},
    {Role::kAdmin, "admin"},
    {Role::kSystem, "system"},
}};

constexpr NameTable<TaskState, 10> kStates = {{
    {TaskState::kDraft, "DRAFT"},
    {TaskState::kSubmitted, "SUBMITTED"},
    {TaskState::kInReview, "IN_REVIEW"},
    {TaskState::kReturned, "RETURNED"},
    {TaskState::kProvisional, "PROVISIONAL"},
    {TaskState::kActive, "ACTIVE"},
    {TaskState::kRejected, "REJECTED"},
    {TaskState::kWithdrawn, "WITHDRAWN"},
    {TaskState::kRevoked, "REVOKED"},
    {TaskState::kCompleted, "COMPLETED"},
}};

constexpr NameTable<ListKind, 3> kListKinds = {{
    {ListKind::kDuty, "duty"},
    {ListKind::kAssist, "assist"},
    {ListKind::kNegative, "negative"},
}};

constexpr NameTable<TaskType, 9> kTaskTypes = {{
    {TaskType::kWorkBody, "work_body"},
    {TaskType::kLedger, "ledger"},
    {TaskType::kForm, "form"},
    {TaskType::kCreationCampaign, "creation_campaign"},
    {TaskType::kInspection, "inspection"},
    {TaskType::kSignboard, "signboard"},
    {TaskType::kCertificate, "certificate"},
    {TaskType::kTraining, "training"},
    {TaskType::kEvaluation, "evaluation"},
}};

constexpr NameTable<Severity, 2> kSeverities = {{
    {Severity::kWarn, "WARN"},
    {Severity::kBlock, "BLOCK"},
}};

constexpr NameTable<DecisionKind, 6> kDecisionKinds = {{
    {DecisionKind::kApprove, "approve"},
    {DecisionKind::kReject, "reject"},
    {DecisionKind::kReturn, "return"},
    {DecisionKind::kRevoke, "revoke"},
    {DecisionKind::kSystemReject, "system_reject"},
    {DecisionKind::kDutyListAdmit, "duty_list_admit"},
}};

constexpr NameTable<ControlledBucket, 7> kBuckets = {{
    {ControlledBucket::kWorkBody, "work_body"},
    {ControlledBucket::kFormsAndLedgers, "forms_and_ledgers"},
    {ControlledBucket::kCreationCampaign, "creation_campaign"},
    {ControlledBucket::kInspection, "inspection"},
    {ControlledBucket::kSignboard, "signboard"},
    {ControlledBucket::kCertificate, "certificate"},
    {ControlledBucket::kTraining, "training"},
}};

constexpr NameTable<ComplaintState, 4> kComplaintStates = {{
    {ComplaintState::kOpen, "OPEN"},
    {ComplaintState::kVerified, "VERIFIED"},
    {ComplaintState::kUnfounded, "UNFOUNDED"},
    {ComplaintState::kResolved, "RESOLVED"},
}};

}  // namespace

Principal SystemPrincipal(std::string_view district_id) {
  Principal p;
  p.id = "system";
  p.role = Role::kSystem;
  p.district_id = std::string(district_id);
  return p;
}

std::string_view RoleName(Role role) { return NameOf(kRoles, role); }
std::string_view TaskStateName(TaskState state) {
  return NameOf(kStates, state);
}
std::string_view ListKindName(ListKind kind) {
  return NameOf(kListKinds, kind);
}
std::string_view TaskTypeName(TaskType type) {
  return NameOf(kTaskTypes, type);
}
std::string_view SeverityName(Severity severity) {
  return NameOf(kSeverities, severity);
}
std::string_view DecisionKindName(DecisionKind kind) {
  return NameOf(kDecisionKinds, kind);
}
std::string_view ControlledBucketName(ControlledBucket bucket) {
  return NameOf(kBuckets, bucket);
}
std::string_view ComplaintStateName(ComplaintState state) {
  return NameOf(kComplaintStates, state);
}

std::optional<Role> ParseRole(std::string_view name) {
  return ParseName(kRoles, name);
}
std::optional<TaskState> ParseTaskState(std::string_view name) {
  return ParseName(kStates, name);
}
std::optional<ListKind> ParseListKind(std::string_view name) {
  return ParseName(kListKinds, name);
}
std::optional<TaskType> ParseTaskType(std::string_view name) {
  return ParseName(kTaskTypes, name);
}
std::optional<Severity> ParseSeverity(std::string_view name) {
  return ParseName(kSeverities, name);
}
std::optional<DecisionKind> ParseDecisionKind(std::string_view name) {
  return ParseName(kDecisionKinds, name);
}
std::optional<ControlledBucket> ParseControlledBucket(std::string_view name) {
  return ParseName(kBuckets, name);
}
std::optional<ComplaintState> ParseComplaintState(std::string_view name) {
  return ParseName(kComplaintStates, name);
}

std::optional<ControlledBucket> BucketOf(TaskType type) {
  switch (type) {
    case TaskType::kWorkBody:
      return ControlledBucket::kWorkBody;
    case TaskType::kLedger:
    case TaskType::kForm:
      return ControlledBucket::kFormsAndLedgers;
    case TaskType::kCreationCampaign:
      return ControlledBucket::kCreationCampaign;
    case TaskType::kInspection:
      return ControlledBucket::kInspection;
    case TaskType::kSignboard:
      return ControlledBucket::kSignboard;
    case TaskType::kCertificate:
      return ControlledBucket::kCertificate;
    case TaskType::kTraining:
      return ControlledBucket::kTraining;
    case TaskType::kEvaluation:
      return std::nullopt;
  }
  return std::nullopt;
}

bool CountsInWorkload(TaskState state) {
  return state == TaskState::kActive || state == TaskState::kProvisional;
}

bool AwaitsSecondApproval(const Task& task) {
  const bool in_queue = task.state == TaskState::kSubmitted ||
                        task.state == TaskState::kInReview ||
                        task.state == TaskState::kProvisional;
  return in_queue && task.needs_two_approvals && task.approvals.size() == 1;
}

}  // namespace taskgate::domain
