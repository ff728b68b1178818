// `taskgate audit checkpoint|checkpoints|pubkey|proof|consistency`: what an
// inspector keeps to trust the log later (the server's public key, a signed
// checkpoint) and the proofs checked against it here, not on the server's
// word: an event's inclusion, and that today's log extends the kept one.
// Each command asks the server for one thing, checks it with
// clients/audit_checks.h and prints the verdict (exit 8 when it fails).
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "audit/signing.h"
#include "clients/audit_checks.h"
#include "clients/audit_proto.h"
#include "clients/cli.h"
#include "clients/cmd_audit.h"
#include "clients/list_command.h"

namespace taskgate::clients::cli {
namespace {

using AuditStub = v1::AuditService::Stub;

// The first 16 hex digits of a root, enough for people to compare.
std::string Short(const std::string& hex) {
  return hex.size() > 16 ? hex.substr(0, 16) + "…" : hex;
}

// ---- audit checkpoint: the latest signed checkpoint, to keep.

struct CheckpointFlags {
  std::string out, key;
};

int RunCheckpoint(Context& ctx, const CheckpointFlags& f) {
  std::optional<audit::VerifyingKey> key;
  if (!f.key.empty()) {
    absl::StatusOr<audit::VerifyingKey> read = ReadPublicKey(f.key);
    if (!read.ok()) return ctx.Usage(std::string(read.status().message()));
    key = *read;
  }
  v1::Checkpoint cp;
  if (int code = ctx.Call(&Client::audit, &AuditStub::GetLatestCheckpoint,
                          v1::GetLatestCheckpointRequest(), &cp);
      code != kExitOk) {
    return code;
  }
  absl::StatusOr<audit::Checkpoint> parsed = CheckpointFromProto(cp);
  if (!parsed.ok()) {
    ctx.err() << "error: " << parsed.status().message() << "\n";
    return kExitOther;
  }
  // Keeping a checkpoint that does not verify would poison every later
  // check, so it is refused rather than written.
  if (key.has_value()) {
    if (absl::Status v = audit::VerifyCheckpoint(*parsed, *key); !v.ok()) {
      ctx.err() << "FAILED: the checkpoint of size " << cp.tree_size()
                << " does not verify with " << f.key << ": " << v.message()
                << "\n";
      return kExitVerificationFailed;
    }
  }
  const std::string out = f.out.empty() ? "-" : f.out;
  if (absl::Status w = WriteOut(ctx, out, cp.json()); !w.ok()) {
    return ctx.Usage(std::string(w.message()));
  }
  if (out != "-") {
    ctx.out() << "kept checkpoint of size " << cp.tree_size() << " (root "
              << Short(cp.root_hash()) << ", key " << cp.key_id() << ")"
              << (key.has_value() ? ", signature verified," : "") << " in "
              << out << "\n";
  }
  return kExitOk;
}

void AddCheckpointCommand(CLI::App* group, Registry& registry) {
  auto f = std::make_shared<CheckpointFlags>();
  CLI::App* app = registry.Leaf(
      group, "checkpoint",
      "The latest signed checkpoint of the whole log, in the JSON form to "
      "keep: later exports and proofs are checked against it",
      "taskgate audit checkpoint --pubkey district.pub.pem --out "
      "kept-2026-03.json",
      [f](Context& ctx) { return RunCheckpoint(ctx, *f); });
  app->add_option("--out", f->out, "File to write (default: standard output)");
  app->add_option("--pubkey", f->key,
                  "Verify the signature with this public key before "
                  "keeping it");
}

// ---- audit checkpoints: the signed checkpoints, as a list.

void PrintCheckpointTable(std::ostream& out,
                          const std::vector<v1::Checkpoint>& items) {
  Table t({"SIZE", "TIME", "ROOT", "KEY"});
  for (const v1::Checkpoint& cp : items) {
    t.Add({absl::StrCat(cp.tree_size()), TimeText(cp.time()),
           Short(cp.root_hash()), cp.key_id()});
  }
  t.Print(out);
}

constexpr ListView<v1::Checkpoint> kCheckpointList = {
    [](const v1::Checkpoint& cp) { return absl::StrCat(cp.tree_size()); },
    &PrintCheckpointTable};

void AddCheckpointsCommand(CLI::App* group, Registry& registry) {
  auto f = std::make_shared<ListFlags>();
  CLI::App* app = registry.Leaf(
      group, "checkpoints", "The signed checkpoints, smallest first",
      "taskgate audit checkpoints --limit 20", [f](Context& ctx) {
        return RunList(ctx, &Client::audit, &AuditStub::ListCheckpoints,
                       v1::ListCheckpointsRequest(),
                       &v1::ListCheckpointsResponse::checkpoints,
                       kCheckpointList, *f);
      });
  AddListFlags(app, *f);
}

// ---- audit pubkey: the key that verifies the checkpoints.

int RunPubkey(Context& ctx, const std::string& out) {
  v1::LogInfo info;
  if (int code = ctx.Call(&Client::audit, &AuditStub::GetLogInfo,
                          v1::GetLogInfoRequest(), &info);
      code != kExitOk) {
    return code;
  }
  if (ctx.output() == Output::kJson) {
    ctx.PrintJson(info);
  } else {
    absl::Status w =
        WriteOut(ctx, out.empty() ? "-" : out, info.public_key_pem());
    if (!w.ok()) return ctx.Usage(std::string(w.message()));
  }
  ctx.err() << "key id " << info.key_id() << " of log " << info.log_id() << " ("
            << info.tree_size() << " events)\n";
  if (!info.signing_refused().empty()) {
    ctx.err() << "warning: the server refuses to sign checkpoints: "
              << info.signing_refused() << "\n";
  }
  return kExitOk;
}

void AddPubkeyCommand(CLI::App* group, Registry& registry) {
  auto out = std::make_shared<std::string>();
  CLI::App* app = registry.Leaf(
      group, "pubkey",
      "The public key that verifies the log's checkpoints (PEM); its key "
      "id goes to standard error. Compare the key id with the one the "
      "district publishes before trusting it",
      "taskgate audit pubkey --out district.pub.pem",
      [out](Context& ctx) { return RunPubkey(ctx, *out); });
  app->add_option("--out", *out, "File to write (default: standard output)");
}

// The kept checkpoint of a --checkpoint flag (nullopt when not given),
// refusing a size flag that names another size.
absl::StatusOr<std::optional<audit::Checkpoint>> ReadKeptFlag(
    const std::string& path, int64_t size, std::string_view size_flag) {
  if (path.empty()) return std::nullopt;
  absl::StatusOr<audit::Checkpoint> kept = ReadKeptCheckpoint(path);
  if (!kept.ok()) return kept.status();
  if (size != 0 && size != kept->tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(size_flag), " ", size, " disagrees with ",
                     path, " (size ", kept->tree_size, "); give one of them"));
  }
  return *kept;
}

// ---- audit proof: one event's inclusion, checked here.

struct ProofFlags {
  int64_t seq = 0, tree_size = 0;
  std::string kept;
};

void PrintInclusion(Context& ctx, const v1::InclusionProof& p, int64_t seq,
                    const InclusionCheck& check, bool kept) {
  if (!check.verified) {
    ctx.err() << "FAILED: the proof does not show seq " << seq
              << " in the tree of size " << check.tree_size << " with root "
              << audit::ToHex(check.root)
              << (kept ? " (the root you kept)" : "") << "\n";
    return;
  }
  if (ctx.output() == Output::kJson) return;
  ctx.out() << "VERIFIED: seq " << seq << " is included in the tree of size "
            << check.tree_size << " with root " << audit::ToHex(check.root)
            << (kept ? " (the root you kept)"
                     : " (as the server reports it; pass --checkpoint to "
                       "check against one you kept)")
            << "\nleaf hash: " << p.leaf_hash() << "\n";
}

int RunProof(Context& ctx, const ProofFlags& f) {
  absl::StatusOr<std::optional<audit::Checkpoint>> kept =
      ReadKeptFlag(f.kept, f.tree_size, "--tree-size");
  if (!kept.ok()) return ctx.Usage(std::string(kept.status().message()));
  v1::GetInclusionProofRequest r;
  r.set_seq(f.seq);
  r.set_tree_size(kept->has_value() ? (*kept)->tree_size : f.tree_size);
  v1::InclusionProof p;
  if (int code = ctx.Call(&Client::audit, &AuditStub::GetInclusionProof, r, &p);
      code != kExitOk) {
    return code;
  }
  absl::StatusOr<InclusionCheck> check = CheckInclusion(p, f.seq, *kept);
  if (!check.ok()) {
    ctx.err() << "FAILED: " << check.status().message() << "\n";
    return kExitVerificationFailed;
  }
  if (ctx.output() == Output::kJson) ctx.PrintJson(p);
  PrintInclusion(ctx, p, f.seq, *check, kept->has_value());
  return check->verified ? kExitOk : kExitVerificationFailed;
}

void AddProofCommand(CLI::App* group, Registry& registry) {
  auto f = std::make_shared<ProofFlags>();
  CLI::App* app = registry.Leaf(
      group, "proof",
      "Fetch the inclusion proof of one event and check it here; with "
      "--checkpoint, against the root you kept rather than the server's "
      "word. Exit 8 when it does not verify",
      "taskgate audit proof --seq 42 --checkpoint kept.json",
      [f](Context& ctx) { return RunProof(ctx, *f); });
  app->add_option("--seq", f->seq, "The event's sequence number")
      ->required()
      ->check(CLI::PositiveNumber);
  app->add_option("--tree-size", f->tree_size,
                  "Tree size (default: the whole log now)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--checkpoint", f->kept,
                  "Check against this kept checkpoint's size and root");
}

// ---- audit consistency: the log now extends the one kept.

struct ConsistencyFlags {
  int64_t from = 0, to = 0;
  std::string kept;
};

void PrintConsistency(Context& ctx, const v1::ConsistencyProof& p,
                      int64_t old_size, const ConsistencyCheck& check,
                      const std::optional<audit::Checkpoint>& kept) {
  switch (check.verdict) {
    case ConsistencyCheck::Verdict::kRewritten:
      ctx.err() << "FAILED: the server's root of size " << old_size << " is "
                << p.old_root_hash() << ", but the root you kept is "
                << audit::ToHex(kept->root_hash)
                << ": the log was rewritten since\n";
      return;
    case ConsistencyCheck::Verdict::kNotAPrefix:
      ctx.err() << "FAILED: the proof does not show the tree of size "
                << old_size << " (root " << audit::ToHex(check.old_root)
                << ") to be a prefix of the tree of size " << p.new_size()
                << " (root " << p.new_root_hash() << ")\n";
      return;
    case ConsistencyCheck::Verdict::kConsistent:
      if (ctx.output() == Output::kJson) return;
      ctx.out() << "VERIFIED: the tree of size " << old_size << " (root "
                << audit::ToHex(check.old_root)
                << (kept.has_value() ? ", the one you kept" : "")
                << ") is a prefix of the tree of size " << p.new_size()
                << " (root " << p.new_root_hash() << ")\n";
      return;
  }
}

int RunConsistency(Context& ctx, const ConsistencyFlags& f) {
  absl::StatusOr<std::optional<audit::Checkpoint>> read =
      ReadKeptFlag(f.kept, f.from, "--from");
  if (!read.ok()) return ctx.Usage(std::string(read.status().message()));
  const std::optional<audit::Checkpoint>& kept = *read;
  if (!kept.has_value() && f.from <= 0) {
    return ctx.Usage("give --from SIZE or --checkpoint KEPT.json");
  }
  const int64_t old_size = kept.has_value() ? kept->tree_size : f.from;
  if (old_size <= 0) {
    return ctx.Usage(absl::StrCat(
        f.kept, " is of an empty log; nothing to be consistent with"));
  }
  v1::GetConsistencyProofRequest r;
  r.set_old_size(old_size);
  r.set_new_size(f.to);
  v1::ConsistencyProof p;
  if (int code =
          ctx.Call(&Client::audit, &AuditStub::GetConsistencyProof, r, &p);
      code != kExitOk) {
    return code;
  }
  absl::StatusOr<ConsistencyCheck> check = CheckConsistency(p, old_size, kept);
  if (!check.ok()) {
    ctx.err() << "FAILED: " << check.status().message() << "\n";
    return kExitVerificationFailed;
  }
  if (ctx.output() == Output::kJson) ctx.PrintJson(p);
  PrintConsistency(ctx, p, old_size, *check, kept);
  return check->verdict == ConsistencyCheck::Verdict::kConsistent
             ? kExitOk
             : kExitVerificationFailed;
}

void AddConsistencyCommand(CLI::App* group, Registry& registry) {
  auto f = std::make_shared<ConsistencyFlags>();
  CLI::App* app = registry.Leaf(
      group, "consistency",
      "Fetch the proof that the log of an earlier size is a prefix of the "
      "log now (or of --to) and check it here; with --checkpoint, from the "
      "size and root you kept, so a rewritten history fails. Exit 8 when "
      "it does not verify",
      "taskgate audit consistency --checkpoint kept-2026-03.json",
      [f](Context& ctx) { return RunConsistency(ctx, *f); });
  app->add_option("--from", f->from, "The earlier tree size")
      ->check(CLI::PositiveNumber);
  app->add_option("--to", f->to, "The later tree size (default: now)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--checkpoint", f->kept,
                  "Take the earlier size and root from this kept "
                  "checkpoint");
}

}  // namespace

void AddAuditCheckpointCommands(CLI::App* group, Registry& registry) {
  AddCheckpointCommand(group, registry);
  AddCheckpointsCommand(group, registry);
  AddPubkeyCommand(group, registry);
}

void AddAuditProofCommands(CLI::App* group, Registry& registry) {
  AddProofCommand(group, registry);
  AddConsistencyCommand(group, registry);
}

}  // namespace taskgate::clients::cli
