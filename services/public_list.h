// The public list (公示, SPEC §6) served to readers without credentials,
// through two doors that run the same code:
//   gRPC  taskgate.v1.PublicService (services/public_service.cc), and
//   HTTP  GET /public/v1/communities
//         GET /public/v1/communities/{community_id}/tasks
//         on the operator's HTTP port (`ServeHttp`, called by
//         services/http_server.h), with ?page_size=N&page_token=T; the body
//         is the gRPC response message in protobuf's JSON mapping (proto
//         field names, every field printed).
// Each read, whichever door: takes a token of its source's bucket in the
// public limiter (`public_burst`, then `public_per_minute`;
// RESOURCE_EXHAUSTED / HTTP 429 when none is left, before anything is
// read), calls the one workflow function (workflow/public_list.h, which
// reads the store's read side), converts to the response message, is
// counted on /metrics (`taskgate_public_reads_total{via,code}`) and, unless
// refused by the limit, logged in one line. Nothing is audited, and no
// credential is looked at: a token or certificate sent along changes
// nothing.
//
// Thread-safe. `list`, `clock` and `metrics` must outlive it.
#ifndef TASKGATE_SERVICES_PUBLIC_LIST_H_
#define TASKGATE_SERVICES_PUBLIC_LIST_H_

#include <string>
#include <string_view>

#include <absl/status/status.h>

#include "common/clock.h"
#include "services/http_server.h"
#include "services/metrics.h"
#include "services/source_limiter.h"
#include "taskgate/v1/public_service.pb.h"
#include "workflow/public_list.h"

namespace taskgate::services {

class PublicReads final {
 public:
  // `limits`: the per-source bucket of public reads (`max_sources` as
  // the authentication limiter's).
  PublicReads(workflow::PublicList& list, const Clock& clock, Metrics& metrics,
              SourceLimiterOptions limits);
  PublicReads(const PublicReads&) = delete;
  PublicReads& operator=(const PublicReads&) = delete;

  // Reads through door `via` ("grpc" or "http") for `source` (`SourceOf`)
  // and fills `*response`. Errors: RESOURCE_EXHAUSTED when `source` has
  // read too often (nothing read); then those of
  // `workflow::PublicList::ListCommunities` / `ListTasks`.
  absl::Status ListCommunities(std::string_view via, const std::string& source,
                               const v1::ListPublicCommunitiesRequest& request,
                               v1::ListPublicCommunitiesResponse* response);
  absl::Status ListTasks(std::string_view via, const std::string& source,
                         const v1::ListPublicTasksRequest& request,
                         v1::ListPublicTasksResponse* response);

  // Answers an HTTP request under /public/: 200 with the JSON of the
  // response message; else a JSON error {"error": {"code", "status",
  // "message", "field_violations"}} with 400 (a bad query parameter or
  // field), 404 (an unknown path or community), 405 (a method other than
  // GET or HEAD), 429 (the source read too often; Retry-After), 503 (the
  // store is busy) or 500. Content-Type application/json; charset=utf-8;
  // Cache-Control public for a minute on 200, no-store otherwise. Never
  // throws.
  HttpReply ServeHttp(const HttpRequestView& request);

 private:
  // Takes a token of `source`; RESOURCE_EXHAUSTED, counted, when none is
  // left.
  absl::Status Admit(std::string_view via, const std::string& source);
  // Counts and logs a read that was admitted.
  void Done(std::string_view via, std::string_view what,
            const std::string& source, const absl::Status& status,
            absl::Duration latency);

  workflow::PublicList& list_;
  Metrics& metrics_;
  SourceLimiter limiter_;
  // Whole seconds until a refused source has a token again (Retry-After).
  const int retry_after_seconds_;
};

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_PUBLIC_LIST_H_
