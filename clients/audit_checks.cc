#include "clients/audit_checks.h"

#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include "clients/audit_proto.h"
#include "common/status_macros.h"

namespace taskgate::clients {

absl::StatusOr<std::string> ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": check the path"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<audit::Checkpoint> ReadKeptCheckpoint(const std::string& path) {
  TASKGATE_ASSIGN_OR_RETURN(const std::string text, ReadFileText(path));
  absl::StatusOr<audit::Checkpoint> c = audit::CheckpointFromJson(text);
  if (!c.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        " is not a kept checkpoint: ", std::string(c.status().message())));
  }
  return c;
}

absl::StatusOr<audit::VerifyingKey> ReadPublicKey(const std::string& path) {
  TASKGATE_ASSIGN_OR_RETURN(const std::string pem, ReadFileText(path));
  absl::StatusOr<audit::VerifyingKey> key =
      audit::VerifyingKey::FromPem(std::string_view(pem.data(), pem.size()));
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not the server's public key: ",
                     std::string(key.status().message()),
                     " (get it with taskgate audit pubkey)"));
  }
  return key;
}

absl::StatusOr<audit::Bundle> ReadBundle(const std::string& path) {
  TASKGATE_ASSIGN_OR_RETURN(const std::string text, ReadFileText(path));
  absl::StatusOr<audit::Bundle> bundle =
      audit::BundleFromJson(std::string_view(text.data(), text.size()));
  if (!bundle.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        " is not a valid bundle: ", std::string(bundle.status().message())));
  }
  return bundle;
}

absl::StatusOr<InclusionCheck> CheckInclusion(
    const v1::InclusionProof& proof, int64_t seq,
    const std::optional<audit::Checkpoint>& kept) {
  TASKGATE_ASSIGN_OR_RETURN(const audit::Hash leaf,
                            HashFromProto(proof.leaf_hash(), "leaf_hash"));
  TASKGATE_ASSIGN_OR_RETURN(const audit::Hash root,
                            HashFromProto(proof.root_hash(), "root_hash"));
  TASKGATE_ASSIGN_OR_RETURN(const std::vector<audit::Hash> path,
                            HashesFromProto(proof.proof(), "proof"));
  InclusionCheck check;
  check.root = kept.has_value() ? kept->root_hash : root;
  check.tree_size = kept.has_value() ? kept->tree_size : proof.tree_size();
  check.verified =
      seq >= 1 && proof.seq() == seq &&
      audit::VerifyInclusion(static_cast<uint64_t>(seq - 1),
                             static_cast<uint64_t>(check.tree_size), leaf, path,
                             check.root);
  return check;
}

absl::StatusOr<ConsistencyCheck> CheckConsistency(
    const v1::ConsistencyProof& proof, int64_t old_size,
    const std::optional<audit::Checkpoint>& kept) {
  TASKGATE_ASSIGN_OR_RETURN(
      const audit::Hash old_root,
      HashFromProto(proof.old_root_hash(), "old_root_hash"));
  TASKGATE_ASSIGN_OR_RETURN(
      const audit::Hash new_root,
      HashFromProto(proof.new_root_hash(), "new_root_hash"));
  TASKGATE_ASSIGN_OR_RETURN(const std::vector<audit::Hash> path,
                            HashesFromProto(proof.proof(), "proof"));
  ConsistencyCheck check;
  check.old_root = kept.has_value() ? kept->root_hash : old_root;
  if (kept.has_value() && old_root != kept->root_hash) {
    check.verdict = ConsistencyCheck::Verdict::kRewritten;
  } else if (proof.old_size() == old_size &&
             audit::VerifyConsistency(static_cast<uint64_t>(old_size),
                                      static_cast<uint64_t>(proof.new_size()),
                                      check.old_root, new_root, path)) {
    check.verdict = ConsistencyCheck::Verdict::kConsistent;
  } else {
    check.verdict = ConsistencyCheck::Verdict::kNotAPrefix;
  }
  return check;
}

}  // namespace taskgate::clients
