#include "services/attachment_streams.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>

#include "common/field_violations.h"
#include "services/convert.h"
#include "services/handler.h"
#include "workflow/attachments.h"

namespace taskgate::services::internal {
namespace {

constexpr std::string_view kUpload = "TaskService/UploadAttachment";
constexpr std::string_view kDownload = "TaskService/DownloadAttachment";
// A download reads the store a MiB at a time and sends it in
// `kAttachmentChunkBytes` messages: the SQLite store walks a document's
// pages from its start on every read, so reading 64 KiB at a time made a
// download quadratic in its size (20 MiB took 3 to 5 s). Memory per
// download stays bounded by this.
constexpr int64_t kStoreReadBytes = 1 << 20;

class UploadReactor final
    : public grpc::ServerReadReactor<v1::UploadAttachmentRequest> {
 public:
  UploadReactor(ApiContext& ctx, grpc::CallbackServerContext* context,
                v1::Attachment* response)
      : ctx_(ctx),
        response_(response),
        start_(absl::Now()),
        source_(SourceOf(context->peer())),
        caller_(Authenticate(ctx, *context, source_)) {
    if (!caller_.ok()) {
      Done(caller_.status());
      return;
    }
    StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    try {
      Read(ok);
    } catch (const std::exception& e) {
      Done(absl::InternalError(e.what()));
    }
  }

  void OnDone() override { delete this; }

 private:
  void Read(bool ok) {
    if (!ok) {
      // The client half-closed (or sent a message that does not parse,
      // which the callback API reports the same way).
      if (!header_.has_value()) {
        // Named as a request that does not parse (parse_check.h), which it
        // may be: the callback API does not tell the two apart.
        return Done(InvalidArgumentWithViolations(
            {{"request",
              absl::StrCat(
                  "no valid ",
                  v1::UploadAttachmentRequest::descriptor()->full_name(),
                  " message of ", std::string(kUpload),
                  " arrived: the stream ended, or its first message does not "
                  "parse; the first message carries the header (request_id, "
                  "task_id, name, media_type, size_bytes, sha256)")}}));
      }
      if (replay_.has_value()) {
        ToProto(*replay_, response_);
        return Done(absl::OkStatus());
      }
      return Commit();
    }
    if (!header_.has_value()) return Start();
    if (!message_.has_chunk()) {
      return Done(InvalidArgumentWithViolations(
          {{"header",
            "only the first message carries a header; the "
            "following ones carry chunks"}}));
    }
    const std::string& chunk = message_.chunk();
    const int64_t received = received_ + static_cast<int64_t>(chunk.size());
    // Refused as soon as the bytes exceed what was declared (itself at most
    // the limit): nothing beyond is buffered.
    if (received > header_->size_bytes) {
      return Done(InvalidArgumentWithViolations(
          {{"size_bytes", absl::StrCat("declares ", header_->size_bytes,
                                       " bytes, but more arrived (", received,
                                       " so far); nothing was stored")}}));
    }
    received_ = received;
    if (!replay_.has_value()) content_.append(chunk);
    StartRead(&message_);
  }

  // The first message: the header, checked before any byte is read.
  void Start() {
    if (!message_.has_header()) {
      return Done(InvalidArgumentWithViolations(
          {{"header",
            "the first message must carry the header (request_id, "
            "task_id, name, media_type, size_bytes, sha256), not "
            "a chunk"}}));
    }
    const v1::AttachmentHeader& h = message_.header();
    request_id_ = h.request_id();
    workflow::AttachmentUpload upload;
    upload.task_id = h.task_id();
    upload.request_id = h.request_id();
    upload.name = h.name();
    upload.media_type = h.media_type();
    upload.size_bytes = h.size_bytes();
    upload.sha256 = h.sha256();
    std::vector<FieldViolation> violations;
    CheckRequestId(h.request_id(), violations);
    if (!violations.empty()) return Done(Violations(violations));
    absl::StatusOr<std::optional<domain::Attachment>> checked =
        ctx_.engine.attachments().CheckAdd(*caller_, upload);
    if (!checked.ok()) return Done(checked.status());
    if (checked->has_value()) {
      // A retry of an answered request: its first answer, once the client
      // has sent its bytes (counted, not kept). Answering OK at once would
      // leave a client that is still writing blocked: an OK status does not
      // end the client's half of the stream as an error does.
      replay_ = **std::move(checked);
    } else {
      content_.reserve(static_cast<size_t>(upload.size_bytes));
    }
    header_ = std::move(upload);
    StartRead(&message_);
  }

  void Commit() {
    ctx_.engine.attachments().AddAsync(
        *caller_, *header_, std::move(content_),
        [this](absl::StatusOr<domain::Attachment> added) {
          if (added.ok()) ToProto(*added, response_);
          Done(added.status());
        });
  }

  void Done(const absl::Status& status) {
    Finish(internal::Finish(ctx_, kUpload, caller_.ok() ? &*caller_ : nullptr,
                            source_, request_id_, status,
                            absl::Now() - start_));
  }

  ApiContext& ctx_;
  v1::Attachment* const response_;
  const absl::Time start_;
  const std::string source_;
  const absl::StatusOr<domain::Principal> caller_;
  v1::UploadAttachmentRequest message_;
  std::string request_id_;
  std::optional<workflow::AttachmentUpload> header_;
  std::string content_;
  int64_t received_ = 0;
  std::optional<domain::Attachment> replay_;  // a retry's first answer
};

class DownloadReactor final
    : public grpc::ServerWriteReactor<v1::DownloadAttachmentResponse> {
 public:
  DownloadReactor(ApiContext& ctx, grpc::CallbackServerContext* context,
                  const v1::DownloadAttachmentRequest* request)
      : ctx_(ctx),
        start_(absl::Now()),
        source_(SourceOf(context->peer())),
        caller_(Authenticate(ctx, *context, source_)) {
    if (!caller_.ok()) {
      Done(caller_.status());
      return;
    }
    absl::StatusOr<domain::Attachment> found = absl::InternalError("");
    try {
      found = ctx_.engine.attachments().Find(*caller_, request->task_id(),
                                             request->attachment());
    } catch (const std::exception& e) {
      found = absl::InternalError(e.what());
    }
    if (!found.ok()) {
      Done(found.status());
      return;
    }
    attachment_ = *std::move(found);
    ToProto(attachment_, message_.mutable_metadata());
    StartWrite(&message_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      return Done(absl::CancelledError("the client stopped the download"));
    }
    if (sent_ == read_.size()) {
      if (offset_ >= attachment_.size_bytes) return Done(absl::OkStatus());
      absl::StatusOr<std::string> piece = ctx_.engine.attachments().ReadContent(
          attachment_, offset_,
          std::min(kStoreReadBytes, attachment_.size_bytes - offset_));
      if (!piece.ok()) return Done(piece.status());
      offset_ += static_cast<int64_t>(piece->size());
      read_ = *std::move(piece);
      sent_ = 0;
    }
    const size_t n = std::min(static_cast<size_t>(kAttachmentChunkBytes),
                              read_.size() - sent_);
    message_.Clear();
    message_.set_chunk(read_.substr(sent_, n));
    sent_ += n;
    StartWrite(&message_);
  }

  void OnDone() override { delete this; }

 private:
  void Done(const absl::Status& status) {
    Finish(internal::Finish(ctx_, kDownload, caller_.ok() ? &*caller_ : nullptr,
                            source_, "", status, absl::Now() - start_));
  }

  ApiContext& ctx_;
  const absl::Time start_;
  const std::string source_;
  const absl::StatusOr<domain::Principal> caller_;
  domain::Attachment attachment_;
  int64_t offset_ = 0;  // of the next read from the store
  std::string read_;    // the last read, sent from `sent_` on
  size_t sent_ = 0;
  v1::DownloadAttachmentResponse message_;
};

}  // namespace

grpc::ServerReadReactor<v1::UploadAttachmentRequest>* NewUploadReactor(
    ApiContext& ctx, grpc::CallbackServerContext* context,
    v1::Attachment* response) {
  return new UploadReactor(ctx, context, response);
}

grpc::ServerWriteReactor<v1::DownloadAttachmentResponse>* NewDownloadReactor(
    ApiContext& ctx, grpc::CallbackServerContext* context,
    const v1::DownloadAttachmentRequest* request) {
  return new DownloadReactor(ctx, context, request);
}

}  // namespace taskgate::services::internal
