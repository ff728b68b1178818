#include "workflow/audit_reader.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>

#include "common/field_violations.h"
#include "common/status_macros.h"
#include "workflow/access.h"
#include "workflow/directory_names.h"
#include "workflow/statistics_counters.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

std::string TimeText(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

// Reads of the whole log by inspectors and admins are recorded (SPEC §7);
// reviewers read it as part of their work and departments only their own
// tasks' history.
bool ReadIsAudited(const domain::Principal& p) {
  return p.role == domain::Role::kAuditor || p.role == domain::Role::kAdmin;
}

// The filters of a query, for its audit.query event.
std::map<std::string, std::string> QueryDetails(const EventFilter& f) {
  std::map<std::string, std::string> d;
  const auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) d[key] = value;
  };
  put("task_id", f.task_id);
  put("department_id", f.department_id);
  put("community_id", f.community_id);
  put("actor_id", f.actor_id);
  put("action", f.action);
  put("entity_type", f.entity_type);
  put("entity_id", f.entity_id);
  put("state", f.state);
  if (f.start_time.has_value()) put("start_time", TimeText(*f.start_time));
  if (f.end_time.has_value()) put("end_time", TimeText(*f.end_time));
  if (f.start_seq > 0) put("start_seq", absl::StrCat(f.start_seq));
  if (f.end_seq > 0) put("end_seq", absl::StrCat(f.end_seq));
  return d;
}

absl::Status NotOurToken() {
  return InvalidArgumentWithViolations(
      {{"page_token", "is not a page token this server issued"}});
}

// A tree size of 0 in a request means the log as it is now.
absl::StatusOr<int64_t> SizeOrCurrent(AuditLedger& ledger, int64_t size) {
  if (size != 0) return size;
  return ledger.Sync();
}

}  // namespace

AuditReader::AuditReader(store::Store& store, AuditLedger& ledger,
                         AuditRecorder& recorder, const Clock& clock,
                         EngineOptions options)
    : store_(store),
      ledger_(ledger),
      recorder_(recorder),
      clock_(clock),
      options_(std::move(options)) {}

absl::StatusOr<Page<store::StoredEvent>> AuditReader::ListEvents(
    const domain::Principal& principal, const EventFilter& filter,
    const PageRequest& page, const std::string& query_key) {
  std::vector<FieldViolation> violations;
  store::EventQuery q;
  q.district_id = options_.district_id;
  q.limit = PageSize(page.page_size, violations, 100);
  if (!filter.task_id.empty()) {
    CheckId("task_id", filter.task_id, violations);
    q.entity_type = "task";
    q.entity_id = filter.task_id;
  } else {
    q.entity_type = filter.entity_type;
    q.entity_id = filter.entity_id;
  }
  // Every filter is bounded: an id is an id, the rest one line of text.
  for (const auto& [field, id] :
       {std::pair{"department_id", &filter.department_id},
        {"community_id", &filter.community_id},
        {"actor_id", &filter.actor_id}}) {
    if (!id->empty()) CheckId(field, *id, violations);
  }
  for (const auto& [field, text, max] :
       {std::tuple{"action", &filter.action, kMaxIdLength},
        {"entity_type", &filter.entity_type, kMaxIdLength},
        {"entity_id", &filter.entity_id, kMaxTitleLength},
        {"state", &filter.state, kMaxIdLength}}) {
    CheckText(field, *text, max, false, violations);
  }
  q.department_id = filter.department_id;
  q.community_id = filter.community_id;
  q.actor_id = filter.actor_id;
  q.action = filter.action;
  q.state_after = filter.state;
  if (filter.start_seq < 0 || filter.end_seq < 0) {
    violations.push_back({filter.start_seq < 0 ? "start_seq" : "end_seq",
                          "must be 0 (unbounded) or a sequence number from 1"});
  }
  q.after_seq = std::max<int64_t>(0, filter.start_seq - 1);
  q.max_seq = filter.end_seq;
  q.from = filter.start_time;
  q.until = filter.end_time;
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  // Auditors, admins and reviewers read everything; anyone else may read the
  // history of one task they may read.
  if (absl::Status whole = CanReadAuditLog(principal); !whole.ok()) {
    if (filter.task_id.empty()) return whole;
    absl::StatusOr<domain::Task> task =
        store_.GetTask(options_.district_id, filter.task_id);
    TASKGATE_RETURN_IF_ERROR(
        HideMissingTask(principal, filter.task_id, "read", task.status()));
    TASKGATE_RETURN_IF_ERROR(CanReadTask(principal, *task));
  }

  if (!page.page_token.empty()) {
    TASKGATE_ASSIGN_OR_RETURN(std::string position,
                              DecodePageToken(page.page_token, query_key));
    if (!absl::SimpleAtoi(position, &q.after_seq)) return NotOurToken();
  } else if (ReadIsAudited(principal)) {
    TASKGATE_RETURN_IF_ERROR(recorder_.RecordAuditRead(principal, "audit.query",
                                                       QueryDetails(filter)));
  }
  const int32_t size = q.limit;
  q.limit = size + 1;
  Page<store::StoredEvent> out;
  TASKGATE_ASSIGN_OR_RETURN(out.items, store_.ListEvents(q));
  bool more = static_cast<int32_t>(out.items.size()) > size;
  if (more) out.items.resize(size);
  // An event's answer carries its fields, its writes and (when asked) its
  // canonical bytes, which hold both: twice the bytes bound it.
  if (FitPageBytes(out.items, [](const store::StoredEvent& e) {
        return 2 * e.canonical.size() + 512;
      })) {
    more = true;
  }
  if (more && !out.items.empty()) {
    out.next_page_token =
        EncodePageToken(query_key, absl::StrCat(out.items.back().seq));
  }
  return out;
}

absl::StatusOr<TreeHead> AuditReader::GetTreeHead(
    const domain::Principal& principal, int64_t tree_size) {
  TASKGATE_RETURN_IF_ERROR(CanReadAuditLog(principal));
  TreeHead head;
  TASKGATE_ASSIGN_OR_RETURN(head.tree_size, SizeOrCurrent(ledger_, tree_size));
  TASKGATE_ASSIGN_OR_RETURN(head.root, ledger_.Root(head.tree_size));
  return head;
}

absl::StatusOr<InclusionProof> AuditReader::GetInclusionProof(
    const domain::Principal& principal, int64_t seq, int64_t tree_size) {
  TASKGATE_RETURN_IF_ERROR(CanReadAuditLog(principal));
  InclusionProof out;
  out.seq = seq;
  TASKGATE_ASSIGN_OR_RETURN(out.tree_size, SizeOrCurrent(ledger_, tree_size));
  TASKGATE_ASSIGN_OR_RETURN(AuditLedger::Inclusion inclusion,
                            ledger_.InclusionProof(seq, out.tree_size));
  out.leaf_hash = inclusion.leaf_hash;
  out.root = inclusion.root;
  out.proof = std::move(inclusion.proof);
  return out;
}

absl::StatusOr<ConsistencyProof> AuditReader::GetConsistencyProof(
    const domain::Principal& principal, int64_t old_size, int64_t new_size) {
  TASKGATE_RETURN_IF_ERROR(CanReadAuditLog(principal));
  ConsistencyProof out;
  out.old_size = old_size;
  TASKGATE_ASSIGN_OR_RETURN(out.new_size, SizeOrCurrent(ledger_, new_size));
  TASKGATE_ASSIGN_OR_RETURN(out.proof,
                            ledger_.ConsistencyProof(old_size, out.new_size));
  TASKGATE_ASSIGN_OR_RETURN(out.old_root, ledger_.Root(old_size));
  TASKGATE_ASSIGN_OR_RETURN(out.new_root, ledger_.Root(out.new_size));
  return out;
}

absl::StatusOr<Page<audit::Checkpoint>> AuditReader::ListCheckpoints(
    const domain::Principal& principal, const PageRequest& page) {
  TASKGATE_RETURN_IF_ERROR(CanReadAuditLog(principal));
  std::vector<FieldViolation> violations;
  const int32_t size = PageSize(page.page_size, violations, 100);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  int64_t after = 0;
  if (!page.page_token.empty()) {
    TASKGATE_ASSIGN_OR_RETURN(std::string position,
                              DecodePageToken(page.page_token, "checkpoints"));
    if (!absl::SimpleAtoi(position, &after)) return NotOurToken();
  }
  Page<audit::Checkpoint> out;
  TASKGATE_ASSIGN_OR_RETURN(
      out.items, store_.ListCheckpoints(options_.district_id, after, size + 1));
  const bool more = static_cast<int32_t>(out.items.size()) > size;
  if (more) out.items.resize(size);
  if (more) {
    out.next_page_token = EncodePageToken(
        "checkpoints", absl::StrCat(out.items.back().tree_size));
  }
  return out;
}

absl::StatusOr<audit::Checkpoint> AuditReader::GetLatestCheckpoint(
    const domain::Principal& principal) {
  TASKGATE_RETURN_IF_ERROR(CanReadAuditLog(principal));
  return ledger_.CurrentCheckpoint();
}

absl::StatusOr<LogInfo> AuditReader::GetLogInfo(
    const domain::Principal& principal) {
  TASKGATE_RETURN_IF_ERROR(CanReadAuditLog(principal));
  LogInfo info;
  TASKGATE_ASSIGN_OR_RETURN(info.tree_size, ledger_.Sync());
  info.log_id = ledger_.log_id();
  info.district_id = options_.district_id;
  info.public_key_pem = ledger_.public_key().PublicKeyPem();
  info.key_id = ledger_.public_key().KeyId();
  info.signing_refused = ledger_.signing_refused().value_or("");
  return info;
}

absl::StatusOr<ExportPlan> AuditReader::PlanExport(
    const domain::Principal& principal, const ExportRequest& request) {
  TASKGATE_RETURN_IF_ERROR(CanReadAuditLog(principal));
  if (request.since_tree_size < 0) {
    return InvalidArgumentWithViolations(
        {{"since_tree_size", "must be 0 (none) or a tree size"}});
  }
  ExportPlan plan;
  TASKGATE_ASSIGN_OR_RETURN(plan.checkpoint, ledger_.CurrentCheckpoint());
  const int64_t size = plan.checkpoint.tree_size;
  TASKGATE_ASSIGN_OR_RETURN(plan.first_seq,
                            FirstSeqAtOrAfter(request.start_time, size, 1));
  TASKGATE_ASSIGN_OR_RETURN(
      const int64_t end, FirstSeqAtOrAfter(request.end_time, size, size + 1));
  plan.last_seq = end - 1;
  // An altered log is not signed any more: a whole-log export then also
  // carries the events after the newest checkpoint it still reaches, so that
  // a kept checkpoint places a cut tail exactly.
  if (plan.first_seq == 1 && plan.last_seq == size &&
      !request.end_time.has_value() && ledger_.signing_refused().has_value()) {
    TASKGATE_ASSIGN_OR_RETURN(plan.last_seq, ledger_.Sync());
  }
  plan.district_id = options_.district_id;
  if (plan.first_seq == 1 && plan.last_seq >= size) {
    TASKGATE_ASSIGN_OR_RETURN(
        std::vector<audit::Checkpoint> earlier,
        store_.ListCheckpoints(options_.district_id, 0, 0));
    for (audit::Checkpoint& c : earlier) {
      if (c.tree_size < size) plan.checkpoints.push_back(std::move(c));
    }
  } else if (plan.first_seq <= plan.last_seq) {
    TASKGATE_ASSIGN_OR_RETURN(
        plan.range_proof,
        ledger_.RangeProof(plan.first_seq, plan.last_seq, size));
  }
  // A kept checkpoint larger than the log gets no proof: the verifier then
  // reports the cut tail.
  const int64_t since = request.since_tree_size;
  if (since > 0 && since <= size) {
    TASKGATE_ASSIGN_OR_RETURN(plan.consistency_proof,
                              ledger_.ConsistencyProof(since, size));
    plan.consistency_from = since;
  }
  plan.exported_by = principal.id;
  plan.export_time = clock_.Now();
  std::map<std::string, std::string> details = {
      {"first_seq", absl::StrCat(plan.first_seq)},
      {"last_seq", absl::StrCat(plan.last_seq)},
      {"tree_size", absl::StrCat(size)}};
  if (request.start_time.has_value()) {
    details["start_time"] = TimeText(*request.start_time);
  }
  if (request.end_time.has_value()) {
    details["end_time"] = TimeText(*request.end_time);
  }
  TASKGATE_RETURN_IF_ERROR(
      recorder_.RecordAuditRead(principal, "audit.export", std::move(details)));
  return plan;
}

absl::StatusOr<Statistics> AuditReader::GetStatistics(
    const domain::Principal& principal, std::optional<absl::Time> from,
    std::optional<absl::Time> until) {
  TASKGATE_RETURN_IF_ERROR(CanReadAuditLog(principal));
  std::vector<FieldViolation> violations;
  if (!from.has_value()) violations.push_back({"start_time", "is required"});
  if (!until.has_value()) violations.push_back({"end_time", "is required"});
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  StatisticsQuery query;
  query.from = *from;
  query.until = *until;
  query.time_zone = options_.time_zone;
  TASKGATE_ASSIGN_OR_RETURN(
      Statistics stats, ReadStatistics(store_, options_.district_id, query));
  TASKGATE_ASSIGN_OR_RETURN(auto names,
                            DepartmentNames(store_, options_.district_id));
  for (DepartmentStatistics& d : stats.departments) {
    if (auto it = names.find(d.department_id); it != names.end()) {
      d.department_name = it->second;
    }
  }
  if (ReadIsAudited(principal)) {
    TASKGATE_RETURN_IF_ERROR(
        recorder_.RecordAuditRead(principal, "audit.stats",
                                  {{"start_time", TimeText(query.from)},
                                   {"end_time", TimeText(query.until)}}));
  }
  return stats;
}

absl::StatusOr<int64_t> AuditReader::FirstSeqAtOrAfter(
    std::optional<absl::Time> t, int64_t size, int64_t fallback) {
  // Events are appended in time order, so a time range is a run of seqs.
  if (!t.has_value()) return fallback;
  store::EventQuery q;
  q.district_id = options_.district_id;
  q.from = *t;
  q.max_seq = size;
  q.limit = 1;
  TASKGATE_ASSIGN_OR_RETURN(std::vector<store::StoredEvent> first,
                            store_.ListEvents(q));
  return first.empty() ? size + 1 : first[0].seq;
}

}  // namespace taskgate::workflow
