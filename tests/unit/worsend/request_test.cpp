#include "request.hpp"

#include <gtest/gtest.h>

using namespace sipwake;
using namespace sipwake::worsend;

TEST(Request, ParsesAWakeWithEveryField) {
  auto r = parse_request(
      R"({"id":"w1","op":"wake","device":"rabbit","caller":"sip:shark@example.net","call_id":"abc@h","deadline_ms":20000})");
  ASSERT_EQ(r.op, Request::Op::wake) << r.error;
  EXPECT_EQ(r.id, "w1");
  EXPECT_EQ(r.device, "rabbit");
  EXPECT_EQ(r.caller, "sip:shark@example.net");
  EXPECT_EQ(r.call_id, "abc@h");
  EXPECT_EQ(r.deadline, Duration{20000});
}

TEST(Request, IntegerIdsAreEchoed) {
  auto r = parse_request(R"({"id":7,"op":"status"})");
  EXPECT_EQ(r.op, Request::Op::status);
  EXPECT_EQ(r.id, 7);
}

TEST(Request, MalformedLinesSayWhy) {
  EXPECT_EQ(parse_request("not json").error, "malformed request: not a JSON object");
  EXPECT_EQ(parse_request("[1,2]").op, Request::Op::invalid);
  EXPECT_EQ(parse_request(R"({"op":"wake","device":"x"})").error, "malformed request: no \"id\"");
  auto no_op = parse_request(R"({"id":"a"})");
  EXPECT_EQ(no_op.error, "malformed request: no \"op\"");
  EXPECT_EQ(no_op.id, "a");  // the id is still echoed
  EXPECT_NE(parse_request(R"({"id":"a","op":"fly"})").error.find("unknown op"), std::string::npos);
  EXPECT_NE(parse_request(R"({"id":"a","op":"wake"})").error.find("device"), std::string::npos);
  EXPECT_NE(parse_request(R"({"id":"a","op":"wake","device":"a b"})").error.find("invalid device"), std::string::npos);
  EXPECT_NE(parse_request(R"({"id":"a","op":"wake","device":"x","deadline_ms":5})").error.find("100.."), std::string::npos);
  EXPECT_NE(parse_request(R"({"id":"a","op":"wake","device":"x","deadline_ms":"9"})").error.find("integer"), std::string::npos);
  EXPECT_NE(parse_request(R"({"id":"a","op":"wake","device":"x","caller":7})").error.find("string"), std::string::npos);
  EXPECT_NE(parse_request(R"({"id":{"x":1},"op":"status"})").error.find("id"), std::string::npos);
  EXPECT_NE(parse_request(R"({"id":"a","op":"cancel"})").error.find("call_id"), std::string::npos);
}

TEST(Request, DeadlineIsBoundedByTheServersMaximum) {
  RequestLimits l;
  l.max_deadline = Duration{30000};
  EXPECT_EQ(parse_request(R"({"id":1,"op":"wake","device":"x","deadline_ms":30000})", l).op, Request::Op::wake);
  EXPECT_EQ(parse_request(R"({"id":1,"op":"wake","device":"x","deadline_ms":30001})", l).op, Request::Op::invalid);
}

TEST(Request, BlankLinesAreIgnoredSilently) {
  auto r = parse_request("   ");
  EXPECT_EQ(r.op, Request::Op::invalid);
  EXPECT_TRUE(r.error.empty());
}

TEST(Request, CancelByCallIdOrTarget) {
  auto a = parse_request(R"({"id":"c","op":"cancel","call_id":"abc"})");
  EXPECT_EQ(a.op, Request::Op::cancel);
  EXPECT_EQ(a.call_id, "abc");
  auto b = parse_request(R"({"id":"c","op":"cancel","target":"w1"})");
  EXPECT_EQ(b.op, Request::Op::cancel);
  EXPECT_EQ(b.target, "w1");
}
