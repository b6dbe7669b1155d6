#include "sipwake/ev/line_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace sipwake::ev {

LineReader::LineReader(Loop& loop, int fd, Handlers handlers, std::size_t max_line)
    : m_fd(fd), m_h(std::move(handlers)), m_max(max_line) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    // A closed descriptor (e.g. no stdin at all): end of input, reported from the
    // loop. Never read it later: a socket opened meanwhile could take its number.
    m_eof = true;
    m_file_timer = std::make_unique<Timer>(loop, [this] {
      if (m_h.on_eof) m_h.on_eof();
    });
    m_file_timer->arm(Duration{0});
    return;
  }
  bool pollable = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || (S_ISCHR(st.st_mode) && ::isatty(fd));
  if (!pollable) {
    // epoll refuses regular files and /dev/null: they are always readable, so read
    // them to the end from the loop, as soon as it runs.
    m_file_timer = std::make_unique<Timer>(loop, [this] { on_readable(); });
    m_file_timer->arm(Duration{0});
    return;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  m_watch = std::make_unique<FdWatch>(loop, fd, [this] { on_readable(); });
}

LineReader::~LineReader() = default;

void LineReader::on_readable() {
  if (m_eof) return;
  char chunk[16384];
  for (;;) {
    ssize_t n = ::read(m_fd, chunk, sizeof chunk);
    if (n > 0) {
      m_buf.append(chunk, static_cast<std::size_t>(n));
      deliver();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    // EOF or a hard error: a final unterminated line still counts.
    m_eof = true;
    if (!m_buf.empty() && !m_discarding && m_h.on_line) m_h.on_line(m_buf);
    m_buf.clear();
    m_watch.reset();
    if (m_h.on_eof) m_h.on_eof();
    return;
  }
}

void LineReader::deliver() {
  std::size_t start = 0;
  for (;;) {
    std::size_t nl = m_buf.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(m_buf.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (m_discarding) {
      m_discarding = false;  // the tail of an oversized line ends here
    } else if (line.size() > m_max) {
      if (m_h.on_overflow) m_h.on_overflow();
    } else if (m_h.on_line) {
      m_h.on_line(line);
    }
    start = nl + 1;
  }
  m_buf.erase(0, start);
  if (m_buf.size() > m_max) {
    if (!m_discarding && m_h.on_overflow) m_h.on_overflow();
    m_discarding = true;
    m_buf.clear();
  }
}

}  // namespace sipwake::ev
