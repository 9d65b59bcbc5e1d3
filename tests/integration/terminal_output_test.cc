// What the CLI prints about names from the device: a file named with ESC [ 2 J,
// CR, LF and BEL (clear the screen, overwrite a line, fake a line, ring) is
// printed escaped by capture, status, source list and error messages.
#include <doctest/doctest.h>

#include <fstream>

#include "agent/exit_codes.h"
#include "tests/support/child_process.h"
#include "tests/support/handset.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using testing::Handset;
using testing::ProcessResult;

const std::string kHostile = "evil\x1b[2J\r\nskipped nothing\a.vcf";
const std::string kEscaped = "evil\\x1b[2J\\r\\nskipped nothing\\x07.vcf";

// True when `text` holds a byte a terminal acts on other than the line ends and tabs
// the CLI writes itself.
bool HasControl(const std::string& text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

TEST_CASE("a skipped file named with ESC [ 2 J, CR, LF and BEL is printed escaped by capture and status") {
  Handset h;
  std::ofstream(h.tree / "contacts/personal" / kHostile) << "BEGIN:VCARD\r\nFN:no end\r\n";
  ProcessResult capture = h.Holdfast({"capture"});
  CHECK_FALSE(HasControl(capture.out + capture.err));
  CHECK_MESSAGE(capture.out.find("  skipped personal/" + kEscaped + " line 1: ") != std::string::npos, capture.out);
  // One line per skipped file: the name cannot start a line of its own.
  CHECK(capture.out.find("\nskipped nothing") == std::string::npos);

  ProcessResult status = h.Holdfast({"status"});
  CHECK(status.exit_code == kExitOk);
  CHECK_FALSE(HasControl(status.out + status.err));
  CHECK(status.out.find("personal/" + kEscaped) != std::string::npos);
}

TEST_CASE("source names and paths with control characters are escaped by source add, source list and errors") {
  Handset h;
  const fs::path folder = h.dir / ("notes\x1b]0;owned\a");
  fs::create_directories(folder);
  ProcessResult added = h.Holdfast({"source", "add", "--kind", "notes", folder.string(), "--name", "n\x1b[2J"});
  CHECK_MESSAGE(added.exit_code == kExitOk, added.err);
  CHECK_FALSE(HasControl(added.out + added.err));
  ProcessResult listed = h.Holdfast({"source", "list"});
  CHECK_FALSE(HasControl(listed.out + listed.err));
  CHECK(listed.out.find("n\\x1b[2J\tnotes\t") != std::string::npos);
  // The same name again: the error names it, escaped.
  ProcessResult again = h.Holdfast({"source", "add", "--kind", "notes", folder.string(), "--name", "n\x1b[2J"});
  CHECK(again.exit_code != kExitOk);
  CHECK_FALSE(HasControl(again.out + again.err));
  CHECK(again.err.find("n\\x1b[2J") != std::string::npos);
}

}  // namespace
}  // namespace holdfast
