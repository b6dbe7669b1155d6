#include "accounts.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace sipwake::sipreg {
namespace {

std::string write_file(const std::string& text) {
  char path[] = "/tmp/sipwake-accounts-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << text;
  chmod(path, 0600);
  return path;
}

Options base() {
  Options o;
  o.registrar = "sip:127.0.0.1:5060";
  o.expires = 120;
  return o;
}

TEST(Accounts, LinesInheritCommandLineValuesAndSpreadTheirFirstRefresh) {
  Options o = base();
  o.accounts = write_file(
      "# comment\n"
      "{\"aor\":\"sip:u1@example.com\",\"password\":\"p1\"}\n"
      "\n"
      "{\"aor\":\"sip:u2@example.com\",\"user\":\"auth2\",\"password\":\"p2\",\"expires\":60}\n");
  std::vector<std::string> warnings;
  auto list = load_accounts(o, warnings);
  ASSERT_TRUE(list) << list.message();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].config.registrar.host, "127.0.0.1");
  EXPECT_EQ((*list)[0].config.expires, 120u);
  EXPECT_EQ((*list)[1].config.auth_user, "auth2");
  EXPECT_EQ((*list)[1].config.expires, 60u);
  EXPECT_DOUBLE_EQ((*list)[0].config.first_refresh_slot, 0.0);
  EXPECT_DOUBLE_EQ((*list)[1].config.first_refresh_slot, 0.5);
  EXPECT_DOUBLE_EQ((*list)[0].config.refresh_jitter, 0.0);
  EXPECT_TRUE(warnings.empty());
  unlink(o.accounts->c_str());
}

TEST(Accounts, BadLineIsReportedWithFileAndLineNumber) {
  Options o = base();
  o.accounts = write_file("{\"aor\":\"sip:u1@example.com\"}\n{\"user\":\"x\"}\n");
  std::vector<std::string> warnings;
  auto list = load_accounts(o, warnings);
  ASSERT_FALSE(list);
  EXPECT_NE(list.message().find(*o.accounts + ":2:"), std::string::npos);
  EXPECT_NE(list.message().find("aor"), std::string::npos);
  unlink(o.accounts->c_str());
}

TEST(Accounts, NotJsonIsRejected) {
  Options o = base();
  o.accounts = write_file("sip:u1@example.com secret\n");
  std::vector<std::string> warnings;
  auto list = load_accounts(o, warnings);
  ASSERT_FALSE(list);
  EXPECT_NE(list.message().find(":1: not valid JSON"), std::string::npos);
  unlink(o.accounts->c_str());
}

TEST(Accounts, ReadableByOthersWarnsButLoads) {
  Options o = base();
  o.accounts = write_file("{\"aor\":\"sip:u1@example.com\",\"password\":\"p\"}\n");
  chmod(o.accounts->c_str(), 0644);
  std::vector<std::string> warnings;
  ASSERT_TRUE(load_accounts(o, warnings));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("chmod 600"), std::string::npos);
  unlink(o.accounts->c_str());
}

TEST(Accounts, SingleAccountFromTheCommandLineUsesEnvironmentPassword) {
  Options o = base();
  o.aor = "sip:alice@example.com";
  setenv("SIPREG_PASSWORD", "envpw", 1);
  std::vector<std::string> warnings;
  auto list = load_accounts(o, warnings);
  unsetenv("SIPREG_PASSWORD");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].config.password, "envpw");
  EXPECT_EQ((*list)[0].config.aor.user, "alice");
  EXPECT_DOUBLE_EQ((*list)[0].config.first_refresh_slot, 1.0);
}

}  // namespace
}  // namespace sipwake::sipreg
