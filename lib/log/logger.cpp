#include "sipwake/log/logger.hpp"

#include <syslog.h>

#include <cstdio>

namespace sipwake::log {

bool parse_level(std::string_view text, Level& out) {
  if (text == "error") out = Level::error;
  else if (text == "warning") out = Level::warning;
  else if (text == "info") out = Level::info;
  else if (text == "debug") out = Level::debug;
  else return false;
  return true;
}

Logger::Logger(std::string tool, Level level) : m_tool(std::move(tool)), m_level(level) {}

void Logger::enable_syslog() {
  if (!m_syslog) {
    openlog(m_tool.c_str(), LOG_PID, LOG_DAEMON);
    m_syslog = true;
  }
}

void Logger::write(Level level, std::string_view msg) const {
  if (!enabled(level)) return;
  std::fprintf(stderr, "%s: %.*s\n", m_tool.c_str(), static_cast<int>(msg.size()), msg.data());
  if (m_syslog) {
    static constexpr int k_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    syslog(k_prio[static_cast<int>(level)], "%.*s", static_cast<int>(msg.size()), msg.data());
  }
}

}  // namespace sipwake::log
