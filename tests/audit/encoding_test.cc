#include "audit/encoding.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/merkle.h"
#include "audit/state.h"
#include "domain/types.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::audit {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Decodes lower-case hex written in the test; spaces are ignored so the
// literal can be grouped by field.
std::string FromHex(std::string_view hex) {
  std::string out;
  int nibbles = 0;
  uint8_t byte = 0;
  for (char c : hex) {
    if (c == ' ') continue;
    const int v = (c >= '0' && c <= '9') ? c - '0' : c - 'a' + 10;
    byte = static_cast<uint8_t>((byte << 4) | v);
    if (++nibbles % 2 == 0) {
      out.push_back(static_cast<char>(byte));
      byte = 0;
    }
  }
  return out;
}

absl::Time Utc(int64_t y, int m, int d, int hh, int mm, int ss) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss),
                         absl::UTCTimeZone());
}

// The worked example of docs/audit-encoding.md (version 1).
domain::AuditEvent WorkedExample() {
  domain::AuditEvent e;
  e.encoding = 1;
  e.district_id = "default";
  e.seq = 1;
  e.time = Utc(2024, 3, 1, 8, 30, 0) + absl::Microseconds(123456);
  e.actor_id = "u7";
  e.actor_role = domain::Role::kReviewer;
  e.action = "task.approve";
  e.entity_type = "task";
  e.entity_id = "t-42";
  e.state_before = "IN_REVIEW";
  e.state_after = "ACTIVE";
  e.reason = "";
  e.request_id = "r1";
  e.department_id = "civil";
  e.community_ids = {"c1", "c2"};
  e.details = {{"hours", "4"}};
  return e;
}

// Written by hand from the layout in the document, field by field.
constexpr std::string_view kWorkedExampleHex =
    "01"                                        // version
    "0000000000000001"                          // seq 1
    "000612952e847440"                          // 1709281800123456 us
    "00000007 64656661756c74"                   // district_id "default"
    "00000002 7537"                             // actor_id "u7"
    "00000008 7265766965776572"                 // actor_role "reviewer"
    "0000000c 7461736b2e617070726f7665"         // action "task.approve"
    "00000004 7461736b"                         // entity_type "task"
    "00000004 742d3432"                         // entity_id "t-42"
    "00000009 494e5f524556494557"               // state_before "IN_REVIEW"
    "00000006 414354495645"                     // state_after "ACTIVE"
    "00000000"                                  // reason ""
    "00000002 7231"                             // request_id "r1"
    "00000005 636976696c"                       // department_id "civil"
    "00000002 00000002 6331 00000002 6332"      // community_ids c1, c2
    "00000001 00000005 686f757273 00000001 34"  // details hours=4
    ;

TEST(AuditEncoding, WorkedExampleMatchesDocumentByteForByte) {
  const std::string expected = FromHex(kWorkedExampleHex);
  ASSERT_EQ(expected.size(), 154u);
  const std::string encoded = EncodeAuditEvent(WorkedExample());
  EXPECT_EQ(encoded, expected);
  EXPECT_EQ(audit::ToHex(audit::LeafHash(encoded)),
            "3c9d45cab37e3044d7f50318ae5b19408e684c560b3e2ac847ca482fc022e66d");
}

TEST(AuditEncoding, WorkedExampleDecodesToTheEvent) {
  ASSERT_OK_AND_ASSIGN(domain::AuditEvent decoded,
                       DecodeAuditEvent(FromHex(kWorkedExampleHex)));
  EXPECT_EQ(decoded, WorkedExample());
}

TEST(AuditEncoding, EmptyEventHasFixedMinimalEncoding) {
  domain::AuditEvent e;
  e.encoding = 1;
  e.time = absl::UnixEpoch();
  e.actor_role = domain::Role::kSystem;
  const std::string expected = FromHex(
      "01 0000000000000000 0000000000000000"
      "00000000 00000000 00000006 73797374656d"  // "", "", "system"
      "00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
      "00000000"
      "00000000 00000000");
  EXPECT_EQ(EncodeAuditEvent(e), expected);
  ASSERT_OK_AND_ASSIGN(domain::AuditEvent decoded, DecodeAuditEvent(expected));
  EXPECT_EQ(decoded, e);
}

TEST(AuditEncoding, RoundTripsEveryFieldWithChineseAndEmptyStrings) {
  domain::AuditEvent e;
  e.district_id = "江汉区";
  e.seq = 9007199254740993;  // above 2^53: no floating point on the way
  e.time = Utc(2031, 12, 31, 23, 59, 59) + absl::Microseconds(999999);
  e.actor_id = "张三";
  e.actor_role = domain::Role::kDepartment;
  e.action = "task.submit";
  e.entity_type = "task";
  e.entity_id = "任务-0001";
  e.state_before = "";
  e.state_after = "SUBMITTED";
  e.reason = "社区不应承担事项：负面清单第3条";
  e.request_id = "";
  e.department_id = "民政局";
  e.community_ids = {"花园社区", "", "c-3", "花园社区"};
  e.details = {{"", "empty key"},
               {"hours", ""},
               {"标题", "老旧小区改造台账"},
               {"z", "最后"}};
  const std::string encoded = EncodeAuditEvent(e);
  ASSERT_OK_AND_ASSIGN(domain::AuditEvent decoded, DecodeAuditEvent(encoded));
  EXPECT_EQ(decoded, e);
  EXPECT_EQ(EncodeAuditEvent(decoded), encoded);
}

TEST(AuditEncoding, ChineseStringLengthCountsBytes) {
  domain::AuditEvent e;
  e.reason = "街道";  // 2 characters, 6 UTF-8 bytes
  const std::string encoded = EncodeAuditEvent(e);
  EXPECT_NE(encoded.find(FromHex("00000006 e8a197e98193")), std::string::npos);
}

TEST(AuditEncoding, RoundTripsEveryRole) {
  for (domain::Role role : {domain::Role::kDepartment, domain::Role::kReviewer,
                            domain::Role::kCommunity, domain::Role::kAuditor,
                            domain::Role::kAdmin, domain::Role::kSystem}) {
    domain::AuditEvent e = WorkedExample();
    e.actor_role = role;
    ASSERT_OK_AND_ASSIGN(domain::AuditEvent decoded,
                         DecodeAuditEvent(EncodeAuditEvent(e)));
    EXPECT_EQ(decoded.actor_role, role) << domain::RoleName(role);
  }
}

TEST(AuditEncoding, NegativeTimesBefore1970RoundTrip) {
  domain::AuditEvent e = WorkedExample();
  e.time = Utc(1949, 10, 1, 15, 0, 0) + absl::Microseconds(7);
  ASSERT_OK_AND_ASSIGN(domain::AuditEvent decoded,
                       DecodeAuditEvent(EncodeAuditEvent(e)));
  EXPECT_EQ(decoded.time, e.time);
  EXPECT_EQ(decoded, e);
}

TEST(AuditEncoding, OneMicrosecondBeforeEpochIsAllOnes) {
  domain::AuditEvent e;
  e.time = absl::UnixEpoch() - absl::Microseconds(1);
  EXPECT_EQ(EncodeAuditEvent(e).substr(9, 8), FromHex("ffffffffffffffff"));
  ASSERT_OK_AND_ASSIGN(domain::AuditEvent decoded,
                       DecodeAuditEvent(EncodeAuditEvent(e)));
  EXPECT_EQ(decoded.time, e.time);
}

TEST(AuditEncoding, SubMicrosecondTimeTruncatesTowardNegativeInfinity) {
  domain::AuditEvent before_epoch;
  before_epoch.time = absl::UnixEpoch() - absl::Nanoseconds(500);
  EXPECT_EQ(EncodeAuditEvent(before_epoch).substr(9, 8),
            FromHex("ffffffffffffffff"));  // -1, not 0
  domain::AuditEvent after_epoch;
  after_epoch.time = absl::UnixEpoch() + absl::Nanoseconds(1999);
  EXPECT_EQ(EncodeAuditEvent(after_epoch).substr(9, 8),
            FromHex("0000000000000001"));
}

TEST(AuditEncoding, MovingACharacterBetweenAdjacentFieldsChangesBytes) {
  domain::AuditEvent a = WorkedExample();
  a.action = "ab";
  a.entity_type = "c";
  domain::AuditEvent b = WorkedExample();
  b.action = "a";
  b.entity_type = "bc";
  EXPECT_NE(EncodeAuditEvent(a), EncodeAuditEvent(b));
}

TEST(AuditEncoding, MovingACharacterBetweenDetailKeyAndValueChangesBytes) {
  domain::AuditEvent a = WorkedExample();
  a.details = {{"ab", "c"}};
  domain::AuditEvent b = WorkedExample();
  b.details = {{"a", "bc"}};
  EXPECT_NE(EncodeAuditEvent(a), EncodeAuditEvent(b));
}

TEST(AuditEncoding, SplittingACommunityIdChangesBytes) {
  domain::AuditEvent a = WorkedExample();
  a.community_ids = {"c1c2"};
  domain::AuditEvent b = WorkedExample();
  b.community_ids = {"c1", "c2"};
  EXPECT_NE(EncodeAuditEvent(a), EncodeAuditEvent(b));
}

TEST(AuditEncoding, EmptyStringVersusAbsentListEntryChangesBytes) {
  domain::AuditEvent a = WorkedExample();
  a.community_ids = {};
  domain::AuditEvent b = WorkedExample();
  b.community_ids = {""};
  EXPECT_NE(EncodeAuditEvent(a), EncodeAuditEvent(b));
}

TEST(AuditEncoding, FieldTextThatLooksLikeALengthPrefixChangesBytes) {
  // A reason that contains what would be the next field's bytes must not
  // be confused with an empty reason followed by that field.
  domain::AuditEvent a = WorkedExample();
  a.reason = std::string("\0\0\0\x02r1", 6);
  a.request_id = "";
  domain::AuditEvent b = WorkedExample();
  b.reason = "";
  b.request_id = "r1";
  EXPECT_NE(EncodeAuditEvent(a), EncodeAuditEvent(b));
  ASSERT_OK_AND_ASSIGN(domain::AuditEvent decoded,
                       DecodeAuditEvent(EncodeAuditEvent(a)));
  EXPECT_EQ(decoded, a);
}

TEST(AuditEncoding, DecodeRejectsEmptyInput) {
  EXPECT_THAT(DecodeAuditEvent(""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("version"), HasSubstr("byte 0"))));
}

TEST(AuditEncoding, DecodeRejectsUnknownVersion) {
  std::string bytes = FromHex(kWorkedExampleHex);
  bytes[0] = '\x03';
  EXPECT_THAT(DecodeAuditEvent(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("version 3"), HasSubstr("byte 0"))));
}

TEST(AuditEncoding, DecodeRejectsTruncatedSeq) {
  const std::string bytes = FromHex(kWorkedExampleHex).substr(0, 5);
  EXPECT_THAT(DecodeAuditEvent(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("seq"), HasSubstr("byte 1"))));
}

TEST(AuditEncoding, DecodeRejectsTruncatedTime) {
  const std::string bytes = FromHex(kWorkedExampleHex).substr(0, 12);
  EXPECT_THAT(DecodeAuditEvent(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("time"), HasSubstr("byte 9"))));
}

TEST(AuditEncoding, DecodeRejectsTruncatedLengthPrefix) {
  // Two of district_id's four length bytes.
  const std::string bytes = FromHex(kWorkedExampleHex).substr(0, 19);
  EXPECT_THAT(DecodeAuditEvent(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("district_id"), HasSubstr("byte 17"))));
}

TEST(AuditEncoding, DecodeRejectsStringRunningPastTheEnd) {
  // entity_id starts at byte 70 and declares 4 bytes; keep 2 of them.
  const std::string bytes = FromHex(kWorkedExampleHex).substr(0, 76);
  EXPECT_THAT(DecodeAuditEvent(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("entity_id"), HasSubstr("byte 70"),
                             HasSubstr("declares 4 bytes"))));
}

TEST(AuditEncoding, DecodeRejectsEveryProperPrefix) {
  const std::string full = FromHex(kWorkedExampleHex);
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_THAT(
        DecodeAuditEvent(full.substr(0, n)),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")))
        << "prefix of " << n << " bytes";
  }
}

TEST(AuditEncoding, DecodeRejectsCountLargerThanData) {
  // community_ids count at byte 120 claims 0xffffffff entries.
  std::string bytes = FromHex(kWorkedExampleHex);
  bytes.replace(120, 4, FromHex("ffffffff"));
  EXPECT_THAT(
      DecodeAuditEvent(bytes),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
}

TEST(AuditEncoding, DecodeRejectsTrailingBytes) {
  const std::string bytes = FromHex(kWorkedExampleHex) + std::string(1, '\0');
  EXPECT_THAT(
      DecodeAuditEvent(bytes),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("1 trailing bytes"), HasSubstr("byte 154"))));
}

TEST(AuditEncoding, DecodeRejectsUnknownRoleName) {
  // Replace "reviewer" (8 bytes at 38) by "REVIEWER": names are lower-case.
  std::string bytes = FromHex(kWorkedExampleHex);
  bytes.replace(38, 8, "REVIEWER");
  EXPECT_THAT(DecodeAuditEvent(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("actor_role"), HasSubstr("REVIEWER"),
                             HasSubstr("byte 34"))));
}

// Builds an encoding whose details are written in the given order, which the
// encoder itself never produces.
std::string WithRawDetails(
    std::initializer_list<std::pair<std::string, std::string>> details) {
  domain::AuditEvent e = WorkedExample();
  e.details.clear();
  std::string bytes = EncodeAuditEvent(e);
  bytes.resize(bytes.size() - 4);  // drop the zero details count
  auto append_u32 = [&bytes](size_t n) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<char>((n >> shift) & 0xff));
    }
  };
  append_u32(details.size());
  for (const auto& [key, value] : details) {
    append_u32(key.size());
    bytes += key;
    append_u32(value.size());
    bytes += value;
  }
  return bytes;
}

TEST(AuditEncoding, WithRawDetailsMatchesEncoderForSortedKeys) {
  // Guards the helper: in canonical order it equals the encoder.
  EXPECT_EQ(WithRawDetails({{"hours", "4"}}), FromHex(kWorkedExampleHex));
}

TEST(AuditEncoding, DecodeRejectsDetailsKeysOutOfOrder) {
  // Second key starts at 136 + 4 + (4 + 1) + (4 + 1) = 150.
  EXPECT_THAT(
      DecodeAuditEvent(WithRawDetails({{"b", "1"}, {"a", "2"}})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("details[1].key"), HasSubstr("byte 150"))));
}

TEST(AuditEncoding, DecodeRejectsDuplicateDetailsKeys) {
  EXPECT_THAT(
      DecodeAuditEvent(WithRawDetails({{"a", "1"}, {"a", "2"}})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("details[1].key"), HasSubstr("strictly"))));
}

TEST(AuditEncoding, DetailsKeysCompareAsUnsignedBytes) {
  // 0xe6 (start of a Chinese character) sorts after ASCII 'z'.
  EXPECT_THAT(DecodeAuditEvent(WithRawDetails({{"z", "1"}, {"标", "2"}})),
              IsOk());
  EXPECT_THAT(DecodeAuditEvent(WithRawDetails({{"标", "1"}, {"z", "2"}})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A key sorts after its own prefix.
  EXPECT_THAT(DecodeAuditEvent(WithRawDetails({{"a", "1"}, {"ab", "2"}})),
              IsOk());
}

// ---------------------------------------------------------------- version 2

// The version 2 worked example of docs/audit-encoding.md: the same event,
// carrying what the approval wrote to the task.
domain::AuditEvent WorkedExampleV2() {
  domain::AuditEvent e = WorkedExample();
  e.encoding = 2;
  e.writes.push_back(audit::MakeWrite("task", "t-42", {{"state", "IN_REVIEW"}},
                                      {{"state", "ACTIVE"}},
                                      /*complete=*/false));
  return e;
}

constexpr std::string_view kStateDigestHex =
    "7b762d7bb1f250367b484b302d284a77c5cdb007e3d0c333405db167154e3c11";

TEST(AuditEncoding, StateDigestMatchesDocument) {
  EXPECT_EQ(
      audit::ToHex(audit::StateDigest("task", "t-42", {{"state", "ACTIVE"}})),
      kStateDigestHex);
}

TEST(AuditEncoding, V2WorkedExampleAppendsTheWritesToVersion1) {
  const std::string v1 = FromHex(kWorkedExampleHex);
  const std::string expected =
      absl::StrCat("\x02", v1.substr(1),
                   FromHex("00000001"                     // one write
                           "00000004 7461736b"            // kind "task"
                           "00000004 742d3432"            // id "t-42"
                           "00"                           // not complete
                           "00000001"                     // one change
                           "00000005 7374617465"          // "state"
                           "00000009 494e5f524556494557"  // "IN_REVIEW"
                           "00000006 414354495645"),      // "ACTIVE"
                   FromHex(kStateDigestHex));
  ASSERT_EQ(expected.size(), 243u);
  const std::string encoded = EncodeAuditEvent(WorkedExampleV2());
  EXPECT_EQ(encoded, expected);
  EXPECT_EQ(audit::ToHex(audit::LeafHash(encoded)),
            "9420fa89b42deee130c6f27f147fd543afac5d31b113634f6fecf189fa7e8680");
  ASSERT_OK_AND_ASSIGN(domain::AuditEvent decoded, DecodeAuditEvent(encoded));
  EXPECT_EQ(decoded, WorkedExampleV2());
}

TEST(AuditEncoding, NewEventsUseVersion2) {
  EXPECT_EQ(domain::AuditEvent().encoding, 2);
  EXPECT_EQ(EncodeAuditEvent(domain::AuditEvent())[0], '\x02');
}

TEST(AuditEncoding, CompleteWriteListsUnchangedFieldsToo) {
  const domain::EntityWrite w =
      audit::MakeWrite("task", "t1", {{"a", "1"}, {"b", "2"}, {"c", "3"}},
                       {{"a", "1"}, {"b", "9"}}, /*complete=*/true);
  ASSERT_EQ(w.changes.size(), 3u);
  EXPECT_EQ(w.changes[0], (domain::FieldChange{"a", "1", "1"}));
  EXPECT_EQ(w.changes[1], (domain::FieldChange{"b", "2", "9"}));
  EXPECT_EQ(w.changes[2], (domain::FieldChange{"c", "3", ""}));
  const domain::EntityWrite diff =
      audit::MakeWrite("task", "t1", {{"a", "1"}, {"b", "2"}, {"c", "3"}},
                       {{"a", "1"}, {"b", "9"}}, /*complete=*/false);
  ASSERT_EQ(diff.changes.size(), 2u);
  EXPECT_EQ(diff.changes[0].field, "b");
  EXPECT_EQ(diff.changes[1].field, "c");
  EXPECT_EQ(w.state_digest, diff.state_digest);
}

TEST(AuditEncoding, EncodedSizeIsTheLengthOfTheEncoding) {
  EXPECT_EQ(EncodedAuditEventSize(WorkedExample()), 154u);
  EXPECT_EQ(EncodedAuditEventSize(WorkedExampleV2()), 243u);
  EXPECT_EQ(EncodedAuditEventSize(domain::AuditEvent()),
            EncodeAuditEvent(domain::AuditEvent()).size());
  domain::AuditEvent e = WorkedExampleV2();
  e.reason = "社区不应承担事项";
  e.community_ids = {"花园社区", "", "c-3"};
  e.details = {{"", "empty key"}, {"标题", "老旧小区改造台账"}};
  e.writes.push_back(audit::MakeWrite("decision", "t-42/1", {},
                                      {{"reason", "ok"}, {"kind", "approve"}},
                                      /*complete=*/true));
  EXPECT_EQ(EncodedAuditEventSize(e), EncodeAuditEvent(e).size());
}

TEST(AuditEncoding, V2DecodeRejectsWriteFieldsOutOfOrder) {
  domain::AuditEvent e = WorkedExampleV2();
  e.writes[0].changes = {{"b", "", "1"}, {"a", "", "2"}};
  EXPECT_THAT(DecodeAuditEvent(EncodeAuditEvent(e)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("writes[0].changes[1].field"),
                             HasSubstr("ascending"))));
}

TEST(AuditEncoding, V2DecodeRejectsACompleteByteOtherThanZeroOrOne) {
  std::string bytes = EncodeAuditEvent(WorkedExampleV2());
  // After the v1 part (153 bytes past the version), the count and two
  // strings: 154 + 4 + 8 + 8 = 174.
  ASSERT_EQ(bytes[174], '\x00');
  bytes[174] = '\x02';
  EXPECT_THAT(
      DecodeAuditEvent(bytes),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("writes[0].complete"), HasSubstr("byte 174"))));
}

TEST(AuditEncoding, V2DecodeRejectsEveryProperPrefix) {
  const std::string bytes = EncodeAuditEvent(WorkedExampleV2());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(DecodeAuditEvent(bytes.substr(0, n)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << n;
  }
}

TEST(AuditEncoding, SeqUsesAllSixtyFourBits) {
  domain::AuditEvent e;
  e.seq = 0x0102030405060708;
  EXPECT_EQ(EncodeAuditEvent(e).substr(1, 8), FromHex("0102030405060708"));
}

}  // namespace
}  // namespace taskgate::audit
