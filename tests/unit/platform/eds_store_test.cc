// The EDS store's two builds: without libebook/libecal every use says what to
// install; with them, a session bus that is not there is a clear error (the
// real EDS is exercised by tests/integration/eds_*_test.cc).
#include "platform/eds/eds_store.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace holdfast::platform::eds {
namespace {

TEST_CASE("connecting to EDS fails clearly: built without it, or with no session bus") {
  testing::TempDir dir;
  const std::string missing_bus = "unix:path=" + (dir / "no-bus-here").string();
  const char* saved = getenv("DBUS_SESSION_BUS_ADDRESS");
  const std::string saved_value = saved ? saved : "";
  setenv("DBUS_SESSION_BUS_ADDRESS", missing_bus.c_str(), 1);
  Result<std::unique_ptr<EdsStore>> store = EdsStore::Connect(dir.path().string());
  if (saved) setenv("DBUS_SESSION_BUS_ADDRESS", saved_value.c_str(), 1); else unsetenv("DBUS_SESSION_BUS_ADDRESS");
  REQUIRE(!store);
  if (EdsSupportBuiltIn()) {
    CHECK(store.error().code() == ErrorCode::kNotFound);
    CHECK(store.error().message().find("session bus") != std::string::npos);
  } else {
    CHECK(store.error().code() == ErrorCode::kInvalidArgument);
    CHECK(store.error().message().find("install libebook1.2-dev and libecal2.0-dev") != std::string::npos);
  }
}

TEST_CASE("the EDS kinds have the names docs/eds.md uses") {
  CHECK(std::string(EdsKindName(EdsKind::kAddressBook)) == "address-book");
  CHECK(std::string(EdsKindName(EdsKind::kCalendar)) == "calendar");
  CHECK(std::string(EdsKindName(EdsKind::kTaskList)) == "task-list");
  CHECK(std::string(EdsKindName(EdsKind::kMemoList)) == "memo-list");
}

}  // namespace
}  // namespace holdfast::platform::eds
