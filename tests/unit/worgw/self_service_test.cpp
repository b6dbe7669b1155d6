#include "self_service.hpp"

#include <gtest/gtest.h>

namespace sipwake::worgw {
namespace {

TEST(SelfService, ParsesEveryCommandOneALine) {
  auto cmds = parse_self_commands("proxy-login off\r\nallow shark\ndeny @example.org\nunrule dog\n# note\n\nrules\n");
  ASSERT_TRUE(cmds) << cmds.message();
  ASSERT_EQ(cmds->size(), 5u);
  EXPECT_EQ((*cmds)[0].kind, SelfCommand::Kind::proxy_login);
  EXPECT_EQ((*cmds)[0].argument, "off");
  EXPECT_EQ((*cmds)[1].kind, SelfCommand::Kind::allow);
  EXPECT_EQ((*cmds)[2].kind, SelfCommand::Kind::deny);
  EXPECT_EQ((*cmds)[2].argument, "@example.org");
  EXPECT_EQ((*cmds)[3].kind, SelfCommand::Kind::unrule);
  EXPECT_EQ((*cmds)[4].kind, SelfCommand::Kind::rules);
}

TEST(SelfService, BadLinesAreRejectedWithTheirNumber) {
  auto unknown = parse_self_commands("allow shark\nexplode now\n");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.message().find("line 2"), std::string::npos);
  EXPECT_FALSE(parse_self_commands("proxy-login maybe"));
  EXPECT_FALSE(parse_self_commands("allow a b"));
  EXPECT_FALSE(parse_self_commands("allow <sip:a@b>"));
  EXPECT_FALSE(parse_self_commands("rules all"));
}

}  // namespace
}  // namespace sipwake::worgw
