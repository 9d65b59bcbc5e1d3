// The protocol's count limits, walked at 1, limit-1, limit and limit+1 items
// in one collection: the agent's batch of 500 entries (docs/protocol.md:
// "at most 500 entries a batch"; the server takes up to 1,000) and the
// inventory page of 5,000 items that check and recover read. Each
// collection is one .vcf file of N cards, through the real binaries and a
// real holdfast-server on 127.0.0.1: capture, push, check (healthy), a server
// wipe, check (lost), recover (verified by read-back), and the server's items
// equal to the vault's, uid for uid and SHA-256 for SHA-256.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "agent/exit_codes.h"
#include "tests/support/inventory.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitAttention;
using agent::kExitOk;
using testing::ProcessResult;

constexpr int kBatchEntries = 500;     // agent/sync/push.cc kMaxBatchEntries
constexpr int kInventoryPage = 5000;   // the page check and recover ask for (and the server's most)

std::string Cards(const std::string& prefix, int count) {
  std::string cards;
  cards.reserve(static_cast<size_t>(count) * 80);
  for (int i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    cards += "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + prefix + "-" + n + "\r\nFN:Person " + n + "\r\nEND:VCARD\r\n";
  }
  return cards;
}

TEST_CASE("collections of 1, limit-1, limit and limit+1 items for the batch and the inventory page survive a wipe") {
  testing::TempDir dir;
  const std::string vault = (dir / "vault.db").string();
  const std::string config = (dir / "config.json").string();
  const std::string data = (dir / "server").string();
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {testing::HoldfastBinary(), "--vault", vault, "--config", config});
    return testing::RunProcess(args);
  };
  std::vector<int> counts = {1};
  for (int limit : {kBatchEntries, kInventoryPage}) {
    for (int n : {limit - 1, limit, limit + 1}) counts.push_back(n);
  }
  int64_t total = 0;
  for (int n : counts) {
    const std::string book = "book-" + std::to_string(n);
    fs::create_directories(dir / "contacts" / book);
    testing::WriteFileBytes(dir / "contacts" / book / "all.vcf", Cards(book, n));
    total += n;
  }
  testing::WriteTokenFile(dir / "token", testing::AddAccount(data, "phone"));
  testing::ServerProcess server(data);
  REQUIRE(run({"init"}).exit_code == kExitOk);
  REQUIRE(run({"source", "add", "--kind", "contacts", (dir / "contacts").string()}).exit_code == kExitOk);
  REQUIRE(run({"remote", "add", "home", "--url", server.url(), "--account", "phone", "--token-file",
               (dir / "token").string()})
              .exit_code == kExitOk);
  ProcessResult capture = run({"capture"});
  REQUIRE_MESSAGE(capture.exit_code == kExitOk, capture.out);
  const testing::ItemShas vault_items = testing::VaultLiveItems(vault);
  REQUIRE(static_cast<int64_t>(vault_items.size()) == total);

  ProcessResult push = run({"push"});
  REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
  CHECK(testing::ServerItems(data) == vault_items);
  ProcessResult healthy = run({"check"});
  CHECK_MESSAGE(healthy.exit_code == kExitOk, healthy.out);

  ProcessResult wiped = testing::RunProcess({testing::ServerBinary(), "wipe", "--data", data, "--account", "phone"});
  REQUIRE_MESSAGE(wiped.exit_code == 0, wiped.err);
  ProcessResult lost = run({"check"});
  CHECK_MESSAGE(lost.exit_code == kExitAttention, lost.out);
  ProcessResult recover = run({"recover"});
  CHECK_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err));
  CHECK(recover.out.find("NOT VERIFIED") == std::string::npos);
  CHECK(testing::ServerItems(data) == vault_items);
  ProcessResult after = run({"check"});
  CHECK_MESSAGE(after.exit_code == kExitOk, after.out);
}

}  // namespace
}  // namespace holdfast
