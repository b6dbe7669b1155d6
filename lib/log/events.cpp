#include "sipwake/log/events.hpp"

#include <chrono>
#include <ctime>

namespace sipwake::log {

std::string utc_timestamp() { return utc_timestamp_after(std::chrono::milliseconds{0}); }

std::string utc_timestamp_after(std::chrono::milliseconds delay) {
  using namespace std::chrono;
  auto now = system_clock::now() + delay;
  auto secs = time_point_cast<seconds>(now);
  auto ms = duration_cast<milliseconds>(now - secs).count();
  std::time_t t = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

EventSink::EventSink(std::string tool, bool json, std::FILE* out)
    : m_tool(std::move(tool)), m_json(json), m_out(out) {}

void EventSink::emit(std::string_view event, nlohmann::json fields, std::string_view human) {
  if (!m_json) {
    if (!human.empty()) {
      std::fwrite(human.data(), 1, human.size(), m_out);
      std::fputc('\n', m_out);
      std::fflush(m_out);
    }
    return;
  }
  nlohmann::json line = {{"v", k_event_version},
                         {"ts", utc_timestamp()},
                         {"tool", m_tool},
                         {"event", std::string(event)}};
  if (fields.is_object()) {
    for (auto& [k, v] : fields.items()) line[k] = std::move(v);
  }
  // Replace invalid UTF-8 rather than throw: fields may echo network input.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), m_out);
  std::fflush(m_out);
}

void EventSink::reply(const nlohmann::json& reply) {
  std::string text = reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), m_out);
  std::fflush(m_out);
}

}  // namespace sipwake::log
