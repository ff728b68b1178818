#include "common/safe_text.h"

#include <cstdint>
#include <string>
#include <string_view>

#include <absl/strings/str_format.h>

namespace taskgate {
namespace {

// Appends `text` with unsafe characters and invalid bytes as escapes; also
// a backslash as `\\` when `escape_backslash`.
void AppendEscaped(std::string_view text, bool escape_backslash,
                   std::string& out) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    const char32_t cp = DecodeUtf8(text, &pos);
    if (cp == kInvalidUtf8) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<uint8_t>(text[start]));
    } else if (cp == '\\' && escape_backslash) {
      out += "\\\\";
    } else if (!IsUnsafeCodePoint(cp)) {
      out.append(text.substr(start, pos - start));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x80) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<uint32_t>(cp));
    } else {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<uint32_t>(cp));
    }
  }
}

std::string Escaped(std::string_view text, size_t max_bytes,
                    bool escape_backslash) {
  const std::string_view kept = Utf8Prefix(text, max_bytes);
  std::string out;
  out.reserve(kept.size() + 3);
  AppendEscaped(kept, escape_backslash, out);
  if (kept.size() < text.size()) out += "…";
  return out;
}

}  // namespace

char32_t DecodeUtf8(std::string_view text, size_t* pos) {
  const auto c = static_cast<uint8_t>(text[*pos]);
  if (c < 0x80) {
    ++*pos;
    return c;
  }
  size_t n = 0;  // continuation bytes
  char32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 1;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 2;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 3;
    cp = c & 0x07;
  } else {
    ++*pos;
    return kInvalidUtf8;
  }
  if (*pos + n >= text.size()) {  // a truncated sequence
    ++*pos;
    return kInvalidUtf8;
  }
  for (size_t k = 1; k <= n; ++k) {
    const auto cc = static_cast<uint8_t>(text[*pos + k]);
    if ((cc & 0xC0) != 0x80) {
      ++*pos;
      return kInvalidUtf8;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  static constexpr char32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[n] || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*pos;
    return kInvalidUtf8;
  }
  *pos += n + 1;
  return cp;
}

bool IsUnsafeCodePoint(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

std::optional<UnsafeCharacter> FindUnsafeCharacter(std::string_view text,
                                                   bool multiline) {
  size_t pos = 0;
  size_t position = 0;
  while (pos < text.size()) {
    const char32_t cp = DecodeUtf8(text, &pos);
    ++position;
    if (multiline && (cp == '\n' || cp == '\t')) continue;
    if (cp != kInvalidUtf8 && IsUnsafeCodePoint(cp)) {
      return UnsafeCharacter{position, cp};
    }
  }
  return std::nullopt;
}

std::string CodePointName(char32_t cp) {
  return absl::StrFormat("U+%04X", static_cast<uint32_t>(cp));
}

std::string_view Utf8Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Back off the continuation bytes of the character that would be cut, and
  // its lead byte.
  while (end > 0 && (static_cast<uint8_t>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string EchoValue(std::string_view text, size_t max_bytes) {
  return Escaped(text, max_bytes, /*escape_backslash=*/false);
}

std::string EscapeForLog(std::string_view text, size_t max_bytes) {
  return Escaped(text, max_bytes, /*escape_backslash=*/true);
}

std::string QuotedForLog(std::string_view text) {
  return "\"" + EscapeForLog(text, 120) + "\"";
}

}  // namespace taskgate
