#include "workflow/attachments.h"

#include <string_view>
#include <utility>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include "audit/merkle.h"
#include "common/status_macros.h"
#include "domain/codec.h"
#include "workflow/access.h"
#include "workflow/internal/changes.h"
#include "workflow/internal/commit_once.h"
#include "workflow/queries.h"
#include "workflow/statistics_counters.h"
#include "workflow/transitions.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

using internal::CommitOnceAsync;
using internal::Fingerprint;
using internal::Outcome;
using internal::Str;
using internal::TaskEvent;
using internal::Wait;

// The request id's record of an upload (its sha256 already lower case): the
// same in the check before the bytes and in the commit after them.
internal::Idempotency<domain::Attachment> AttachIdempotency(
    const std::string& district_id, const domain::Principal& principal,
    const AttachmentUpload& upload) {
  return {
      district_id,
      principal.id,
      upload.request_id,
      "task.attach",
      Fingerprint({principal.id, upload.task_id, upload.name, upload.media_type,
                   absl::StrCat(upload.size_bytes), upload.sha256}),
      &domain::AttachmentToJson,
      &domain::AttachmentFromJson};
}

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// RFC 6838 restricted-name characters.
bool IsMediaTypeToken(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  if (!absl::ascii_isalnum(static_cast<unsigned char>(s.front()))) {
    return false;
  }
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("!#$&-^_.+").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string Lower(std::string s) {
  absl::AsciiStrToLower(&s);
  return s;
}

}  // namespace

void CheckAttachmentUpload(const AttachmentUpload& upload, int64_t max_bytes,
                           std::vector<FieldViolation>& violations) {
  CheckId("task_id", upload.task_id, violations);
  const size_t before = violations.size();
  CheckText("name", upload.name, kMaxAttachmentNameLength, true, violations);
  if (violations.size() == before &&
      (upload.name.find_first_of("/\\") != std::string::npos ||
       upload.name == "." || upload.name == "..")) {
    violations.push_back(
        {"name",
         "must be a file name without a directory: no '/' or '\\', not '.' "
         "or '..'"});
  }
  const size_t slash = upload.media_type.find('/');
  if (upload.media_type.size() > kMaxMediaTypeLength ||
      slash == std::string::npos ||
      !IsMediaTypeToken(std::string_view(upload.media_type).substr(0, slash)) ||
      !IsMediaTypeToken(
          std::string_view(upload.media_type).substr(slash + 1))) {
    violations.push_back(
        {"media_type",
         absl::StrCat("must be a media type 'type/subtype' of at most ",
                      kMaxMediaTypeLength,
                      " characters without parameters, e.g. "
                      "'application/pdf'")});
  }
  if (upload.size_bytes <= 0 || upload.size_bytes > max_bytes) {
    violations.push_back(
        {"size_bytes",
         absl::StrCat("is ", upload.size_bytes, "; an attachment is 1 to ",
                      max_bytes,
                      " bytes (the server's max_attachment_bytes)")});
  }
  if (!IsHex64(upload.sha256)) {
    violations.push_back(
        {"sha256", "must be the content's SHA-256 as 64 hex digits"});
  }
}

Attachments::Attachments(store::Store& store, Writer& writer,
                         const Clock& clock, EngineOptions options)
    : store_(store),
      writer_(writer),
      clock_(clock),
      options_(std::move(options)) {}

absl::StatusOr<domain::Task> Attachments::AuthorizedTask(
    store::Store& reads, const domain::Principal& principal,
    const std::string& task_id) const {
  absl::StatusOr<domain::Task> task =
      reads.GetTask(options_.district_id, task_id);
  TASKGATE_RETURN_IF_ERROR(
      HideMissingTask(principal, task_id, "attach to", task.status()));
  TASKGATE_RETURN_IF_ERROR(
      AuthorizeAction(principal, *task, TaskAction::kEdit));
  return task;
}

absl::Status Attachments::CheckRoom(store::Store& reads,
                                    const domain::Principal& principal,
                                    const domain::Task& task,
                                    const AttachmentUpload& upload) const {
  // Allowed where the transition table lets the department edit the task.
  if (absl::StatusOr<const Transition*> row =
          CheckTransition(principal, task, TaskAction::kEdit, {});
      !row.ok()) {
    if (row.status().code() != absl::StatusCode::kFailedPrecondition) {
      return row.status();
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "task ", task.id, " is ", Str(domain::TaskStateName(task.state)),
        "; documents are attached while the department may edit the task "
        "(DRAFT or RETURNED)"));
  }
  TASKGATE_ASSIGN_OR_RETURN(
      std::vector<domain::Attachment> existing,
      reads.ListAttachments(options_.district_id, task.id));
  for (const domain::Attachment& a : existing) {
    if (a.sha256 == upload.sha256) {
      return absl::AlreadyExistsError(
          absl::StrCat("task ", task.id,
                       " already has these bytes attached, "
                       "as '",
                       a.name, "' (sha256 ", a.sha256, ")"));
    }
    if (a.name == upload.name) {
      return absl::AlreadyExistsError(
          absl::StrCat("task ", task.id, " already has an attachment named '",
                       a.name, "'; choose another name"));
    }
  }
  if (static_cast<int64_t>(existing.size()) >=
      options_.max_attachments_per_task) {
    return absl::FailedPreconditionError(
        absl::StrCat("task ", task.id, " already has ", existing.size(),
                     " attachments, the most a task may have (the server's "
                     "max_attachments_per_task)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<domain::Attachment>> Attachments::CheckAdd(
    const domain::Principal& principal, AttachmentUpload upload) const {
  if (principal.role != domain::Role::kDepartment) {
    return absl::PermissionDeniedError(absl::StrCat(
        "role ", Str(domain::RoleName(principal.role)),
        " may not attach documents to tasks; the task's own department "
        "attaches them"));
  }
  std::vector<FieldViolation> violations;
  CheckAttachmentUpload(upload, options_.max_attachment_bytes, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  upload.sha256 = Lower(std::move(upload.sha256));
  TASKGATE_ASSIGN_OR_RETURN(domain::Task task,
                            AuthorizedTask(store_, principal, upload.task_id));
  internal::Idempotency<domain::Attachment> idempotency =
      AttachIdempotency(options_.district_id, principal, upload);
  TASKGATE_ASSIGN_OR_RETURN(std::optional<domain::Attachment> earlier,
                            idempotency.Replay(store_));
  if (earlier.has_value()) return earlier;
  TASKGATE_RETURN_IF_ERROR(CheckRoom(store_, principal, task, upload));
  return std::optional<domain::Attachment>();
}

void Attachments::AddAsync(const domain::Principal& principal,
                           AttachmentUpload upload, std::string content,
                           Callback<domain::Attachment> done) {
  absl::StatusOr<std::optional<domain::Attachment>> checked =
      CheckAdd(principal, upload);
  if (!checked.ok()) return done(checked.status());
  if (checked->has_value()) return done(**std::move(checked));
  upload.sha256 = Lower(std::move(upload.sha256));
  // What arrived must be what was declared; the hash is ours, not the
  // caller's word.
  std::vector<FieldViolation> violations;
  if (static_cast<int64_t>(content.size()) != upload.size_bytes) {
    violations.push_back(
        {"size_bytes",
         absl::StrCat("declares ", upload.size_bytes, " bytes, but ",
                      content.size(), " arrived; nothing was stored")});
  } else if (const std::string actual = audit::ToHex(audit::Sha256(content));
             actual != upload.sha256) {
    violations.push_back(
        {"sha256", absl::StrCat("declares ", upload.sha256,
                                ", but the bytes that arrived hash to ", actual,
                                "; nothing was stored")});
  }
  if (!violations.empty())
    return done(InvalidArgumentWithViolations(violations));
  internal::Idempotency<domain::Attachment> idempotency =
      AttachIdempotency(options_.district_id, principal, upload);
  CommitOnceAsync<domain::Attachment>(
      writer_, store_, std::move(idempotency),
      [this, principal, upload = std::move(upload),
       content = std::move(content)](
          store::Store& tx) -> absl::StatusOr<Outcome<domain::Attachment>> {
        TASKGATE_ASSIGN_OR_RETURN(
            domain::Task task, AuthorizedTask(tx, principal, upload.task_id));
        TASKGATE_RETURN_IF_ERROR(CheckRoom(tx, principal, task, upload));
        Outcome<domain::Attachment> out;
        domain::Attachment& a = out.value;
        a.district_id = options_.district_id;
        a.task_id = task.id;
        a.name = upload.name;
        a.media_type = upload.media_type;
        a.size_bytes = upload.size_bytes;
        a.sha256 = upload.sha256;
        a.added_by = principal.id;
        a.added_at = clock_.Now();
        domain::AuditEvent e = TaskEvent(principal, task, task.state, "attach",
                                         a.added_at, upload.request_id, "");
        e.details["attachment.name"] = a.name;
        e.details["attachment.media_type"] = a.media_type;
        e.details["attachment.size_bytes"] = absl::StrCat(a.size_bytes);
        e.details["attachment.sha256"] = a.sha256;
        out.change.district_id = options_.district_id;
        out.change.attachments.push_back({a, content});
        out.change.events.push_back(std::move(e));
        TASKGATE_RETURN_IF_ERROR(KeepCounters(out.change, options_, tx));
        return out;
      },
      std::move(done));
}

absl::StatusOr<domain::Attachment> Attachments::Add(
    const domain::Principal& principal, AttachmentUpload upload,
    std::string content) {
  return Wait<domain::Attachment>([&](Callback<domain::Attachment> done) {
    AddAsync(principal, std::move(upload), std::move(content), std::move(done));
  });
}

absl::StatusOr<std::vector<domain::Attachment>> Attachments::List(
    const domain::Principal& principal, const std::string& task_id) const {
  TASKGATE_RETURN_IF_ERROR(
      ReadTask(store_, options_.district_id, principal, task_id).status());
  return store_.ListAttachments(options_.district_id, task_id);
}

absl::StatusOr<domain::Attachment> Attachments::Find(
    const domain::Principal& principal, const std::string& task_id,
    const std::string& key) const {
  std::vector<FieldViolation> violations;
  CheckText("attachment", key, kMaxAttachmentNameLength, true, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  TASKGATE_ASSIGN_OR_RETURN(std::vector<domain::Attachment> all,
                            List(principal, task_id));
  const std::string by_hash = IsHex64(key) ? Lower(key) : "";
  for (const domain::Attachment& a : all) {
    if (!by_hash.empty() && a.sha256 == by_hash) return a;
  }
  for (const domain::Attachment& a : all) {
    if (a.name == key) return a;
  }
  return absl::NotFoundError(
      absl::StrCat("task ", task_id, " has no attachment with sha256 or name '",
                   key, "'; list them with ListAttachments"));
}

absl::StatusOr<std::string> Attachments::ReadContent(
    const domain::Attachment& attachment, int64_t offset, int64_t limit) const {
  TASKGATE_ASSIGN_OR_RETURN(
      std::string bytes,
      store_.ReadAttachmentContent(options_.district_id, attachment.sha256,
                                   offset, limit));
  if (bytes.empty() && offset < attachment.size_bytes) {
    return absl::DataLossError(absl::StrCat(
        "the kept content of attachment ", attachment.sha256, " of task ",
        attachment.task_id, " ends before its size; verify the database"));
  }
  return bytes;
}

}  // namespace taskgate::workflow
