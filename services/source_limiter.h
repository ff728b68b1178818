// Where a call comes from, and a rate limit on callers that fail to
// authenticate (SPEC §9, issue 15 defect 3).
//
// `SourceOf` names the network source of a call for refusals: the peer's
// address without its port (an IPv6 address by its /64 prefix, which one
// host usually owns whole), so that a client's reconnects are one source.
//
// `SourceLimiter` keeps a token bucket per source. Each failed
// authentication takes a token; a source with no token left is refused
// RESOURCE_EXHAUSTED before its credentials are read, so a flood of bad or
// missing credentials costs no token hash, no store read and no audit
// event of its own (its refusals are counted into the source's aggregated
// event). Tokens come back at `per_minute`, up to `burst`. Calls that
// authenticate spend nothing; but a valid caller sharing an address with a
// flood is throttled with it until tokens come back (it retries with
// backoff, as after any RESOURCE_EXHAUSTED). At most `max_sources` sources
// are tracked: buckets full again are forgotten first, and beyond the bound
// new sources share one bucket.
//
// The public list (公示, services/public_list.h) keeps a limiter of its own
// whose every call spends a token (`Take`): a rate limit of anonymous reads
// per source, apart from the authentication limit.
//
// Time comes from the injected clock. Thread-safe; `clock` must outlive it.
#ifndef TASKGATE_SERVICES_SOURCE_LIMITER_H_
#define TASKGATE_SERVICES_SOURCE_LIMITER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <absl/base/thread_annotations.h>
#include <absl/container/flat_hash_map.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include "common/clock.h"

namespace taskgate::services {

// The source of a call whose gRPC peer is `peer` ("ipv4:10.0.0.7:52110",
// "ipv6:[2001:db8::1]:443", possibly percent-encoded, "unix:/run/x.sock"):
// "ipv4:10.0.0.7", "ipv6:2001:db8::/64", "unix". Another form is kept as
// it is, cut to 64 bytes.
std::string SourceOf(std::string_view peer);

struct SourceLimiterOptions {
  int burst = 20;
  int per_minute = 60;
  int max_sources = 10000;
};

class SourceLimiter final {
 public:
  SourceLimiter(const Clock& clock, SourceLimiterOptions options);
  SourceLimiter(const SourceLimiter&) = delete;
  SourceLimiter& operator=(const SourceLimiter&) = delete;

  // False when `source` has no token left: refuse its call unread.
  bool Allowed(const std::string& source);
  // Takes a token of `source` for a failed authentication.
  void Failed(const std::string& source);
  // Takes a token of `source` for a call that spends one whether or not it
  // succeeds (a public read). False, taking nothing, when none is left:
  // refuse the call.
  bool Take(const std::string& source);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time at;  // when `tokens` was computed
  };
  // Brings `bucket` up to `now`.
  void Refill(Bucket& bucket, absl::Time now) const;
  // The bucket of `source` (full when new), brought up to `now`: of "other
  // sources" when `max_sources` are tracked.
  Bucket& BucketOf(const std::string& source, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock& clock_;
  const SourceLimiterOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace taskgate::services

#endif  // TASKGATE_SERVICES_SOURCE_LIMITER_H_
