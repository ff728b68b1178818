// `taskgate audit export` and `taskgate audit verify`: the log leaves the
// server as a bundle (or the filtered events as csv or json), and a bundle
// is checked offline, with no server, by the audit/ library alone.
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <absl/container/flat_hash_set.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "audit/bundle.h"
#include "audit/checkpoint.h"
#include "audit/encoding.h"
#include "audit/log_verifier.h"
#include "audit/merkle.h"
#include "audit/signing.h"
#include "audit/state.h"
#include "clients/audit_checks.h"
#include "clients/audit_proto.h"
#include "clients/cli.h"
#include "clients/cmd_audit.h"
#include "domain/fields.h"

namespace taskgate::clients::cli {
namespace {

// ---- audit export

struct ExportFlags : EventFilters {
  std::string kept, format = "bundle", out;
};

// The bundle's request: the time range and the size of the kept
// checkpoint, if any. INVALID_ARGUMENT for a bad time or kept file.
absl::StatusOr<v1::ExportBundleRequest> BundleRequest(const ExportFlags& f) {
  v1::ExportBundleRequest request;
  if (absl::Status s = SetTime(f.since, request.mutable_start_time());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = SetTime(f.until, request.mutable_end_time()); !s.ok()) {
    return s;
  }
  if (f.since.empty()) request.clear_start_time();
  if (f.until.empty()) request.clear_end_time();
  if (!f.kept.empty()) {
    absl::StatusOr<audit::Checkpoint> kept = ReadKeptCheckpoint(f.kept);
    if (!kept.ok()) return kept.status();
    request.set_since_tree_size(kept->tree_size);
  }
  return request;
}

// Asks for the bundle's header, reads its events and assembles the bundle.
// A malformed answer comes back as INVALID_ARGUMENT; `*rpc` holds a failed
// call (the status is then UNKNOWN).
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
    *rpc = FetchAllEvents(c, base, &events);
    if (!rpc->ok()) return absl::UnknownError("listing refused");
  }
  return AssembleBundle(request, h, events);
}

// "exported N events (seq A..B) with checkpoint of size S to OUT".
void PrintBundleSummary(std::ostream& out, const audit::Bundle& bundle,
                        const std::string& path) {
  out << "exported " << bundle.events.size() << " events";
  if (!bundle.events.empty()) {
    out << " (seq " << bundle.first_seq << ".." << bundle.last_seq << ")";
  }
  out << " with checkpoint of size " << bundle.checkpoint.tree_size << " to "
      << (path == "-" ? "standard output" : path) << "\n";
}

// --format csv or json: the filtered events, written to `path`.
int ExportEvents(Context& ctx, const ExportFlags& f, const std::string& path) {
  absl::StatusOr<v1::ListEventsRequest> request = EventsRequest(f);
  if (!request.ok()) return ctx.Usage(std::string(request.status().message()));
  std::vector<v1::AuditEvent> events;
  grpc::Status s = FetchAllEvents(*ctx.client(), *request, &events);
  if (!s.ok()) return ctx.Fail(s);
  std::string text;
  if (f.format == "csv") {
    text = EventsCsv(events);
  } else {
    std::vector<const google::protobuf::Message*> items;
    for (const v1::AuditEvent& e : events) items.push_back(&e);
    text = JsonItems(items);
  }
  if (absl::Status w = WriteOut(ctx, path, text); !w.ok()) {
    return ctx.Usage(std::string(w.message()));
  }
  if (path != "-") {
    ctx.out() << "exported " << events.size() << " events to " << path << "\n";
  }
  return kExitOk;
}

int RunExport(Context& ctx, const ExportFlags& f) {
  if (f.format == "bundle") {
    if (f.out.empty()) {
      return ctx.Usage(
          "a bundle needs --out FILE (or --out - for standard output)");
    }
    if (f.narrows()) {
      return ctx.Usage(
          "a bundle holds every event of its time range, so it takes "
          "only --from and --to; use --format csv or json to filter");
    }
  }
  absl::StatusOr<v1::ExportBundleRequest> request = BundleRequest(f);
  if (!request.ok()) return ctx.Usage(std::string(request.status().message()));
  const std::string path = f.out.empty() ? "-" : f.out;
  if (ctx.client() == nullptr) return kExitUsage;
  if (f.format != "bundle") return ExportEvents(ctx, f, path);

  grpc::Status rpc;
  absl::StatusOr<audit::Bundle> bundle =
      FetchBundle(*ctx.client(), *request, &rpc);
  if (!rpc.ok()) return ctx.Fail(rpc);
  if (!bundle.ok()) {
    ctx.err() << "error: " << bundle.status().message() << "\n";
    return kExitOther;
  }
  if (absl::Status w = WriteOut(ctx, path, audit::BundleToJson(*bundle));
      !w.ok()) {
    return ctx.Usage(std::string(w.message()));
  }
  // With the bundle on standard output, the summary goes beside it.
  PrintBundleSummary(path == "-" ? ctx.err() : ctx.out(), *bundle, path);
  return kExitOk;
}

// ---- audit verify: offline, with no server and no token.

struct VerifyFlags {
  std::string bundle, key, kept;
};

int RunVerify(Context& ctx, const VerifyFlags& f) {
  absl::StatusOr<audit::Bundle> bundle = ReadBundle(f.bundle);
  if (!bundle.ok()) return ctx.Usage(std::string(bundle.status().message()));
  absl::StatusOr<audit::VerifyingKey> key = ReadPublicKey(f.key);
  if (!key.ok()) return ctx.Usage(std::string(key.status().message()));
  std::optional<audit::Checkpoint> kept;
  if (!f.kept.empty()) {
    absl::StatusOr<audit::Checkpoint> read = ReadKeptCheckpoint(f.kept);
    if (!read.ok()) return ctx.Usage(std::string(read.status().message()));
    kept = *read;
  }
  const audit::VerifyReport report = audit::VerifyBundle(*bundle, *key, kept);
  ctx.out() << audit::FormatVerifyReport(report);
  return report.verified() ? kExitOk : kExitVerificationFailed;
}

struct StateFlags {
  std::string bundle;
  std::string entity;  // "task/t-123", or a task id
  int64_t at = 0;      // 0: the bundle's last event
};

// Rebuilds one entity's state from a bundle's events alone, applying each
// write in order up to `--at`: what the record says the entity held then.
int RunState(Context& ctx, const StateFlags& f) {
  absl::StatusOr<audit::Bundle> bundle = ReadBundle(f.bundle);
  if (!bundle.ok()) return ctx.Usage(std::string(bundle.status().message()));
  const std::string key = f.entity.find('/') == std::string::npos
                              ? audit::EntityKey(domain::kTaskEntity, f.entity)
                              : f.entity;
  audit::StateReplay replay(
      {.keep_fields = true, .only = absl::flat_hash_set<std::string>{key}});
  audit::AuditEventView view;
  for (const audit::BundleEvent& e : bundle->events) {
    if (f.at > 0 && e.seq > f.at) break;
    if (!audit::DecodeAuditEventView(e.canonical, view).ok()) {
      ctx.err() << "event seq " << e.seq
                << " does not decode; run taskgate audit verify first\n";
      return kExitVerificationFailed;
    }
    replay.Apply(e.seq, view.writes);
  }
  const auto it = replay.entities().find(key);
  if (it == replay.entities().end()) {
    ctx.err() << "no event of the bundle up to "
              << (f.at > 0 ? absl::StrCat("seq ", f.at) : "its end")
              << " wrote " << audit::EntityName(key)
              << "; export a range that includes its creation or a submit\n";
    return kExitNotFound;
  }
  if (!it->second.fields_known) {
    ctx.err() << audit::EntityName(key)
              << " was not written whole in the bundle (no creation, submit "
                 "or baseline in its range); export a longer range\n";
    return kExitNotFound;
  }
  for (const audit::StateReplay::Problem& p : replay.problems()) {
    ctx.err() << "seq " << p.seq << ": " << p.message << "\n";
  }
  ctx.out() << audit::EntityName(key) << " as of seq " << it->second.seq
            << " (its latest write up to "
            << (f.at > 0 ? absl::StrCat("seq ", f.at) : "the bundle's end")
            << "; state digest " << audit::ToHex(it->second.digest) << ")\n";
  for (const auto& [field, value] : it->second.fields) {
    ctx.out() << "  " << field << ": " << value << "\n";
  }
  return replay.problems().empty() ? kExitOk : kExitVerificationFailed;
}

}  // namespace

void AddAuditStateCommand(CLI::App* group, Registry& registry) {
  auto f = std::make_shared<StateFlags>();
  CLI::App* app = registry.Leaf(
      group, "state",
      "Rebuild an entity's state at any point from an export bundle alone, "
      "offline: every field as the log's writes leave it (verify the bundle "
      "first with taskgate audit verify)",
      "taskgate audit state march.bundle.json t-123 --at 4210",
      [f](Context& ctx) { return RunState(ctx, *f); });
  app->add_option("BUNDLE", f->bundle, "Bundle file (taskgate audit export)")
      ->required();
  app->add_option("ENTITY", f->entity,
                  "A task id, or kind/id: community/c-east-1, catalog/3, "
                  "principal/rev-li, decision/t-123/2")
      ->required();
  app->add_option("--at", f->at,
                  "The state after this event (default: the bundle's last)")
      ->check(CLI::NonNegativeNumber);
}

void AddAuditExportCommand(CLI::App* group, Registry& registry) {
  auto f = std::make_shared<ExportFlags>();
  CLI::App* app = registry.Leaf(
      group, "export",
      "Export the log: a self-contained bundle (default) of every event of "
      "the time range, or of the whole log, in canonical and readable form "
      "with a signed checkpoint and the proofs, which `taskgate audit "
      "verify` checks offline; or the filtered events as csv or json",
      "taskgate audit export --from 2026-03-01 --to 2026-04-01 --checkpoint "
      "kept.json --out march.bundle.json",
      [f](Context& ctx) { return RunExport(ctx, *f); });
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

void AddAuditVerifyCommand(CLI::App* group, Registry& registry) {
  auto f = std::make_shared<VerifyFlags>();
  CLI::App* app = registry.Leaf(
      group, "verify",
      "Verify an export bundle offline, with no server and no token: every "
      "event's bytes and leaf hash, the readable form, the Merkle root, the "
      "checkpoint's signature and, with --checkpoint, that the log extends "
      "the checkpoint you kept. Prints VERIFIED (exit 0) or FAILED with the "
      "first bad event (exit 8)",
      "taskgate audit verify march.bundle.json --pubkey district.pub.pem "
      "--checkpoint kept.json",
      [f](Context& ctx) { return RunVerify(ctx, *f); });
  app->add_option("BUNDLE", f->bundle, "Bundle file (taskgate audit export)")
      ->required();
  app->add_option("--pubkey", f->key,
                  "The server's public key, PEM (taskgate audit pubkey)")
      ->required();
  app->add_option("--checkpoint", f->kept,
                  "A checkpoint you kept earlier (taskgate audit checkpoint)");
}

}  // namespace taskgate::clients::cli
