#include "clients/printable.h"

#include <cstdint>
#include <string>
#include <string_view>

#include <absl/strings/str_format.h>

#include "common/safe_text.h"

namespace taskgate::clients::cli {
namespace {

// Appends the code point `cp` read from `bytes` (kInvalidUtf8: one bad
// byte) as it may be shown.
void AppendShown(char32_t cp, std::string_view bytes, bool multiline,
                 std::string& out) {
  if (cp == kInvalidUtf8) {
    absl::StrAppendFormat(&out, "\\x%02x", static_cast<uint8_t>(bytes[0]));
  } else if (!IsUnsafeCodePoint(cp) ||
             (multiline && (cp == '\n' || cp == '\t'))) {
    out.append(bytes);
  } else {
    absl::StrAppendFormat(&out, "\\u%04x", static_cast<uint32_t>(cp));
  }
}

// The length of the UTF-8 sequence that `lead` starts; 1 for a byte that
// starts none.
size_t SequenceLength(uint8_t lead) {
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

}  // namespace

std::string Printable(std::string_view text, bool multiline) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    const char32_t cp = DecodeUtf8(text, &pos);
    AppendShown(cp, text.substr(start, pos - start), multiline, out);
  }
  return out;
}

PrintableStream::PrintableStream(std::ostream& target)
    : std::ostream(nullptr), buffer_(target) {
  rdbuf(&buffer_);
}

PrintableStream::~PrintableStream() {
  buffer_.Finish();
  buffer_.pubsync();
}

void PrintableStream::Buffer::Finish() {
  if (!pending_.empty()) Flush();
  if (held_cr_) {
    target_ << Printable("\r");
    held_cr_ = false;
  }
}

PrintableStream::Buffer::int_type PrintableStream::Buffer::overflow(
    int_type ch) {
  if (traits_type::eq_int_type(ch, traits_type::eof())) {
    return traits_type::not_eof(ch);
  }
  Put(traits_type::to_char_type(ch));
  return ch;
}

std::streamsize PrintableStream::Buffer::xsputn(const char* s,
                                                std::streamsize n) {
  for (std::streamsize i = 0; i < n; ++i) Put(s[i]);
  return n;
}

int PrintableStream::Buffer::sync() {
  target_.flush();
  return target_ ? 0 : -1;
}

void PrintableStream::Buffer::Put(char c) {
  const auto byte = static_cast<uint8_t>(c);
  if (held_cr_) {
    held_cr_ = false;
    // CRLF ends a line (CSV); a lone CR would overwrite it.
    target_ << (c == '\n' ? "\r\n" : Printable("\r"));
    if (c == '\n') return;
  }
  if (!pending_.empty()) {
    if ((byte & 0xC0) == 0x80) {
      pending_.push_back(c);
      if (pending_.size() == needed_) Flush();
      return;
    }
    Flush();  // a broken sequence; `c` starts afresh
  }
  if (c == '\r') {
    held_cr_ = true;
    return;
  }
  const size_t length = SequenceLength(byte);
  if (length == 1) {
    std::string out;
    AppendShown(byte < 0x80 ? byte : kInvalidUtf8, std::string_view(&c, 1),
                /*multiline=*/true, out);
    target_ << out;
    return;
  }
  pending_.push_back(c);
  needed_ = length;
}

void PrintableStream::Buffer::Flush() {
  // A complete sequence decodes to one code point, unless it is malformed;
  // a malformed or broken one is shown byte by byte.
  target_ << Printable(pending_, /*multiline=*/true);
  pending_.clear();
  needed_ = 0;
}

}  // namespace taskgate::clients::cli
