// `SourceOf` and `SourceLimiter` (services/source_limiter.h): where a call
// comes from, and the per-address limit on failed authentications.
#include "services/source_limiter.h"

#include <string>

#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <gtest/gtest.h>

#include "tests/testing/fake_clock.h"

namespace taskgate::services {
namespace {

using ::taskgate::testing::FakeClock;

TEST(SourceOf, NamesTheAddressWithoutItsPort) {
  EXPECT_EQ(SourceOf("ipv4:10.0.0.7:52110"), "ipv4:10.0.0.7");
  EXPECT_EQ(SourceOf("ipv6:[2001:db8:1:2:3:4:5:6]:443"),
            "ipv6:2001:db8:1:2::/64");
  EXPECT_EQ(SourceOf("ipv6:%5B2001:db8:1:2::9%5D:443"),
            "ipv6:2001:db8:1:2::/64");
  EXPECT_EQ(SourceOf("ipv6:[::1]:50051"), "ipv6:::/64");
  EXPECT_EQ(SourceOf("unix:/run/taskgate.sock"), "unix");
  EXPECT_EQ(SourceOf("unknown"), "unknown");
  EXPECT_EQ(SourceOf(std::string(200, 'x')).size(), 64U);
}

TEST(SourceLimiter, ThrottlesAfterTheBurstAndRefillsByTheMinute) {
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  SourceLimiter limiter(clock, {.burst = 3, .per_minute = 60});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.Allowed("ipv4:192.0.2.1"));
    limiter.Failed("ipv4:192.0.2.1");
  }
  EXPECT_FALSE(limiter.Allowed("ipv4:192.0.2.1"));
  EXPECT_TRUE(limiter.Allowed("ipv4:192.0.2.2"));  // another address
  clock.Advance(absl::Seconds(1));                 // one token back
  EXPECT_TRUE(limiter.Allowed("ipv4:192.0.2.1"));
  limiter.Failed("ipv4:192.0.2.1");
  EXPECT_FALSE(limiter.Allowed("ipv4:192.0.2.1"));
  clock.Advance(absl::Hours(1));  // never more than the burst
  for (int i = 0; i < 3; ++i) limiter.Failed("ipv4:192.0.2.1");
  EXPECT_FALSE(limiter.Allowed("ipv4:192.0.2.1"));
}

// A flood from many addresses shares one bucket beyond the bound.
TEST(SourceLimiter, SourcesBeyondTheBoundShareOneBucket) {
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  SourceLimiter limiter(clock,
                        {.burst = 2, .per_minute = 1, .max_sources = 10});
  for (int i = 0; i < 100; ++i) {
    limiter.Failed(absl::StrCat("ipv4:198.51.100.", i));
  }
  // The first ten have their own buckets, one token left each; the others
  // emptied the shared one.
  EXPECT_TRUE(limiter.Allowed("ipv4:198.51.100.0"));
  EXPECT_FALSE(limiter.Allowed("ipv4:198.51.100.50"));
  EXPECT_FALSE(limiter.Allowed("ipv4:203.0.113.1"));
}

// The public list's limiter: every call spends a token; a refused one
// spends nothing, so a source that waits gets its calls back.
TEST(SourceLimiter, TakeSpendsATokenPerCallAndRefusesWhenNoneIsLeft) {
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  SourceLimiter limiter(clock, {.burst = 2, .per_minute = 30});
  EXPECT_TRUE(limiter.Take("ipv4:192.0.2.1"));
  EXPECT_TRUE(limiter.Take("ipv4:192.0.2.1"));
  EXPECT_FALSE(limiter.Take("ipv4:192.0.2.1"));
  EXPECT_FALSE(limiter.Take("ipv4:192.0.2.1"));
  EXPECT_TRUE(limiter.Take("ipv4:192.0.2.2"));  // another address
  clock.Advance(absl::Seconds(2));              // one token back
  EXPECT_TRUE(limiter.Take("ipv4:192.0.2.1"));
  EXPECT_FALSE(limiter.Take("ipv4:192.0.2.1"));
  clock.Advance(absl::Hours(1));  // never more than the burst
  EXPECT_TRUE(limiter.Take("ipv4:192.0.2.1"));
  EXPECT_TRUE(limiter.Take("ipv4:192.0.2.1"));
  EXPECT_FALSE(limiter.Take("ipv4:192.0.2.1"));
}

}  // namespace
}  // namespace taskgate::services
