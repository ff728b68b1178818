#include "common/safe_text.h"

#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace taskgate {
namespace {

using ::testing::Eq;
using ::testing::Not;
using ::testing::Optional;

bool IsUtf8(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    if (DecodeUtf8(s, &pos) == kInvalidUtf8) return false;
  }
  return true;
}

bool HasUnsafe(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    if (IsUnsafeCodePoint(DecodeUtf8(s, &pos))) return true;
  }
  return false;
}

MATCHER_P2(IsAt, position, code_point, "") {
  return arg.position == static_cast<size_t>(position) &&
         arg.code_point == static_cast<char32_t>(code_point);
}

TEST(SafeText, DecodesEachCodePointAndRejectsMalformedBytesOneAtATime) {
  const std::string s = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";  // aé中😀
  size_t pos = 0;
  EXPECT_EQ(DecodeUtf8(s, &pos), U'a');
  EXPECT_EQ(DecodeUtf8(s, &pos), U'\u00E9');
  EXPECT_EQ(DecodeUtf8(s, &pos), U'\u4E2D');
  EXPECT_EQ(DecodeUtf8(s, &pos), U'\U0001F600');
  EXPECT_EQ(pos, s.size());
  for (const std::string bad :
       {"\x80", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE4\xB8"}) {
    pos = 0;
    EXPECT_EQ(DecodeUtf8(bad, &pos), kInvalidUtf8) << bad;
    EXPECT_EQ(pos, 1u) << bad;
  }
}

TEST(SafeText, ControlsDelC1AndBidiOverridesAreUnsafe) {
  for (char32_t cp : {0x00, 0x07, 0x09, 0x0A, 0x0D, 0x1B, 0x1F, 0x7F, 0x80,
                      0x85, 0x9B, 0x9F, 0x202A, 0x202E, 0x2066, 0x2069}) {
    EXPECT_TRUE(IsUnsafeCodePoint(cp)) << CodePointName(cp);
  }
  for (char32_t cp : {0x20, 0x41, 0x7E, 0xA0, 0xE9, 0x200F, 0x2029, 0x202F,
                      0x2065, 0x206A, 0x4E2D, 0x1F600}) {
    EXPECT_FALSE(IsUnsafeCodePoint(cp)) << CodePointName(cp);
  }
}

TEST(SafeText, FindsTheFirstUnsafeCharacterByItsCharacterPosition) {
  EXPECT_EQ(FindUnsafeCharacter("独居老人走访", false), std::nullopt);
  EXPECT_THAT(FindUnsafeCharacter("走访\x1b[2J", false),
              Optional(IsAt(3, 0x1B)));
  EXPECT_THAT(FindUnsafeCharacter("abc\xE2\x80\xAEtxt.exe", false),
              Optional(IsAt(4, 0x202E)));
  // Newline and tab only where lines are allowed; never CR.
  EXPECT_THAT(FindUnsafeCharacter("one\ntwo", false), Optional(IsAt(4, 0x0A)));
  EXPECT_EQ(FindUnsafeCharacter("one\ntwo\tthree", true), std::nullopt);
  EXPECT_THAT(FindUnsafeCharacter("one\r\ntwo", true), Optional(IsAt(4, 0x0D)));
  EXPECT_THAT(FindUnsafeCharacter(std::string("a\0b", 3), true),
              Optional(IsAt(2, 0x00)));
  EXPECT_EQ(CodePointName(0x202E), "U+202E");
  EXPECT_EQ(CodePointName(0x1B), "U+001B");
}

TEST(SafeText, PrefixIsCutOnACharacterBoundary) {
  const std::string s = "ab中文";  // 2 + 3 + 3 bytes
  EXPECT_EQ(Utf8Prefix(s, 100), s);
  EXPECT_EQ(Utf8Prefix(s, 8), s);
  EXPECT_EQ(Utf8Prefix(s, 7), "ab中");
  EXPECT_EQ(Utf8Prefix(s, 6), "ab中");
  EXPECT_EQ(Utf8Prefix(s, 5), "ab中");
  EXPECT_EQ(Utf8Prefix(s, 4), "ab");
  EXPECT_EQ(Utf8Prefix(s, 3), "ab");
  EXPECT_EQ(Utf8Prefix(s, 0), "");
  for (size_t n = 0; n <= s.size(); ++n) {
    EXPECT_TRUE(IsUtf8(Utf8Prefix(s, n))) << n;
  }
}

TEST(SafeText, EchoedValueIsCutOnACharacterBoundaryAndShowsControls) {
  // 79 ASCII bytes and a three-byte character: byte 80 is inside it.
  const std::string id = std::string(79, 'x') + "中中";
  const std::string echoed = EchoValue(id);
  EXPECT_TRUE(IsUtf8(echoed));
  EXPECT_EQ(echoed, std::string(79, 'x') + "…");
  EXPECT_EQ(EchoValue("a\x1b[31mb\nc\xE2\x80\xAE"), "a\\x1b[31mb\\nc\\u202e");
  EXPECT_EQ(EchoValue("bad \xff byte"), "bad \\xff byte");
  EXPECT_EQ(EchoValue("C:\\path"), "C:\\path");
  EXPECT_FALSE(HasUnsafe(EchoValue("\t\r\n\x7f\xC2\x85")));
}

TEST(SafeText, LogTextCannotStartANewLine) {
  const std::string forged =
      "r1\n2026-03-02T09:00:00.000+08:00 info rpc method=AdminService/"
      "IssueToken principal=admin code=OK";
  const std::string logged = EscapeForLog(forged);
  EXPECT_THAT(logged, Not(::testing::HasSubstr("\n")));
  EXPECT_THAT(logged, ::testing::StartsWith("r1\\n2026-03-02T09"));
  EXPECT_FALSE(HasUnsafe(logged));
  // A backslash is doubled, so that "\n" typed by a client stays apart from
  // an escaped newline.
  EXPECT_EQ(EscapeForLog("a\\nb"), "a\\\\nb");
  EXPECT_EQ(EscapeForLog("a\r\x1b\xE2\x81\xA6"), "a\\r\\x1b\\u2066");
  EXPECT_EQ(EscapeForLog(std::string(200, 'r'), 128),
            std::string(128, 'r') + "…");
  EXPECT_THAT(EscapeForLog("unchanged 中文 text"), Eq("unchanged 中文 text"));
}

}  // namespace
}  // namespace taskgate
