// The `taskgate` command line tool: global flags, output (table, json,
// name), the registry of leaf commands, and the helpers the command groups
// share. Each group (dept, review, community, audit, admin) adds its
// commands in its own cmd_*.cc. Single-threaded.
#ifndef TASKGATE_CLIENTS_CLI_H_
#define TASKGATE_CLIENTS_CLI_H_

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/status/statusor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>

#include "clients/client.h"
#include "taskgate/v1/resources.pb.h"

namespace taskgate::clients::cli {

enum class Output { kTable, kJson, kName };

struct Globals {
  std::string address;
  std::string token;
  std::string config_file;
  std::string tls_ca_file;
  std::string output = "table";
  double timeout_seconds = 30;
  int max_retries = 3;
};

// What a leaf command sees when it runs.
class Context {
 public:
  Context(const Globals& globals, std::ostream& out, std::ostream& err)
      : globals_(globals), out_(out), err_(err) {}

  // The client, built on first use from the resolved options; nullptr after
  // printing why it could not be built.
  Client* client();
  Output output() const;
  // True for `--output csv`, which only `audit events` prints; `output()`
  // is then kTable, what every other command prints.
  bool csv() const { return globals_.output == "csv"; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // Prints `FormatError(status)` to stderr; returns its exit code.
  int Fail(const grpc::Status& status);
  // Prints "error: <message>" and a hint to run --help; returns 2.
  int Usage(const std::string& message);
  // The message as protobuf JSON, one document.
  void PrintJson(const google::protobuf::Message& message);
  // {"items": [...]} of the messages.
  void PrintJsonItems(
      const std::vector<const google::protobuf::Message*>& items);

 private:
  const Globals& globals_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<Client> client_;
  bool client_failed_ = false;
};

using Action = std::function<int(Context&)>;

// Leaf commands and what they run.
class Registry {
 public:
  // Adds subcommand `name` to `parent` with `description` and an example
  // shown by --help; `action` runs when the command is chosen.
  CLI::App* Leaf(CLI::App* parent, const std::string& name,
                 const std::string& description, const std::string& example,
                 Action action);
  // Adds a group that requires one of its subcommands.
  static CLI::App* Group(CLI::App* parent, const std::string& name,
                         const std::string& description,
                         const std::string& example);
  // The action of the chosen leaf below `app`, or nullptr.
  const Action* Chosen(const CLI::App& app) const;

 private:
  std::map<const CLI::App*, Action> actions_;
};

void AddDeptCommands(CLI::App& root, Registry& registry);
void AddReviewCommands(CLI::App& root, Registry& registry);
void AddCommunityCommands(CLI::App& root, Registry& registry);
void AddAuditCommands(CLI::App& root, Registry& registry);
void AddAdminCommands(CLI::App& root, Registry& registry);

// Runs the tool; returns the process exit code.
int Run(int argc, const char* const* argv, std::ostream& out,
        std::ostream& err);

// ---- shared helpers

// A simple column-aligned table (CJK characters count two columns).
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void Add(std::vector<std::string> row);
  void Print(std::ostream& out) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "TASK_STATE_ACTIVE" -> "ACTIVE" for any enum value name with `prefix`.
std::string ShortEnum(const std::string& name, const std::string& prefix);
std::string StateName(v1::TaskState state);
std::string RoleName(v1::Role role);
std::string TimeText(const google::protobuf::Timestamp& t);
std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& v);
// Cuts text to `width` code points, adding "…".
std::string Cut(const std::string& text, size_t width);

// Parses "YYYY-MM-DD" (start of that day, +08:00) or RFC 3339.
absl::StatusOr<google::protobuf::Timestamp> ParseTime(const std::string& text);

// Reads a JSON or TOML (by extension: .toml is TOML, anything else JSON)
// file into `message` with protobuf's JSON parser. In TOML and JSON,
// enum values may be written short: kind = "duty", types = ["signboard"],
// role = "reviewer".
absl::Status ReadMessageFile(const std::string& path,
                             google::protobuf::Message* message);

// The task as key: value lines plus its findings and approvals.
void PrintTaskDetails(std::ostream& out, const v1::Task& task);
// Tasks as a table.
void PrintTaskTable(std::ostream& out, const std::vector<v1::Task>& tasks);
// Audit events as a table.
void PrintEventTable(std::ostream& out,
                     const std::vector<v1::AuditEvent>& events);

// Prints one task in the chosen output (details, json or its id); 0.
int PrintTask(Context& ctx, const v1::Task& task);

// Prints one complaint: json, its id, or "complaint ID is STATE" followed by
// `note`; returns 0.
int PrintComplaint(Context& ctx, const v1::Complaint& complaint,
                   std::string_view note);

// Sends `request` (a new request id is set when empty) with `method` of
// `stub` and prints the resulting task; returns the exit code.
template <typename Stub>
int TaskAction(Context& ctx, Stub& stub,
               grpc::Status (Stub::*method)(grpc::ClientContext*,
                                            const v1::TaskActionRequest&,
                                            v1::Task*),
               v1::TaskActionRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  if (ctx.client() == nullptr) return kExitUsage;
  v1::Task task;
  grpc::Status status = ctx.client()->Call(stub, method, request, &task);
  if (!status.ok()) return ctx.Fail(status);
  return PrintTask(ctx, task);
}

// --limit and --page-size of the list commands.
struct ListFlags {
  int limit = 0;
  int page_size = 0;
};
void AddListFlags(CLI::App* app, ListFlags& flags);

// Prints the audit events of task `task_id` (every page); the exit code.
int PrintTaskHistory(Context& ctx, const std::string& task_id);

// Follows next_page_token: `fetch(page_token, page_size, &items)` returns
// the next token; stops at `limit` items (0: no limit).
template <typename Item>
grpc::Status Paginate(
    int limit, int page_size,
    const std::function<grpc::Status(const std::string&, int,
                                     std::vector<Item>*, std::string*)>& fetch,
    std::vector<Item>* out) {
  std::string token;
  for (;;) {
    int size = page_size;
    if (limit > 0) {
      const int remaining = limit - static_cast<int>(out->size());
      if (size <= 0 || size > remaining) size = remaining;
      if (size > 500) size = 500;
    }
    std::string next;
    grpc::Status status = fetch(token, size, out, &next);
    if (!status.ok()) return status;
    if (limit > 0 && static_cast<int>(out->size()) >= limit) {
      out->resize(limit);
      return grpc::Status::OK;
    }
    if (next.empty()) return grpc::Status::OK;
    token = next;
  }
}

// Prints a list of messages in the chosen output: json items, names via
// `name`, or a table via `table`.
template <typename Item>
void PrintList(Context& ctx, const std::vector<Item>& items,
               const std::function<std::string(const Item&)>& name,
               const std::function<void(std::ostream&)>& table) {
  switch (ctx.output()) {
    case Output::kJson: {
      std::vector<const google::protobuf::Message*> ptrs;
      for (const Item& i : items) ptrs.push_back(&i);
      ctx.PrintJsonItems(ptrs);
      return;
    }
    case Output::kName:
      for (const Item& i : items) ctx.out() << name(i) << "\n";
      return;
    case Output::kTable:
      table(ctx.out());
      return;
  }
}

}  // namespace taskgate::clients::cli

#endif  // TASKGATE_CLIENTS_CLI_H_
