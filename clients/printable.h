// What the CLI shows a person is safe to show (SPEC §9): whatever text the
// server sends (titles, reasons, messages, even the record's own fields),
// no character in it can move the cursor, clear or recolour the terminal,
// overwrite a line, or reorder what is shown. Such characters (controls,
// DEL, C1 controls, bidirectional overrides and isolates; see
// common/safe_text.h) are printed as visible escapes: "\u001b", "\u202e".
// A byte that is not UTF-8 is printed as "\xff". The escapes are valid
// inside a JSON string, where these characters can only occur, so JSON
// output stays JSON that means the same. Single-threaded, like the CLI.
#ifndef TASKGATE_CLIENTS_PRINTABLE_H_
#define TASKGATE_CLIENTS_PRINTABLE_H_

#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace taskgate::clients::cli {

// `text` with every unsafe character escaped; newlines and tabs are kept
// when `multiline` (a table cell or a "key: value" line is one line).
std::string Printable(std::string_view text, bool multiline = false);

// An output stream that writes what it is given to `target` through
// `Printable`, keeping newlines, tabs and CRLF line ends (CSV): what `Run`
// hands the commands for standard output and error. Characters split
// across writes are put together first. `target` must outlive it; the
// destructor flushes what is pending.
class PrintableStream final : public std::ostream {
 public:
  explicit PrintableStream(std::ostream& target);
  PrintableStream(const PrintableStream&) = delete;
  PrintableStream& operator=(const PrintableStream&) = delete;
  ~PrintableStream() override;

 private:
  class Buffer final : public std::streambuf {
   public:
    explicit Buffer(std::ostream& target) : target_(target) {}
    // Writes out a sequence that never completed and a held CR.
    void Finish();

   protected:
    int_type overflow(int_type ch) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int sync() override;

   private:
    void Put(char c);
    // Writes `pending_`, a complete or broken sequence, and clears it.
    void Flush();

    std::ostream& target_;
    std::string pending_;   // an incomplete UTF-8 sequence
    size_t needed_ = 0;     // its length once complete
    bool held_cr_ = false;  // a CR kept back to see if LF follows
  };

  Buffer buffer_;
};

}  // namespace taskgate::clients::cli

#endif  // TASKGATE_CLIENTS_PRINTABLE_H_
