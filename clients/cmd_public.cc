// `taskgate public ...`: the public list (公示, SPEC §6), which anyone may
// read: the communities, and each community's tasks in force. These
// commands send no credential, even when one is configured.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "clients/cli.h"
#include "clients/list_command.h"
#include "clients/printable.h"

namespace taskgate::clients::cli {
namespace {

using Stub = v1::PublicService::Stub;

// Every page of a public list up to `paging.limit` items, without a
// credential. `fill(response)` appends the page's rows and returns its next
// page token; `request` is sent with each page's size and token. Returns
// the first failed call's status.
template <typename Request, typename Response, typename Fill>
grpc::Status ListPublic(Client& client,
                        RpcMethod<Stub, Request, Response> method,
                        Request request, const ListFlags& paging,
                        const std::function<size_t()>& have, Fill fill) {
  std::string token;
  for (;;) {
    request.set_page_size(NextPageSize(paging, have()));
    request.set_page_token(token);
    Response response;
    grpc::Status status = client.CallWithoutCredential(
        client.public_list(), method, request, &response);
    if (!status.ok()) return status;
    token = fill(response);
    if (paging.limit > 0 && have() >= static_cast<size_t>(paging.limit)) {
      return grpc::Status::OK;
    }
    if (token.empty()) return grpc::Status::OK;
  }
}

nlohmann::json JsonOf(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return nlohmann::json::parse(json);
}

void PrintCommunities(std::ostream& out,
                      const std::vector<v1::PublicCommunity>& communities) {
  Table t({"ID", "NAME", "STREET"});
  for (const v1::PublicCommunity& c : communities) {
    t.Add({c.id(), Cut(c.name(), 30), Cut(c.street(), 30)});
  }
  t.Print(out);
}

// The community, then its tasks in force ("*": provisional).
void PrintTasks(std::ostream& out, const v1::PublicCommunity& community,
                const std::vector<v1::PublicTask>& tasks) {
  out << "community: " << community.id() << " " << Printable(community.name())
      << " (" << Printable(community.street()) << ")\n"
      << "tasks in force (准入事项), * provisional (emergency, review "
         "pending):\n";
  Table t({"  TASK", "TITLE", "DEPARTMENT", "PERIOD", "HOURS/MONTH",
           "FUNDING/COMMUNITY"});
  for (const v1::PublicTask& task : tasks) {
    std::string funding =
        absl::StrCat(task.funding_per_community_yuan(), " yuan");
    if (!task.funding_source().empty()) {
      absl::StrAppend(&funding, " (", Cut(task.funding_source(), 24), ")");
    }
    t.Add({absl::StrCat("  ", task.id(), task.provisional() ? " *" : ""),
           Cut(task.title(), 36),
           task.department_name().empty()
               ? task.department_id()
               : absl::StrCat(Cut(task.department_name(), 20), " (",
                              task.department_id(), ")"),
           absl::StrCat(task.start_date(), "..", task.end_date()),
           absl::StrFormat("%g", task.hours_per_month()), funding});
  }
  t.Print(out);
  if (tasks.empty()) out << "  (none)\n";
}

}  // namespace

void AddPublicCommands(CLI::App& root, Registry& registry) {
  CLI::App* group = Registry::Group(
      &root, "public",
      "The public list (公示), readable without a token: the communities and "
      "each community's tasks in force",
      "taskgate public tasks --community hp-chunhui");
  {
    auto paging = std::make_shared<ListFlags>();
    CLI::App* app = registry.Leaf(
        group, "communities",
        "The district's communities (id, name, street); no token needed",
        "taskgate public communities --output json", [paging](Context& ctx) {
          Client* client = ctx.client();
          if (client == nullptr) return int{kExitUsage};
          std::vector<v1::PublicCommunity> items;
          const grpc::Status status = ListPublic(
              *client, &Stub::ListPublicCommunities,
              v1::ListPublicCommunitiesRequest(), *paging,
              [&] { return items.size(); },
              [&](const v1::ListPublicCommunitiesResponse& r) {
                items.insert(items.end(), r.communities().begin(),
                             r.communities().end());
                return r.next_page_token();
              });
          if (!status.ok()) return ctx.Fail(status);
          if (paging->limit > 0 &&
              items.size() > static_cast<size_t>(paging->limit)) {
            items.resize(paging->limit);
          }
          PrintRows(ctx, items,
                    ListView<v1::PublicCommunity>{
                        [](const v1::PublicCommunity& c) { return c.id(); },
                        &PrintCommunities});
          return int{kExitOk};
        });
    AddListFlags(app, *paging);
  }
  {
    auto community = std::make_shared<std::string>();
    auto paging = std::make_shared<ListFlags>();
    CLI::App* app = registry.Leaf(
        group, "tasks",
        "A community's tasks in force (ACTIVE, and PROVISIONAL marked *): "
        "title, department, period, hours per month, funding (费随事转); no "
        "token needed. --output json prints {\"community\": {...}, "
        "\"items\": [...]}",
        "taskgate public tasks --community hp-chunhui",
        [community, paging](Context& ctx) {
          Client* client = ctx.client();
          if (client == nullptr) return int{kExitUsage};
          v1::ListPublicTasksRequest request;
          request.set_community_id(*community);
          v1::PublicCommunity about;
          std::vector<v1::PublicTask> items;
          const grpc::Status status = ListPublic(
              *client, &Stub::ListPublicTasks, request, *paging,
              [&] { return items.size(); },
              [&](const v1::ListPublicTasksResponse& r) {
                about = r.community();
                items.insert(items.end(), r.tasks().begin(), r.tasks().end());
                return r.next_page_token();
              });
          if (!status.ok()) return ctx.Fail(status);
          if (paging->limit > 0 &&
              items.size() > static_cast<size_t>(paging->limit)) {
            items.resize(paging->limit);
          }
          switch (ctx.output()) {
            case Output::kJson: {
              nlohmann::json doc = {{"community", JsonOf(about)},
                                    {"items", nlohmann::json::array()}};
              for (const v1::PublicTask& t : items) {
                doc["items"].push_back(JsonOf(t));
              }
              ctx.out() << doc.dump(2) << "\n";
              break;
            }
            case Output::kName:
              for (const v1::PublicTask& t : items) ctx.out() << t.id() << "\n";
              break;
            case Output::kTable:
              PrintTasks(ctx.out(), about, items);
              break;
          }
          return int{kExitOk};
        });
    app->add_option("--community", *community,
                    "Community id (see taskgate public communities)")
        ->required();
    AddListFlags(app, *paging);
  }
}

}  // namespace taskgate::clients::cli
