// `taskgate audit ...`: the inspector's group. This file holds the queries
// of the record (events, history, tree-head, stats) and the pieces the
// audit files share; export and verify, and the checkpoints and proofs,
// have files of their own (see cmd_audit.h).
#include "clients/cmd_audit.h"

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_join.h>
#include <google/protobuf/util/time_util.h>

#include "clients/list_command.h"

namespace taskgate::clients::cli {

using AuditStub = v1::AuditService::Stub;

bool EventFilters::narrows() const {
  return !task.empty() || !department.empty() || !community.empty() ||
         !actor.empty() || !action.empty() || !entity_type.empty() ||
         !entity_id.empty() || !state.empty();
}

void AddEventFilters(CLI::App* app, EventFilters& f) {
  app->add_option("--task", f.task, "Only this task's events");
  app->add_option("--department", f.department, "Only this department's");
  app->add_option("--community", f.community, "Only events reaching it");
  app->add_option("--actor", f.actor, "Only this principal's actions");
  app->add_option("--action", f.action, "e.g. task.submit, access.denied");
  app->add_option("--entity-type", f.entity_type, "e.g. task, catalog");
  app->add_option("--entity-id", f.entity_id, "Only this entity");
  app->add_option("--state", f.state,
                  "Only events that moved their entity into this state, "
                  "e.g. REJECTED");
  app->add_option("--since,--from", f.since,
                  "From this time, inclusive (YYYY-MM-DD or RFC 3339)");
  app->add_option("--until,--to", f.until,
                  "Before this time, exclusive (YYYY-MM-DD or RFC 3339)");
}

absl::Status SetTime(const std::string& text,
                     google::protobuf::Timestamp* field) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<google::protobuf::Timestamp> t = ParseTime(text);
  if (!t.ok()) return t.status();
  *field = *t;
  return absl::OkStatus();
}

absl::StatusOr<v1::ListEventsRequest> EventsRequest(const EventFilters& f) {
  v1::ListEventsRequest r;
  r.set_task_id(f.task);
  r.set_department_id(f.department);
  r.set_community_id(f.community);
  r.set_actor_id(f.actor);
  r.set_action(f.action);
  r.set_entity_type(f.entity_type);
  r.set_entity_id(f.entity_id);
  r.set_state(f.state);
  if (absl::Status s = SetTime(f.since, r.mutable_start_time()); !s.ok()) {
    return s;
  }
  if (absl::Status s = SetTime(f.until, r.mutable_end_time()); !s.ok()) {
    return s;
  }
  if (f.since.empty()) r.clear_start_time();
  if (f.until.empty()) r.clear_end_time();
  return r;
}

grpc::Status FetchAllEvents(Client& client,
                            const v1::ListEventsRequest& request,
                            std::vector<v1::AuditEvent>* events) {
  return ListRows(client, client.audit(), &AuditStub::ListEvents, request,
                  &v1::ListEventsResponse::events,
                  {.limit = 0, .page_size = kMaxPageSize}, events);
}

namespace {

// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line
// break, with quotes doubled. Bytes pass through, so UTF-8 stays as is. A
// field that a spreadsheet would take for a formula (it starts with '=',
// '+', '-', '@', a tab or a CR) gets a leading single quote, as OWASP
// advises against CSV injection (SPEC §9).
std::string CsvField(const std::string& text) {
  const bool formula =
      !text.empty() &&
      std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos;
  const std::string field = formula ? "'" + text : text;
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string EventsCsv(const std::vector<v1::AuditEvent>& events) {
  std::string out =
      "seq,time,actor_id,actor_role,action,entity_type,entity_id,"
      "state_before,state_after,reason,request_id,department_id,"
      "community_ids,details,leaf_hash\r\n";
  for (const v1::AuditEvent& e : events) {
    // A proto map has no order; sorted keys make the export reproducible.
    const std::map<std::string, std::string> details(e.details().begin(),
                                                     e.details().end());
    std::vector<std::string> pairs;
    for (const auto& [k, v] : details) pairs.push_back(absl::StrCat(k, "=", v));
    // Times in UTC ("...Z"), as TimeUtil writes them.
    const std::vector<std::string> row = {
        absl::StrCat(e.seq()),
        google::protobuf::util::TimeUtil::ToString(e.event_time()),
        e.actor_id(),
        RoleName(e.actor_role()),
        e.action(),
        e.entity_type(),
        e.entity_id(),
        e.state_before(),
        e.state_after(),
        e.reason(),
        e.request_id(),
        e.department_id(),
        absl::StrJoin(e.community_ids(), ";"),
        absl::StrJoin(pairs, ";"),
        e.leaf_hash()};
    std::vector<std::string> fields;
    for (const std::string& v : row) fields.push_back(CsvField(v));
    absl::StrAppend(&out, absl::StrJoin(fields, ","), "\r\n");
  }
  return out;
}

absl::Status WriteOut(Context& ctx, const std::string& path,
                      const std::string& content) {
  if (path == "-") {
    ctx.out() << content;
    return absl::OkStatus();
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
  file.close();
  if (!file) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot write ", path, ": check that its directory exists"));
  }
  return absl::OkStatus();
}

namespace {

// ---- audit events: the filtered selection, as a list (csv too).

constexpr ListView<v1::AuditEvent> kEventCsvList = {
    kEventList.name, kEventList.table, &EventsCsv};

struct EventsFlags : ListFlags, EventFilters {};

int RunEvents(Context& ctx, const EventsFlags& f) {
  absl::StatusOr<v1::ListEventsRequest> request = EventsRequest(f);
  if (!request.ok()) return ctx.Usage(std::string(request.status().message()));
  return RunList(ctx, &Client::audit, &AuditStub::ListEvents, *request,
                 &v1::ListEventsResponse::events, kEventCsvList, f);
}

void AddEventsCommand(CLI::App* group, Registry& registry) {
  auto f = std::make_shared<EventsFlags>();
  CLI::App* app = registry.Leaf(
      group, "events",
      "Audit events in log order, filtered (all filters ANDed); --output "
      "json or csv exports the selection (csv: seq, time in UTC, actor, "
      "action, entity, states, reason, request, department, communities "
      "joined by ';', details as key=value joined by ';', leaf hash)",
      "taskgate audit events --since 2026-03-01 --until 2026-04-01 "
      "--state REJECTED --output csv > march-rejections.csv",
      [f](Context& ctx) { return RunEvents(ctx, *f); });
  AddListFlags(app, *f);
  AddEventFilters(app, *f);
}

// ---- audit history: one task's events.

void AddHistoryCommand(CLI::App* group, Registry& registry) {
  auto id = std::make_shared<std::string>();
  CLI::App* app =
      registry.Leaf(group, "history", "Every event of one task, oldest first",
                    "taskgate audit history t-123",
                    [id](Context& ctx) { return PrintTaskHistory(ctx, *id); });
  app->add_option("TASK", *id, "Task id")->required();
}

// ---- audit tree-head: the log's Merkle tree head.

int RunTreeHead(Context& ctx, int64_t size) {
  v1::GetTreeHeadRequest r;
  r.set_tree_size(size);
  v1::TreeHead head;
  if (int code = ctx.Call(&Client::audit, &AuditStub::GetTreeHead, r, &head);
      code != kExitOk) {
    return code;
  }
  if (ctx.output() == Output::kJson) {
    ctx.PrintJson(head);
  } else {
    ctx.out() << "tree size: " << head.tree_size()
              << "\nroot hash: " << head.root_hash() << "\n";
  }
  return kExitOk;
}

void AddTreeHeadCommand(CLI::App* group, Registry& registry) {
  auto size = std::make_shared<int64_t>(0);
  CLI::App* app = registry.Leaf(
      group, "tree-head",
      "The Merkle tree head (RFC 6962) of the log: size and root hash",
      "taskgate audit tree-head --size 120",
      [size](Context& ctx) { return RunTreeHead(ctx, *size); });
  app->add_option("--size", *size, "Tree size (default: the whole log)")
      ->check(CLI::NonNegativeNumber);
}

// ---- audit stats: the inspectors' statistics.

std::string Hours(double h) { return absl::StrFormat("%.1f", h); }

void PrintStatistics(std::ostream& out, const v1::Statistics& st) {
  out << "Departments\n";
  Table d({"DEPARTMENT", "NAME", "SUBMITTED", "ADMITTED",
           "REJECTED (NEGATIVE LIST)", "RETURNED", "MEDIAN DAYS", "P90 DAYS"});
  for (const v1::DepartmentStatistics& s : st.departments()) {
    d.Add({s.department_id(), Cut(s.department_name(), 20),
           absl::StrCat(s.submitted()), absl::StrCat(s.admitted()),
           absl::StrCat(s.rejected(), " (", s.rejected_by_negative_list(), ")"),
           absl::StrCat(s.returned()),
           s.has_median_review_days()
               ? absl::StrFormat("%.1f", s.median_review_days())
               : "-",
           s.has_p90_review_days() ? absl::StrCat(s.p90_review_days()) : "-"});
  }
  d.Print(out);
  out << "\nCommunity load by month (hours)\n";
  Table l({"COMMUNITY", "MONTH", "LOAD", "CAPACITY", "RATIO", "TASKS"});
  for (const v1::CommunityMonthLoad& m : st.community_loads()) {
    l.Add({m.community_id(), m.month(), Hours(m.load_hours()),
           Hours(m.capacity_hours()),
           m.has_load_ratio() ? absl::StrFormat("%.2f", m.load_ratio()) : "-",
           absl::StrCat(m.tasks_in_force())});
  }
  l.Print(out);
  out << "\nBurden kept out of the communities\n";
  Table b({"MONTH", "REJECTED TASKS", "HOURS"});
  for (const v1::BurdenMonth& m : st.burden()) {
    b.Add({m.month(), absl::StrCat(m.rejected_tasks()),
           Hours(m.hours_kept_out())});
  }
  b.Add({"total", "", Hours(st.burden_total_hours())});
  b.Print(out);
}

struct StatsFlags {
  std::string from, to;
};

int RunStats(Context& ctx, const StatsFlags& f) {
  v1::GetStatisticsRequest r;
  for (auto [text, field] : {std::pair{&f.from, r.mutable_start_time()},
                             std::pair{&f.to, r.mutable_end_time()}}) {
    if (absl::Status s = SetTime(*text, field); !s.ok()) {
      return ctx.Usage(std::string(s.message()));
    }
  }
  v1::Statistics st;
  if (int code = ctx.Call(&Client::audit, &AuditStub::GetStatistics, r, &st);
      code != kExitOk) {
    return code;
  }
  if (ctx.output() == Output::kJson) {
    ctx.PrintJson(st);
  } else {
    PrintStatistics(ctx.out(), st);
  }
  return kExitOk;
}

void AddStatsCommand(CLI::App* group, Registry& registry) {
  auto f = std::make_shared<StatsFlags>();
  CLI::App* app = registry.Leaf(
      group, "stats",
      "Statistics for inspectors: per department (submitted, admitted, "
      "rejected and by the negative list, returned, review working days), "
      "community load against capacity by month, burden kept out",
      "taskgate audit stats --from 2026-01-01 --to 2026-04-01",
      [f](Context& ctx) { return RunStats(ctx, *f); });
  app->add_option("--from", f->from,
                  "From this time, inclusive (YYYY-MM-DD or RFC 3339)")
      ->required();
  app->add_option("--to", f->to,
                  "Before this time, exclusive (YYYY-MM-DD or RFC 3339)")
      ->required();
}

}  // namespace

void AddAuditCommands(CLI::App& root, Registry& registry) {
  CLI::App* group = Registry::Group(
      &root, "audit",
      "Inspector: query, export and verify the audit log (verify needs no "
      "server)",
      "taskgate audit events --department civil-affairs --since 2026-03-01");
  AddEventsCommand(group, registry);
  AddHistoryCommand(group, registry);
  AddTreeHeadCommand(group, registry);
  AddAuditExportCommand(group, registry);
  AddAuditVerifyCommand(group, registry);
  AddAuditStateCommand(group, registry);
  AddAuditCheckpointCommands(group, registry);
  AddAuditProofCommands(group, registry);
  AddStatsCommand(group, registry);
}

}  // namespace taskgate::clients::cli
