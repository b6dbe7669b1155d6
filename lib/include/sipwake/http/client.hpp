#pragma once
// An HTTP/1.1 client on the event loop (libevent evhttp), HTTPS through OpenSSL with
// certificate and host name verification on by default, bounded in time and size.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sipwake/ev/loop.hpp"
#include "sipwake/util/clock.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

/// One request; the URL is absolute (http:// or https://).
struct Request {
  std::string method = "POST";
  std::string url;
  Headers headers;
  std::string body;
  Duration timeout{10'000};          ///< whole exchange, connect to last byte
  std::size_t max_response = 65536;  ///< body bytes accepted; more fails the request
};

/// A complete response (any status code; the caller decides what counts as success).
struct Response {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;
  Duration elapsed{0};
  /// The first header named `name` (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
};

/// Client-wide settings.
struct ClientOptions {
  std::optional<std::string> ca_file;  ///< PEM bundle to trust instead of the system store
  bool verify = true;                  ///< verify the server certificate and host name
  std::string user_agent = "sipwake/0.1";
};

/// Sends requests concurrently, one connection each (Connection: close).
class Client {
 public:
  using Callback = std::function<void(Result<Response>)>;

  /// Builds the TLS context (loads the CA file); fails on an unreadable CA file.
  static Result<std::unique_ptr<Client>> create(ev::Loop& loop, ClientOptions options = {});
  virtual ~Client() = default;

  /// Starts a request; `done` is called exactly once, later, from the loop (never from
  /// inside send), unless the request is cancelled or the client destroyed first.
  /// Returns a handle for cancel().
  virtual std::uint64_t send(Request request, Callback done) = 0;
  /// Abandons a request: its callback is never called.
  virtual void cancel(std::uint64_t handle) = 0;
  /// Requests started and not yet finished.
  virtual std::size_t in_flight() const = 0;
};

/// Parses a Retry-After value (RFC 9110 10.2.3): delay-seconds only; HTTP dates are ignored.
std::optional<Duration> parse_retry_after(std::string_view value);

}  // namespace sipwake::http
