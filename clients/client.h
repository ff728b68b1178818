// The TaskGate client library shared by the `taskgate` CLI and the tests:
// where to connect and with which credential (flags, then environment, then
// a config file), a `Client` holding one channel and the seven stubs, a
// `Call` helper that attaches the bearer token and a deadline and retries
// UNAVAILABLE with the same request (so the same `request_id`) and
// `CallWithoutCredential` for the public list, error
// formatting with the server's field violations, and the CLI's exit codes.
//
// Thread-safety: a `Client` may be used from several threads once built;
// `set_sleeper` must be called before any call.
#ifndef TASKGATE_CLIENTS_CLIENT_H_
#define TASKGATE_CLIENTS_CLIENT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include "taskgate/v1/admin_service.grpc.pb.h"
#include "taskgate/v1/audit_service.grpc.pb.h"
#include "taskgate/v1/community_service.grpc.pb.h"
#include "taskgate/v1/event_service.grpc.pb.h"
#include "taskgate/v1/public_service.grpc.pb.h"
#include "taskgate/v1/review_service.grpc.pb.h"
#include "taskgate/v1/task_service.grpc.pb.h"

namespace taskgate::clients {

inline constexpr char kDefaultAddress[] = "127.0.0.1:7470";

struct ClientOptions {
  // host:port of taskgated.
  std::string address = kDefaultAddress;
  // The bearer secret; empty sends no credentials (UNAUTHENTICATED).
  std::string token;
  // PEM CA bundle: when set the channel uses TLS verified against it.
  std::string tls_ca_file;
  // PEM client certificate (chain) and its private key, for a server that
  // runs mutual TLS; with no token, the certificate's identity bound by an
  // admin authenticates the calls (SPEC §8). Both or neither; they need
  // `tls_ca_file`.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Deadline of each attempt.
  absl::Duration timeout = absl::Seconds(30);
  // Further attempts after an UNAVAILABLE answer.
  int max_retries = 3;
};

// What the caller gave explicitly; empty means "not given".
struct OptionSources {
  std::string address_flag;
  std::string token_flag;
  // A file holding the token (the CLI's --token-file): unlike a token on
  // the command line, it is not shown to other local users by ps.
  std::string token_file_flag;
  // Empty: $XDG_CONFIG_HOME/taskgate/config.toml or
  // ~/.config/taskgate/config.toml (absent is fine).
  std::string config_file;
  // Reads an environment variable; nullptr when unset. Injected for tests.
  std::function<const char*(const char*)> getenv;
};

// Resolves address and token: flags (the token from `token_flag`, else read
// from `token_file_flag`), then TASKGATE_ADDRESS/TASKGATE_TOKEN, then the
// config file's `address`, `token` or `token_file` keys. A token file holds
// the secret alone; surrounding whitespace is dropped. Returns
// INVALID_ARGUMENT for an unreadable or malformed config file (an explicitly
// named file must exist), an unreadable token file, or an empty one.
absl::StatusOr<ClientOptions> ResolveOptions(const OptionSources& sources);

// Sleeps between retries; tests inject one that records instead.
using Sleeper = std::function<void(absl::Duration)>;

// The backoff before retry `attempt` (1-based): 100 ms doubling, at most
// 2 s.
absl::Duration RetryBackoff(int attempt);

// A new request id for one logical mutation: 32 random hex digits.
std::string NewRequestId();

// The SHA-256 of `bytes` as 64 lowercase hex digits, as attachments carry
// it (and as `sha256sum` prints it).
std::string Sha256Hex(std::string_view bytes);

class Client final {
 public:
  // Builds the channel (lazily connected: a server that is down shows up as
  // UNAVAILABLE on the first call). INVALID_ARGUMENT for an unreadable CA.
  static absl::StatusOr<std::unique_ptr<Client>> Create(
      const ClientOptions& options);
  // Over an existing channel (tests, in-process servers).
  Client(const ClientOptions& options, std::shared_ptr<grpc::Channel> channel);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void set_sleeper(Sleeper sleeper) { sleeper_ = std::move(sleeper); }
  const ClientOptions& options() const { return options_; }

  v1::TaskService::Stub& tasks() { return *tasks_; }
  v1::ReviewService::Stub& reviews() { return *reviews_; }
  v1::CommunityService::Stub& communities() { return *communities_; }
  v1::AuditService::Stub& audit() { return *audit_; }
  v1::AdminService::Stub& admin() { return *admin_; }
  // The public list (公示), read without credentials.
  v1::PublicService::Stub& public_list() { return *public_list_; }
  // Following events as a stream; see `Watch`.
  v1::EventService::Stub& events() { return *events_; }

  // Follows events (EventService/WatchEvents) from `request.after_seq()`,
  // calling `on_message` with each event and heartbeat as it arrives, until
  // `on_message` returns false (then OK). When the stream ends with
  // UNAVAILABLE (a dropped connection, the server shutting down) it
  // follows again from the seq of the last event received, so nothing is
  // missed or received twice; `on_retry(status, after_seq)` is told first.
  // It gives up after `max_retries` such ends in a row without a message
  // between them (with `RetryBackoff` between attempts) and returns the
  // last status; any other status is returned at once. No deadline: a
  // stream lasts as long as it is followed.
  grpc::Status Watch(
      v1::WatchEventsRequest request,
      const std::function<bool(const v1::WatchEventsResponse&)>& on_message,
      const std::function<void(const grpc::Status&, int64_t)>& on_retry = {});

  // Calls `method` with `request` (sent unchanged on every attempt, so a
  // mutation keeps its request_id), retrying UNAVAILABLE up to
  // `max_retries` times with `RetryBackoff`. Returns the last status.
  template <typename Stub, typename Req, typename Resp>
  grpc::Status Call(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Req&, Resp*),
                    const Req& request, Resp* response) {
    return WithRetries(
        [&](grpc::ClientContext& context) {
          return (stub.*method)(&context, request, response);
        },
        /*send_token=*/true);
  }

  // `Call` without the bearer token, for the public list: it needs none,
  // and a reader's credential has no business leaving the machine for it.
  // (Under mutual TLS the channel's client certificate is still presented:
  // the TLS handshake asks for it.)
  template <typename Stub, typename Req, typename Resp>
  grpc::Status CallWithoutCredential(
      Stub& stub,
      grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
      const Req& request, Resp* response) {
    return WithRetries(
        [&](grpc::ClientContext& context) {
          return (stub.*method)(&context, request, response);
        },
        /*send_token=*/false);
  }

  // Attachments (TaskService/UploadAttachment, DownloadAttachment): the
  // streams, retried on UNAVAILABLE like `Call` (an upload with the same
  // header, so the same request_id).
  //
  // Sends `header` and then `content` in 64 KiB chunks; `header` must hold
  // `content`'s size and SHA-256 (`Sha256Hex`). The server may answer
  // before every chunk is sent (a refusal, or a retry's first answer).
  grpc::Status UploadAttachment(const v1::AttachmentHeader& header,
                                std::string_view content,
                                v1::Attachment* response);
  // Receives the attachment's metadata and its bytes (all of them: at most
  // the server's max_attachment_bytes).
  grpc::Status DownloadAttachment(const v1::DownloadAttachmentRequest& request,
                                  v1::Attachment* metadata,
                                  std::string* content);

 private:
  grpc::Status WithRetries(
      const std::function<grpc::Status(grpc::ClientContext&)>& attempt,
      bool send_token);

  ClientOptions options_;
  Sleeper sleeper_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::TaskService::Stub> tasks_;
  std::unique_ptr<v1::ReviewService::Stub> reviews_;
  std::unique_ptr<v1::CommunityService::Stub> communities_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::PublicService::Stub> public_list_;
  std::unique_ptr<v1::EventService::Stub> events_;
};

// Exit codes scripts can rely on.
enum ExitCode : int {
  kExitOk = 0,
  kExitOther = 1,
  kExitUsage = 2,
  kExitNotFound = 3,
  kExitPermission = 4,
  kExitPrecondition = 5,
  kExitUnavailable = 6,
  kExitInvalidArgument = 7,
  // A check ran and the data failed it (`audit verify`, `audit proof`,
  // `audit consistency`): the record or the server is not to be trusted.
  // Distinct from every error code so that scripts can tell "the check
  // could not run" from "the check ran and found a problem".
  kExitVerificationFailed = 8,
};

int ExitCodeFor(grpc::StatusCode code);

// "error: NOT_FOUND: <message>", then "  - field: description" per field
// violation of the google.rpc.BadRequest detail, then "hint: ..." saying
// what to do. Ends with a newline.
std::string FormatError(const grpc::Status& status);

}  // namespace taskgate::clients

#endif  // TASKGATE_CLIENTS_CLIENT_H_
