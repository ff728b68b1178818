// How every `taskgate ... list`-like command lists: it calls the server's
// list RPC (following `next_page_token` page by page up to `--limit` rows,
// `--page-size` rows a request, when the RPC is paged; once when it is
// not), collects the rows and prints them in the chosen `--output`: a table
// for people, protobuf JSON as {"items": [...]}, one name a line, or csv
// where the list has a csv form. Single-threaded, like the CLI.
#ifndef TASKGATE_CLIENTS_LIST_COMMAND_H_
#define TASKGATE_CLIENTS_LIST_COMMAND_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/strings/str_cat.h>
#include <google/protobuf/repeated_ptr_field.h>
#include <grpcpp/grpcpp.h>

#include "clients/cli.h"
#include "clients/client.h"

namespace taskgate::clients::cli {

// The most rows one request asks for, as the server allows.
inline constexpr int kMaxPageSize = 500;

// --limit and --page-size of the paged list commands.
struct ListFlags {
  // At most this many rows; 0: all.
  int limit = 0;
  // Rows a request; 0: the server's default.
  int page_size = 0;
};
void AddListFlags(CLI::App* app, ListFlags& flags);

// The page size to ask for when `have` rows are already collected: the
// flag's, cut to what `limit` still allows and to `kMaxPageSize`.
int NextPageSize(const ListFlags& paging, size_t have);

// How a list prints its rows.
template <typename Item>
struct ListView {
  // The row's name for `--output name`, one a line.
  std::string (*name)(const Item&);
  // The rows as a table for people.
  void (*table)(std::ostream&, const std::vector<Item>&);
  // The rows as csv for `--output csv`; nullptr: the table.
  std::string (*csv)(const std::vector<Item>&) = nullptr;
};

// The accessor of a response's repeated rows, e.g.
// `&v1::ListTasksResponse::tasks`.
template <typename Response, typename Item>
using RowsOf =
    const google::protobuf::RepeatedPtrField<Item>& (Response::*)() const;

// A request of a paged list RPC (AIP-158: page_size and page_token).
template <typename Request>
concept PagedRequest = requires(Request r) {
  r.set_page_size(0);
  r.set_page_token(std::string());
};

// Appends the rows `method` of `stub` lists for `request` to `*out`: every
// page up to `paging.limit` rows when the RPC is paged (`paging` is
// ignored otherwise). Returns the first failed call's status; `*out` then
// holds what came before it.
template <typename Stub, typename Request, typename Response, typename Item>
grpc::Status ListRows(Client& client, Stub& stub,
                      RpcMethod<Stub, Request, Response> method,
                      Request request, RowsOf<Response, Item> rows,
                      const ListFlags& paging, std::vector<Item>* out) {
  if constexpr (!PagedRequest<Request>) {
    Response response;
    grpc::Status status = client.Call(stub, method, request, &response);
    const auto& page = (response.*rows)();
    out->insert(out->end(), page.begin(), page.end());
    return status;
  } else {
    std::string token;
    for (;;) {
      request.set_page_size(NextPageSize(paging, out->size()));
      request.set_page_token(token);
      Response response;
      grpc::Status status = client.Call(stub, method, request, &response);
      if (!status.ok()) return status;
      const auto& page = (response.*rows)();
      out->insert(out->end(), page.begin(), page.end());
      if (paging.limit > 0 &&
          out->size() >= static_cast<size_t>(paging.limit)) {
        out->resize(paging.limit);
        return grpc::Status::OK;
      }
      if (response.next_page_token().empty()) return grpc::Status::OK;
      token = response.next_page_token();
    }
  }
}

// Prints `items` in the chosen output through `view`.
template <typename Item>
void PrintRows(Context& ctx, const std::vector<Item>& items,
               const ListView<Item>& view) {
  if (ctx.csv() && view.csv != nullptr) {
    ctx.out() << view.csv(items);
    return;
  }
  switch (ctx.output()) {
    case Output::kJson: {
      std::vector<const google::protobuf::Message*> messages;
      messages.reserve(items.size());
      for (const Item& i : items) messages.push_back(&i);
      ctx.out() << JsonItems(messages);
      return;
    }
    case Output::kName:
      for (const Item& i : items) ctx.out() << view.name(i) << "\n";
      return;
    case Output::kTable:
      view.table(ctx.out(), items);
      return;
  }
}

// A list command: lists the rows with `ListRows` through the client's
// `stub` and prints them through `view`. Returns the exit code: kExitOk,
// kExitUsage without a client, or that of the failed call.
template <typename Stub, typename Request, typename Response, typename Item>
int RunList(Context& ctx, Stub& (Client::*stub)(),
            RpcMethod<Stub, Request, Response> method, Request request,
            RowsOf<Response, Item> rows, const ListView<Item>& view,
            const ListFlags& paging = {}) {
  Client* client = ctx.client();
  if (client == nullptr) return kExitUsage;
  std::vector<Item> items;
  grpc::Status status = ListRows(*client, (client->*stub)(), method,
                                 std::move(request), rows, paging, &items);
  if (!status.ok()) return ctx.Fail(status);
  PrintRows(ctx, items, view);
  return kExitOk;
}

// The lists several command groups print: tasks (ids, `PrintTaskTable`)
// and audit events (sequence numbers, `PrintEventTable`).
inline constexpr ListView<v1::Task> kTaskList = {
    [](const v1::Task& t) { return t.id(); }, &PrintTaskTable};
inline constexpr ListView<v1::AuditEvent> kEventList = {
    [](const v1::AuditEvent& e) { return absl::StrCat(e.seq()); },
    &PrintEventTable};
// One task's events with what each changed (`PrintEventChanges`).
inline constexpr ListView<v1::AuditEvent> kHistoryList = {
    [](const v1::AuditEvent& e) { return absl::StrCat(e.seq()); },
    &PrintEventChanges};

}  // namespace taskgate::clients::cli

#endif  // TASKGATE_CLIENTS_LIST_COMMAND_H_
