// The agent's control socket with real sockets: one listener per vault, the
// "make way" exchange, and its failures.
#include "platform/control_socket.h"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "platform/sha256.h"
#include "tests/support/temp_dir.h"

namespace holdfast::platform {
namespace {

using testing::TempDir;

// A name no other test run uses.
std::string UniqueName() { return "holdfast-test-" + RandomHex(8); }

TEST_CASE("a vault's socket name is the same however its path is spelled, and differs between vaults") {
  TempDir dir;
  std::filesystem::create_directories(dir / "a");
  const std::string plain = ControlSocketName(dir / "a" / "vault.db");
  CHECK(ControlSocketName(dir / "a" / "." / "vault.db") == plain);
  CHECK(ControlSocketName(dir / "a" / ".." / "a" / "vault.db") == plain);
  CHECK(ControlSocketName(dir / "a" / "other.db") != plain);
  CHECK(plain.rfind("holdfast-agent-", 0) == 0);
}

TEST_CASE("only one process listens per name; a connection without a listener is kNotFound") {
  const std::string name = UniqueName();
  Result<UniqueFd> none = ConnectControl(name);
  REQUIRE_FALSE(none);
  CHECK(none.error().code() == ErrorCode::kNotFound);
  Result<UniqueFd> first = ListenControl(name);
  REQUIRE(first);
  Result<UniqueFd> second = ListenControl(name);
  REQUIRE_FALSE(second);
  CHECK(second.error().code() == ErrorCode::kAlreadyExists);
  Result<UniqueFd> waiting = AcceptControl(first->get());
  REQUIRE_FALSE(waiting);
  CHECK(waiting.error().code() == ErrorCode::kNotFound);
}

TEST_CASE("AskToYield returns once the agent answers ok, and is kVaultLocked when it closes or stays silent") {
  const std::string name = UniqueName();
  Result<UniqueFd> listener = ListenControl(name);
  REQUIRE(listener);

  SUBCASE("answered") {
    Result<UniqueFd> client = ConnectControl(name);
    REQUIRE(client);
    Result<UniqueFd> agent = AcceptControl(listener->get());
    REQUIRE(agent);  // same uid: accepted
    std::thread answer([&] {
      char buffer[16] = {0};
      while (recv(agent->get(), buffer, sizeof buffer, MSG_DONTWAIT) <= 0) usleep(1000);
      CHECK(std::string(buffer).rfind("yield\n", 0) == 0);
      CHECK(send(agent->get(), "ok\n", 3, MSG_NOSIGNAL) == 3);
    });
    Status asked = AskToYield(client->get(), 5000);
    answer.join();
    CHECK(asked.ok());
  }
  SUBCASE("closed") {
    Result<UniqueFd> client = ConnectControl(name);
    REQUIRE(client);
    { Result<UniqueFd> agent = AcceptControl(listener->get()); }  // accepted, then closed
    Status asked = AskToYield(client->get(), 5000);
    CHECK(asked.code() == ErrorCode::kVaultLocked);
    CHECK(asked.message().find("closed the connection") != std::string::npos);
  }
  SUBCASE("silent") {
    Result<UniqueFd> client = ConnectControl(name);
    REQUIRE(client);
    Result<UniqueFd> agent = AcceptControl(listener->get());
    Status asked = AskToYield(client->get(), 200);
    CHECK(asked.code() == ErrorCode::kVaultLocked);
    CHECK(asked.message().find("did not make way") != std::string::npos);
  }
}

}  // namespace
}  // namespace holdfast::platform
