#pragma once
// The JSON Lines event stream (DESIGN.md "Events out") and its human-readable twin.

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sipwake::log {

/// Current version of the event format; bump when a field is renamed or removed.
inline constexpr int k_event_version = 1;

/// ISO 8601 UTC timestamp with milliseconds, e.g. 2026-11-22T12:00:00.123Z.
std::string utc_timestamp();
/// The same for a moment `delay` from now (e.g. when a retry will happen).
std::string utc_timestamp_after(std::chrono::milliseconds delay);

/// Writes events to a stream (stdout by default): one JSON object per line with --json,
/// otherwise the short human line given by the caller.
class EventSink {
 public:
  EventSink(std::string tool, bool json, std::FILE* out = stdout);

  /// Emits `event` with extra fields; `human` is printed instead when not in JSON mode
  /// (nothing is printed in human mode when `human` is empty).
  void emit(std::string_view event, nlohmann::json fields, std::string_view human);
  /// Writes a request reply line (DESIGN.md "Requests in"); JSON in both modes.
  void reply(const nlohmann::json& reply);
  bool json() const { return m_json; }
  const std::string& tool() const { return m_tool; }

 private:
  std::string m_tool;
  bool m_json;
  std::FILE* m_out;
};

}  // namespace sipwake::log
