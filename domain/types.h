// TaskGate's domain vocabulary: districts, the versioned catalog (准入清单),
// communities, tasks and their findings, review decisions and audit events.
//
// Plain value types with no behaviour beyond naming; they are shared by the
// workflow (which decides) and the store (which persists), and depend on
// nothing but abseil. Every resource carries its `district_id`, so that one
// database can later host many districts without reshaping keys.
// Values are not synchronized; share them across threads only as const.
#ifndef TASKGATE_DOMAIN_TYPES_H_
#define TASKGATE_DOMAIN_TYPES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

namespace taskgate::domain {

// The district a single-district deployment uses.
inline constexpr std::string_view kDefaultDistrictId = "default";

// ---------------------------------------------------------------- principals

enum class Role {
  kDepartment,  // clerk of one requesting department (职能部门)
  kReviewer,    // district admission reviewer (区准入审核)
  kCommunity,   // community office (社区居委会/工作站)
  kAuditor,     // inspector (督查 / 纪检监察)
  kAdmin,       // district system operator
  kSystem,      // timers and automatic decisions; never a logged-in user
};

// Who makes a call. Role and scope come from the server's records.
struct Principal {
  std::string id;
  Role role = Role::kDepartment;
  std::string district_id{kDefaultDistrictId};
  std::string department_id;       // kDepartment: the department it acts for
  std::string community_id;        // kCommunity: the community it acts for
  std::string home_department_id;  // kReviewer: may be empty
  // Kept by the admin (SPEC §1); a disabled principal cannot authenticate.
  std::string display_name;
  bool disabled = false;
  int64_t version = 0;  // optimistic concurrency, like tasks
  absl::Time created_at;
};

// A bearer token of a principal, stored only as the hash of its secret
// (SPEC §8): the secret is shown once, when issued, and never kept.
// A way for a principal to authenticate: a bearer token (`token_hash` set)
// or, under mutual TLS, a client-certificate identity bound by an admin
// (`certificate_identity` set, `token_hash` empty). Exactly one is set.
struct Credential {
  std::string district_id;
  std::string id;  // public id: "tok-..." for a token, "crt-..." a binding
  std::string principal_id;
  std::string token_hash;  // lower-case hex SHA-256 of the secret
  // "uri:<SAN URI>", "dns:<SAN DNS name>", "email:<SAN email>" or
  // "subject:<subject DN, RFC 2253>" (services/peer_identity.h); not secret.
  std::string certificate_identity;
  std::string description;
  absl::Time created_at;
  std::string created_by;
  bool revoked = false;
  std::optional<absl::Time> revoked_at;
  int64_t version = 0;
};

// The principal recorded for timer-driven and automatic decisions.
Principal SystemPrincipal(std::string_view district_id);

// ------------------------------------------------------------------ district

struct District {
  std::string id;
  std::string name;
  std::string time_zone = "Asia/Shanghai";
};

// ------------------------------------------------------------------- catalog

enum class ListKind {
  kDuty,  // 社区依法履行职责事项: fast path
  kAssist,  // 社区依法协助政府事项: review, funding follows (费随事转)
  kNegative,  // 社区不应承担事项 (负面清单): never admitted
};

// ------------------------------------------------------------------ calendar

// One published working-day calendar of a year (SPEC §2, §4.1): its
// official holidays (法定节假日) and its make-up working days (调休上班日: a
// Saturday or Sunday declared a working day). Each publish of a year makes
// a new version of it (1, 2, ... per district and year); the latest version
// of each year is the calendar in force. A year nobody published works
// Monday to Friday.
struct CalendarYear {
  std::string district_id;
  int32_t year = 0;
  int64_t version = 0;
  std::vector<absl::CivilDay> holidays;         // ascending, in `year`
  std::vector<absl::CivilDay> makeup_workdays;  // ascending, Sat/Sun of `year`
  std::string note;  // e.g. the State Council notice it follows
  absl::Time published_at;
  std::string published_by;  // a principal, or "system" for the config seed
};

// Task types a task may involve. All but kEvaluation are controlled types
// (受控事项) with a per-community limit; kEvaluation (a department's own
// 考核评比 of communities) is forbidden outright (R-EVALUATION).
enum class TaskType {
  kWorkBody,          // 工作机构
  kLedger,            // 台账
  kForm,              // 报表 / 统计调查
  kCreationCampaign,  // 创建示范
  kInspection,        // 检查
  kSignboard,         // 挂牌
  kCertificate,       // 出具证明
  kTraining,          // 培训
  kEvaluation,        // 考核评比: not controlled but forbidden
};

// The limit bucket a controlled type counts against: ledgers and forms
// share one limit (counted as forms/ledgers added).
enum class ControlledBucket {
  kWorkBody,
  kFormsAndLedgers,
  kCreationCampaign,
  kInspection,
  kSignboard,
  kCertificate,
  kTraining,
};

struct CatalogItem {
  std::string code;
  ListKind kind = ListKind::kAssist;
  std::string title;
  std::string legal_basis;            // duty and assist lists
  std::vector<std::string> keywords;  // negative list: substring matches
};

// One published state of the lists. Versions count up from 1 per district.
struct CatalogVersion {
  std::string district_id;
  int64_t version = 0;
  absl::Time published_at;
  std::string published_by;
  std::string note;
  std::vector<CatalogItem> items;
  // Per community and per controlled bucket, the units in force that
  // R-CONTROLLED allows (SPEC §2): published with the lists. Versions published
  // before limits were part of the catalog have none; the rules then use the
  // server's initial limits (workflow/rules.h `RulesConfig`).
  std::map<ControlledBucket, int32_t> controlled_limits;
};

// ------------------------------------------------- departments and streets

// A requesting department (职能部门), a resource the admin manages (SPEC §1):
// principals and tasks name it by `id`; statistics show its `name`.
struct Department {
  std::string district_id;
  std::string id;
  std::string name;     // e.g. "区民政局"
  int64_t version = 0;  // optimistic concurrency, like communities
};

// A street (街道), a resource the admin manages (SPEC §1): communities belong
// to one by `id`, and a task may target all of a street's communities. Its
// `name` is unique in the district, so that a name can be resolved to it.
struct Street {
  std::string district_id;
  std::string id;
  std::string name;  // e.g. "长寿路街道"
  int64_t version = 0;
};

// ---------------------------------------------------------------- community

struct Community {
  std::string district_id;
  std::string id;
  std::string name;
  // The street (街道) it belongs to, by id (a `Street`). Empty only for a
  // community stored before streets were resources and not yet migrated
  // (workflow/directory.h `MigrateReferences`).
  std::string street_id;
  // The street's name. Stored only by communities written before streets
  // were resources; otherwise empty in storage and filled on read from the
  // `Street` (so that renaming a street renames it everywhere).
  std::string street;  // 街道
  int32_t staff_count = 0;
  double monthly_capacity_hours = 0;  // default staff × 20 h, set by admin
  double baseline_hours = 0;          // monthly load in force before TaskGate
  // Units per controlled bucket already in force before TaskGate.
  std::map<ControlledBucket, int32_t> baseline_units;
  int64_t version = 0;  // optimistic concurrency, like tasks
};

// --------------------------------------------------------------------- tasks

enum class TaskState {
  kDraft,
  kSubmitted,    // in the review queue
  kInReview,     // claimed by a reviewer
  kReturned,     // 退回补正: back with the department, SLA clock paused
  kProvisional,  // emergency: counts in workloads, review still due
  kActive,       // 准入: in the communities' workloads
  kRejected,
  kWithdrawn,
  kRevoked,
  kCompleted,
};

enum class Severity { kWarn, kBlock };

// ----------------------------------------- the structured data of findings
//
// What a finding found, as numbers a client can use without reading the
// message (SPEC §4.1 "A finding carries structured data"). Each rule that
// has numbers has one type; a finding holds at most one (`FindingData`).
// Findings stored before the data existed hold none, and read as before.

// R-CAPACITY: consecutive months of one community, `first_month` to
// `last_month` inclusive, in each of which the load before this task plus
// this task's hours exceeds the capacity, and which carry the same load.
// Every (community, month) over capacity is in exactly one such run; months
// are merged so that a long task over a flat load is one entry, not one a
// month (the record keeps findings whole: workflow/rules.h).
struct CapacityExcess {
  std::string community_id;
  absl::CivilMonth first_month;
  absl::CivilMonth last_month;
  // The community's baseline plus the hours of the tasks in force (ACTIVE
  // or PROVISIONAL) in each of those months, this task left out.
  double load_hours = 0;
  double task_hours = 0;  // this task's hours per community per month
  double capacity_hours = 0;
  bool operator==(const CapacityExcess&) const = default;
};
struct CapacityData {
  std::vector<CapacityExcess> excesses;  // by community id, then month
  bool operator==(const CapacityData&) const = default;
};

// R-CONTROLLED over a limit: one community's units of the finding's bucket
// (`Finding::controlled_type`). Units in force = baseline + tasks + this
// task, and they exceed `limit`.
struct ControlledExcess {
  std::string community_id;
  int64_t baseline_units = 0;  // in force before TaskGate (the admin's)
  int64_t tasks_units = 0;     // of the tasks in force, this one left out
  int64_t task_units = 0;      // this task's
  int64_t limit = 0;           // per community, for the bucket
  int64_t units_in_force() const {
    return baseline_units + tasks_units + task_units;
  }
  bool operator==(const ControlledExcess&) const = default;
};
struct ControlledData {
  // The WARN over a limit: each community over it, by id.
  std::vector<ControlledExcess> excesses;
  // The BLOCK without justification: each controlled type that has none,
  // in the order the task lists its types.
  std::vector<TaskType> unjustified_types;
  bool operator==(const ControlledData&) const = default;
};

// R-DUPLICATE: the tasks the finding duplicates. A finding names one task
// (`Finding::related_task_id`, one finding per task duplicated), so this
// holds that one id; a list, so that the API need not change if findings
// are ever grouped.
struct DuplicateData {
  std::vector<std::string> task_ids;
  bool operator==(const DuplicateData&) const = default;
};

// R-LEAD-TIME: start date - submission date, in calendar days (negative
// when the task starts before it was submitted), and the days required.
struct LeadTimeData {
  int64_t lead_days = 0;
  int64_t required_days = 0;
  bool operator==(const LeadTimeData&) const = default;
};

// The data of one finding: none (std::monostate) for rules without numbers
// and for findings stored before the data existed.
using FindingData = std::variant<std::monostate, CapacityData, ControlledData,
                                 DuplicateData, LeadTimeData>;

// One result of the rule engine. `rule_id` values are stable (R-NEGATIVE, ...).
struct Finding {
  std::string rule_id;
  Severity severity = Severity::kWarn;
  std::vector<std::string> fields;       // task fields concerned
  std::string message;                   // for people
  std::vector<std::string> communities;  // R-CAPACITY, R-CONTROLLED
  std::string related_task_id;           // R-DUPLICATE
  std::string catalog_item_code;         // R-NEGATIVE
  // R-CONTROLLED over a limit: the controlled bucket (`ControlledBucketName`),
  // so that findings on different buckets are told apart.
  std::string controlled_type;
  // The rule's numbers: R-CAPACITY, R-CONTROLLED, R-DUPLICATE and
  // R-LEAD-TIME fill it (workflow/rules.h).
  FindingData data;
  bool operator==(const Finding&) const = default;
};

// What the department states when it asks for admission (SPEC §3).
struct TaskSpec {
  std::string title;
  std::string description;
  std::string item_code;               // empty: a new item (清单外)
  std::string new_item_justification;  // required when item_code is empty
  std::string legal_basis;             // 法律法规依据
  std::vector<TaskType> types;
  std::map<TaskType, std::string> type_justifications;
  bool long_term = false;  // 长期 vs 临时
  absl::CivilDay start_date;
  absl::CivilDay end_date;  // inclusive
  std::vector<std::string> target_communities;
  // Every community of the street, by street id (`Street::id`).
  std::vector<std::string> target_street_ids;
  // Every community of the street, by exact street name: resolved to the
  // street's id at submit (kept for clients written before streets had
  // ids; prefer `target_street_ids`).
  std::vector<std::string> target_streets;
  double hours_per_community_month = 0;
  int64_t funding_per_community_yuan = 0;  // 经费, per community
  std::string funding_source;
  std::string authority_delegated;  // 权随责走
  std::string department_duties;    // what the department does
  std::string community_duties;     // what the community does
  std::string support_given;        // may be empty
  std::string assessment_method;    // must not be a separate evaluation
  int32_t forms_ledgers_added = 0;
  int32_t signboards_per_community = 0;
  bool emergency = false;
  std::string emergency_reason;
};

// The review SLA of one task, in working days (SPEC §4.1).
struct SlaState {
  int32_t total_working_days = 0;          // 15, or 3 when provisional (config)
  int32_t used_working_days = 0;           // before the latest return
  absl::CivilDay clock_start;              // submission or resubmission date
  std::optional<absl::CivilDay> due_date;  // unset while paused / decided
  bool overdue = false;
};

struct Approval {
  std::string reviewer_id;
  absl::Time at;
};

struct Task {
  std::string district_id;
  std::string id;
  std::string department_id;
  TaskSpec spec;
  TaskState state = TaskState::kDraft;
  int64_t version = 0;  // etag; bumps on every change
  // Communities the task reaches, streets expanded, fixed at submit.
  std::vector<std::string> resolved_communities;
  // Of the latest submit; each approval refreshes those of the rules on
  // other tasks (SPEC §4.1).
  std::vector<Finding> findings;
  int64_t catalog_version = 0;  // under which the findings were made
  bool needs_two_approvals = false;
  std::vector<Approval> approvals;  // since the latest submit
  std::string claimed_by;           // reviewer holding the claim, if any
  SlaState sla;
  bool admitted_by_duty_list = false;
  std::optional<absl::Time> submitted_at;  // latest submit
  absl::Time created_at;
  absl::Time updated_at;
  // When the workflow next needs to look at this task on its own (SLA
  // deadline or automatic completion); unset when nothing is pending.
  std::optional<absl::Time> timer_at;
};

// ----------------------------------------------------------------- decisions

enum class DecisionKind {
  kApprove,
  kReject,
  kReturn,
  kRevoke,
  kSystemReject,   // negative-list match at submit
  kDutyListAdmit,  // duty-list fast path at submit
};

struct Acknowledgement {
  std::string rule_id;
  std::string reason;
  bool operator==(const Acknowledgement&) const = default;
};

// A reviewer's (or the system's) decision on a task, kept with the catalog
// version it was decided under.
struct Decision {
  std::string district_id;
  std::string task_id;
  DecisionKind kind = DecisionKind::kApprove;
  std::string decided_by;
  Role decided_by_role = Role::kReviewer;
  std::string reason;
  std::vector<Acknowledgement> acknowledgements;  // WARN findings approved past
  int64_t catalog_version = 0;
  absl::Time decided_at;
  // The task's findings when it was decided; for an approval, after the
  // re-check of the rules on other tasks (SPEC §4.1).
  std::vector<Finding> findings;
};

// ------------------------------------------------ community workload (§6)

// A community's acknowledgement that an assignment reached it; one per
// (task, community).
struct AssignmentAck {
  std::string district_id;
  std::string task_id;
  std::string community_id;
  std::string acknowledged_by;
  absl::Time acknowledged_at;
};

// A community's report that the funding promised with a task (费随事转) did
// not arrive; reviewers see it, and it may lead to revocation.
struct FundingReport {
  std::string district_id;
  std::string id;
  std::string task_id;
  std::string community_id;
  std::string note;
  std::string reported_by;
  absl::Time reported_at;
};

// A document attached to a task (依据文件, SPEC §3: the policy document, the
// funding approval): its metadata; the bytes are kept by the store once per
// hash. One per (task, sha256), and a task's names are unique too. Created
// only: an attachment is never changed or removed, so that what a reviewer
// decided under stays readable.
struct Attachment {
  std::string district_id;
  std::string task_id;
  std::string name;        // file name shown to people, e.g. "通知.pdf"
  std::string media_type;  // e.g. "application/pdf"
  int64_t size_bytes = 0;
  std::string sha256;  // lowercase hex of the content's SHA-256
  std::string added_by;
  absl::Time added_at;
};

// OPEN -> VERIFIED | UNFOUNDED -> RESOLVED, handled by reviewers.
enum class ComplaintState { kOpen, kVerified, kUnfounded, kResolved };

// A community's complaint that a department pushed a task to it outside
// TaskGate (社区有权拒绝未经准入事项).
struct Complaint {
  std::string district_id;
  std::string id;
  std::string community_id;   // the complaining community
  std::string department_id;  // the accused department; may be empty
  // The un-admitted task, if it is in TaskGate at all; may be empty.
  std::string task_id;
  std::string title;
  std::string description;
  ComplaintState state = ComplaintState::kOpen;
  std::string filed_by;
  absl::Time filed_at;
  std::string handled_by;  // the reviewer of the latest move
  std::string resolution;  // the latest move's text
  int64_t version = 0;
  absl::Time updated_at;
};

// --------------------------------------------------------------------- audit

// One field of a stored entity that a change wrote (domain/fields.h names the
// fields): its value before and after, "" when absent or at its zero value.
struct FieldChange {
  std::string field;  // e.g. "spec.hours_per_community_month"
  std::string before;
  std::string after;
  bool operator==(const FieldChange&) const = default;
};

// What one change wrote to one stored entity, carried by the event that
// records the change (audit encoding version 2), so that the log holds the
// substance and not only the fact of a change (SPEC §7).
struct EntityWrite {
  std::string kind;  // "task", "community", ... (domain/fields.h)
  std::string id;    // the entity's key within its kind
  // True when `changes` lists every field of the new state, unchanged ones
  // with before == after (a creation, a submit, a baseline); otherwise only
  // the fields whose value changed.
  bool complete = false;
  std::vector<FieldChange> changes;  // strictly ascending by field
  // SHA-256 (32 raw bytes) of the entity's whole state after the change
  // (audit/state.h): what the stored row must hash to while this is the
  // entity's latest write.
  std::string state_digest;
  bool operator==(const EntityWrite&) const = default;
};

// The audit encoding new events are written in (docs/audit-encoding.md).
inline constexpr int kCurrentAuditEncoding = 2;

// One entry of a district's append-only audit log; a leaf of its Merkle tree.
// The store assigns `seq` (1, 2, ... per district) when it appends.
struct AuditEvent {
  std::string district_id;
  int64_t seq = 0;
  absl::Time time;
  std::string actor_id;  // principal id, or "system"
  Role actor_role = Role::kSystem;
  std::string action;       // e.g. "task.submit", "catalog.publish"
  std::string entity_type;  // "task", "catalog", "community", "district", ...
  std::string entity_id;
  std::string state_before;  // empty when not a state change
  std::string state_after;
  std::string reason;
  std::string request_id;
  std::string department_id;                   // for inspector queries
  std::vector<std::string> community_ids;      // for inspector queries
  std::map<std::string, std::string> details;  // what changed
  // What the change wrote to stored entities (empty in version 1 events).
  std::vector<EntityWrite> writes;
  // The encoding the event is (to be) recorded in: 1 for events recorded
  // before writes were carried, which keep verifying as they were written.
  int encoding = kCurrentAuditEncoding;
  bool operator==(const AuditEvent&) const = default;
};

// ------------------------------------------------------------------- naming

// Stable lower-case names, used in messages, audit events and storage.
std::string_view RoleName(Role role);
std::string_view TaskStateName(TaskState state);
std::string_view ListKindName(ListKind kind);
std::string_view TaskTypeName(TaskType type);
std::string_view SeverityName(Severity severity);
std::string_view DecisionKindName(DecisionKind kind);
std::string_view ControlledBucketName(ControlledBucket bucket);
// "OPEN", "VERIFIED", "UNFOUNDED", "RESOLVED".
std::string_view ComplaintStateName(ComplaintState state);

// Inverses of the above; nullopt for an unknown name.
std::optional<Role> ParseRole(std::string_view name);
std::optional<TaskState> ParseTaskState(std::string_view name);
std::optional<ListKind> ParseListKind(std::string_view name);
std::optional<TaskType> ParseTaskType(std::string_view name);
std::optional<Severity> ParseSeverity(std::string_view name);
std::optional<DecisionKind> ParseDecisionKind(std::string_view name);
std::optional<ControlledBucket> ParseControlledBucket(std::string_view name);
std::optional<ComplaintState> ParseComplaintState(std::string_view name);

// The limit bucket of a controlled type; nullopt for kEvaluation.
std::optional<ControlledBucket> BucketOf(TaskType type);

// True for states in which a task counts in community workloads.
bool CountsInWorkload(TaskState state);

// True when `task` awaits its second approval (SPEC §4.1 "Two approvals"):
// it needs two, has exactly one (approvals are cleared by a return and by
// every submit) and is still in the review queue - SUBMITTED after the
// first approval, IN_REVIEW once a second reviewer claimed it, or
// PROVISIONAL. False after the second approval (ACTIVE), a rejection,
// revocation or withdrawal (the state), and a return or resubmission (no
// approval left). Computed, never stored, so that tasks stored before the
// field existed show it too. The store's `TaskQuery` filter follows this
// definition (store/store.h).
bool AwaitsSecondApproval(const Task& task);

}  // namespace taskgate::domain

#endif  // TASKGATE_DOMAIN_TYPES_H_
