#include "control.hpp"

#include <gtest/gtest.h>

namespace sipwake::sipreg {
namespace {

using Kind = ControlCommand::Kind;

TEST(Control, BareReregisterWordNeedsNoReply) {
  auto c = parse_control_line("  reregister ");
  EXPECT_EQ(c.kind, Kind::reregister);
  EXPECT_FALSE(c.wants_reply);
}

TEST(Control, NatkeepMappingChangedEventTriggersReregister) {
  auto c = parse_control_line(
      R"({"v":1,"ts":"2026-11-22T12:00:00.000Z","tool":"natkeep","event":"mapping.changed","old":"a","new":"b"})");
  EXPECT_EQ(c.kind, Kind::reregister);
  EXPECT_FALSE(c.wants_reply);
  EXPECT_EQ(parse_control_line(R"({"v":1,"event":"mapping.ok"})").kind, Kind::ignore);
}

TEST(Control, JsonRequestsEchoTheirId) {
  auto c = parse_control_line(R"({"id":"r1","op":"status"})");
  EXPECT_EQ(c.kind, Kind::status);
  EXPECT_TRUE(c.wants_reply);
  EXPECT_EQ(c.id, "r1");
  EXPECT_EQ(parse_control_line(R"({"id":7,"op":"reregister"})").kind, Kind::reregister);
}

TEST(Control, MalformedAndUnknownLinesGetAnErrorReply) {
  auto bad = parse_control_line("{not json");
  EXPECT_EQ(bad.kind, Kind::error);
  EXPECT_TRUE(bad.wants_reply);
  auto unknown = parse_control_line(R"({"id":"x","op":"explode"})");
  EXPECT_EQ(unknown.kind, Kind::error);
  EXPECT_NE(unknown.error.find("explode"), std::string::npos);
  EXPECT_EQ(parse_control_line(R"({"id":"y"})").kind, Kind::error);
  EXPECT_EQ(parse_control_line("").kind, Kind::ignore);
}

}  // namespace
}  // namespace sipwake::sipreg
