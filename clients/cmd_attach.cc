// Attachments (依据文件, SPEC §3): `taskgate dept attach TASK FILE` uploads a
// document to a task of the clerk's department, and `taskgate <role>
// attachments list|get` reads them for every role that reads tasks. The
// CLI computes the SHA-256 before sending; the server computes it again
// and refuses a mismatch.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include "clients/cli.h"

namespace taskgate::clients::cli {
namespace {

// A media type from the file's extension, for the common documents of a
// district office; anything else is sent as application/octet-stream.
std::string MediaTypeOf(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  absl::AsciiStrToLower(&ext);
  if (ext == ".pdf") return "application/pdf";
  if (ext == ".txt") return "text/plain";
  if (ext == ".doc") return "application/msword";
  if (ext == ".docx") {
    return "application/"
           "vnd.openxmlformats-officedocument.wordprocessingml.document";
  }
  if (ext == ".xls") return "application/vnd.ms-excel";
  if (ext == ".xlsx") {
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  }
  if (ext == ".ofd") return "application/ofd";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  return "application/octet-stream";
}

int PrintAttachments(Context& ctx, const v1::ListAttachmentsResponse& r) {
  if (ctx.output() == Output::kJson) {
    ctx.PrintJson(r);
    return kExitOk;
  }
  if (ctx.output() == Output::kName) {
    for (const v1::Attachment& a : r.attachments()) {
      ctx.out() << a.sha256() << "\n";
    }
    return kExitOk;
  }
  Table t({"NAME", "MEDIA TYPE", "BYTES", "SHA256", "ADDED BY", "ADDED"});
  for (const v1::Attachment& a : r.attachments()) {
    t.Add({a.name(), a.media_type(), absl::StrCat(a.size_bytes()), a.sha256(),
           a.added_by(), TimeText(a.add_time())});
  }
  t.Print(ctx.out());
  return kExitOk;
}

int PrintAttachment(Context& ctx, const v1::Attachment& a) {
  if (ctx.output() == Output::kJson) {
    ctx.PrintJson(a);
  } else if (ctx.output() == Output::kName) {
    ctx.out() << a.sha256() << "\n";
  } else {
    Table t({"TASK", "NAME", "MEDIA TYPE", "BYTES", "SHA256"});
    t.Add({a.task_id(), a.name(), a.media_type(), absl::StrCat(a.size_bytes()),
           a.sha256()});
    t.Print(ctx.out());
  }
  return kExitOk;
}

}  // namespace

void AddAttachCommand(CLI::App* dept, Registry& registry) {
  struct Flags {
    std::string task_id, file, media_type, name;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* app = registry.Leaf(
      dept, "attach",
      "Attach a document (依据文件: policy document, funding approval) to a "
      "DRAFT or RETURNED task; the SHA-256 is computed here and again by the "
      "server",
      "taskgate dept attach t-123 关于开展走访的通知.pdf\n  taskgate dept "
      "attach t-123 approval.bin --media-type application/pdf --name "
      "经费批复.pdf",
      [f](Context& ctx) {
        std::ifstream in(f->file, std::ios::binary);
        if (!in) return ctx.Usage(absl::StrCat("cannot read ", f->file));
        const std::string content((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
        Client* c = ctx.client();
        if (c == nullptr) return int{kExitUsage};
        v1::AttachmentHeader h;
        h.set_request_id(NewRequestId());
        h.set_task_id(f->task_id);
        h.set_name(f->name.empty()
                       ? std::filesystem::path(f->file).filename().string()
                       : f->name);
        h.set_media_type(f->media_type.empty() ? MediaTypeOf(f->file)
                                               : f->media_type);
        h.set_size_bytes(static_cast<int64_t>(content.size()));
        h.set_sha256(Sha256Hex(content));
        v1::Attachment added;
        grpc::Status status = c->UploadAttachment(h, content, &added);
        if (!status.ok()) return ctx.Fail(status);
        return PrintAttachment(ctx, added);
      });
  app->add_option("task", f->task_id, "Task id")->required();
  app->add_option("file", f->file, "The document to attach")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_option("--media-type", f->media_type,
                  "Media type (default: from the extension, e.g. "
                  "application/pdf)");
  app->add_option("--name", f->name,
                  "Name shown to readers (default: the file's name)");
}

void AddAttachmentCommands(CLI::App* group, Registry& registry) {
  CLI::App* attachments = Registry::Group(
      group, "attachments",
      "A task's attachments (依据文件): list them, download one",
      absl::StrCat("taskgate ", group->get_name(),
                   " attachments get t-123 通知.pdf --out 通知.pdf"));
  {
    auto task = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        attachments, "list", "List a task's attachments (name, size, sha256)",
        absl::StrCat("taskgate ", group->get_name(), " attachments list t-123"),
        [task](Context& ctx) {
          v1::ListAttachmentsRequest r;
          r.set_task_id(*task);
          v1::ListAttachmentsResponse response;
          if (int code = ctx.Call(&Client::tasks,
                                  &v1::TaskService::Stub::ListAttachments, r,
                                  &response);
              code != kExitOk) {
            return code;
          }
          return PrintAttachments(ctx, response);
        });
    app->add_option("task", *task, "Task id")->required();
  }
  {
    struct Flags {
      std::string task_id, key, out;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        attachments, "get",
        "Download an attachment by sha256 or name; its SHA-256 is checked "
        "before it is written",
        absl::StrCat("taskgate ", group->get_name(),
                     " attachments get t-123 通知.pdf --out 通知.pdf"),
        [f](Context& ctx) {
          Client* c = ctx.client();
          if (c == nullptr) return int{kExitUsage};
          v1::DownloadAttachmentRequest r;
          r.set_task_id(f->task_id);
          r.set_attachment(f->key);
          v1::Attachment metadata;
          std::string content;
          grpc::Status status = c->DownloadAttachment(r, &metadata, &content);
          if (!status.ok()) return ctx.Fail(status);
          if (Sha256Hex(content) != metadata.sha256() ||
              static_cast<int64_t>(content.size()) != metadata.size_bytes()) {
            ctx.err() << "error: the downloaded bytes do not match the "
                         "attachment's sha256 "
                      << metadata.sha256() << "; nothing was written\n";
            return int{kExitVerificationFailed};
          }
          const std::string out = f->out.empty() ? metadata.name() : f->out;
          if (out == "-") {
            ctx.out() << content;
            return int{kExitOk};
          }
          std::ofstream file(out, std::ios::binary | std::ios::trunc);
          file << content;
          file.close();
          if (!file) return ctx.Usage(absl::StrCat("cannot write ", out));
          ctx.err() << "wrote " << out << " (" << content.size()
                    << " bytes, sha256 " << metadata.sha256() << ")\n";
          return int{kExitOk};
        });
    app->add_option("task", f->task_id, "Task id")->required();
    app->add_option("attachment", f->key, "The attachment's sha256 or name")
        ->required();
    app->add_option("--out", f->out,
                    "Where to write it ('-': standard output; default: the "
                    "attachment's name in the current directory)");
  }
}

}  // namespace taskgate::clients::cli
