// Text that a client sent and that may reach a person: a terminal, a log
// file, an error message. Finds the characters that change how text is
// shown rather than what it says (control characters, bidirectional
// overrides and isolates), cuts text on character boundaries, and writes
// client text into error messages and log lines so that it can neither
// break them nor forge them (SPEC §9). Pure functions; thread-safe.
#ifndef TASKGATE_COMMON_SAFE_TEXT_H_
#define TASKGATE_COMMON_SAFE_TEXT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace taskgate {

// The code point returned by `DecodeUtf8` for a byte that does not start a
// well-formed UTF-8 sequence (which is then consumed alone).
inline constexpr char32_t kInvalidUtf8 = 0xFFFFFFFF;

// Decodes the code point of `text` at byte `*pos` and advances `*pos` past
// it. Returns `kInvalidUtf8` (advancing one byte) for a byte that does not
// start a well-formed sequence: stray continuation bytes, overlongs,
// surrogates, values past U+10FFFF, truncated sequences. `*pos` must be
// less than `text.size()`.
char32_t DecodeUtf8(std::string_view text, size_t* pos);

// True for a code point that changes how what follows it is shown: the C0
// controls (U+0000-U+001F, newline and tab included), DEL (U+007F), the C1
// controls (U+0080-U+009F), and the bidirectional embeddings, overrides
// (U+202A-U+202E) and isolates (U+2066-U+2069).
bool IsUnsafeCodePoint(char32_t cp);

// The first unsafe character of valid UTF-8 `text`, where newline and tab
// are let through when `multiline`.
struct UnsafeCharacter {
  size_t position = 0;  // 1-based, in characters (code points)
  char32_t code_point = 0;
};
std::optional<UnsafeCharacter> FindUnsafeCharacter(std::string_view text,
                                                   bool multiline);

// "U+001B" for 0x1B: how messages name a code point.
std::string CodePointName(char32_t cp);

// The longest prefix of `text` of at most `max_bytes` bytes that does not
// end inside a UTF-8 sequence (a valid prefix of valid UTF-8 stays valid).
std::string_view Utf8Prefix(std::string_view text, size_t max_bytes);

// `text` as it may be quoted in an error message sent back to the client:
// at most `max_bytes` of it, cut on a character boundary and followed by
// "…" when cut, with unsafe characters and bytes that are not UTF-8
// written as escapes (`\n`, `\x1b`, `\u202e`). The result is valid UTF-8
// and holds no unsafe character.
std::string EchoValue(std::string_view text, size_t max_bytes = 80);

// `text` as it may be written into one log line: the same escapes as
// `EchoValue`, with a backslash written `\\` so that an escape is never
// ambiguous, and at most `max_bytes` of it (cut as above, followed by
// "…"). No newline, carriage return or other control can reach the log.
std::string EscapeForLog(std::string_view text,
                         size_t max_bytes = std::string_view::npos);

// `text` as `EscapeForLog` writes it, cut at 120 bytes, in double quotes:
// how a reported value (a stored field, a column) is shown.
std::string QuotedForLog(std::string_view text);

}  // namespace taskgate

#endif  // TASKGATE_COMMON_SAFE_TEXT_H_
