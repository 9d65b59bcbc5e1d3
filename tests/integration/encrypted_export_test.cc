// export --format archive --encrypt and import --passphrase-file as a user
// runs them: a round trip gives every item back; a wrong passphrase, a
// changed byte, a file cut short or bytes appended are refused with nothing
// imported; the encrypted file holds none of the contacts' names.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "agent/exit_codes.h"
#include "platform/secret_stream.h"
#include "tests/support/child_process.h"
#include "tests/support/handset.h"
#include "tests/support/inventory.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using testing::Handset;
using testing::ProcessResult;
using testing::RunProcess;

struct Encrypted : Handset {
  fs::path passphrase = dir / "passphrase";
  fs::path archive = dir / "all.tar.enc";

  Encrypted() {
    REQUIRE(Holdfast({"capture"}).exit_code == kExitOk);
    WritePassphrase(passphrase, "correct horse battery staple\n");
  }
  static void WritePassphrase(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
    REQUIRE(chmod(path.c_str(), 0600) == 0);
  }
  ProcessResult Export(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"export", "--format", "archive", "--to", archive.string(), "--force",
                                     "--encrypt", "--passphrase-file", passphrase.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Holdfast(args);
  }
  // `import` of `file` into a new vault.
  ProcessResult ImportInto(const fs::path& vault, const fs::path& file, const fs::path& pass) const {
    std::vector<std::string> args = {testing::HoldfastBinary(), "--vault", vault.string(), "import", file.string()};
    if (!pass.empty()) args.insert(args.end(), {"--passphrase-file", pass.string()});
    return RunProcess(args);
  }
};

std::string Bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteBytes(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// The FN values of the handset's contacts.
std::vector<std::string> ContactNames(const fs::path& contacts) {
  std::vector<std::string> names;
  const std::regex fn("\\nFN[^:\\r\\n]*:([^\\r\\n]{6,})");
  for (const auto& entry : fs::recursive_directory_iterator(contacts)) {
    if (!entry.is_regular_file()) continue;
    const std::string text = Bytes(entry.path());
    for (std::sregex_iterator it(text.begin(), text.end(), fn), end; it != end; ++it) names.push_back((*it)[1]);
  }
  return names;
}

TEST_CASE("an encrypted archive imports into a new vault unchanged and holds none of the contacts' names") {
  Encrypted h;
  for (bool zstd : {false, true}) {
    CAPTURE(zstd);
    ProcessResult exported = h.Export(zstd ? std::vector<std::string>{"--zstd"} : std::vector<std::string>{});
    REQUIRE_MESSAGE(exported.exit_code == kExitOk, exported.err);
    const std::string bytes = Bytes(h.archive);
    CHECK(bytes.rfind(platform::kSecretMagic, 0) == 0);
    const std::vector<std::string> names = ContactNames(h.tree / "contacts");
    REQUIRE(names.size() > 20);
    for (const std::string& name : names) CHECK_MESSAGE(bytes.find(name) == std::string::npos, name);
    CHECK(bytes.find("BEGIN:VCARD") == std::string::npos);
    CHECK(bytes.find("holdfast-export/") == std::string::npos);

    const fs::path fresh = h.dir / (zstd ? "fresh-zstd.db" : "fresh.db");
    ProcessResult imported = h.ImportInto(fresh, h.archive, h.passphrase);
    REQUIRE_MESSAGE(imported.exit_code == kExitOk, imported.err);
    CHECK(imported.out.find("590 new") != std::string::npos);
    CHECK(testing::VaultInventory(fresh.string()) == testing::VaultInventory(h.vault));
  }
}

TEST_CASE("a wrong passphrase, a changed byte, a file cut short or bytes appended are refused and nothing is imported") {
  Encrypted h;
  REQUIRE(h.Export().exit_code == kExitOk);
  const std::string good = Bytes(h.archive);
  REQUIRE(good.size() > 3 * platform::kSecretChunkBytes);
  const fs::path wrong = h.dir / "wrong";
  Encrypted::WritePassphrase(wrong, "correct horse battery stapler\n");

  struct Case {
    std::string what;
    std::string bytes;
    fs::path pass;
    std::string message;
  };
  std::vector<Case> cases = {{"wrong passphrase", good, wrong, "wrong passphrase"}};
  for (size_t at : {size_t{20}, size_t{40}, size_t{80}, good.size() / 2, good.size() - 1}) {
    std::string tampered = good;
    tampered[at] = static_cast<char>(tampered[at] ^ 0x01);
    cases.push_back({"byte " + std::to_string(at) + " flipped", tampered, h.passphrase, ""});
  }
  // Cut inside a chunk, and exactly after a whole chunk (no FINAL chunk).
  const size_t header = 76, chunk = 4 + platform::kSecretChunkBytes + 17;
  for (size_t size : {size_t{50}, header, header + chunk, header + 2 * chunk, good.size() / 2, good.size() - 1}) {
    cases.push_back({"cut to " + std::to_string(size), good.substr(0, size), h.passphrase, "cut short"});
  }
  cases.push_back({"bytes appended", good + std::string(100, '\0'), h.passphrase, "after its final chunk"});
  cases.push_back({"no passphrase", good, fs::path(), "--passphrase-file"});

  const auto inventory = testing::VaultInventory(h.vault);
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const fs::path file = h.dir / "bad.tar.enc";
    WriteBytes(file, c.bytes);
    const fs::path fresh = h.dir / "fresh.db";
    ProcessResult refused = h.ImportInto(fresh, file, c.pass);
    CHECK(refused.exit_code != kExitOk);
    CHECK_MESSAGE(refused.err.find(c.message) != std::string::npos, refused.err);
    if (!c.pass.empty()) CHECK_MESSAGE(refused.err.find("nothing was imported") != std::string::npos, refused.err);
    CHECK_FALSE(fs::exists(fresh));
    // Into the existing vault: nothing changes.
    std::vector<std::string> args = {"import", file.string()};
    if (!c.pass.empty()) args.insert(args.end(), {"--passphrase-file", c.pass.string()});
    CHECK(h.Holdfast(args).exit_code != kExitOk);
    CHECK(testing::VaultInventory(h.vault) == inventory);
  }
}

TEST_CASE("--encrypt needs a passphrase file and the archive format") {
  Encrypted h;
  CHECK(h.Holdfast({"export", "--format", "archive", "--to", h.archive.string(), "--encrypt"}).exit_code != kExitOk);
  CHECK(h.Holdfast({"export", "--format", "json", "--to", (h.dir / "x.json").string(), "--encrypt",
                    "--passphrase-file", h.passphrase.string()})
            .exit_code != kExitOk);
  const fs::path empty = h.dir / "empty";
  Encrypted::WritePassphrase(empty, "\n");
  CHECK(h.Holdfast({"export", "--format", "archive", "--to", h.archive.string(), "--encrypt", "--passphrase-file",
                    empty.string()})
            .exit_code != kExitOk);
  CHECK_FALSE(fs::exists(h.archive));
}

}  // namespace
}  // namespace holdfast
