#pragma once
// Line-oriented input on a file descriptor (stdin, a pipe, a socket): one callback per line.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "sipwake/ev/loop.hpp"

namespace sipwake::ev {

/// Reads newline-terminated lines without blocking the loop (pipes, sockets, terminals;
/// a regular file or /dev/null is read to its end at once); lines longer than
/// `max_line` are reported as an overflow (the caller replies with an error) and skipped.
class LineReader {
 public:
  struct Handlers {
    std::function<void(std::string_view line)> on_line;
    std::function<void()> on_overflow;  ///< a line exceeded max_line and was dropped
    std::function<void()> on_eof;       ///< end of input or read error
  };
  LineReader(Loop& loop, int fd, Handlers handlers, std::size_t max_line = 65536);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

 private:
  void on_readable();
  void deliver();

  int m_fd;
  Handlers m_h;
  std::size_t m_max;
  std::string m_buf;
  bool m_discarding = false;
  bool m_eof = false;
  std::unique_ptr<FdWatch> m_watch;
  std::unique_ptr<Timer> m_file_timer;  // a regular file or /dev/null: read from a timer
};

}  // namespace sipwake::ev
