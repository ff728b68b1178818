#include "audit/checkpoint.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/merkle.h"
#include "audit/signing.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::audit {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::HasSubstr;

// RFC 8032 §7.1 TEST 1 private seed; its key id is 21fe31dfa154a261.
constexpr char kSeed[] =
    "\x9d\x61\xb1\x9d\xef\xfd\x5a\x60\xba\x84\x4a\xf4\x92\xec\x2c\xc4"
    "\x44\x49\xc5\x69\x7b\x32\x69\x19\x70\x3b\xac\x03\x1c\xae\x7f\x60";
constexpr std::string_view kKeyId = "21fe31dfa154a261";
constexpr int64_t kMicros = 1714552200123456;  // 2024-05-01T08:30:00.123456Z
constexpr std::string_view kRootHex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
// `openssl pkeyutl -sign -rawin` over kExpectedBody with the RFC key,
// base64-encoded: computed outside this code.
constexpr std::string_view kExpectedSignatureBase64 =
    "DO1jvwT0NzU4eeETzx/EGvxEXdoQsPBqxJ8Cx4F28ZoosLYQe+Di0OmEitBvxMjIIXOTbcsI4a"
    "4Z0OZ9epFlAg==";
constexpr std::string_view kExpectedBody =
    "taskgate-checkpoint/v1\n"
    "taskgate/district-7\n"
    "42\n"
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "1714552200123456\n"
    "21fe31dfa154a261\n";
constexpr std::string_view kExpectedJson =
    R"({
  "format": "taskgate-checkpoint/v1",
  "log_id": "taskgate/district-7",
  "tree_size": 42,
  "root_hash": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
  "time": "2024-05-01T08:30:00.123456Z",
  "time_unix_micros": 1714552200123456,
  "key_id": "21fe31dfa154a261",
  "signature": "DO1jvwT0NzU4eeETzx/EGvxEXdoQsPBqxJ8Cx4F28ZoosLYQe+Di0OmEitBvxMjIIXOTbcsI4a4Z0OZ9epFlAg=="
}
)";

audit::Hash CountingRoot() {
  audit::Hash h{};
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(i);
  return h;
}

audit::SigningKey RfcKey() {
  return *audit::SigningKey::FromRawPrivate(
      std::string_view(kSeed, sizeof(kSeed) - 1));
}

Checkpoint FixedCheckpoint() {
  return *SignCheckpoint("taskgate/district-7", 42, CountingRoot(),
                         absl::FromUnixMicros(kMicros), RfcKey());
}

// Replaces the one occurrence of `from` in `s`.
std::string ReplaceOnce(const std::string& s, std::string_view from,
                        std::string_view to) {
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  EXPECT_EQ(s.find(from, pos + 1), std::string::npos) << from;
  std::string out = s;
  if (pos != std::string::npos) out.replace(pos, from.size(), to);
  return out;
}

TEST(CheckpointBody, MatchesExactBytes) {
  Checkpoint c;
  c.log_id = "taskgate/district-7";
  c.tree_size = 42;
  c.root_hash = CountingRoot();
  c.time = absl::FromUnixMicros(kMicros);
  c.key_id = std::string(kKeyId);
  EXPECT_EQ(CheckpointBody(c), kExpectedBody);
}

TEST(SignCheckpoint, FillsKeyIdAndSignatureMatchingOpenssl) {
  Checkpoint c = FixedCheckpoint();
  EXPECT_EQ(c.log_id, "taskgate/district-7");
  EXPECT_EQ(c.tree_size, 42);
  EXPECT_EQ(audit::ToHex(c.root_hash), kRootHex);
  EXPECT_EQ(absl::ToUnixMicros(c.time), kMicros);
  EXPECT_EQ(c.key_id, kKeyId);
  EXPECT_EQ(CheckpointBody(c), kExpectedBody);
  // Ed25519 is deterministic, so the signature equals the one the openssl
  // command line made over the same bytes.
  EXPECT_THAT(CheckpointToJson(c),
              HasSubstr(std::string(kExpectedSignatureBase64)));
}

TEST(VerifyCheckpoint, AcceptsUnalteredCheckpoint) {
  audit::SigningKey key = RfcKey();
  EXPECT_THAT(VerifyCheckpoint(FixedCheckpoint(), key.verifying_key()), IsOk());
}

TEST(VerifyCheckpoint, RejectsFlippedSignatureBit) {
  audit::SigningKey key = RfcKey();
  Checkpoint c = FixedCheckpoint();
  c.signature[10] = static_cast<char>(c.signature[10] ^ 0x01);
  EXPECT_THAT(VerifyCheckpoint(c, key.verifying_key()),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("signature does not verify: the checkpoint "
                                 "was altered or forged")));
}

TEST(VerifyCheckpoint, RejectsEveryAlteredField) {
  audit::VerifyingKey pub = RfcKey().verifying_key();
  const Checkpoint good = FixedCheckpoint();

  Checkpoint c = good;
  c.tree_size = 43;
  EXPECT_THAT(VerifyCheckpoint(c, pub), StatusIs(absl::StatusCode::kDataLoss));

  c = good;
  c.root_hash[31] ^= 0x80;
  EXPECT_THAT(VerifyCheckpoint(c, pub), StatusIs(absl::StatusCode::kDataLoss));

  c = good;
  c.time += absl::Microseconds(1);
  EXPECT_THAT(VerifyCheckpoint(c, pub), StatusIs(absl::StatusCode::kDataLoss));

  c = good;
  c.log_id = "taskgate/district-8";
  EXPECT_THAT(VerifyCheckpoint(c, pub), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(VerifyCheckpoint, RejectsOtherKeyNamingBothKeyIds) {
  ASSERT_OK_AND_ASSIGN(audit::SigningKey other, audit::SigningKey::Generate());
  EXPECT_THAT(
      VerifyCheckpoint(FixedCheckpoint(), other.verifying_key()),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("checkpoint was signed by key 21fe31dfa154a261, not "
                         "by the key given (" +
                         other.KeyId() + ")")));
}

TEST(VerifyCheckpoint, RejectsKeyIdRelabelledToAnotherKey) {
  // Claiming another key signed it does not help a forger: the key id is
  // part of the signed body.
  ASSERT_OK_AND_ASSIGN(audit::SigningKey other, audit::SigningKey::Generate());
  Checkpoint c = FixedCheckpoint();
  c.key_id = other.KeyId();
  EXPECT_THAT(VerifyCheckpoint(c, other.verifying_key()),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(VerifyCheckpoint, RejectsMalformedCheckpoint) {
  audit::VerifyingKey pub = RfcKey().verifying_key();
  Checkpoint c = FixedCheckpoint();
  c.signature.pop_back();
  EXPECT_THAT(VerifyCheckpoint(c, pub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("63")));
  c = FixedCheckpoint();
  c.log_id = "a\nb";
  EXPECT_THAT(VerifyCheckpoint(c, pub),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("control character 0x0a")));
}

TEST(SignCheckpoint, RejectsBadInputs) {
  audit::SigningKey key = RfcKey();
  const absl::Time t = absl::FromUnixMicros(kMicros);
  EXPECT_THAT(SignCheckpoint("", 1, CountingRoot(), t, key),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("log_id is empty")));
  EXPECT_THAT(SignCheckpoint("a\nb", 1, CountingRoot(), t, key),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("log_id contains control character 0x0a")));
  EXPECT_THAT(SignCheckpoint("a\xff", 1, CountingRoot(), t, key),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("log_id is not valid UTF-8")));
  EXPECT_THAT(SignCheckpoint("log", -1, CountingRoot(), t, key),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tree_size is -1")));
  EXPECT_THAT(
      SignCheckpoint("log", 1, CountingRoot(), absl::InfiniteFuture(), key),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("finite")));
}

TEST(SignCheckpoint, TruncatesTimeToWholeMicroseconds) {
  audit::SigningKey key = RfcKey();
  ASSERT_OK_AND_ASSIGN(
      Checkpoint c,
      SignCheckpoint("log", 0, CountingRoot(),
                     absl::FromUnixMicros(kMicros) + absl::Nanoseconds(999),
                     key));
  EXPECT_EQ(c.time, absl::FromUnixMicros(kMicros));
  EXPECT_THAT(VerifyCheckpoint(c, key.verifying_key()), IsOk());
}

TEST(CheckpointJson, MatchesExactText) {
  EXPECT_EQ(CheckpointToJson(FixedCheckpoint()), kExpectedJson);
}

TEST(CheckpointJson, RoundTripIsExact) {
  audit::SigningKey key = RfcKey();
  const Checkpoint fixed = FixedCheckpoint();
  ASSERT_OK_AND_ASSIGN(Checkpoint parsed,
                       CheckpointFromJson(CheckpointToJson(fixed)));
  EXPECT_EQ(parsed, fixed);
  EXPECT_THAT(VerifyCheckpoint(parsed, key.verifying_key()), IsOk());

  // An empty tree, a time before 1970 and a non-ASCII log id.
  ASSERT_OK_AND_ASSIGN(Checkpoint other,
                       SignCheckpoint("taskgate/朝阳区", 0, audit::Sha256(""),
                                      absl::FromUnixMicros(-1), key));
  ASSERT_OK_AND_ASSIGN(Checkpoint other_parsed,
                       CheckpointFromJson(CheckpointToJson(other)));
  EXPECT_EQ(other_parsed, other);
  EXPECT_THAT(CheckpointToJson(other),
              HasSubstr("\"time\": \"1969-12-31T23:59:59.999999Z\""));
}

TEST(CheckpointJson, RoundTripsExtremeTimes) {
  audit::SigningKey key = RfcKey();
  for (int64_t micros :
       {int64_t{0}, int64_t{-62135596800000000}, int64_t{253402300799999999}}) {
    ASSERT_OK_AND_ASSIGN(Checkpoint c,
                         SignCheckpoint("log", 1, CountingRoot(),
                                        absl::FromUnixMicros(micros), key));
    ASSERT_OK_AND_ASSIGN(Checkpoint parsed,
                         CheckpointFromJson(CheckpointToJson(c)));
    EXPECT_EQ(parsed, c) << micros;
  }
}

// Each malformed JSON is the exact JSON with one edit; the error must name
// the field.
struct BadJsonCase {
  std::string from;
  std::string to;
  std::string message;
};

TEST(CheckpointJson, ErrorsNameTheField) {
  const std::string good(kExpectedJson);
  const std::string sig(kExpectedSignatureBase64);
  const BadJsonCase cases[] = {
      {"\"format\":", "\"formatx\":", "field \"format\" is missing"},
      {"taskgate-checkpoint/v1", "taskgate-checkpoint/v2",
       "field \"format\" is \"taskgate-checkpoint/v2\""},
      {"\"log_id\":", "\"logid\":", "field \"log_id\" is missing"},
      {"\"taskgate/district-7\"", "\"\"", "field \"log_id\" log_id is empty"},
      {"\"taskgate/district-7\"", "\"a\\nb\"",
       "field \"log_id\" log_id contains control character"},
      {"\"taskgate/district-7\"", "7", "field \"log_id\" is not a string"},
      {"\"tree_size\":", "\"size\":", "field \"tree_size\" is missing"},
      {"\"tree_size\": 42", "\"tree_size\": \"42\"",
       "field \"tree_size\" is not an integer"},
      {"\"tree_size\": 42", "\"tree_size\": 42.5",
       "field \"tree_size\" is not an integer"},
      {"\"tree_size\": 42", "\"tree_size\": -1",
       "field \"tree_size\" is negative"},
      {"\"tree_size\": 42", "\"tree_size\": 9223372036854775808",
       "field \"tree_size\" is too large"},
      {"\"root_hash\":", "\"root\":", "field \"root_hash\" is missing"},
      {std::string(kRootHex), std::string(kRootHex).substr(0, 62),
       "field \"root_hash\" is not 64 hex characters (62 characters given)"},
      {std::string(kRootHex), "zz" + std::string(kRootHex).substr(2),
       "field \"root_hash\" is not 64 hex characters"},
      {"\"time\":", "\"when\":", "field \"time\" is missing"},
      {"2024-05-01T08:30:00.123456Z", "yesterday",
       "field \"time\" is not RFC 3339"},
      {"2024-05-01T08:30:00.123456Z", "2024-05-01T08:30:00.123457Z",
       "field \"time\" is 2024-05-01T08:30:00.123457Z but time_unix_micros "
       "says 2024-05-01T08:30:00.123456Z"},
      {"\"time_unix_micros\":", "\"micros\":",
       "field \"time_unix_micros\" is missing"},
      {"1714552200123456,", "\"1714552200123456\",",
       "field \"time_unix_micros\" is not an integer"},
      {"\"key_id\":", "\"kid\":", "field \"key_id\" is missing"},
      {"\"21fe31dfa154a261\"", "\"21FE31DFA154A261\"",
       "field \"key_id\" is not 16 lower-case hex characters"},
      {"\"signature\":", "\"sig\":", "field \"signature\" is missing"},
      {sig, sig.substr(0, 86), "field \"signature\" is not base64"},
      {sig, "*" + sig.substr(1), "field \"signature\" is not base64"},
      {sig, sig.substr(0, 84) + "=AA=", "field \"signature\" is not base64"},
      // 63 bytes (no padding) and 65 bytes (one '='): the padding count
      // must be right.
      {sig, sig.substr(0, 84),
       "field \"signature\" decodes to 63 bytes; an ed25519 signature is 64"},
      {sig, sig.substr(0, 86) + "A=",
       "field \"signature\" decodes to 65 bytes; an ed25519 signature is 64"},
  };
  for (const BadJsonCase& bad : cases) {
    std::string json = ReplaceOnce(good, bad.from, bad.to);
    EXPECT_THAT(
        CheckpointFromJson(json),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad.message)))
        << json;
  }
}

TEST(CheckpointJson, RejectsNonObjects) {
  EXPECT_THAT(CheckpointFromJson("{"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not valid JSON")));
  EXPECT_THAT(
      CheckpointFromJson("[1]"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an object")));
}

TEST(CheckpointJson, IgnoresUnknownFields) {
  std::string json =
      ReplaceOnce(std::string(kExpectedJson), "{\n", "{\n  \"note\": 1,\n");
  ASSERT_OK_AND_ASSIGN(Checkpoint parsed, CheckpointFromJson(json));
  EXPECT_EQ(parsed, FixedCheckpoint());
}

}  // namespace
}  // namespace taskgate::audit
