#pragma once
// JSON Lines request channels (DESIGN.md "Requests in"): a listening unix or tcp socket
// whose clients send one request per line and get reply lines back on the same connection.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "sipwake/ev/loop.hpp"
#include "sipwake/net/endpoint.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::net {

/// Where a reply to one request line goes; valid until the client disconnects
/// (writes after that are dropped).
class ReplyChannel {
 public:
  virtual ~ReplyChannel() = default;
  /// Writes `line` plus a newline to the client that sent the request.
  virtual void send_line(std::string_view line) = 0;
};

/// Listens on unix:PATH or tcp:HOST:PORT; calls back per received line.
class LineServer {
 public:
  using Handler = std::function<void(std::string_view line, std::shared_ptr<ReplyChannel> reply)>;

  /// Binds and listens; a stale unix socket file is replaced, a live one is an error.
  static Result<std::unique_ptr<LineServer>> listen(ev::Loop& loop, const Endpoint& where, Handler handler,
                                                    std::size_t max_line = 65536);
  virtual ~LineServer() = default;
  /// The actual endpoint (tcp port filled in when 0 was asked for).
  virtual Endpoint endpoint() const = 0;
};

}  // namespace sipwake::net
