// The client's side of the verifiable record: checkpoints, hashes and
// export bundles as the server sends them, turned into the values that
// verify offline (audit/checkpoint.h, audit/bundle.h). Anything
// malformed is INVALID_ARGUMENT saying what the server sent. Pure functions;
// thread-safe.
#ifndef TASKGATE_CLIENTS_AUDIT_PROTO_H_
#define TASKGATE_CLIENTS_AUDIT_PROTO_H_

#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "audit/bundle.h"
#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "taskgate/v1/audit_service.pb.h"

namespace taskgate::clients {

// The checkpoint from its `json` form, which is what is signed and kept.
absl::StatusOr<audit::Checkpoint> CheckpointFromProto(const v1::Checkpoint& c);

// A hex hash (`what` names it in errors), and a list of them.
absl::StatusOr<audit::Hash> HashFromProto(const std::string& hex,
                                          const std::string& what);
absl::StatusOr<std::vector<audit::Hash>> HashesFromProto(
    const google::protobuf::RepeatedPtrField<std::string>& hex,
    const std::string& what);

// The bundle of `header` and the events of its run (ListEvents with
// include_canonical). Readable forms are left to `BundleToJson`, which
// decodes them from the canonical bytes, so a file's two forms agree.
absl::StatusOr<audit::Bundle> AssembleBundle(
    const v1::ExportBundleRequest& request, const v1::BundleHeader& header,
    const std::vector<v1::AuditEvent>& events);

}  // namespace taskgate::clients

#endif  // TASKGATE_CLIENTS_AUDIT_PROTO_H_
