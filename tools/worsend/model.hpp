#pragma once
// worsend's nouns: devices, the transports that reach them, wake requests, rate limits.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipwake/util/clock.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::worsend {

/// How a wake reaches a device.
enum class TransportKind { udp, http, exec };

/// "udp", "http", "exec".
const char* kind_name(TransportKind k);
/// Parses a kind name.
Result<TransportKind> parse_kind(std::string_view text);

/// One way to reach one device.
struct Transport {
  TransportKind kind = TransportKind::udp;
  std::string target;          ///< udp: natkeep control endpoint; http: URL; exec: shell command
  std::string natkeep_device;  ///< udp: the device id natkeep knows (default: worsend's id)
  std::string token_file;      ///< http: file holding a bearer token (read at each attempt)
  Duration timeout{3000};      ///< one attempt's bound

  /// The target as it may be logged: a URL is cut to its origin (push URLs carry capabilities).
  std::string loggable_target() const;
};

/// A rate: at most `count` in `window`; count 0 means unlimited.
struct RateLimit {
  unsigned count = 0;
  Duration window{60'000};
  /// Parses "N/SECONDS" (e.g. "5/60") or "0" for unlimited.
  static Result<RateLimit> parse(std::string_view text);
  /// "5/60" form.
  std::string to_string() const;
};

/// A device worsend can wake.
struct Device {
  std::string id;
  std::vector<Transport> transports;  ///< tried in this order
  std::optional<RateLimit> rate;      ///< overrides the server-wide device rate
};

/// Device ids: 1..128 of [A-Za-z0-9._@:+-].
bool valid_device_id(std::string_view id);

/// Default per-attempt timeout of each transport kind.
Duration default_timeout(TransportKind k);

/// Device as JSON (no secrets: token files are named, never read).
nlohmann::json to_json(const Device& d);

}  // namespace sipwake::worsend
