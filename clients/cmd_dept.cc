// `taskgate dept ...`: what a department clerk does with its own tasks.
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "clients/cli.h"
#include "clients/list_command.h"

namespace taskgate::clients::cli {
namespace {

// The flags of a task spec; only those given override the spec.
struct SpecFlags {
  std::string file;
  std::string title, description, item, new_item_justification, legal_basis;
  std::vector<std::string> communities, streets, street_ids, types,
      justifications;
  std::string start, end;
  double hours = 0;
  int64_t funding = 0;
  std::string funding_source, authority, department_duties, community_duties,
      support, assessment, emergency_reason;
  bool long_term = false, emergency = false;
  int forms_ledgers = 0, signboards = 0;
  std::vector<CLI::Option*> given;
  CLI::App* app = nullptr;
};

void AddSpecFlags(CLI::App* app, SpecFlags& f) {
  f.app = app;
  app->add_option("--file", f.file,
                  "Full task spec as JSON or TOML (fields of "
                  "taskgate.v1.TaskSpec); flags override its fields")
      ->check(CLI::ExistingFile);
  app->add_option("--title", f.title, "Title (at most 200 characters)");
  app->add_option("--description", f.description, "Description");
  app->add_option("--item", f.item,
                  "Catalog item code; omit for a new item (清单外事项)");
  app->add_option("--new-item-justification", f.new_item_justification,
                  "Why a new item is needed (when --item is omitted)");
  app->add_option("--legal-basis", f.legal_basis, "法律法规依据");
  app->add_option("--community", f.communities, "Target community id (repeat)");
  app->add_option("--street-id", f.street_ids,
                  "Target street (街道) by id: all its communities (repeat; "
                  "see taskgate admin street list)");
  app->add_option("--street", f.streets,
                  "Target street by exact name (older form; repeat)");
  app->add_option("--start", f.start, "Start date YYYY-MM-DD");
  app->add_option("--end", f.end, "End date YYYY-MM-DD (inclusive)");
  app->add_option("--hours", f.hours, "Work hours per community per month");
  app->add_option("--funding", f.funding, "Funding per community, yuan");
  app->add_option("--funding-source", f.funding_source, "Where it comes from");
  app->add_option("--authority", f.authority, "Authority delegated (权随责走)");
  app->add_option("--department-duties", f.department_duties,
                  "What the department does");
  app->add_option("--community-duties", f.community_duties,
                  "What the community does");
  app->add_option("--support", f.support, "Support given");
  app->add_option("--assessment", f.assessment, "How results are assessed");
  app->add_option("--type", f.types,
                  "Controlled type involved, e.g. signboard, ledger, form "
                  "(repeat)");
  app->add_option("--justify", f.justifications,
                  "TYPE=TEXT justification of a controlled type (repeat)");
  app->add_option("--forms-ledgers", f.forms_ledgers,
                  "Forms/ledgers the task adds");
  app->add_option("--signboards", f.signboards, "Signboards per community");
  app->add_flag("--long-term", f.long_term, "长期 rather than 临时");
  app->add_flag("--emergency", f.emergency,
                "Emergency: PROVISIONAL at submit (needs a reason)");
  app->add_option("--emergency-reason", f.emergency_reason,
                  "Why it is an emergency");
}

bool Given(const SpecFlags& f, const std::string& name) {
  return f.app->get_option(name)->count() > 0;
}

// Applies the file (if any) and the given flags to `spec`; "" or a message.
std::string ApplySpec(const SpecFlags& f, v1::TaskSpec* spec) {
  if (!f.file.empty()) {
    v1::TaskSpec from_file;
    absl::Status read = ReadMessageFile(f.file, &from_file);
    if (!read.ok()) return std::string(read.message());
    *spec = from_file;
  }
  auto str = [&](const char* flag, const std::string& value,
                 void (v1::TaskSpec::*set)(const std::string&)) {
    if (Given(f, flag)) (spec->*set)(value);
  };
  str("--title", f.title, &v1::TaskSpec::set_title);
  str("--description", f.description, &v1::TaskSpec::set_description);
  str("--item", f.item, &v1::TaskSpec::set_item_code);
  str("--new-item-justification", f.new_item_justification,
      &v1::TaskSpec::set_new_item_justification);
  str("--legal-basis", f.legal_basis, &v1::TaskSpec::set_legal_basis);
  str("--start", f.start, &v1::TaskSpec::set_start_date);
  str("--end", f.end, &v1::TaskSpec::set_end_date);
  str("--funding-source", f.funding_source, &v1::TaskSpec::set_funding_source);
  str("--authority", f.authority, &v1::TaskSpec::set_authority_delegated);
  str("--department-duties", f.department_duties,
      &v1::TaskSpec::set_department_duties);
  str("--community-duties", f.community_duties,
      &v1::TaskSpec::set_community_duties);
  str("--support", f.support, &v1::TaskSpec::set_support_given);
  str("--assessment", f.assessment, &v1::TaskSpec::set_assessment_method);
  str("--emergency-reason", f.emergency_reason,
      &v1::TaskSpec::set_emergency_reason);
  if (Given(f, "--community")) {
    spec->clear_target_communities();
    for (const auto& c : f.communities) spec->add_target_communities(c);
  }
  if (Given(f, "--street")) {
    spec->clear_target_streets();
    for (const auto& s : f.streets) spec->add_target_streets(s);
  }
  if (Given(f, "--street-id")) {
    spec->clear_target_street_ids();
    for (const auto& s : f.street_ids) spec->add_target_street_ids(s);
  }
  if (Given(f, "--hours")) spec->set_hours_per_community_month(f.hours);
  if (Given(f, "--funding")) spec->set_funding_per_community_yuan(f.funding);
  if (Given(f, "--forms-ledgers"))
    spec->set_forms_ledgers_added(f.forms_ledgers);
  if (Given(f, "--signboards"))
    spec->set_signboards_per_community(f.signboards);
  if (Given(f, "--long-term")) spec->set_long_term(f.long_term);
  if (Given(f, "--emergency")) spec->set_emergency(f.emergency);
  if (Given(f, "--type")) {
    spec->clear_types();
    for (const std::string& t : f.types) {
      std::string name = absl::AsciiStrToUpper(t);
      if (name.rfind("TASK_TYPE_", 0) != 0) name = "TASK_TYPE_" + name;
      v1::TaskType type;
      if (!v1::TaskType_Parse(name, &type)) {
        return absl::StrCat("--type ", t,
                            ": unknown type; use work_body, ledger, form, "
                            "creation_campaign, inspection, signboard, "
                            "certificate, training or evaluation");
      }
      spec->add_types(type);
    }
  }
  for (const std::string& j : f.justifications) {
    const size_t eq = j.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::StrCat("--justify ", j, ": write TYPE=TEXT");
    }
    (*spec->mutable_type_justifications())[absl::AsciiStrToLower(
        j.substr(0, eq))] = j.substr(eq + 1);
  }
  return "";
}

}  // namespace

void AddDeptCommands(CLI::App& root, Registry& registry) {
  CLI::App* dept = Registry::Group(
      &root, "dept", "Department clerk: draft, submit and follow tasks",
      "taskgate dept list --state SUBMITTED");

  {
    auto f = std::make_shared<SpecFlags>();
    auto id = std::make_shared<std::string>();
    auto submit = std::make_shared<bool>(false);
    CLI::App* app = registry.Leaf(
        dept, "create", "Create a DRAFT task from flags and/or a spec file",
        "taskgate dept create --title '独居老人走访' --item ASSIST-004 "
        "--legal-basis '老年人权益保障法' --community hp-chunhui --start "
        "2026-06-01 --end 2026-06-30 --hours 4 --funding 2000 "
        "--funding-source 区财政 --department-duties '提供名单' "
        "--community-duties '入户走访'\n  taskgate dept create --file "
        "task.toml --submit",
        [f, id, submit](Context& ctx) {
          v1::CreateTaskRequest r;
          if (std::string bad = ApplySpec(*f, r.mutable_spec()); !bad.empty()) {
            return ctx.Usage(bad);
          }
          if (ctx.client() == nullptr) return int{kExitUsage};
          r.set_request_id(NewRequestId());
          r.set_task_id(*id);
          v1::Task task;
          if (int code = ctx.Call(&Client::tasks,
                                  &v1::TaskService::Stub::CreateTask, r, &task);
              code != kExitOk) {
            return code;
          }
          if (!*submit) return PrintTask(ctx, task);
          v1::TaskActionRequest a;
          a.set_task_id(task.id());
          a.set_etag(task.etag());
          return TaskAction(ctx, &Client::tasks,
                            &v1::TaskService::Stub::SubmitTask, a);
        });
    app->add_option("--id", *id, "Task id (default: chosen by the server)");
    app->add_flag("--submit", *submit, "Submit it right after creating it");
    AddSpecFlags(app, *f);
  }
  {
    auto f = std::make_shared<SpecFlags>();
    auto a = std::make_shared<TaskActionFlags>();
    CLI::App* app = registry.Leaf(
        dept, "edit",
        "Change a DRAFT or RETURNED task: the given flags (or file) replace "
        "those fields",
        "taskgate dept edit t-123 --funding 3000 --funding-source 区财政",
        [f, a](Context& ctx) {
          v1::Task task;
          if (int code = ReadTask(ctx, a->task_id, &task); code != kExitOk) {
            return code;
          }
          v1::UpdateTaskRequest r;
          *r.mutable_spec() = task.spec();
          if (std::string bad = ApplySpec(*f, r.mutable_spec()); !bad.empty()) {
            return ctx.Usage(bad);
          }
          r.set_request_id(NewRequestId());
          r.set_task_id(a->task_id);
          r.set_etag(a->etag.empty() ? task.etag() : a->etag);
          if (int code = ctx.Call(&Client::tasks,
                                  &v1::TaskService::Stub::UpdateTask, r, &task);
              code != kExitOk) {
            return code;
          }
          return PrintTask(ctx, task);
        });
    AddTaskActionFlags(app, *a, ReasonFlag::kNone);
    AddSpecFlags(app, *f);
  }
  struct Move {
    const char* name;
    const char* help;
    RpcMethod<v1::TaskService::Stub, v1::TaskActionRequest, v1::Task> method;
    ReasonFlag reason;
  };
  for (const Move& m :
       {Move{"submit",
             "Submit a DRAFT or RETURNED task: the rules run and the findings "
             "are printed",
             &v1::TaskService::Stub::SubmitTask, ReasonFlag::kNone},
        Move{"withdraw", "Withdraw a task under review or returned",
             &v1::TaskService::Stub::WithdrawTask, ReasonFlag::kOptional},
        Move{"close", "End an ACTIVE task early (COMPLETED)",
             &v1::TaskService::Stub::CloseTask, ReasonFlag::kOptional}}) {
    auto a = std::make_shared<TaskActionFlags>();
    CLI::App* app = registry.Leaf(
        dept, m.name, m.help, absl::StrCat("taskgate dept ", m.name, " t-123"),
        [a, method = m.method](Context& ctx) {
          return TaskAction(ctx, &Client::tasks, method,
                            TaskActionRequestOf(*a));
        });
    AddTaskActionFlags(app, *a, m.reason);
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        dept, "show", "Show a task with its findings",
        "taskgate dept show t-123", [id](Context& ctx) {
          v1::Task task;
          if (int code = ReadTask(ctx, *id, &task); code != kExitOk) {
            return code;
          }
          return PrintTask(ctx, task);
        });
    app->add_option("TASK", *id, "Task id")->required();
  }
  {
    struct Flags : ListFlags {
      std::string state, community, item, department, filter;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        dept, "list",
        "List tasks you may see (your department's), ordered by id",
        "taskgate dept list --state RETURNED --limit 20", [f](Context& ctx) {
          std::vector<std::string> terms;
          if (!f->state.empty()) {
            terms.push_back("state=" + absl::AsciiStrToUpper(f->state));
          }
          if (!f->department.empty()) {
            terms.push_back("department=" + f->department);
          }
          if (!f->community.empty())
            terms.push_back("community=" + f->community);
          if (!f->item.empty()) terms.push_back("item_code=" + f->item);
          if (!f->filter.empty()) terms.push_back(f->filter);
          v1::ListTasksRequest r;
          r.set_filter(absl::StrJoin(terms, " AND "));
          return RunList(ctx, &Client::tasks, &v1::TaskService::Stub::ListTasks,
                         r, &v1::ListTasksResponse::tasks, kTaskList, *f);
        });
    AddListFlags(app, *f);
    app->add_option("--state", f->state, "Only this state, e.g. SUBMITTED");
    app->add_option("--department", f->department, "Only this department");
    app->add_option("--community", f->community, "Only tasks reaching it");
    app->add_option("--item", f->item, "Only this catalog item");
    app->add_option("--filter", f->filter,
                    "Raw filter, e.g. 'state=ACTIVE AND community=c1'");
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        dept, "history", "The audit events of one of your tasks",
        "taskgate dept history t-123",
        [id](Context& ctx) { return PrintTaskHistory(ctx, *id); });
    app->add_option("TASK", *id, "Task id")->required();
  }
}

}  // namespace taskgate::clients::cli
