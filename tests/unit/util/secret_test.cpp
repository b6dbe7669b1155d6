#include "sipwake/util/secret.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace sipwake {
namespace {

std::string temp_file(const std::string& content, mode_t mode) {
  char path[] = "/tmp/sipwake-secret-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << content;
  chmod(path, mode);
  return path;
}

TEST(Secret, FirstLineWithoutNewlineIsTheSecret) {
  std::string p = temp_file("s3cret\r\nsecond line\n", 0600);
  std::string warning;
  auto s = read_secret_file(p, &warning);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(*s, "s3cret");
  EXPECT_TRUE(warning.empty());
  unlink(p.c_str());
}

TEST(Secret, WorldReadableFileWarns) {
  std::string p = temp_file("x\n", 0644);
  std::string warning;
  ASSERT_TRUE(read_secret_file(p, &warning));
  EXPECT_NE(warning.find("chmod 600"), std::string::npos);
  unlink(p.c_str());
}

TEST(Secret, MissingFileIsAOneLineError) {
  auto s = read_secret_file("/nonexistent/pw");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
  EXPECT_NE(s.message().find("/nonexistent/pw"), std::string::npos);
}

TEST(Secret, EnvironmentIsUsedWhenNoFileIsGiven) {
  setenv("SIPWAKE_TEST_SECRET", "from-env", 1);
  auto s = secret_from(std::nullopt, "SIPWAKE_TEST_SECRET");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->value_or(""), "from-env");
  unsetenv("SIPWAKE_TEST_SECRET");
  auto none = secret_from(std::nullopt, "SIPWAKE_TEST_SECRET");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace sipwake
