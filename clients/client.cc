#include "clients/client.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include <absl/status/status.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <toml.hpp>

#include "audit/merkle.h"
#include "common/status_macros.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace taskgate::clients {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": check the path and permissions"));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string DefaultConfigFile(
    const std::function<const char*(const char*)>& getenv) {
  if (const char* xdg = getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg) {
    return absl::StrCat(xdg, "/taskgate/config.toml");
  }
  if (const char* home = getenv("HOME"); home != nullptr && *home) {
    return absl::StrCat(home, "/.config/taskgate/config.toml");
  }
  return "";
}

struct FileSettings {
  std::string address;
  std::string token;
  std::string token_file;
};

absl::StatusOr<FileSettings> ReadConfig(const std::string& path) {
  FileSettings settings;
  try {
    const toml::value root = toml::parse(path);
    for (const auto& [key, value] : root.as_table()) {
      std::string* target = key == "address"      ? &settings.address
                            : key == "token"      ? &settings.token
                            : key == "token_file" ? &settings.token_file
                                                  : nullptr;
      if (target == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": unknown key '", key,
                         "'; the keys are address, token and token_file"));
      }
      if (!value.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": key '", key, "' must be a string"));
      }
      *target = value.as_string().str;
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse config file ", path, ": ", e.what()));
  }
  return settings;
}

std::string Trimmed(std::string text) {
  absl::StripAsciiWhitespace(&text);
  return text;
}

// The secret alone, without the newline an editor or `echo` adds.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> secret = ReadFile(path);
  if (!secret.ok()) return secret.status();
  std::string token = Trimmed(*std::move(secret));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token file ", path, " is empty: put the token in it, alone"));
  }
  return token;
}

const char* HintFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "fix the fields named above and run the command again";
    case grpc::StatusCode::NOT_FOUND:
      return "check the id (list the resources to see which exist)";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "choose another id, or show the existing resource";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "your principal's role or scope does not allow this; use a "
             "token of a principal that may do it";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "pass a valid token with --token-file, TASKGATE_TOKEN or the "
             "config file (ask the admin to issue one)";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "the resource is not in a state that allows this; show it to "
             "see its state";
    case grpc::StatusCode::ABORTED:
      return "someone changed it meanwhile; show it again and retry";
    case grpc::StatusCode::UNAVAILABLE:
      return "is taskgated running at that address? check --address or "
             "TASKGATE_ADDRESS, then retry";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "the server did not answer in time; retry, or raise --timeout";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "the server limits calls per address; wait as the message says, "
             "then retry";
    default:
      return "if it persists, report it to the district system operator";
  }
}

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

}  // namespace

absl::StatusOr<ClientOptions> ResolveOptions(const OptionSources& sources) {
  const auto getenv =
      sources.getenv ? sources.getenv : [](const char* name) -> const char* {
    return std::getenv(name);
  };
  ClientOptions options;
  options.address.clear();
  if (!sources.address_flag.empty()) options.address = sources.address_flag;
  if (!sources.token_flag.empty()) {
    options.token = sources.token_flag;
  } else if (!sources.token_file_flag.empty()) {
    TASKGATE_ASSIGN_OR_RETURN(options.token,
                              ReadTokenFile(sources.token_file_flag));
  }
  if (options.address.empty()) {
    if (const char* v = getenv("TASKGATE_ADDRESS"); v != nullptr && *v) {
      options.address = v;
    }
  }
  if (options.token.empty()) {
    if (const char* v = getenv("TASKGATE_TOKEN"); v != nullptr && *v) {
      options.token = v;
    }
  }
  if (options.address.empty() || options.token.empty()) {
    const bool explicit_file = !sources.config_file.empty();
    const std::string path =
        explicit_file ? sources.config_file : DefaultConfigFile(getenv);
    std::error_code ec;
    if (!path.empty() && (explicit_file || std::filesystem::exists(path, ec))) {
      absl::StatusOr<FileSettings> file = ReadConfig(path);
      if (!file.ok()) return file.status();
      if (options.address.empty()) options.address = file->address;
      if (options.token.empty()) {
        if (!file->token.empty()) {
          options.token = file->token;
        } else if (!file->token_file.empty()) {
          TASKGATE_ASSIGN_OR_RETURN(options.token,
                                    ReadTokenFile(file->token_file));
        }
      }
    }
  }
  if (options.address.empty()) options.address = kDefaultAddress;
  return options;
}

absl::Duration RetryBackoff(int attempt) {
  absl::Duration d = absl::Milliseconds(100);
  for (int i = 1; i < attempt && d < absl::Seconds(2); ++i) d *= 2;
  return std::min(d, absl::Seconds(2));
}

std::string NewRequestId() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int part = 0; part < 2; ++part) {
    uint64_t bits = engine();
    for (int i = 0; i < 16; ++i, bits >>= 4) id.push_back(kHex[bits & 0xf]);
  }
  return id;
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(
    const ClientOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert-file and --tls-key-file: give both to present a client "
        "certificate, or neither");
  }
  if (!options.tls_cert_file.empty() && options.tls_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert-file needs --tls-ca-file: a client certificate is only "
        "sent over TLS");
  }
  if (options.tls_ca_file.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    absl::StatusOr<std::string> ca = ReadFile(options.tls_ca_file);
    if (!ca.ok()) return ca.status();
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca;
    if (!options.tls_cert_file.empty()) {
      absl::StatusOr<std::string> cert = ReadFile(options.tls_cert_file);
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadFile(options.tls_key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
  }
  return std::make_unique<Client>(
      options, grpc::CreateChannel(options.address, credentials));
}

Client::Client(const ClientOptions& options,
               std::shared_ptr<grpc::Channel> channel)
    : options_(options),
      sleeper_([](absl::Duration d) { absl::SleepFor(d); }),
      channel_(std::move(channel)),
      tasks_(v1::TaskService::NewStub(channel_)),
      reviews_(v1::ReviewService::NewStub(channel_)),
      communities_(v1::CommunityService::NewStub(channel_)),
      audit_(v1::AuditService::NewStub(channel_)),
      admin_(v1::AdminService::NewStub(channel_)),
      public_list_(v1::PublicService::NewStub(channel_)),
      events_(v1::EventService::NewStub(channel_)) {}

grpc::Status Client::Watch(
    v1::WatchEventsRequest request,
    const std::function<bool(const v1::WatchEventsResponse&)>& on_message,
    const std::function<void(const grpc::Status&, int64_t)>& on_retry) {
  int failures = 0;
  for (;;) {
    grpc::ClientContext context;
    if (!options_.token.empty()) {
      context.AddMetadata("authorization",
                          absl::StrCat("Bearer ", options_.token));
    }
    std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader =
        events_->WatchEvents(&context, request);
    v1::WatchEventsResponse message;
    while (reader->Read(&message)) {
      failures = 0;
      if (message.has_event()) request.set_after_seq(message.event().seq());
      if (!on_message(message)) {
        context.TryCancel();
        while (reader->Read(&message)) {
        }
        (void)reader->Finish();
        return grpc::Status::OK;
      }
    }
    grpc::Status status = reader->Finish();
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE ||
        failures >= options_.max_retries) {
      return status;
    }
    ++failures;
    if (on_retry) on_retry(status, request.after_seq());
    sleeper_(RetryBackoff(failures));
  }
}

grpc::Status Client::WithRetries(
    const std::function<grpc::Status(grpc::ClientContext&)>& attempt,
    bool send_token) {
  grpc::Status status;
  for (int i = 0;; ++i) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
    if (send_token && !options_.token.empty()) {
      context.AddMetadata("authorization",
                          absl::StrCat("Bearer ", options_.token));
    }
    status = attempt(context);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE ||
        i >= options_.max_retries) {
      return status;
    }
    sleeper_(RetryBackoff(i + 1));
  }
}

std::string Sha256Hex(std::string_view bytes) {
  return audit::ToHex(audit::Sha256(bytes));
}

grpc::Status Client::UploadAttachment(const v1::AttachmentHeader& header,
                                      std::string_view content,
                                      v1::Attachment* response) {
  constexpr size_t kChunk = 64 * 1024;
  return WithRetries(
      [&](grpc::ClientContext& context) {
        std::unique_ptr<grpc::ClientWriter<v1::UploadAttachmentRequest>>
            writer = tasks_->UploadAttachment(&context, response);
        v1::UploadAttachmentRequest message;
        *message.mutable_header() = header;
        bool open = writer->Write(message);
        for (size_t at = 0; open && at < content.size(); at += kChunk) {
          message.Clear();
          message.set_chunk(std::string(content.substr(at, kChunk)));
          open = writer->Write(message);
        }
        // A closed stream means the server answered early: Finish says how.
        if (open) writer->WritesDone();
        return writer->Finish();
      },
      /*send_token=*/true);
}

grpc::Status Client::DownloadAttachment(
    const v1::DownloadAttachmentRequest& request, v1::Attachment* metadata,
    std::string* content) {
  return WithRetries(
      [&](grpc::ClientContext& context) {
        content->clear();
        metadata->Clear();
        std::unique_ptr<grpc::ClientReader<v1::DownloadAttachmentResponse>>
            reader = tasks_->DownloadAttachment(&context, request);
        v1::DownloadAttachmentResponse message;
        while (reader->Read(&message)) {
          if (message.has_metadata()) {
            *metadata = message.metadata();
          } else {
            content->append(message.chunk());
          }
        }
        return reader->Finish();
      },
      /*send_token=*/true);
}

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return kExitPermission;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::ALREADY_EXISTS:
      return kExitPrecondition;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnavailable;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return kExitInvalidArgument;
    default:
      return kExitOther;
  }
}

std::string FormatError(const grpc::Status& status) {
  std::string out = absl::StrCat("error: ", CodeName(status.error_code()), ": ",
                                 status.error_message(), "\n");
  google::rpc::Status details;
  if (!status.error_details().empty() &&
      details.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& any : details.details()) {
      google::rpc::BadRequest bad_request;
      if (!any.UnpackTo(&bad_request)) continue;
      for (const auto& v : bad_request.field_violations()) {
        absl::StrAppend(&out, "  - ", v.field(), ": ", v.description(), "\n");
      }
    }
  }
  absl::StrAppend(&out, "hint: ", HintFor(status.error_code()), "\n");
  return out;
}

}  // namespace taskgate::clients
