// A task's attachments (依据文件, SPEC §3): the policy document, the funding
// approval. Each has a name, a media type, a size and a SHA-256; the store
// keeps the bytes once per hash, and the audit event "task.attach" of the
// change that added one records its name, media type, size and hash (and,
// as every event, the attachment's metadata as written, so the log replay
// check reproduces it: workflow/record_check.h; the kept bytes are checked
// against the hash there too).
//
// Who may add: the task's own department clerk, while the task may be
// edited by it - exactly the rows of the transition table for
// `TaskAction::kEdit` (DRAFT or RETURNED, own department). The documents
// are part of what the department submits: once submitted the reviewer
// decides on what was there, so nothing is added while the task is under
// review or after it; a returned task may be completed with the missing
// document. Attachments are never changed or removed (created only), so
// what a decision was made under stays readable.
//
// Who may list and read: whoever may read the task (workflow/access.h
// `CanReadTask`), exactly as `Queries::GetTask`.
//
// Adding takes two steps, because the bytes arrive as a stream: `CheckAdd`
// with what the caller declares (before any byte is read, so a refused
// upload costs no transfer), then `AddAsync` with the bytes, which checks
// everything again inside the district's writer and computes the SHA-256
// itself. A refused upload stores nothing: no row, no event.
//
// Errors of both, in the order checked: PERMISSION_DENIED for a role that
// may never attach, INVALID_ARGUMENT (with field violations) for a bad
// declaration or a size over `EngineOptions::max_attachment_bytes`,
// PERMISSION_DENIED for another department's task (or one that does not
// exist: access.h `HideMissingTask`), NOT_FOUND to the roles that read
// every task; then a retry of an answered request id is answered with the
// first answer; FAILED_PRECONDITION when the task may not be edited in its
// state or already has `EngineOptions::max_attachments_per_task`
// attachments; ALREADY_EXISTS when the task already has these bytes or this
// name. `AddAsync` adds INVALID_ARGUMENT naming `size_bytes` or `sha256`
// when the bytes are not what was declared.
//
// Thread-safe when the `Store` is; holds no mutable state of its own.
// `store`, `writer` and `clock` must outlive it.
#ifndef TASKGATE_WORKFLOW_ATTACHMENTS_H_
#define TASKGATE_WORKFLOW_ATTACHMENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "common/clock.h"
#include "common/field_violations.h"
#include "domain/types.h"
#include "store/store.h"
#include "workflow/options.h"
#include "workflow/writer.h"

namespace taskgate::workflow {

// Limits of an attachment's declaration.
inline constexpr size_t kMaxAttachmentNameLength = 200;  // characters
inline constexpr size_t kMaxMediaTypeLength = 127;       // RFC 6838 bound

// What a caller declares before sending an attachment's bytes.
struct AttachmentUpload {
  std::string task_id;
  std::string request_id;
  std::string name;        // one line of safe text, no '/' or '\\'
  std::string media_type;  // "type/subtype", e.g. "application/pdf"
  int64_t size_bytes = 0;  // 1 .. max_attachment_bytes
  std::string sha256;      // 64 hex digits (either case; kept lowercase)
};

// Appends a violation for each bad field of `upload` (task_id, name,
// media_type, size_bytes against `max_bytes`, sha256), named as in the
// request; the request id is the caller's to check. Pure.
void CheckAttachmentUpload(const AttachmentUpload& upload, int64_t max_bytes,
                           std::vector<FieldViolation>& violations);

class Attachments final {
 public:
  Attachments(store::Store& store, Writer& writer, const Clock& clock,
              EngineOptions options);
  Attachments(const Attachments&) = delete;
  Attachments& operator=(const Attachments&) = delete;

  // Checks a declared upload against the task as last committed. Returns
  // the first answer when `upload.request_id` already answered this
  // request (the caller then need not read the bytes), nullopt when the
  // upload may go ahead. Errors as the header says.
  absl::StatusOr<std::optional<domain::Attachment>> CheckAdd(
      const domain::Principal& principal, AttachmentUpload upload) const;

  // Adds `content` as declared by `upload`; `done` gets the stored
  // attachment (or the first answer to the request id), once, on the
  // writer's thread or the caller's.
  void AddAsync(const domain::Principal& principal, AttachmentUpload upload,
                std::string content, Callback<domain::Attachment> done);
  // `AddAsync`, waiting. Not on the writer's thread.
  absl::StatusOr<domain::Attachment> Add(const domain::Principal& principal,
                                         AttachmentUpload upload,
                                         std::string content);

  // The attachments of task `task_id`, oldest first. Errors as
  // `Queries::GetTask`: INVALID_ARGUMENT, PERMISSION_DENIED, NOT_FOUND.
  absl::StatusOr<std::vector<domain::Attachment>> List(
      const domain::Principal& principal, const std::string& task_id) const;

  // The attachment of task `task_id` whose sha256 (64 hex digits, either
  // case) or else whose name is `key`. Errors as `List`, and NOT_FOUND when
  // the task has no such attachment.
  absl::StatusOr<domain::Attachment> Find(const domain::Principal& principal,
                                          const std::string& task_id,
                                          const std::string& key) const;

  // At most `limit` bytes of `attachment`'s content from `offset` on (an
  // attachment `Find` returned: no further check). The store's errors;
  // DATA_LOSS when the kept bytes end before the attachment's size.
  absl::StatusOr<std::string> ReadContent(const domain::Attachment& attachment,
                                          int64_t offset, int64_t limit) const;

 private:
  // The task as read through `reads`, checked for the principal (role and
  // scope); errors as the header says.
  absl::StatusOr<domain::Task> AuthorizedTask(
      store::Store& reads, const domain::Principal& principal,
      const std::string& task_id) const;
  // The task's state and count bound, and that neither the bytes nor the
  // name are attached already, against `reads`.
  absl::Status CheckRoom(store::Store& reads,
                         const domain::Principal& principal,
                         const domain::Task& task,
                         const AttachmentUpload& upload) const;

  store::Store& store_;  // reads outside the writer
  Writer& writer_;
  const Clock& clock_;
  const EngineOptions options_;
};

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_ATTACHMENTS_H_
