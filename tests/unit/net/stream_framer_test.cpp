#include "sipwake/net/stream_framer.hpp"

#include <gtest/gtest.h>

namespace sipwake::net {
namespace {

const std::string k_msg =
    "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello";

TEST(StreamFramer, SplitsBackToBackMessagesByContentLength) {
  StreamFramer f;
  std::vector<std::string> out;
  ASSERT_TRUE(f.feed(k_msg + k_msg, out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], k_msg);
}

TEST(StreamFramer, WaitsForTheRestOfAMessageFedByteByByte) {
  StreamFramer f;
  std::vector<std::string> out;
  for (char c : k_msg) ASSERT_TRUE(f.feed(std::string_view(&c, 1), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], k_msg);
}

TEST(StreamFramer, CompactContentLengthCounts) {
  StreamFramer f;
  std::vector<std::string> out;
  ASSERT_TRUE(f.feed("SIP/2.0 200 OK\r\nl: 2\r\n\r\nok", out));
  ASSERT_EQ(out.size(), 1u);
}

TEST(StreamFramer, KeepalivePingsAreCountedAndSkipped) {
  StreamFramer f;
  std::vector<std::string> out;
  ASSERT_TRUE(f.feed("\r\n\r\n" + k_msg, out));
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(f.take_pings(), 1u);
  EXPECT_EQ(f.take_pings(), 0u);
}

TEST(StreamFramer, MissingOrHugeContentLengthIsAFramingError) {
  StreamFramer f;
  std::vector<std::string> out;
  EXPECT_FALSE(f.feed("SIP/2.0 200 OK\r\nVia: x\r\n\r\n", out));
  StreamFramer g(1024);
  EXPECT_FALSE(g.feed("SIP/2.0 200 OK\r\nContent-Length: 99999\r\n\r\n", out));
  StreamFramer h(1024);
  EXPECT_FALSE(h.feed(std::string(2000, 'a'), out));
  StreamFramer k;
  EXPECT_FALSE(k.feed("SIP/2.0 200 OK\r\nContent-Length: -3\r\n\r\n", out));
}

}  // namespace
}  // namespace sipwake::net
