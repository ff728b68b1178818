#include "clients/cli.h"

#include <algorithm>
#include <exception>
#include <fstream>
#include <sstream>
#include <utility>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <nlohmann/json.hpp>
#include <toml.hpp>

#include "clients/list_command.h"
#include "clients/printable.h"

namespace taskgate::clients::cli {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kDescription[] =
    "taskgate - the TaskGate client (社区工作事项准入制): departments submit "
    "tasks, reviewers decide, communities see their workload, auditors read "
    "the record, the operator keeps the lists, and anyone reads the public "
    "list (公示) of what was admitted: taskgate public (no token needed); "
    "taskgate watch follows your events as they come.\n"
    "Server and token: --address and --token-file (or --token), then "
    "TASKGATE_ADDRESS and TASKGATE_TOKEN, then "
    "~/.config/taskgate/config.toml (address, token, token_file). Prefer a "
    "token file or TASKGATE_TOKEN: other local users can read --token in "
    "ps.\n"
    "Exit codes: 0 ok, 2 usage, 3 not found, 4 permission denied or "
    "unauthenticated, 5 failed precondition/aborted/already exists, 6 "
    "unavailable/deadline, 7 invalid argument, 8 verification failed (audit "
    "verify, proof, consistency), 1 other.";

// Display columns of one UTF-8 code point starting with `lead`.
size_t Columns(uint32_t cp) {
  return (cp >= 0x1100 &&
          (cp <= 0x115f || (cp >= 0x2e80 && cp <= 0xa4cf) ||
           (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
           (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
           (cp >= 0xffe0 && cp <= 0xffe6)))
             ? 2
             : 1;
}

// Splits UTF-8 text into code points (byte ranges) with their widths.
std::vector<std::pair<std::string, size_t>> CodePoints(const std::string& s) {
  std::vector<std::pair<std::string, size_t>> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    len = std::min(len, s.size() - i);
    uint32_t cp = len == 1 ? c : c & (0xff >> (len + 1));
    for (size_t k = 1; k < len; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    }
    out.emplace_back(s.substr(i, len), Columns(cp));
    i += len;
  }
  return out;
}

size_t Width(const std::string& s) {
  size_t w = 0;
  for (const auto& [bytes, cols] : CodePoints(s)) w += cols;
  return w;
}

// Rewrites short enum spellings into the names protobuf's parser knows.
void NormalizeEnums(nlohmann::json& j) {
  auto fix = [](nlohmann::json& v, const std::string& prefix) {
    if (!v.is_string()) return;
    std::string s = absl::AsciiStrToUpper(v.get<std::string>());
    std::replace(s.begin(), s.end(), '-', '_');
    if (!absl::StartsWith(s, prefix)) s = prefix + s;
    v = s;
  };
  if (j.is_array()) {
    for (auto& e : j) NormalizeEnums(e);
    return;
  }
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "kind") fix(it.value(), "LIST_KIND_");
    if (it.key() == "role") fix(it.value(), "ROLE_");
    if (it.key() == "types" && it.value().is_array()) {
      for (auto& t : it.value()) fix(t, "TASK_TYPE_");
    } else if (it.value().is_structured() &&
               it.key() != "type_justifications") {
      NormalizeEnums(it.value());
    }
  }
}

nlohmann::json TomlToJson(const toml::value& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return v.as_boolean();
    case toml::value_t::integer:
      return v.as_integer();
    case toml::value_t::floating:
      return v.as_floating();
    case toml::value_t::string:
      return v.as_string().str;
    case toml::value_t::array: {
      nlohmann::json a = nlohmann::json::array();
      for (const toml::value& e : v.as_array()) a.push_back(TomlToJson(e));
      return a;
    }
    case toml::value_t::table: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& [k, e] : v.as_table()) o[k] = TomlToJson(e);
      return o;
    }
    default: {
      // Dates and times: as their TOML text, e.g. 2026-05-01.
      std::ostringstream text;
      text << v;
      return text.str();
    }
  }
}

}  // namespace

Client* Context::client() {
  if (client_ != nullptr) return client_.get();
  if (client_failed_) return nullptr;
  OptionSources sources;
  sources.address_flag = globals_.address;
  sources.token_flag = globals_.token;
  sources.token_file_flag = globals_.token_file;
  sources.config_file = globals_.config_file;
  absl::StatusOr<ClientOptions> options = ResolveOptions(sources);
  if (options.ok()) {
    options->tls_ca_file = globals_.tls_ca_file;
    options->tls_cert_file = globals_.tls_cert_file;
    options->tls_key_file = globals_.tls_key_file;
    options->timeout = absl::Seconds(globals_.timeout_seconds);
    options->max_retries = globals_.max_retries;
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(*options);
    if (client.ok()) {
      client_ = *std::move(client);
      return client_.get();
    }
    options = client.status();
  }
  err_ << "error: " << options.status().message() << "\n";
  client_failed_ = true;
  return nullptr;
}

Output Context::output() const {
  if (globals_.output == "json") return Output::kJson;
  if (globals_.output == "name") return Output::kName;
  return Output::kTable;
}

int Context::Fail(const grpc::Status& status) {
  err_ << FormatError(status);
  return ExitCodeFor(status.error_code());
}

int Context::Usage(const std::string& message) {
  err_ << "error: " << message << "\n"
       << "hint: run the command with --help for its flags and an example\n";
  return kExitUsage;
}

namespace {
std::string JsonOf(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.always_print_enums_as_ints = false;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}
}  // namespace

void Context::PrintJson(const google::protobuf::Message& message) {
  out_ << nlohmann::json::parse(JsonOf(message)).dump(2) << "\n";
}

std::string JsonItems(
    const std::vector<const google::protobuf::Message*>& items) {
  nlohmann::json doc = {{"items", nlohmann::json::array()}};
  for (const google::protobuf::Message* m : items) {
    doc["items"].push_back(nlohmann::json::parse(JsonOf(*m)));
  }
  return doc.dump(2) + "\n";
}

CLI::App* Registry::Leaf(CLI::App* parent, const std::string& name,
                         const std::string& description,
                         const std::string& example, Action action) {
  CLI::App* app = parent->add_subcommand(name, description);
  app->footer("Example:\n  " + example + "\n");
  actions_[app] = std::move(action);
  return app;
}

CLI::App* Registry::Group(CLI::App* parent, const std::string& name,
                          const std::string& description,
                          const std::string& example) {
  CLI::App* app = parent->add_subcommand(name, description);
  app->require_subcommand(1);
  app->footer("Example:\n  " + example + "\n");
  return app;
}

const Action* Registry::Chosen(const CLI::App& app) const {
  for (const CLI::App* sub : app.get_subcommands()) {
    if (auto it = actions_.find(sub); it != actions_.end()) return &it->second;
    if (const Action* a = Chosen(*sub)) return a;
  }
  return nullptr;
}

int Run(int argc, const char* const* argv, std::ostream& raw_out,
        std::ostream& raw_err) {
  // Nothing reaches a terminal raw, whatever the server sends (SPEC §9).
  PrintableStream out(raw_out);
  PrintableStream err(raw_err);
  Globals globals;
  Registry registry;
  CLI::App app(kDescription, "taskgate");
  app.require_subcommand(1);
  // Global flags may come after the command too (taskgate dept list -o json);
  // subcommands inherit this setting.
  app.fallthrough();
  app.footer(
      "Example:\n  export TASKGATE_TOKEN=$(awk '$1==\"clerk-civil\"{print $3}' "
      "var/demo-tokens.txt)\n  taskgate dept list");
  app.set_help_all_flag("--help-all", "Help of every command");
  app.add_option("--address", globals.address,
                 "Server host:port (default: TASKGATE_ADDRESS, the config "
                 "file, 127.0.0.1:7470)");
  // A command line is world-readable (ps, /proc/PID/cmdline): the file and
  // the environment keep the secret to the user.
  CLI::Option* token_file = app.add_option(
      "--token-file", globals.token_file,
      "File holding the bearer token (keep it mode 0600); preferred, with "
      "TASKGATE_TOKEN, to --token");
  app.add_option("--token", globals.token,
                 "Bearer token; other local users can read it in ps, so "
                 "prefer --token-file or TASKGATE_TOKEN (default: "
                 "TASKGATE_TOKEN, the config file)")
      ->excludes(token_file);
  app.add_option("--config", globals.config_file,
                 "Client config file (default: "
                 "~/.config/taskgate/config.toml)");
  app.add_option("--tls-ca-file", globals.tls_ca_file,
                 "PEM CA bundle: connect with TLS verified against it");
  app.add_option("--tls-cert-file", globals.tls_cert_file,
                 "PEM client certificate for mutual TLS; without a token, "
                 "its identity bound by an admin authenticates (needs "
                 "--tls-key-file and --tls-ca-file)");
  app.add_option("--tls-key-file", globals.tls_key_file,
                 "PEM private key of --tls-cert-file (keep it mode 0600)");
  app.add_option("-o,--output", globals.output,
                 "Output: table (for people), json (protobuf JSON, lists as "
                 "{\"items\":[...]}), name (ids only), csv (audit events only)")
      ->check(CLI::IsMember({"table", "json", "name", "csv"}));
  app.add_option("--timeout", globals.timeout_seconds,
                 "Seconds to wait for each attempt")
      ->check(CLI::PositiveNumber);
  app.add_option("--retries", globals.max_retries,
                 "Retries of an UNAVAILABLE call (same request id); for watch, "
                 "reconnections in a row")
      ->check(CLI::Range(0, 10));

  AddDeptCommands(app, registry);
  AddReviewCommands(app, registry);
  AddCommunityCommands(app, registry);
  AddAuditCommands(app, registry);
  AddAdminCommands(app, registry);
  AddPublicCommands(app, registry);
  AddWatchCommand(app, registry);
  // Attachments: the department adds them; every role that reads tasks
  // lists and downloads them.
  AddAttachCommand(app.get_subcommand("dept"), registry);
  for (const char* group : {"dept", "review", "community", "audit", "admin"}) {
    AddAttachmentCommands(app.get_subcommand(group), registry);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    app.exit(e, out, err);
    return kExitUsage;
  }
  const Action* action = registry.Chosen(app);
  if (action == nullptr) {
    err << "error: no command given\nhint: run taskgate --help\n";
    return kExitUsage;
  }
  Context ctx(globals, out, err);
  try {
    return (*action)(ctx);
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return kExitOther;
  }
}

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::Add(std::vector<std::string> row) {
  row.resize(headers_.size());
  // A cell is one line: a newline in it would forge a row.
  for (std::string& cell : row) cell = Printable(cell);
  rows_.push_back(std::move(row));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths(headers_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], Width(row[i]));
    }
  };
  measure(headers_);
  for (const auto& r : rows_) measure(r);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(widths[i] - Width(row[i]) + 2, ' ');
    }
    out << line << "\n";
  };
  print(headers_);
  for (const auto& r : rows_) print(r);
}

std::string ShortEnum(const std::string& name, const std::string& prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

std::string StateName(v1::TaskState state) {
  return ShortEnum(v1::TaskState_Name(state), "TASK_STATE_");
}

std::string RoleName(v1::Role role) {
  return absl::AsciiStrToLower(ShortEnum(v1::Role_Name(role), "ROLE_"));
}

std::string TimeText(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return TimeUtil::ToString(t);
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& v) {
  return absl::StrJoin(v, ",");
}

std::string Cut(const std::string& text, size_t width) {
  std::string out;
  size_t w = 0;
  for (const auto& [bytes, cols] : CodePoints(text)) {
    if (w + cols > width) return out + "…";
    out += bytes;
    w += cols;
  }
  return out;
}

absl::StatusOr<google::protobuf::Timestamp> ParseTime(const std::string& text) {
  std::string rfc3339 = text;
  if (text.size() == 10) rfc3339 = text + "T00:00:00+08:00";
  google::protobuf::Timestamp t;
  if (!TimeUtil::FromString(rfc3339, &t)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad time '", text,
                     "': use YYYY-MM-DD or RFC 3339 like "
                     "2026-03-01T00:00:00+08:00"));
  }
  return t;
}

absl::Status ReadMessageFile(const std::string& path,
                             google::protobuf::Message* message) {
  nlohmann::json doc;
  try {
    if (absl::EndsWith(path, ".toml")) {
      doc = TomlToJson(toml::parse(path));
    } else {
      std::ifstream in(path);
      if (!in) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot read ", path, ": check the path"));
      }
      doc = nlohmann::json::parse(in);
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse ", path, ": ", e.what()));
  }
  NormalizeEnums(doc);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status =
      google::protobuf::util::JsonStringToMessage(doc.dump(), message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ",
        std::string(status.message().data(), status.message().size()),
        " (field names are those of taskgate.v1.", message->GetTypeName(),
        ")"));
  }
  return absl::OkStatus();
}

namespace {

// "2026-05" or "2026-05..2026-07".
std::string MonthsText(const v1::CapacityExcess& e) {
  if (e.first_month() == e.last_month()) return e.first_month();
  return absl::StrCat(e.first_month(), "..", e.last_month());
}

// The structured data of `f` (SPEC §4.1) as rows of "  RULE", "CONCERNS",
// "NUMBERS": one a community and run of months (R-CAPACITY), a community
// over a controlled limit or the unjustified types (R-CONTROLLED), the
// task duplicated (R-DUPLICATE), the lead days (R-LEAD-TIME).
void AddFindingData(Table& t, const v1::Finding& f) {
  const std::string rule = "  " + f.rule_id();
  switch (f.details_case()) {
    case v1::Finding::kCapacity:
      for (const v1::CapacityExcess& e : f.capacity().excesses()) {
        t.Add({rule, absl::StrCat(e.community_id(), " ", MonthsText(e)),
               absl::StrCat("load ", e.load_hours(), " h + this task ",
                            e.task_hours(),
                            " h = ", e.load_hours() + e.task_hours(),
                            " h > capacity ", e.capacity_hours(), " h")});
      }
      break;
    case v1::Finding::kControlled: {
      const v1::ControlledDetails& d = f.controlled();
      for (const v1::ControlledExcess& e : d.excesses()) {
        t.Add(
            {rule, absl::StrCat(e.community_id(), " ", d.controlled_type()),
             absl::StrCat("baseline ", e.baseline_units(), " + in force ",
                          e.tasks_units(), " + this task ", e.task_units(),
                          " = ", e.units_in_force(), " > limit ", e.limit())});
      }
      if (!d.unjustified_types().empty()) {
        std::vector<std::string> types;
        for (int type : d.unjustified_types()) {
          types.push_back(absl::AsciiStrToLower(
              ShortEnum(v1::TaskType_Name(static_cast<v1::TaskType>(type)),
                        "TASK_TYPE_")));
        }
        t.Add({rule, "types without justification (缺少理由)",
               absl::StrJoin(types, ", ")});
      }
      break;
    }
    case v1::Finding::kDuplicate:
      t.Add({rule, "duplicates (重复下派)",
             absl::StrCat("task ", Joined(f.duplicate().task_ids()))});
      break;
    case v1::Finding::kLeadTime:
      t.Add({rule, "notice (提前期)",
             absl::StrCat(f.lead_time().lead_days(), " days, ",
                          f.lead_time().required_days(), " required")});
      break;
    case v1::Finding::DETAILS_NOT_SET:
      break;
  }
}

}  // namespace

void PrintTaskDetails(std::ostream& out, const v1::Task& task) {
  const v1::TaskSpec& s = task.spec();
  // Each value is one line: a newline in it would forge another key.
  auto line = [&out](const std::string& key, const std::string& value) {
    if (!value.empty()) out << key << ": " << Printable(value) << "\n";
  };
  line("id", task.id());
  line("state", StateName(task.state()));
  line("department", task.department_id());
  line("title", s.title());
  line("item", s.item_code().empty() ? "(new item)" : s.item_code());
  line("legal basis", s.legal_basis());
  line("dates", absl::StrCat(s.start_date(), " .. ", s.end_date()));
  line("targets", absl::StrJoin({Joined(s.target_communities()),
                                 Joined(s.target_street_ids()),
                                 Joined(s.target_streets())},
                                " "));
  line("resolved communities", Joined(task.resolved_communities()));
  line("hours per community-month",
       absl::StrCat(s.hours_per_community_month()));
  line("funding per community", absl::StrCat(s.funding_per_community_yuan(),
                                             " yuan ", s.funding_source()));
  line("due", task.due_date());
  line("claimed by", task.claimed_by());
  if (task.overdue()) line("overdue", "yes");
  if (task.needs_two_approvals()) {
    line("approvals", absl::StrCat(task.approvals_size(), " of 2"));
  }
  if (task.awaiting_second_approval()) {
    line("awaiting", "the second approval (待二次审批) by another reviewer");
  }
  if (task.admitted_by_duty_list()) line("admitted", "by the duty list");
  line("catalog version",
       task.catalog_version() > 0 ? absl::StrCat(task.catalog_version()) : "");
  line("etag", task.etag());
  if (task.findings().empty()) {
    out << "findings: none\n";
    return;
  }
  out << "findings:\n";
  Table t({"  RULE", "SEVERITY", "FIELDS", "COMMUNITIES", "MESSAGE"});
  for (const v1::Finding& f : task.findings()) {
    t.Add({"  " + f.rule_id(),
           ShortEnum(v1::Severity_Name(f.severity()), "SEVERITY_"),
           Joined(f.fields()), Joined(f.communities()), f.message()});
  }
  t.Print(out);
  Table data({"  RULE", "CONCERNS", "NUMBERS"});
  for (const v1::Finding& f : task.findings()) AddFindingData(data, f);
  if (data.empty()) return;
  out << "finding data (数据):\n";
  data.Print(out);
}

void PrintTaskTable(std::ostream& out, const std::vector<v1::Task>& tasks) {
  Table t({"ID", "STATE", "DEPARTMENT", "TITLE", "COMMUNITIES", "HOURS", "DUE",
           "FINDINGS"});
  for (const v1::Task& task : tasks) {
    std::vector<std::string> rules;
    for (const v1::Finding& f : task.findings()) rules.push_back(f.rule_id());
    std::string state = StateName(task.state());
    if (task.overdue()) state += " (overdue)";
    if (task.awaiting_second_approval()) state += " (awaiting 2nd approval)";
    t.Add({task.id(), state, task.department_id(), Cut(task.spec().title(), 30),
           Cut(Joined(task.resolved_communities().empty()
                          ? task.spec().target_communities()
                          : task.resolved_communities()),
               30),
           absl::StrCat(task.spec().hours_per_community_month()),
           task.due_date(), absl::StrJoin(rules, ",")});
  }
  t.Print(out);
}

void PrintEventTable(std::ostream& out,
                     const std::vector<v1::AuditEvent>& events) {
  Table t({"SEQ", "TIME", "ACTOR", "ACTION", "ENTITY", "STATE", "REASON"});
  for (const v1::AuditEvent& e : events) {
    std::string state = e.state_before();
    if (!e.state_after().empty() || !state.empty()) {
      state = absl::StrCat(state.empty() ? "-" : state, " -> ",
                           e.state_after().empty() ? "-" : e.state_after());
    }
    t.Add({absl::StrCat(e.seq()), TimeText(e.event_time()),
           absl::StrCat(e.actor_id(), " (", RoleName(e.actor_role()), ")"),
           e.action(), absl::StrCat(e.entity_type(), "/", e.entity_id()), state,
           Cut(e.reason(), 40)});
  }
  t.Print(out);
}

void PrintEventChanges(std::ostream& out,
                       const std::vector<v1::AuditEvent>& events) {
  // Values are cut to keep one change per line; --output json has them whole.
  auto value = [](const std::string& v) {
    return v.empty() ? std::string("(empty)") : Cut(v, 60);
  };
  for (const v1::AuditEvent& e : events) {
    out << "#" << e.seq() << "  " << TimeText(e.event_time()) << "  "
        << e.actor_id() << " (" << RoleName(e.actor_role()) << ")  "
        << e.action() << "  " << e.entity_type() << "/" << e.entity_id();
    if (!e.state_before().empty() || !e.state_after().empty()) {
      out << "  " << (e.state_before().empty() ? "-" : e.state_before())
          << " -> " << (e.state_after().empty() ? "-" : e.state_after());
    }
    if (!e.reason().empty()) out << "  \"" << Cut(e.reason(), 60) << "\"";
    out << "\n";
    for (const v1::EntityWrite& w : e.writes()) {
      const bool same_entity =
          w.kind() == e.entity_type() && w.id() == e.entity_id();
      if (!same_entity) out << "    " << w.kind() << " " << w.id() << ":\n";
      const char* indent = same_entity ? "    " : "      ";
      int unchanged = 0;
      for (const v1::FieldChange& c : w.changes()) {
        if (c.before() == c.after()) {
          ++unchanged;
          continue;
        }
        out << indent << c.field() << ": " << value(c.before()) << " -> "
            << value(c.after()) << "\n";
      }
      if (unchanged > 0) {
        out << indent << "(and " << unchanged
            << " unchanged fields: the whole state is recorded)\n";
      }
    }
  }
}

void AddTaskActionFlags(CLI::App* app, TaskActionFlags& flags,
                        ReasonFlag reason) {
  app->add_option("TASK", flags.task_id, "Task id")->required();
  app->add_option("--etag", flags.etag,
                  "Fail with ABORTED if the task changed since read");
  if (reason != ReasonFlag::kNone) {
    CLI::Option* o = app->add_option("--reason", flags.reason, "Why");
    if (reason == ReasonFlag::kRequired) o->required();
  }
}

v1::TaskActionRequest TaskActionRequestOf(const TaskActionFlags& flags) {
  v1::TaskActionRequest r;
  r.set_task_id(flags.task_id);
  r.set_etag(flags.etag);
  r.set_reason(flags.reason);
  return r;
}

int PrintResource(Context& ctx, const google::protobuf::Message& message,
                  const std::string& name,
                  const std::function<void(std::ostream&)>& text) {
  switch (ctx.output()) {
    case Output::kJson:
      ctx.PrintJson(message);
      break;
    case Output::kName:
      ctx.out() << name << "\n";
      break;
    case Output::kTable:
      text(ctx.out());
      break;
  }
  return kExitOk;
}

int ReadTask(Context& ctx, const std::string& task_id, v1::Task* task) {
  v1::GetTaskRequest request;
  request.set_task_id(task_id);
  return ctx.Call(&Client::tasks, &v1::TaskService::Stub::GetTask, request,
                  task);
}

int PrintTask(Context& ctx, const v1::Task& task) {
  return PrintResource(ctx, task, task.id(),
                       [&](std::ostream& out) { PrintTaskDetails(out, task); });
}

int PrintComplaint(Context& ctx, const v1::Complaint& complaint,
                   std::string_view note) {
  return PrintResource(ctx, complaint, complaint.id(), [&](std::ostream& out) {
    out << "complaint " << complaint.id() << " is "
        << ShortEnum(v1::ComplaintState_Name(complaint.state()),
                     "COMPLAINT_STATE_")
        << note << "\n";
  });
}

// For `dept history` and `audit history`: every page, 500 events a request.
int PrintTaskHistory(Context& ctx, const std::string& task_id) {
  v1::ListEventsRequest request;
  request.set_task_id(task_id);
  return RunList(ctx, &Client::audit, &v1::AuditService::Stub::ListEvents,
                 request, &v1::ListEventsResponse::events, kHistoryList,
                 {.limit = 0, .page_size = kMaxPageSize});
}

}  // namespace taskgate::clients::cli
