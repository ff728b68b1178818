#include "clients/audit_proto.h"

#include <optional>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include "common/status_macros.h"

namespace taskgate::clients {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

absl::StatusOr<audit::Checkpoint> CheckpointFromProto(const v1::Checkpoint& c) {
  if (c.json().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the server sent the checkpoint of size ", c.tree_size(),
                     " without its JSON form; upgrade taskgated"));
  }
  absl::StatusOr<audit::Checkpoint> parsed =
      audit::CheckpointFromJson(c.json());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the server's checkpoint of size ", c.tree_size(),
        " is malformed: ", std::string(parsed.status().message())));
  }
  return parsed;
}

absl::StatusOr<audit::Hash> HashFromProto(const std::string& hex,
                                          const std::string& what) {
  std::optional<audit::Hash> h = audit::HashFromHex(hex);
  if (!h.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the server sent ", what, " '", hex, "', not a 64-digit hex hash"));
  }
  return *h;
}

absl::StatusOr<std::vector<audit::Hash>> HashesFromProto(
    const google::protobuf::RepeatedPtrField<std::string>& hex,
    const std::string& what) {
  std::vector<audit::Hash> out;
  for (int i = 0; i < hex.size(); ++i) {
    TASKGATE_ASSIGN_OR_RETURN(
        out.emplace_back(),
        HashFromProto(hex[i], absl::StrCat(what, "[", i, "]")));
  }
  return out;
}

absl::StatusOr<audit::Bundle> AssembleBundle(
    const v1::ExportBundleRequest& request, const v1::BundleHeader& header,
    const std::vector<v1::AuditEvent>& events) {
  audit::Bundle b;
  b.district_id = header.district_id();
  b.exported_at = ToTime(header.export_time());
  b.exported_by = header.exported_by();
  if (request.has_start_time()) b.start_time = ToTime(request.start_time());
  if (request.has_end_time()) b.end_time = ToTime(request.end_time());
  b.first_seq = header.first_seq();
  b.last_seq = header.last_seq();
  TASKGATE_ASSIGN_OR_RETURN(b.checkpoint,
                            CheckpointFromProto(header.checkpoint()));
  for (const v1::Checkpoint& earlier : header.checkpoints()) {
    TASKGATE_ASSIGN_OR_RETURN(b.checkpoints.emplace_back(),
                              CheckpointFromProto(earlier));
  }
  TASKGATE_ASSIGN_OR_RETURN(
      b.range_proof, HashesFromProto(header.range_proof(), "range_proof"));
  b.consistency_from = header.consistency_from();
  TASKGATE_ASSIGN_OR_RETURN(
      b.consistency_proof,
      HashesFromProto(header.consistency_proof(), "consistency_proof"));
  for (const v1::AuditEvent& e : events) {
    std::optional<std::string> leaf = audit::HexToBytes(e.leaf_hash());
    if (e.canonical().empty() || !leaf.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the server sent event ", e.seq(),
          " without its canonical encoding or leaf hash; upgrade taskgated"));
    }
    b.events.push_back({e.seq(), e.canonical(), *leaf, std::nullopt});
  }
  return b;
}

}  // namespace taskgate::clients
