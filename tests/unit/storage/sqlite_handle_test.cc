// The SQLite handles: a bind that fails is an error at the next step, never a
// silent run with the values bound before.
#include "storage/sqlite_handle.h"

#include <doctest/doctest.h>

namespace holdfast::storage {
namespace {

TEST_CASE("binding a stepped statement without Reset fails the next step instead of reusing old values") {
  Result<std::unique_ptr<Db>> db = Db::Open("file:handle_test?mode=memory", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  REQUIRE(db);
  REQUIRE((*db)->Exec("CREATE TABLE t(x INTEGER)").ok());
  Result<Stmt> insert = (*db)->Prepare("INSERT INTO t(x) VALUES(?1)");
  REQUIRE(insert);
  REQUIRE(insert->Bind(1, int64_t{1}).Run().ok());
  // Stepped to the end and not reset: the bind is refused by SQLite.
  Status stale = insert->Bind(1, int64_t{2}).Run();
  CHECK(stale.code() == ErrorCode::kInternal);
  CHECK(stale.message().find("binding a parameter") != std::string::npos);
  insert->Reset();
  REQUIRE(insert->Bind(1, int64_t{3}).Run().ok());
  Result<int64_t> count = (*db)->QueryInt("SELECT count(*) FROM t");
  REQUIRE(count);
  CHECK(*count == 2);
  Result<int64_t> sum = (*db)->QueryInt("SELECT sum(x) FROM t");
  CHECK(*sum == 4);  // 1 and 3: no second row with the stale 1
}

}  // namespace
}  // namespace holdfast::storage
