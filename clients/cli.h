// The `taskgate` command line tool: global flags, output (table, json,
// name), the registry of leaf commands, and the helpers the command groups
// share. Each group (dept, review, community, audit, admin, public) adds its
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

// A unary RPC of a generated stub, e.g. `&v1::TaskService::Stub::GetTask`.
template <typename Stub, typename Request, typename Response>
using RpcMethod = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&,
                                         Response*);

struct Globals {
  std::string address;
  std::string token;
  std::string token_file;
  std::string config_file;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
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

  // Calls `method` of the client's `stub` (e.g. `&Client::tasks`) with
  // `request`. Returns kExitOk with `*response` set; else prints why and
  // returns the exit code: kExitUsage when there is no client, that of the
  // call's status when it failed (`Fail`).
  template <typename Stub, typename Request, typename Response>
  int Call(Stub& (Client::*stub)(), RpcMethod<Stub, Request, Response> method,
           const Request& request, Response* response) {
    Client* c = client();
    if (c == nullptr) return kExitUsage;
    grpc::Status status = c->Call((c->*stub)(), method, request, response);
    return status.ok() ? int{kExitOk} : Fail(status);
  }

  // Prints `FormatError(status)` to stderr; returns its exit code.
  int Fail(const grpc::Status& status);
  // Prints "error: <message>" and a hint to run --help; returns 2.
  int Usage(const std::string& message);
  // The message as protobuf JSON, one document.
  void PrintJson(const google::protobuf::Message& message);

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
void AddPublicCommands(CLI::App& root, Registry& registry);
// `watch`: following events as they come (clients/cmd_watch.cc).
void AddWatchCommand(CLI::App& root, Registry& registry);
// `dept attach` and `<role> attachments list|get` (clients/cmd_attach.cc).
void AddAttachCommand(CLI::App* dept, Registry& registry);
void AddAttachmentCommands(CLI::App* group, Registry& registry);
// `admin calendar ...` (clients/cmd_calendar.cc), below the admin group.
void AddCalendarCommands(CLI::App* admin, Registry& registry);

// Runs the tool; returns the process exit code. What it prints goes to
// `out` and `err` through `PrintableStream` (clients/printable.h).
int Run(int argc, const char* const* argv, std::ostream& out,
        std::ostream& err);

// ---- shared helpers

// A simple column-aligned table (CJK characters count two columns). Each
// cell is one line, shown through `Printable` (clients/printable.h).
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

// {"items": [...]} of the messages as protobuf JSON, indented, with a
// final newline: how --output json prints a list.
std::string JsonItems(
    const std::vector<const google::protobuf::Message*>& items);

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
// Audit events one after the other, each followed by the fields its change
// wrote, old -> new (what `audit history` shows).
void PrintEventChanges(std::ostream& out,
                       const std::vector<v1::AuditEvent>& events);

// Prints one resource in the chosen output: `message` as JSON, `name` for
// --output name, or `text` for people; returns kExitOk.
int PrintResource(Context& ctx, const google::protobuf::Message& message,
                  const std::string& name,
                  const std::function<void(std::ostream&)>& text);

// Reads task `task_id` into `*task`. Returns kExitOk, or the exit code
// after printing why (see `Context::Call`).
int ReadTask(Context& ctx, const std::string& task_id, v1::Task* task);

// Prints one task in the chosen output (details, json or its id); 0.
int PrintTask(Context& ctx, const v1::Task& task);

// Prints one complaint: json, its id, or "complaint ID is STATE" followed by
// `note`; returns 0.
int PrintComplaint(Context& ctx, const v1::Complaint& complaint,
                   std::string_view note);

// TASK, --etag and, as `reason` says, --reason of a task action.
struct TaskActionFlags {
  std::string task_id;
  std::string etag;
  std::string reason;
};
enum class ReasonFlag { kNone, kOptional, kRequired };
void AddTaskActionFlags(CLI::App* app, TaskActionFlags& flags,
                        ReasonFlag reason);
// The request of those flags.
v1::TaskActionRequest TaskActionRequestOf(const TaskActionFlags& flags);

// Sends `request` (a new request id is set when empty) with `method` of
// the client's `stub` and prints the resulting task; returns the exit code.
template <typename Stub>
int TaskAction(Context& ctx, Stub& (Client::*stub)(),
               RpcMethod<Stub, v1::TaskActionRequest, v1::Task> method,
               v1::TaskActionRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  v1::Task task;
  if (int code = ctx.Call(stub, method, request, &task); code != kExitOk) {
    return code;
  }
  return PrintTask(ctx, task);
}

// Prints the audit events of task `task_id` (every page); the exit code.
int PrintTaskHistory(Context& ctx, const std::string& task_id);

}  // namespace taskgate::clients::cli

#endif  // TASKGATE_CLIENTS_CLI_H_
