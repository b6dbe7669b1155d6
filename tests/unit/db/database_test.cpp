#include "sipwake/db/database.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace sipwake::db {
namespace {

const std::vector<Migration> k_schema = {
    {1, "CREATE TABLE device (id TEXT PRIMARY KEY, note TEXT);"},
    {2, "CREATE TABLE attempt (device TEXT NOT NULL REFERENCES device(id) ON DELETE CASCADE, n INTEGER);"},
};

std::string temp_path() {
  char p[] = "/tmp/sipwake-db-XXXXXX";
  int fd = mkstemp(p);
  close(fd);
  unlink(p);
  return p;
}

TEST(Database, MigratesForwardOnceAndRecordsTheVersion) {
  std::string path = temp_path();
  {
    auto db = Database::open(path);
    ASSERT_TRUE(db) << db.message();
    ASSERT_TRUE((*db)->migrate({k_schema[0]}));
    EXPECT_EQ((*db)->user_version(), 1);
    ASSERT_TRUE((*db)->exec("INSERT INTO device VALUES ('rabbit', 'kept')"));
  }
  auto db = Database::open(path);
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->migrate(k_schema));
  EXPECT_EQ((*db)->user_version(), 2);
  auto st = (*db)->prepare("SELECT note FROM device WHERE id = ?");
  ASSERT_TRUE(st);
  st->bind(1, "rabbit");
  ASSERT_TRUE(st->step());
  EXPECT_EQ(st->column_text(0), "kept");  // migration kept earlier data
  unlink(path.c_str());
}

TEST(Database, NewerSchemaThanKnownIsRefused) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->exec("PRAGMA user_version = 9"));
  auto r = (*db)->migrate(k_schema);
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("newer"), std::string::npos);
}

TEST(Database, ForeignKeysAreEnforced) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db && (*db)->migrate(k_schema));
  EXPECT_FALSE((*db)->exec("INSERT INTO attempt VALUES ('nobody', 1)"));
}

TEST(Database, TransactionRollsBackUnlessCommitted) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db && (*db)->migrate(k_schema));
  {
    Transaction tx(**db);
    ASSERT_TRUE(tx.begun());
    ASSERT_TRUE((*db)->exec("INSERT INTO device VALUES ('a', NULL)"));
  }
  {
    Transaction tx(**db);
    ASSERT_TRUE((*db)->exec("INSERT INTO device VALUES ('b', NULL)"));
    ASSERT_TRUE(tx.commit());
  }
  auto st = (*db)->prepare("SELECT group_concat(id) FROM device");
  ASSERT_TRUE(st && st->step());
  EXPECT_EQ(st->column_text(0), "b");
}

TEST(Database, NestedTransactionJoinsTheOuterOne) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db && (*db)->migrate(k_schema));
  {
    Transaction outer(**db);
    {
      Transaction inner(**db);
      ASSERT_TRUE(inner.begun());
      ASSERT_TRUE((*db)->exec("INSERT INTO device VALUES ('n', NULL)"));
      ASSERT_TRUE(inner.commit());  // commits nothing yet
    }
    EXPECT_TRUE((*db)->in_transaction());
  }  // the outer one rolls back
  auto st = (*db)->prepare("SELECT count(*) FROM device");
  ASSERT_TRUE(st && st->step());
  EXPECT_EQ(st->column_int(0), 0);
}

TEST(Database, CorruptFileIsAClearErrorAndIsNotOverwritten) {
  std::string path = temp_path();
  std::ofstream(path) << std::string(8192, 'Z');
  auto db = Database::open(path);
  EXPECT_FALSE(db);
  if (!db) {
    EXPECT_NE(db.message().find(path), std::string::npos);
  }
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, std::string(8192, 'Z'));
  unlink(path.c_str());
}

TEST(Database, BoundValuesRoundTripIncludingNull) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db && (*db)->migrate(k_schema));
  auto ins = (*db)->prepare("INSERT INTO device VALUES (?, ?)");
  ASSERT_TRUE(ins);
  ASSERT_TRUE(ins->bind(1, "x").bind(2, std::optional<std::string>{}).run());
  EXPECT_EQ((*db)->changes(), 1);
  auto sel = (*db)->prepare("SELECT note FROM device");
  ASSERT_TRUE(sel && sel->step());
  EXPECT_TRUE(sel->column_null(0));
}

}  // namespace
}  // namespace sipwake::db
