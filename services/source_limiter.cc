#include "services/source_limiter.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_replace.h>
#include <arpa/inet.h>

namespace taskgate::services {
namespace {

constexpr size_t kMaxSourceBytes = 64;
// The one bucket of the sources beyond the bound.
constexpr char kOtherSources[] = "other sources";

// "host:port" without ":port"; the host alone when there is no port.
std::string_view WithoutPort(std::string_view address) {
  const size_t colon = address.rfind(':');
  return colon == std::string_view::npos ? address : address.substr(0, colon);
}

std::string Cut(std::string_view text) {
  return std::string(text.substr(0, kMaxSourceBytes));
}

}  // namespace

std::string SourceOf(std::string_view peer) {
  if (peer.starts_with("ipv4:")) {
    return absl::StrCat("ipv4:", Cut(WithoutPort(peer.substr(5))));
  }
  if (peer.starts_with("ipv6:")) {
    const std::string decoded =
        absl::StrReplaceAll(std::string(peer.substr(5)),
                            {{"%5B", "["}, {"%5D", "]"}, {"%25", "%"}});
    std::string_view host = decoded;
    if (host.starts_with("[")) {
      const size_t close = host.find(']');
      host = host.substr(
          1, close == std::string_view::npos ? host.npos : close - 1);
    }
    // A zone ("fe80::1%eth0") is not part of the address.
    host = host.substr(0, host.find('%'));
    std::array<unsigned char, 16> bytes{};
    if (::inet_pton(AF_INET6, std::string(host).c_str(), bytes.data()) != 1) {
      return absl::StrCat("ipv6:", Cut(host));
    }
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    std::array<char, INET6_ADDRSTRLEN> text{};
    ::inet_ntop(AF_INET6, bytes.data(), text.data(), text.size());
    return absl::StrCat("ipv6:", text.data(), "/64");
  }
  if (peer.starts_with("unix:")) return "unix";
  return Cut(peer);
}

SourceLimiter::SourceLimiter(const Clock& clock, SourceLimiterOptions options)
    : clock_(clock), options_(options) {}

void SourceLimiter::Refill(Bucket& bucket, absl::Time now) const {
  if (now <= bucket.at) return;
  bucket.tokens = std::min<double>(
      options_.burst, bucket.tokens + absl::ToDoubleMinutes(now - bucket.at) *
                                          options_.per_minute);
  bucket.at = now;
}

bool SourceLimiter::Allowed(const std::string& source) {
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(source);
  if (it == buckets_.end() &&
      buckets_.size() >= static_cast<size_t>(options_.max_sources)) {
    it = buckets_.find(kOtherSources);
  }
  if (it == buckets_.end()) return true;
  Refill(it->second, clock_.Now());
  return it->second.tokens >= 1;
}

SourceLimiter::Bucket& SourceLimiter::BucketOf(const std::string& source,
                                               absl::Time now) {
  auto it = buckets_.find(source);
  if (it == buckets_.end() &&
      buckets_.size() >= static_cast<size_t>(options_.max_sources)) {
    // Sources whose buckets are full again are as good as new. Looked for
    // at most once a second, so that a flood from many sources does not
    // sweep the table on every call.
    if (now >= last_sweep_ + absl::Seconds(1)) {
      last_sweep_ = now;
      absl::erase_if(buckets_, [&](auto& entry) {
        Refill(entry.second, now);
        return entry.second.tokens >= options_.burst;
      });
    }
    if (buckets_.size() >= static_cast<size_t>(options_.max_sources)) {
      it = buckets_.find(kOtherSources);
      if (it == buckets_.end()) {
        it = buckets_
                 .emplace(kOtherSources,
                          Bucket{static_cast<double>(options_.burst), now})
                 .first;
      }
    }
  }
  if (it == buckets_.end()) {
    it = buckets_
             .emplace(source, Bucket{static_cast<double>(options_.burst), now})
             .first;
  }
  Refill(it->second, now);
  return it->second;
}

void SourceLimiter::Failed(const std::string& source) {
  absl::MutexLock lock(&mu_);
  Bucket& bucket = BucketOf(source, clock_.Now());
  bucket.tokens = std::max(0.0, bucket.tokens - 1);
}

bool SourceLimiter::Take(const std::string& source) {
  absl::MutexLock lock(&mu_);
  Bucket& bucket = BucketOf(source, clock_.Now());
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

}  // namespace taskgate::services
