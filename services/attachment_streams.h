// The streaming RPCs of attachments (TaskService/UploadAttachment and
// TaskService/DownloadAttachment, SPEC §3): callback-API reactors that run
// in the frame of handler.h (authenticate, audit refusals, log, metrics, map
// the status once) and hand the decision to workflow/attachments.h, whose
// commit goes through the district's writer like every other change.
//
// Upload: the header is checked (and a retry answered) before any byte is
// read; the bytes are then collected up to the declared size, which is at
// most the server's `max_attachment_bytes`, so one upload holds at most that
// much in memory and is refused as soon as more arrives. Download: the
// metadata, then 64 KiB chunks read from the store one at a time, each
// written only after the previous one was sent.
//
// Each reactor deletes itself in `OnDone`. Internal to services/;
// thread-safe (gRPC runs a reactor's callbacks one at a time).
#ifndef TASKGATE_SERVICES_ATTACHMENT_STREAMS_H_
#define TASKGATE_SERVICES_ATTACHMENT_STREAMS_H_

#include <cstdint>

#include <grpcpp/grpcpp.h>

#include "services/api.h"
#include "taskgate/v1/task_service.pb.h"

namespace taskgate::services::internal {

// Bytes per download message.
inline constexpr int64_t kAttachmentChunkBytes = 64 * 1024;

grpc::ServerReadReactor<v1::UploadAttachmentRequest>* NewUploadReactor(
    ApiContext& ctx, grpc::CallbackServerContext* context,
    v1::Attachment* response);

grpc::ServerWriteReactor<v1::DownloadAttachmentResponse>* NewDownloadReactor(
    ApiContext& ctx, grpc::CallbackServerContext* context,
    const v1::DownloadAttachmentRequest* request);

}  // namespace taskgate::services::internal

#endif  // TASKGATE_SERVICES_ATTACHMENT_STREAMS_H_
