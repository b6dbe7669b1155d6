#pragma once
// The client side of a JSON Lines channel (DESIGN.md "Requests in"): connects to
// unix:PATH or tcp:HOST:PORT, sends lines, delivers reply lines.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "sipwake/ev/loop.hpp"
#include "sipwake/net/endpoint.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::net {

/// A connection to a line server; lines sent while connecting are queued.
class LineClient {
 public:
  struct Handlers {
    std::function<void(std::string_view line)> on_line;
    std::function<void(const std::string& why)> on_closed;  ///< lost or refused; reconnect by calling connect()
  };
  LineClient(ev::Loop& loop, Endpoint where, Handlers handlers, std::size_t max_line = 65536);
  ~LineClient();
  LineClient(const LineClient&) = delete;
  LineClient& operator=(const LineClient&) = delete;

  /// Starts connecting (no-op when connected or connecting).
  Result<void> connect();
  /// Queues one line (a newline is added); connects first if needed.
  Result<void> send_line(std::string_view line);
  bool connected() const;
  const Endpoint& endpoint() const { return m_where; }

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  Endpoint m_where;
};

}  // namespace sipwake::net
