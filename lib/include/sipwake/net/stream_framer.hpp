#pragma once
// Splits a SIP byte stream (TCP/TLS) into messages by Content-Length (RFC 3261 18.3).

#include <string>
#include <string_view>
#include <vector>

#include "sipwake/util/result.hpp"

namespace sipwake::net {

/// Accumulates stream bytes and yields whole SIP messages; RFC 5626 CRLF keepalives
/// between messages are skipped. A message over `max_message` bytes or without a
/// usable Content-Length is a framing error (the connection must be closed).
class StreamFramer {
 public:
  explicit StreamFramer(std::size_t max_message = 65536) : m_max(max_message) {}

  /// Appends bytes; complete messages are appended to `out`. An error is final.
  Result<void> feed(std::string_view bytes, std::vector<std::string>& out);
  /// How many CRLF keepalive pings ("\r\n\r\n") were seen; a pong is owed for each.
  std::size_t take_pings();

 private:
  std::size_t m_max;
  std::string m_buf;
  std::size_t m_pings = 0;
};

}  // namespace sipwake::net
