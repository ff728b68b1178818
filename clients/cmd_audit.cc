// `taskgate audit ...`: the inspector's read of the record.
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>

#include "clients/cli.h"

namespace taskgate::clients::cli {

void AddAuditCommands(CLI::App& root, Registry& registry) {
  CLI::App* group = Registry::Group(
      &root, "audit", "Inspector: query and export the audit log",
      "taskgate audit events --department civil-affairs --since 2026-03-01");
  {
    struct Flags : ListFlags {
      std::string task, department, community, actor, action, entity_type,
          entity_id, since, until;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        group, "events",
        "Audit events in log order, filtered (all filters ANDed); with "
        "--output json this is the export of the selection",
        "taskgate audit events --since 2026-03-01 --until 2026-04-01 "
        "--output json > march.json",
        [f](Context& ctx) {
          v1::ListEventsRequest base;
          base.set_task_id(f->task);
          base.set_department_id(f->department);
          base.set_community_id(f->community);
          base.set_actor_id(f->actor);
          base.set_action(f->action);
          base.set_entity_type(f->entity_type);
          base.set_entity_id(f->entity_id);
          for (auto [text, field] :
               {std::pair{&f->since, base.mutable_start_time()},
                std::pair{&f->until, base.mutable_end_time()}}) {
            if (text->empty()) continue;
            absl::StatusOr<google::protobuf::Timestamp> t = ParseTime(*text);
            if (!t.ok()) return ctx.Usage(std::string(t.status().message()));
            *field = *t;
          }
          if (f->since.empty()) base.clear_start_time();
          if (f->until.empty()) base.clear_end_time();
          if (ctx.client() == nullptr) return int{kExitUsage};
          Client& c = *ctx.client();
          std::vector<v1::AuditEvent> events;
          grpc::Status s = Paginate<v1::AuditEvent>(
              f->limit, f->page_size,
              [&](const std::string& token, int size,
                  std::vector<v1::AuditEvent>* out, std::string* next) {
                v1::ListEventsRequest r = base;
                r.set_page_size(size);
                r.set_page_token(token);
                v1::ListEventsResponse resp;
                grpc::Status st = c.Call(
                    c.audit(), &v1::AuditService::Stub::ListEvents, r, &resp);
                out->insert(out->end(), resp.events().begin(),
                            resp.events().end());
                *next = resp.next_page_token();
                return st;
              },
              &events);
          if (!s.ok()) return ctx.Fail(s);
          PrintList<v1::AuditEvent>(
              ctx, events,
              [](const v1::AuditEvent& e) { return absl::StrCat(e.seq()); },
              [&](std::ostream& out) { PrintEventTable(out, events); });
          return int{kExitOk};
        });
    AddListFlags(app, *f);
    app->add_option("--task", f->task, "Only this task's events");
    app->add_option("--department", f->department, "Only this department's");
    app->add_option("--community", f->community, "Only events reaching it");
    app->add_option("--actor", f->actor, "Only this principal's actions");
    app->add_option("--action", f->action, "e.g. task.submit, access.denied");
    app->add_option("--entity-type", f->entity_type, "e.g. task, catalog");
    app->add_option("--entity-id", f->entity_id, "Only this entity");
    app->add_option("--since", f->since,
                    "From this time, inclusive (YYYY-MM-DD or RFC 3339)");
    app->add_option("--until", f->until,
                    "Before this time, exclusive (YYYY-MM-DD or RFC 3339)");
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        group, "history", "Every event of one task, oldest first",
        "taskgate audit history t-123",
        [id](Context& ctx) { return PrintTaskHistory(ctx, *id); });
    app->add_option("TASK", *id, "Task id")->required();
  }
  {
    auto size = std::make_shared<int64_t>(0);
    CLI::App* app = registry.Leaf(
        group, "tree-head",
        "The Merkle tree head (RFC 6962) of the log: size and root hash",
        "taskgate audit tree-head --size 120", [size](Context& ctx) {
          if (ctx.client() == nullptr) return int{kExitUsage};
          Client& c = *ctx.client();
          v1::GetTreeHeadRequest r;
          r.set_tree_size(*size);
          v1::TreeHead head;
          grpc::Status s =
              c.Call(c.audit(), &v1::AuditService::Stub::GetTreeHead, r, &head);
          if (!s.ok()) return ctx.Fail(s);
          if (ctx.output() == Output::kJson) {
            ctx.PrintJson(head);
          } else {
            ctx.out() << "tree size: " << head.tree_size()
                      << "\nroot hash: " << head.root_hash() << "\n";
          }
          return int{kExitOk};
        });
    app->add_option("--size", *size, "Tree size (default: the whole log)")
        ->check(CLI::NonNegativeNumber);
  }
}

}  // namespace taskgate::clients::cli
