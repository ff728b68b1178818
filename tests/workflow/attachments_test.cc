// `Attachments` (workflow/attachments.h): who may attach and read, the
// declaration's validation, the server's own hash, the bounds, and that a
// refused upload stores nothing.
#include "workflow/attachments.h"

#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/merkle.h"
#include "domain/codec.h"
#include "tests/testing/status_matchers.h"
#include "tests/workflow/workflow_fixture.h"

namespace taskgate::workflow {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string Hex(const std::string& bytes) {
  return audit::ToHex(audit::Sha256(bytes));
}

AttachmentUpload Upload(const std::string& task, const std::string& name,
                        const std::string& content,
                        const std::string& request_id = "") {
  AttachmentUpload u;
  u.task_id = task;
  u.request_id = request_id;
  u.name = name;
  u.media_type = "application/pdf";
  u.size_bytes = static_cast<int64_t>(content.size());
  u.sha256 = Hex(content);
  return u;
}

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : GetFieldViolations(s)) out.push_back(v.field);
  return out;
}

class AttachmentsTest : public TaskWorkflowTest {
 protected:
  Attachments& attachments() { return engine_->attachments(); }

  int64_t EventCount() {
    absl::StatusOr<int64_t> n = sqlite_->EventCount("default");
    EXPECT_THAT(n, IsOk());
    return n.ok() ? *n : -1;
  }
};

TEST_F(AttachmentsTest, TheOwnDepartmentAttachesToADraftAndReadersRead) {
  Create("t1", CleanAssistSpec());
  const std::string doc = "区民政局关于开展高龄津贴核查的通知";
  ASSERT_OK_AND_ASSIGN(
      domain::Attachment a,
      attachments().Add(Clerk(), Upload("t1", "通知.pdf", doc), doc));
  EXPECT_EQ(a.sha256, Hex(doc));
  EXPECT_EQ(a.added_by, Clerk().id);
  for (const domain::Principal& reader :
       {Clerk(), Reviewer("r1"), Auditor(), Admin()}) {
    ASSERT_OK_AND_ASSIGN(std::vector<domain::Attachment> listed,
                         attachments().List(reader, "t1"));
    EXPECT_THAT(listed, SizeIs(1));
  }
  ASSERT_OK_AND_ASSIGN(domain::Attachment found,
                       attachments().Find(Reviewer("r1"), "t1", "通知.pdf"));
  EXPECT_THAT(attachments().ReadContent(found, 0, 1 << 20),
              ::taskgate::testing::IsOk());
  EXPECT_EQ(*attachments().ReadContent(found, 3, 6), doc.substr(3, 6));
  // A community the draft does not reach, another department: refused.
  EXPECT_THAT(attachments().List(Clerk("housing"), "t1"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(attachments().Find(Office("c3"), "t1", a.sha256),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AttachmentsTest, OnlyTheOwnDepartmentMayAttachAndOnlyWhileItMayEdit) {
  Create("t1", CleanAssistSpec());
  const std::string doc = "policy";
  for (const domain::Principal& p :
       {Clerk("housing"), Reviewer("r1"), Auditor(), Admin(), Office("c1")}) {
    EXPECT_THAT(attachments().Add(p, Upload("t1", "p.pdf", doc), doc),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << p.id;
  }
  ASSERT_THAT(Do(Clerk(), TaskAction::kSubmit, "t1"), IsOk());
  EXPECT_THAT(attachments().Add(Clerk(), Upload("t1", "p.pdf", doc), doc),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("DRAFT or RETURNED")));
  // Returned: the department may complete the file.
  ASSERT_THAT(Do(Reviewer("r1"), TaskAction::kClaim, "t1"), IsOk());
  ActionRequest back;
  back.action = TaskAction::kReturn;
  back.task_id = "t1";
  back.reason = "the funding approval is missing";
  ASSERT_THAT(engine_->tasks().Act(Reviewer("r1"), back), IsOk());
  EXPECT_THAT(attachments().Add(Clerk(), Upload("t1", "p.pdf", doc), doc),
              IsOk());
}

TEST_F(AttachmentsTest, BadDeclarationsAreNamedAndNothingIsStored) {
  Create("t1", CleanAssistSpec());
  const int64_t before = EventCount();
  const std::string doc = "approval";
  AttachmentUpload bad = Upload("t1", "a/b.pdf", doc);
  bad.media_type = "application/pdf; charset=x";
  bad.size_bytes = 0;
  bad.sha256 = "xyz";
  absl::Status s = attachments().Add(Clerk(), bad, doc).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(s),
              ElementsAre("name", "media_type", "size_bytes", "sha256"));
  AttachmentUpload control = Upload("t1", "a\x1b[31m.pdf", doc);
  EXPECT_THAT(Fields(attachments().Add(Clerk(), control, doc).status()),
              ElementsAre("name"));
  AttachmentUpload big = Upload("t1", "big.pdf", doc);
  big.size_bytes = Options().max_attachment_bytes + 1;
  EXPECT_THAT(Fields(attachments().Add(Clerk(), big, doc).status()),
              ElementsAre("size_bytes"));
  // The bytes are not what was declared: the server's hash decides.
  EXPECT_THAT(Fields(attachments()
                         .Add(Clerk(), Upload("t1", "x.pdf", doc), "approvaL")
                         .status()),
              ElementsAre("sha256"));
  EXPECT_THAT(Fields(attachments()
                         .Add(Clerk(), Upload("t1", "x.pdf", doc), "approval!")
                         .status()),
              ElementsAre("size_bytes"));
  EXPECT_EQ(EventCount(), before);
  EXPECT_THAT(*attachments().List(Clerk(), "t1"), IsEmpty());
}

TEST_F(AttachmentsTest, TheEventRecordsTheHashAndARetryGetsTheFirstAnswer) {
  Create("t1", CleanAssistSpec());
  const std::string doc = "经费批复";
  ASSERT_OK_AND_ASSIGN(
      domain::Attachment first,
      attachments().Add(Clerk(), Upload("t1", "批复.pdf", doc, "r-1"), doc));
  const int64_t after = EventCount();
  ASSERT_OK_AND_ASSIGN(
      domain::Attachment again,
      attachments().Add(Clerk(), Upload("t1", "批复.pdf", doc, "r-1"), doc));
  EXPECT_EQ(domain::AttachmentToJson(again), domain::AttachmentToJson(first));
  EXPECT_EQ(EventCount(), after);
  const std::vector<store::StoredEvent> events = EventsOf("t1");
  ASSERT_FALSE(events.empty());
  const domain::AuditEvent& e = events.back().event;
  EXPECT_EQ(e.action, "task.attach");
  EXPECT_EQ(e.details.at("attachment.sha256"), Hex(doc));
  EXPECT_EQ(e.details.at("attachment.name"), "批复.pdf");
  // The same request id for another upload is refused.
  EXPECT_THAT(
      attachments().Add(Clerk(), Upload("t1", "other.pdf", "x", "r-1"), "x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("already used")));
}

TEST_F(AttachmentsTest, ATaskHoldsABoundedNumberOfAttachments) {
  Create("t1", CleanAssistSpec());
  for (int i = 0; i < Options().max_attachments_per_task; ++i) {
    const std::string doc = absl::StrCat("document ", i);
    ASSERT_THAT(attachments().Add(
                    Clerk(), Upload("t1", absl::StrCat(i, ".pdf"), doc), doc),
                IsOk());
  }
  EXPECT_THAT(
      attachments().Add(Clerk(), Upload("t1", "one-more.pdf", "x"), "x"),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("max_attachments_per_task")));
}

}  // namespace
}  // namespace taskgate::workflow
