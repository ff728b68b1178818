// Attachments (依据文件, SPEC §3) through a real server: the streaming upload
// and download of the client library, the server's own hash, the limits,
// who may attach and read, the audit event, and retries.
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clients/client.h"
#include "tests/e2e/e2e_fixture.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::SizeIs;

// Room for a document over two MiB, whose download takes several reads of
// the store (services/attachment_streams.cc) and many 64 KiB messages.
constexpr int64_t kLimit = 3 * 1024 * 1024;

std::string Document(size_t size, char seed) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>(seed + (i * 31) % 251);
  }
  return bytes;
}

class AttachmentE2eTest : public E2eTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.max_attachment_bytes = static_cast<int>(kLimit);
  }

  std::unique_ptr<clients::Client> ClientOf(const Actor& who) {
    clients::ClientOptions options;
    options.token = who.token;
    auto client = std::make_unique<clients::Client>(options, channel_);
    client->set_sleeper([](absl::Duration) {});
    return client;
  }

  static v1::AttachmentHeader Header(const std::string& task_id,
                                     const std::string& request_id,
                                     const std::string& name,
                                     const std::string& content) {
    v1::AttachmentHeader h;
    h.set_request_id(request_id);
    h.set_task_id(task_id);
    h.set_name(name);
    h.set_media_type("application/pdf");
    h.set_size_bytes(static_cast<int64_t>(content.size()));
    h.set_sha256(clients::Sha256Hex(content));
    return h;
  }

  absl::StatusOr<v1::Attachment> Upload(const Actor& who,
                                        const v1::AttachmentHeader& header,
                                        const std::string& content,
                                        grpc::Status* raw = nullptr) {
    std::unique_ptr<clients::Client> client = ClientOf(who);
    v1::Attachment response;
    grpc::Status status = client->UploadAttachment(header, content, &response);
    if (raw != nullptr) *raw = status;
    if (!status.ok()) return ToAbsl(status);
    return response;
  }

  absl::StatusOr<std::string> Download(const Actor& who,
                                       const std::string& task_id,
                                       const std::string& key,
                                       v1::Attachment* metadata = nullptr) {
    std::unique_ptr<clients::Client> client = ClientOf(who);
    v1::DownloadAttachmentRequest r;
    r.set_task_id(task_id);
    r.set_attachment(key);
    v1::Attachment got;
    std::string content;
    grpc::Status status = client->DownloadAttachment(r, &got, &content);
    if (!status.ok()) return ToAbsl(status);
    if (metadata != nullptr) *metadata = got;
    return content;
  }

  absl::StatusOr<v1::ListAttachmentsResponse> List(const Actor& who,
                                                   const std::string& task) {
    v1::ListAttachmentsRequest r;
    r.set_task_id(task);
    return Call(who, *tasks_, &TaskStub::ListAttachments, r);
  }

  std::string Draft() {
    absl::StatusOr<v1::Task> t = CreateTask(clerk_, CleanAssistSpec());
    EXPECT_THAT(t, IsOk());
    return t.ok() ? t->id() : "";
  }

  // Every attachment of `task` is gone from the store: none listed, no
  // "task.attach" event.
  void ExpectNothingStored(const std::string& task) {
    ASSERT_OK_AND_ASSIGN(v1::ListAttachmentsResponse listed,
                         List(clerk_, task));
    EXPECT_THAT(listed.attachments(), IsEmpty());
    EXPECT_THAT(TaskActions(task), Not(Contains("task.attach")));
  }
};

TEST_F(AttachmentE2eTest, UploadAndDownloadRoundTripWithTheServersHash) {
  const std::string task = Draft();
  const std::string policy = Document(2 * 1024 * 1024 + 200 * 1024 + 7, 'a');
  ASSERT_OK_AND_ASSIGN(
      v1::Attachment added,
      Upload(clerk_,
             Header(task, "att-1", "关于开展老年人补贴核查的通知.pdf", policy),
             policy));
  EXPECT_EQ(added.sha256(), clients::Sha256Hex(policy));
  EXPECT_EQ(added.size_bytes(), static_cast<int64_t>(policy.size()));
  EXPECT_EQ(added.added_by(), clerk_.id);

  // The reviewer reads it once submitted, by hash and by name.
  ASSERT_THAT(Act(clerk_, Step::kSubmit, task), IsOk());
  v1::Attachment metadata;
  ASSERT_OK_AND_ASSIGN(std::string by_hash,
                       Download(reviewer_, task, added.sha256(), &metadata));
  EXPECT_EQ(clients::Sha256Hex(by_hash), added.sha256());
  EXPECT_EQ(by_hash, policy);
  EXPECT_EQ(metadata.name(), "关于开展老年人补贴核查的通知.pdf");
  EXPECT_EQ(metadata.media_type(), "application/pdf");
  ASSERT_OK_AND_ASSIGN(
      std::string by_name,
      Download(auditor_, task, "关于开展老年人补贴核查的通知.pdf"));
  EXPECT_EQ(by_name, policy);
  ASSERT_OK_AND_ASSIGN(v1::ListAttachmentsResponse listed,
                       List(reviewer_, task));
  ASSERT_THAT(listed.attachments(), SizeIs(1));
  EXPECT_EQ(listed.attachments(0).sha256(), added.sha256());
  EXPECT_THAT(Download(reviewer_, task, "missing.pdf"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AttachmentE2eTest, TheAuditEventCarriesTheHash) {
  const std::string task = Draft();
  const std::string funding = "区财政局经费批复 2026-017";
  ASSERT_OK_AND_ASSIGN(
      v1::Attachment added,
      Upload(clerk_, Header(task, "att-ev", "经费批复.txt", funding), funding));
  v1::ListEventsRequest r;
  r.set_task_id(task);
  std::vector<v1::AuditEvent> attach;
  for (const v1::AuditEvent& e : Events(r)) {
    if (e.action() == "task.attach") attach.push_back(e);
  }
  ASSERT_THAT(attach, SizeIs(1));
  EXPECT_THAT(attach[0].details(),
              Contains(Pair("attachment.sha256", added.sha256())));
  EXPECT_THAT(attach[0].details(),
              Contains(Pair("attachment.name", "经费批复.txt")));
  EXPECT_THAT(
      attach[0].details(),
      Contains(Pair("attachment.size_bytes", absl::StrCat(funding.size()))));
  EXPECT_EQ(attach[0].request_id(), "att-ev");
}

TEST_F(AttachmentE2eTest, AWrongHashIsRefusedAndNothingIsStored) {
  const std::string task = Draft();
  const std::string policy = Document(1000, 'p');
  v1::AttachmentHeader header = Header(task, "att-bad", "policy.pdf", policy);
  header.set_sha256(clients::Sha256Hex("something else"));
  grpc::Status raw;
  EXPECT_THAT(Upload(clerk_, header, policy, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nothing was stored")));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("sha256"));
  // Not 64 hex digits at all: refused at the header.
  header.set_sha256("not-a-hash");
  header.set_request_id("att-bad-2");
  EXPECT_THAT(Upload(clerk_, header, policy, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("sha256"));
  ExpectNothingStored(task);
}

TEST_F(AttachmentE2eTest, SizesOverTheLimitOrBeyondTheDeclaredAreRefused) {
  const std::string task = Draft();
  const std::string big = Document(kLimit + 1, 'b');
  grpc::Status raw;
  // Declared over the limit: refused before any byte is read.
  EXPECT_THAT(
      Upload(clerk_, Header(task, "att-big", "big.pdf", big), big, &raw),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("max_attachment_bytes")));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("size_bytes"));
  // Declared small, but more bytes sent: refused as soon as they exceed it.
  v1::AttachmentHeader small = Header(task, "att-lie", "small.pdf", big);
  small.set_size_bytes(100);
  EXPECT_THAT(
      Upload(clerk_, small, big, &raw),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more arrived")));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("size_bytes"));
  // Declared larger than what was sent.
  const std::string half = Document(500, 'h');
  v1::AttachmentHeader longer = Header(task, "att-short", "short.pdf", half);
  longer.set_size_bytes(501);
  EXPECT_THAT(Upload(clerk_, longer, half, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("size_bytes"));
  // A bad name and media type are named.
  v1::AttachmentHeader bad = Header(task, "att-name", "../etc/passwd", half);
  bad.set_media_type("pdf");
  EXPECT_THAT(Upload(clerk_, bad, half, &raw),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BadRequestFields(raw), ElementsAre("name", "media_type"));
  ExpectNothingStored(task);
}

TEST_F(AttachmentE2eTest, AnotherDepartmentCannotAttachOrRead) {
  const std::string task = Draft();
  const std::string doc = "policy";
  ASSERT_THAT(Upload(clerk_, Header(task, "att-own", "p.txt", doc), doc),
              IsOk());
  EXPECT_THAT(Upload(other_clerk_, Header(task, "att-x", "x.txt", doc), doc),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(List(other_clerk_, task),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Download(other_clerk_, task, "p.txt"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Nor may a reviewer attach; and not once the task is submitted.
  EXPECT_THAT(Upload(reviewer_, Header(task, "att-r", "r.txt", doc), doc),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_THAT(Act(clerk_, Step::kSubmit, task), IsOk());
  EXPECT_THAT(Upload(clerk_, Header(task, "att-late", "late.txt", "x"), "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("DRAFT or RETURNED")));
  ASSERT_OK_AND_ASSIGN(v1::ListAttachmentsResponse listed, List(clerk_, task));
  EXPECT_THAT(listed.attachments(), SizeIs(1));
}

TEST_F(AttachmentE2eTest, ARetryWithTheSameRequestIdGetsTheFirstAnswer) {
  const std::string task = Draft();
  const std::string doc = Document(70 * 1024, 'r');
  const v1::AttachmentHeader header = Header(task, "att-retry", "r.pdf", doc);
  ASSERT_OK_AND_ASSIGN(v1::Attachment first, Upload(clerk_, header, doc));
  const int64_t size = TreeSize();
  // Even after submit, the retry is answered, not refused or stored again.
  ASSERT_THAT(Act(clerk_, Step::kSubmit, task), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Attachment again, Upload(clerk_, header, doc));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(TreeSize(), size + 1);  // the submit only
  // The same bytes under a new request id are already attached.
  v1::AttachmentHeader renamed = header;
  renamed.set_request_id("att-retry-2");
  EXPECT_THAT(Upload(clerk_, renamed, doc),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(AttachmentE2eTest, TheSameBytesTwiceOnADraftAreAlreadyThere) {
  const std::string task = Draft();
  const std::string doc = "the same policy";
  ASSERT_THAT(Upload(clerk_, Header(task, "a-1", "one.txt", doc), doc), IsOk());
  EXPECT_THAT(Upload(clerk_, Header(task, "a-2", "two.txt", doc), doc),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(Upload(clerk_, Header(task, "a-3", "one.txt", "other"), "other"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Another task may carry the same bytes (kept once by the store).
  const std::string second = Draft();
  EXPECT_THAT(Upload(clerk_, Header(second, "a-4", "one.txt", doc), doc),
              IsOk());
}

}  // namespace
}  // namespace taskgate::e2e
