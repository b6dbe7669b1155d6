#pragma once
// Asks worsend to wake devices over its JSON Lines socket (DESIGN.md "Requests in").

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "sipwake/ev/loop.hpp"
#include "sipwake/net/line_client.hpp"

namespace sipwake::worgw {

/// The outcome of one wake request.
struct WakeResult {
  bool ok = false;
  std::string via;    ///< transport that confirmed ("udp", "http", ...)
  std::string error;  ///< why not, e.g. "denied: rate limit"
};

/// One connection to worsend; every request gets exactly one callback.
class WakeClient {
 public:
  using Callback = std::function<void(const WakeResult&)>;

  /// `endpoint` empty: waking is disabled and every request fails at once.
  WakeClient(ev::Loop& loop, const std::string& endpoint);
  ~WakeClient();

  /// Asks for a wake; the callback runs on the loop (never inside this call).
  void wake(const std::string& device, const std::string& caller, const std::string& call_id, Duration deadline,
            Callback done);
  /// Tells worsend the call was abandoned (best effort, no reply awaited).
  void cancel(const std::string& device, const std::string& call_id);

 private:
  struct Pending {
    Callback done;
    std::unique_ptr<ev::Timer> timer;
  };
  void on_line(std::string_view line);
  void finish(const std::string& id, const WakeResult& r);
  void fail_all(const std::string& why);

  ev::Loop& m_loop;
  std::unique_ptr<net::LineClient> m_client;
  std::string m_disabled_reason;
  std::uint64_t m_next = 1;
  std::map<std::string, Pending> m_pending;
};

}  // namespace sipwake::worgw
