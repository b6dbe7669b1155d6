#pragma once
// Shared by the sip unit tests: write messages with LF, parse them with CRLF.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sipwake/sip/message.hpp"

namespace sipwake::sip::test {

/// Converts LF line ends to CRLF.
inline std::string crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

/// Parses an LF-written message, failing the test when it does not parse.
inline Message parse_lf(std::string_view lf) {
  auto m = Message::parse(crlf(lf));
  EXPECT_TRUE(m) << m.message();
  return std::move(m).value();
}

}  // namespace sipwake::sip::test
