#include "keys.hpp"
#include "keys_db.hpp"
#include "sipwake/db/database.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

namespace sipwake::natkeep {
namespace {

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/natkeep-keys-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(NatkeepKeys, HexKeysOf16To32BytesAreAcceptedOthersRejected) {
  EXPECT_TRUE(parse_key_hex(std::string(32, 'a')).ok());
  EXPECT_TRUE(parse_key_hex(std::string(64, 'F')).ok());
  EXPECT_FALSE(parse_key_hex(std::string(30, 'a')).ok());
  EXPECT_FALSE(parse_key_hex(std::string(66, 'a')).ok());
  EXPECT_FALSE(parse_key_hex(std::string(31, 'a') + "g").ok());
}

TEST(NatkeepKeys, DeviceIdsAreLimitedToSafeCharacters) {
  EXPECT_TRUE(valid_device_id("phone-42@example.org"));
  EXPECT_FALSE(valid_device_id(""));
  EXPECT_FALSE(valid_device_id("a b"));
  EXPECT_FALSE(valid_device_id("x\"y"));
  EXPECT_FALSE(valid_device_id(std::string(65, 'a')));
}

TEST(NatkeepKeys, KeysFileSkipsCommentsAndNamesTheBadLineWithoutTheKey) {
  std::string secret(64, 'b');
  auto path = write_temp("# devices\n\ndev1 " + std::string(64, 'a') + "\ndev2\t" + secret + "\n");
  std::map<std::string, DeviceKey> got;
  auto n = load_keys_file(path, [&](std::string_view id, const DeviceKey& k) { got[std::string(id)] = k; });
  ASSERT_TRUE(n.ok()) << n.message();
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(got["dev2"].len, 32);
  auto bad = write_temp("dev1 " + secret.substr(0, 63) + "z\n");
  auto r = load_keys_file(bad, [](std::string_view, const DeviceKey&) {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find(":1:"), std::string::npos);
  EXPECT_EQ(r.message().find(secret.substr(0, 16)), std::string::npos);
  std::remove(path.c_str());
  std::remove(bad.c_str());
}

TEST(NatkeepKeys, MissingKeyFileIsAOneLineError) {
  auto r = load_key_file("/nonexistent/key");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message().find('\n'), std::string::npos);
}

TEST(NatkeepKeysDb, CreatesTheSchemaAndReadsDevicesAddedLater) {
  char path[] = "/tmp/natkeep-keysdb-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::remove(path);
  std::size_t n = 99;
  auto r = load_keys_db(path, [&](std::string_view, const DeviceKey&) {});
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(*r, 0u);
  {
    auto d = db::Database::open(path);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ((*d)->user_version(), k_keys_db_version);
    ASSERT_TRUE((*d)->exec("INSERT INTO devices (id, key) VALUES ('dev1', '" + std::string(64, 'c') + "')").ok());
  }
  std::map<std::string, DeviceKey> got;
  r = load_keys_db(path, [&](std::string_view id, const DeviceKey& k) { got[std::string(id)] = k; });
  ASSERT_TRUE(r.ok()) << r.message();
  n = *r;
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(got["dev1"].bytes[0], 0xcc);
  std::remove(path);
  std::remove((std::string(path) + "-wal").c_str());
  std::remove((std::string(path) + "-shm").c_str());
}

}  // namespace
}  // namespace sipwake::natkeep
