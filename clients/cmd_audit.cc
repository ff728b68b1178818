// `taskgate audit ...`: the inspector's read of the record, its export, and
// the checks an inspector runs on it: inclusion and consistency proofs
// against a checkpoint kept earlier, and `audit verify`, which checks an
// exported bundle offline with only the server's public key.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_join.h>
#include <absl/time/time.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <nlohmann/json.hpp>

#include "audit/bundle.h"
#include "audit/checkpoint.h"
#include "audit/log_verifier.h"
#include "audit/merkle.h"
#include "audit/signing.h"
#include "clients/audit_proto.h"
#include "clients/cli.h"

namespace taskgate::clients::cli {
namespace {

using google::protobuf::util::TimeUtil;

// The filters shared by `audit events` and the csv/json forms of `audit
// export`.
struct EventFilters {
  std::string task, department, community, actor, action, entity_type,
      entity_id, state, since, until;

  // True when a filter other than the time range is set: a bundle holds
  // every event of its range, so it takes none of these.
  bool narrows() const {
    return !task.empty() || !department.empty() || !community.empty() ||
           !actor.empty() || !action.empty() || !entity_type.empty() ||
           !entity_id.empty() || !state.empty();
  }
};

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

// Sets `*field` from `text` when given; the parse error otherwise.
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

// Every event matching `base` (up to `limit`; 0: all), page by page.
grpc::Status FetchEvents(Client& c, const v1::ListEventsRequest& base,
                         int limit, int page_size,
                         std::vector<v1::AuditEvent>* events) {
  return Paginate<v1::AuditEvent>(
      limit, page_size,
      [&](const std::string& token, int size, std::vector<v1::AuditEvent>* out,
          std::string* next) {
        v1::ListEventsRequest r = base;
        r.set_page_size(size);
        r.set_page_token(token);
        v1::ListEventsResponse resp;
        grpc::Status st =
            c.Call(c.audit(), &v1::AuditService::Stub::ListEvents, r, &resp);
        out->insert(out->end(), resp.events().begin(), resp.events().end());
        *next = resp.next_page_token();
        return st;
      },
      events);
}

// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line
// break, with quotes doubled. Bytes pass through, so UTF-8 stays as is.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// RFC 3339 in UTC ("...Z"), as TimeUtil writes it.
std::string UtcText(const google::protobuf::Timestamp& t) {
  return TimeUtil::ToString(t);
}

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
    const std::vector<std::string> row = {absl::StrCat(e.seq()),
                                          UtcText(e.event_time()),
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

// {"items": [...]} of the events, as `--output json` prints lists.
std::string EventsJson(const std::vector<v1::AuditEvent>& events) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  nlohmann::json doc = {{"items", nlohmann::json::array()}};
  for (const v1::AuditEvent& e : events) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(e, &json, options);
    doc["items"].push_back(nlohmann::json::parse(json));
  }
  return doc.dump(2) + "\n";
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": check the path"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `content` to `path`, or to the command's output for "-".
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

// The checkpoint an auditor kept, from its JSON file.
absl::StatusOr<audit::Checkpoint> ReadKept(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<audit::Checkpoint> c = audit::CheckpointFromJson(*text);
  if (!c.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        " is not a kept checkpoint: ", std::string(c.status().message())));
  }
  return c;
}

// The kept checkpoint of a --checkpoint flag (nullopt when not given),
// refusing a size flag that names another size.
absl::StatusOr<std::optional<audit::Checkpoint>> ReadKeptFlag(
    const std::string& path, int64_t size, std::string_view size_flag) {
  if (path.empty()) return std::nullopt;
  absl::StatusOr<audit::Checkpoint> kept = ReadKept(path);
  if (!kept.ok()) return kept.status();
  if (size != 0 && size != kept->tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(size_flag), " ", size, " disagrees with ",
                     path, " (size ", kept->tree_size, "); give one of them"));
  }
  return *kept;
}

absl::StatusOr<audit::VerifyingKey> ReadKey(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<audit::VerifyingKey> key =
      audit::VerifyingKey::FromPem(std::string_view(pem->data(), pem->size()));
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not the server's public key: ",
                     std::string(key.status().message()),
                     " (get it with taskgate audit pubkey)"));
  }
  return key;
}

// The first 16 hex digits of a root, enough for people to compare.
std::string Short(const std::string& hex) {
  return hex.size() > 16 ? hex.substr(0, 16) + "…" : hex;
}

// Asks for the bundle's header, reads its events and assembles the bundle.
// Usage problems come back as INVALID_ARGUMENT; `*rpc` holds a failed call.
absl::StatusOr<audit::Bundle> FetchBundle(
    Client& c, const v1::ExportBundleRequest& request, grpc::Status* rpc) {
  v1::BundleHeader h;
  *rpc = c.Call(c.audit(), &v1::AuditService::Stub::ExportBundle, request, &h);
  if (!rpc->ok()) return absl::UnknownError("export refused");
  std::vector<v1::AuditEvent> events;
  if (h.last_seq() >= h.first_seq()) {
    v1::ListEventsRequest base;
    base.set_start_seq(h.first_seq());
    base.set_end_seq(h.last_seq());
    base.set_include_canonical(true);
    *rpc = FetchEvents(c, base, 0, 500, &events);
    if (!rpc->ok()) return absl::UnknownError("listing refused");
  }
  return AssembleBundle(request, h, events);
}

void AddEventsCommand(CLI::App* group, Registry& registry) {
  struct Flags : ListFlags, EventFilters {};
  auto f = std::make_shared<Flags>();
  CLI::App* app = registry.Leaf(
      group, "events",
      "Audit events in log order, filtered (all filters ANDed); --output "
      "json or csv exports the selection (csv: seq, time in UTC, actor, "
      "action, entity, states, reason, request, department, communities "
      "joined by ';', details as key=value joined by ';', leaf hash)",
      "taskgate audit events --since 2026-03-01 --until 2026-04-01 "
      "--state REJECTED --output csv > march-rejections.csv",
      [f](Context& ctx) {
        absl::StatusOr<v1::ListEventsRequest> base = EventsRequest(*f);
        if (!base.ok()) return ctx.Usage(std::string(base.status().message()));
        if (ctx.client() == nullptr) return int{kExitUsage};
        std::vector<v1::AuditEvent> events;
        grpc::Status s =
            FetchEvents(*ctx.client(), *base, f->limit, f->page_size, &events);
        if (!s.ok()) return ctx.Fail(s);
        if (ctx.csv()) {
          ctx.out() << EventsCsv(events);
          return int{kExitOk};
        }
        PrintList<v1::AuditEvent>(
            ctx, events,
            [](const v1::AuditEvent& e) { return absl::StrCat(e.seq()); },
            [&](std::ostream& out) { PrintEventTable(out, events); });
        return int{kExitOk};
      });
  AddListFlags(app, *f);
  AddEventFilters(app, *f);
}

void AddExportCommand(CLI::App* group, Registry& registry) {
  struct Flags : EventFilters {
    std::string kept, format = "bundle", out;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* app = registry.Leaf(
      group, "export",
      "Export the log: a self-contained bundle (default) of every event of "
      "the time range, or of the whole log, in canonical and readable form "
      "with a signed checkpoint and the proofs, which `taskgate audit "
      "verify` checks offline; or the filtered events as csv or json",
      "taskgate audit export --from 2026-03-01 --to 2026-04-01 --checkpoint "
      "kept.json --out march.bundle.json",
      [f](Context& ctx) {
        if (f->format == "bundle") {
          if (f->out.empty()) {
            return ctx.Usage(
                "a bundle needs --out FILE (or --out - for standard output)");
          }
          if (f->narrows()) {
            return ctx.Usage(
                "a bundle holds every event of its time range, so it takes "
                "only --from and --to; use --format csv or json to filter");
          }
        }
        v1::ExportBundleRequest request;
        if (absl::Status s = SetTime(f->since, request.mutable_start_time());
            !s.ok()) {
          return ctx.Usage(std::string(s.message()));
        }
        if (absl::Status s = SetTime(f->until, request.mutable_end_time());
            !s.ok()) {
          return ctx.Usage(std::string(s.message()));
        }
        if (f->since.empty()) request.clear_start_time();
        if (f->until.empty()) request.clear_end_time();
        if (!f->kept.empty()) {
          absl::StatusOr<audit::Checkpoint> kept = ReadKept(f->kept);
          if (!kept.ok())
            return ctx.Usage(std::string(kept.status().message()));
          request.set_since_tree_size(kept->tree_size);
        }
        const std::string out = f->out.empty() ? "-" : f->out;
        if (ctx.client() == nullptr) return int{kExitUsage};
        Client& c = *ctx.client();

        if (f->format != "bundle") {
          absl::StatusOr<v1::ListEventsRequest> base = EventsRequest(*f);
          if (!base.ok()) {
            return ctx.Usage(std::string(base.status().message()));
          }
          std::vector<v1::AuditEvent> events;
          grpc::Status s = FetchEvents(c, *base, 0, 500, &events);
          if (!s.ok()) return ctx.Fail(s);
          absl::Status w = WriteOut(
              ctx, out,
              f->format == "csv" ? EventsCsv(events) : EventsJson(events));
          if (!w.ok()) return ctx.Usage(std::string(w.message()));
          if (out != "-") {
            ctx.out() << "exported " << events.size() << " events to " << out
                      << "\n";
          }
          return int{kExitOk};
        }

        grpc::Status rpc;
        absl::StatusOr<audit::Bundle> bundle = FetchBundle(c, request, &rpc);
        if (!rpc.ok()) return ctx.Fail(rpc);
        if (!bundle.ok()) {
          ctx.err() << "error: " << bundle.status().message() << "\n";
          return int{kExitOther};
        }
        absl::Status w = WriteOut(ctx, out, audit::BundleToJson(*bundle));
        if (!w.ok()) return ctx.Usage(std::string(w.message()));
        // With the bundle on standard output, the summary goes beside it.
        std::ostream& summary = out == "-" ? ctx.err() : ctx.out();
        summary << "exported " << bundle->events.size() << " events";
        if (!bundle->events.empty()) {
          summary << " (seq " << bundle->first_seq << ".." << bundle->last_seq
                  << ")";
        }
        summary << " with checkpoint of size " << bundle->checkpoint.tree_size
                << " to " << (out == "-" ? "standard output" : out) << "\n";
        return int{kExitOk};
      });
  AddEventFilters(app, *f);
  app->add_option("--checkpoint", f->kept,
                  "A checkpoint you kept (taskgate audit checkpoint): the "
                  "bundle then proves the log still extends it");
  app->add_option("--format", f->format,
                  "bundle (for taskgate audit verify), csv or json")
      ->check(CLI::IsMember({"bundle", "csv", "json"}));
  app->add_option("--out", f->out,
                  "File to write; - for standard output (the default for "
                  "csv and json)");
}

void AddVerifyCommand(CLI::App* group, Registry& registry) {
  struct Flags {
    std::string bundle, key, kept;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* app = registry.Leaf(
      group, "verify",
      "Verify an export bundle offline, with no server and no token: every "
      "event's bytes and leaf hash, the readable form, the Merkle root, the "
      "checkpoint's signature and, with --checkpoint, that the log extends "
      "the checkpoint you kept. Prints VERIFIED (exit 0) or FAILED with the "
      "first bad event (exit 8)",
      "taskgate audit verify march.bundle.json --pubkey district.pub.pem "
      "--checkpoint kept.json",
      [f](Context& ctx) {
        absl::StatusOr<std::string> text = ReadFile(f->bundle);
        if (!text.ok()) return ctx.Usage(std::string(text.status().message()));
        absl::StatusOr<audit::Bundle> bundle =
            audit::BundleFromJson(std::string_view(text->data(), text->size()));
        if (!bundle.ok()) {
          return ctx.Usage(
              absl::StrCat(f->bundle, " is not a valid bundle: ",
                           std::string(bundle.status().message())));
        }
        absl::StatusOr<audit::VerifyingKey> key = ReadKey(f->key);
        if (!key.ok()) return ctx.Usage(std::string(key.status().message()));
        std::optional<audit::Checkpoint> kept;
        if (!f->kept.empty()) {
          absl::StatusOr<audit::Checkpoint> read = ReadKept(f->kept);
          if (!read.ok())
            return ctx.Usage(std::string(read.status().message()));
          kept = *read;
        }
        const audit::VerifyReport report =
            audit::VerifyBundle(*bundle, *key, kept);
        ctx.out() << audit::FormatVerifyReport(report);
        return report.verified() ? int{kExitOk} : int{kExitVerificationFailed};
      });
  app->add_option("BUNDLE", f->bundle, "Bundle file (taskgate audit export)")
      ->required();
  app->add_option("--pubkey", f->key,
                  "The server's public key, PEM (taskgate audit pubkey)")
      ->required();
  app->add_option("--checkpoint", f->kept,
                  "A checkpoint you kept earlier (taskgate audit checkpoint)");
}

void AddCheckpointCommands(CLI::App* group, Registry& registry) {
  {
    struct Flags {
      std::string out, key;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        group, "checkpoint",
        "The latest signed checkpoint of the whole log, in the JSON form to "
        "keep: later exports and proofs are checked against it",
        "taskgate audit checkpoint --pubkey district.pub.pem --out "
        "kept-2026-03.json",
        [f](Context& ctx) {
          std::optional<audit::VerifyingKey> key;
          if (!f->key.empty()) {
            absl::StatusOr<audit::VerifyingKey> read = ReadKey(f->key);
            if (!read.ok()) {
              return ctx.Usage(std::string(read.status().message()));
            }
            key = *read;
          }
          if (ctx.client() == nullptr) return int{kExitUsage};
          Client& c = *ctx.client();
          v1::Checkpoint cp;
          grpc::Status s =
              c.Call(c.audit(), &v1::AuditService::Stub::GetLatestCheckpoint,
                     v1::GetLatestCheckpointRequest(), &cp);
          if (!s.ok()) return ctx.Fail(s);
          absl::StatusOr<audit::Checkpoint> parsed = CheckpointFromProto(cp);
          if (!parsed.ok()) {
            ctx.err() << "error: " << parsed.status().message() << "\n";
            return int{kExitOther};
          }
          // Keeping a checkpoint that does not verify would poison every
          // later check, so it is refused rather than written.
          if (key.has_value()) {
            absl::Status v = audit::VerifyCheckpoint(*parsed, *key);
            if (!v.ok()) {
              ctx.err() << "FAILED: the checkpoint of size " << cp.tree_size()
                        << " does not verify with " << f->key << ": "
                        << v.message() << "\n";
              return int{kExitVerificationFailed};
            }
          }
          const std::string out = f->out.empty() ? "-" : f->out;
          absl::Status w = WriteOut(ctx, out, cp.json());
          if (!w.ok()) return ctx.Usage(std::string(w.message()));
          if (out != "-") {
            ctx.out() << "kept checkpoint of size " << cp.tree_size()
                      << " (root " << Short(cp.root_hash()) << ", key "
                      << cp.key_id() << ")"
                      << (key.has_value() ? ", signature verified," : "")
                      << " in " << out << "\n";
          }
          return int{kExitOk};
        });
    app->add_option("--out", f->out,
                    "File to write (default: standard output)");
    app->add_option("--pubkey", f->key,
                    "Verify the signature with this public key before "
                    "keeping it");
  }
  {
    auto f = std::make_shared<ListFlags>();
    CLI::App* app = registry.Leaf(
        group, "checkpoints", "The signed checkpoints, smallest first",
        "taskgate audit checkpoints --limit 20", [f](Context& ctx) {
          if (ctx.client() == nullptr) return int{kExitUsage};
          Client& c = *ctx.client();
          std::vector<v1::Checkpoint> items;
          grpc::Status s = Paginate<v1::Checkpoint>(
              f->limit, f->page_size,
              [&](const std::string& token, int size,
                  std::vector<v1::Checkpoint>* out, std::string* next) {
                v1::ListCheckpointsRequest r;
                r.set_page_size(size);
                r.set_page_token(token);
                v1::ListCheckpointsResponse resp;
                grpc::Status st =
                    c.Call(c.audit(), &v1::AuditService::Stub::ListCheckpoints,
                           r, &resp);
                out->insert(out->end(), resp.checkpoints().begin(),
                            resp.checkpoints().end());
                *next = resp.next_page_token();
                return st;
              },
              &items);
          if (!s.ok()) return ctx.Fail(s);
          PrintList<v1::Checkpoint>(
              ctx, items,
              [](const v1::Checkpoint& cp) {
                return absl::StrCat(cp.tree_size());
              },
              [&](std::ostream& out) {
                Table t({"SIZE", "TIME", "ROOT", "KEY"});
                for (const v1::Checkpoint& cp : items) {
                  t.Add({absl::StrCat(cp.tree_size()), TimeText(cp.time()),
                         Short(cp.root_hash()), cp.key_id()});
                }
                t.Print(out);
              });
          return int{kExitOk};
        });
    AddListFlags(app, *f);
  }
  {
    auto out = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        group, "pubkey",
        "The public key that verifies the log's checkpoints (PEM); its key "
        "id goes to standard error. Compare the key id with the one the "
        "district publishes before trusting it",
        "taskgate audit pubkey --out district.pub.pem", [out](Context& ctx) {
          if (ctx.client() == nullptr) return int{kExitUsage};
          Client& c = *ctx.client();
          v1::LogInfo info;
          grpc::Status s =
              c.Call(c.audit(), &v1::AuditService::Stub::GetLogInfo,
                     v1::GetLogInfoRequest(), &info);
          if (!s.ok()) return ctx.Fail(s);
          if (ctx.output() == Output::kJson) {
            ctx.PrintJson(info);
          } else {
            absl::Status w =
                WriteOut(ctx, out->empty() ? "-" : *out, info.public_key_pem());
            if (!w.ok()) return ctx.Usage(std::string(w.message()));
          }
          ctx.err() << "key id " << info.key_id() << " of log " << info.log_id()
                    << " (" << info.tree_size() << " events)\n";
          if (!info.signing_refused().empty()) {
            ctx.err() << "warning: the server refuses to sign checkpoints: "
                      << info.signing_refused() << "\n";
          }
          return int{kExitOk};
        });
    app->add_option("--out", *out, "File to write (default: standard output)");
  }
}

void AddProofCommands(CLI::App* group, Registry& registry) {
  {
    struct Flags {
      int64_t seq = 0, tree_size = 0;
      std::string kept;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        group, "proof",
        "Fetch the inclusion proof of one event and check it here; with "
        "--checkpoint, against the root you kept rather than the server's "
        "word. Exit 8 when it does not verify",
        "taskgate audit proof --seq 42 --checkpoint kept.json",
        [f](Context& ctx) {
          absl::StatusOr<std::optional<audit::Checkpoint>> read =
              ReadKeptFlag(f->kept, f->tree_size, "--tree-size");
          if (!read.ok())
            return ctx.Usage(std::string(read.status().message()));
          const std::optional<audit::Checkpoint>& kept = *read;
          if (ctx.client() == nullptr) return int{kExitUsage};
          Client& c = *ctx.client();
          v1::GetInclusionProofRequest r;
          r.set_seq(f->seq);
          r.set_tree_size(kept.has_value() ? kept->tree_size : f->tree_size);
          v1::InclusionProof p;
          grpc::Status s = c.Call(
              c.audit(), &v1::AuditService::Stub::GetInclusionProof, r, &p);
          if (!s.ok()) return ctx.Fail(s);
          absl::StatusOr<audit::Hash> leaf =
              HashFromProto(p.leaf_hash(), "leaf_hash");
          absl::StatusOr<audit::Hash> root =
              HashFromProto(p.root_hash(), "root_hash");
          absl::StatusOr<std::vector<audit::Hash>> path =
              HashesFromProto(p.proof(), "proof");
          for (const absl::Status& st :
               {leaf.status(), root.status(), path.status()}) {
            if (!st.ok()) {
              ctx.err() << "FAILED: " << st.message() << "\n";
              return int{kExitVerificationFailed};
            }
          }
          const audit::Hash trusted =
              kept.has_value() ? kept->root_hash : *root;
          const int64_t size =
              kept.has_value() ? kept->tree_size : p.tree_size();
          const bool ok =
              f->seq >= 1 && p.seq() == f->seq &&
              audit::VerifyInclusion(static_cast<uint64_t>(f->seq - 1),
                                     static_cast<uint64_t>(size), *leaf, *path,
                                     trusted);
          if (ctx.output() == Output::kJson) ctx.PrintJson(p);
          if (!ok) {
            ctx.err() << "FAILED: the proof does not show seq " << f->seq
                      << " in the tree of size " << size << " with root "
                      << audit::ToHex(trusted)
                      << (kept.has_value() ? " (the root you kept)" : "")
                      << "\n";
            return int{kExitVerificationFailed};
          }
          if (ctx.output() != Output::kJson) {
            ctx.out() << "VERIFIED: seq " << f->seq
                      << " is included in the tree of size " << size
                      << " with root " << audit::ToHex(trusted)
                      << (kept.has_value() ? " (the root you kept)"
                                           : " (as the server reports it; "
                                             "pass --checkpoint to check "
                                             "against one you kept)")
                      << "\nleaf hash: " << p.leaf_hash() << "\n";
          }
          return int{kExitOk};
        });
    app->add_option("--seq", f->seq, "The event's sequence number")
        ->required()
        ->check(CLI::PositiveNumber);
    app->add_option("--tree-size", f->tree_size,
                    "Tree size (default: the whole log now)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--checkpoint", f->kept,
                    "Check against this kept checkpoint's size and root");
  }
  {
    struct Flags {
      int64_t from = 0, to = 0;
      std::string kept;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        group, "consistency",
        "Fetch the proof that the log of an earlier size is a prefix of the "
        "log now (or of --to) and check it here; with --checkpoint, from the "
        "size and root you kept, so a rewritten history fails. Exit 8 when "
        "it does not verify",
        "taskgate audit consistency --checkpoint kept-2026-03.json",
        [f](Context& ctx) {
          absl::StatusOr<std::optional<audit::Checkpoint>> read =
              ReadKeptFlag(f->kept, f->from, "--from");
          if (!read.ok())
            return ctx.Usage(std::string(read.status().message()));
          const std::optional<audit::Checkpoint>& kept = *read;
          if (!kept.has_value() && f->from <= 0) {
            return ctx.Usage("give --from SIZE or --checkpoint KEPT.json");
          }
          const int64_t old_size = kept.has_value() ? kept->tree_size : f->from;
          if (old_size <= 0) {
            return ctx.Usage(absl::StrCat(
                f->kept, " is of an empty log; nothing to be consistent with"));
          }
          if (ctx.client() == nullptr) return int{kExitUsage};
          Client& c = *ctx.client();
          v1::GetConsistencyProofRequest r;
          r.set_old_size(old_size);
          r.set_new_size(f->to);
          v1::ConsistencyProof p;
          grpc::Status s = c.Call(
              c.audit(), &v1::AuditService::Stub::GetConsistencyProof, r, &p);
          if (!s.ok()) return ctx.Fail(s);
          absl::StatusOr<audit::Hash> old_root =
              HashFromProto(p.old_root_hash(), "old_root_hash");
          absl::StatusOr<audit::Hash> new_root =
              HashFromProto(p.new_root_hash(), "new_root_hash");
          absl::StatusOr<std::vector<audit::Hash>> path =
              HashesFromProto(p.proof(), "proof");
          for (const absl::Status& st :
               {old_root.status(), new_root.status(), path.status()}) {
            if (!st.ok()) {
              ctx.err() << "FAILED: " << st.message() << "\n";
              return int{kExitVerificationFailed};
            }
          }
          const audit::Hash trusted =
              kept.has_value() ? kept->root_hash : *old_root;
          if (ctx.output() == Output::kJson) ctx.PrintJson(p);
          if (kept.has_value() && *old_root != kept->root_hash) {
            ctx.err() << "FAILED: the server's root of size " << old_size
                      << " is " << p.old_root_hash() << ", but the root you "
                      << "kept is " << audit::ToHex(kept->root_hash)
                      << ": the log was rewritten since\n";
            return int{kExitVerificationFailed};
          }
          if (p.old_size() != old_size ||
              !audit::VerifyConsistency(static_cast<uint64_t>(old_size),
                                        static_cast<uint64_t>(p.new_size()),
                                        trusted, *new_root, *path)) {
            ctx.err() << "FAILED: the proof does not show the tree of size "
                      << old_size << " (root " << audit::ToHex(trusted)
                      << ") to be a prefix of the tree of size " << p.new_size()
                      << " (root " << p.new_root_hash() << ")\n";
            return int{kExitVerificationFailed};
          }
          if (ctx.output() != Output::kJson) {
            ctx.out() << "VERIFIED: the tree of size " << old_size << " (root "
                      << audit::ToHex(trusted)
                      << (kept.has_value() ? ", the one you kept" : "")
                      << ") is a prefix of the tree of size " << p.new_size()
                      << " (root " << p.new_root_hash() << ")\n";
          }
          return int{kExitOk};
        });
    app->add_option("--from", f->from, "The earlier tree size")
        ->check(CLI::PositiveNumber);
    app->add_option("--to", f->to, "The later tree size (default: now)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--checkpoint", f->kept,
                    "Take the earlier size and root from this kept "
                    "checkpoint");
  }
}

std::string Hours(double h) { return absl::StrFormat("%.1f", h); }

void PrintStatistics(std::ostream& out, const v1::Statistics& st) {
  out << "Departments\n";
  Table d({"DEPARTMENT", "SUBMITTED", "ADMITTED", "REJECTED (NEGATIVE LIST)",
           "RETURNED", "MEDIAN DAYS", "P90 DAYS"});
  for (const v1::DepartmentStatistics& s : st.departments()) {
    d.Add({s.department_id(), absl::StrCat(s.submitted()),
           absl::StrCat(s.admitted()),
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

void AddStatsCommand(CLI::App* group, Registry& registry) {
  struct Flags {
    std::string from, to;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* app = registry.Leaf(
      group, "stats",
      "Statistics for inspectors: per department (submitted, admitted, "
      "rejected and by the negative list, returned, review working days), "
      "community load against capacity by month, burden kept out",
      "taskgate audit stats --from 2026-01-01 --to 2026-04-01",
      [f](Context& ctx) {
        v1::GetStatisticsRequest r;
        for (auto [text, field] : {std::pair{&f->from, r.mutable_start_time()},
                                   std::pair{&f->to, r.mutable_end_time()}}) {
          if (absl::Status s = SetTime(*text, field); !s.ok()) {
            return ctx.Usage(std::string(s.message()));
          }
        }
        if (ctx.client() == nullptr) return int{kExitUsage};
        Client& c = *ctx.client();
        v1::Statistics st;
        grpc::Status s =
            c.Call(c.audit(), &v1::AuditService::Stub::GetStatistics, r, &st);
        if (!s.ok()) return ctx.Fail(s);
        if (ctx.output() == Output::kJson) {
          ctx.PrintJson(st);
        } else {
          PrintStatistics(ctx.out(), st);
        }
        return int{kExitOk};
      });
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
  AddExportCommand(group, registry);
  AddVerifyCommand(group, registry);
  AddCheckpointCommands(group, registry);
  AddProofCommands(group, registry);
  AddStatsCommand(group, registry);
}

}  // namespace taskgate::clients::cli
