#pragma once
// Diagnostics on stderr (and optionally syslog): "tool: message", one line each.

#include <string>
#include <string_view>

namespace sipwake::log {

enum class Level { error = 0, warning = 1, info = 2, debug = 3 };

/// Parses "error|warning|info|debug"; returns false on anything else.
bool parse_level(std::string_view text, Level& out);

/// A stderr logger with a level threshold; never throws.
class Logger {
 public:
  explicit Logger(std::string tool, Level level = Level::warning);

  void set_level(Level level) { m_level = level; }
  Level level() const { return m_level; }
  bool enabled(Level level) const { return level <= m_level; }
  /// Also send every line to syslog (LOG_DAEMON) under the tool's name.
  void enable_syslog();

  void error(std::string_view msg) const { write(Level::error, msg); }
  void warning(std::string_view msg) const { write(Level::warning, msg); }
  void info(std::string_view msg) const { write(Level::info, msg); }
  void debug(std::string_view msg) const { write(Level::debug, msg); }
  void write(Level level, std::string_view msg) const;

 private:
  std::string m_tool;
  Level m_level;
  bool m_syslog = false;
};

}  // namespace sipwake::log
