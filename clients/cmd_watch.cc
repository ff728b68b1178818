// `taskgate watch`: following events as they come (EventService/
// WatchEvents, SPEC §8): each event the caller may read is printed as one
// line when the server commits it (a decision on a department's task, an
// assignment reaching a community, ...), so nobody has to poll. When the
// connection drops or the server restarts, it follows again from the last
// event it printed (at most --retries times in a row), so nothing is
// missed or printed twice.
#include <cstdint>
#include <memory>
#include <string>

#include <absl/strings/str_cat.h>
#include <google/protobuf/util/json_util.h>

#include "clients/cli.h"
#include "clients/printable.h"

namespace taskgate::clients::cli {
namespace {

struct WatchFlags {
  int64_t after = 0;
  std::string task;
  std::string action;
  int64_t max_events = 0;
  bool heartbeats = false;
};

// One line per event: seq, time, actor, action, entity, state, reason.
std::string EventLine(const v1::AuditEvent& e) {
  std::string line =
      absl::StrCat("#", e.seq(), "  ", TimeText(e.event_time()), "  ",
                   e.actor_id(), " (", RoleName(e.actor_role()), ")  ",
                   e.action(), "  ", e.entity_type(), "/", e.entity_id());
  if (!e.state_before().empty() || !e.state_after().empty()) {
    absl::StrAppend(&line, "  ",
                    e.state_before().empty() ? "-" : e.state_before(), " -> ",
                    e.state_after().empty() ? "-" : e.state_after());
  }
  if (!e.reason().empty())
    absl::StrAppend(&line, "  \"", Cut(e.reason(), 60), "\"");
  return line;
}

std::string JsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

int RunWatch(Context& ctx, const WatchFlags& flags) {
  Client* client = ctx.client();
  if (client == nullptr) return kExitUsage;
  if (flags.after < 0) return ctx.Usage("--after must be 0 or a seq");
  v1::WatchEventsRequest request;
  request.set_after_seq(flags.after);
  request.set_task_id(flags.task);
  request.set_action_prefix(flags.action);
  int64_t printed = 0;
  const grpc::Status status = client->Watch(
      request,
      [&](const v1::WatchEventsResponse& m) {
        if (m.has_heartbeat() && !flags.heartbeats) return true;
        if (ctx.output() == Output::kJson) {
          ctx.out() << JsonLine(m) << "\n";
        } else if (m.has_event()) {
          ctx.out() << (ctx.output() == Output::kName
                            ? absl::StrCat(m.event().seq())
                            : EventLine(m.event()))
                    << "\n";
        } else {
          ctx.out() << "(heartbeat: up to date at seq "
                    << m.heartbeat().head_seq() << ")\n";
        }
        // Each line is out as it comes, for whoever reads the file or pipe.
        ctx.out().flush();
        if (m.has_event()) ++printed;
        return flags.max_events == 0 || printed < flags.max_events;
      },
      [&](const grpc::Status& lost, int64_t after) {
        ctx.err() << "connection lost (" << lost.error_message()
                  << "); following again after seq " << after << "\n";
        ctx.err().flush();
      });
  return status.ok() ? int{kExitOk} : ctx.Fail(status);
}

}  // namespace

void AddWatchCommand(CLI::App& root, Registry& registry) {
  auto flags = std::make_shared<WatchFlags>();
  CLI::App* app = registry.Leaf(
      &root, "watch",
      "Follow the events you may read as they come (关注事件): a department "
      "its tasks, a community its assignments once admitted, reviewers the "
      "review queue, auditors everything. One line per event (--output json: "
      "one JSON object per line); runs until interrupted, and resumes after "
      "the last event printed when the connection drops (--retries times in "
      "a row)",
      "taskgate watch --after 120 --output json > events.jsonl",
      [flags](Context& ctx) { return RunWatch(ctx, *flags); });
  app->add_option("--after", flags->after,
                  "Start after this seq (the last one you saw); default 0, "
                  "the whole history you may read");
  app->add_option("--task", flags->task, "Only the events of this task");
  app->add_option("--action", flags->action,
                  "Only actions starting with this, e.g. task.approve");
  app->add_option("--max-events", flags->max_events,
                  "Exit (0) after this many events; default 0, never")
      ->check(CLI::NonNegativeNumber);
  app->add_flag("--heartbeats", flags->heartbeats,
                "Also print the server's heartbeats (up to date at seq N)");
}

}  // namespace taskgate::clients::cli
