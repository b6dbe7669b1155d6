#include "sipwake/net/stream_framer.hpp"

#include <cctype>
#include <charconv>

namespace sipwake::net {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Content-Length from a header block (start line excluded); -1 when absent, -2 when bad.
long content_length(std::string_view headers) {
  long found = -1;
  std::size_t pos = 0;
  while (pos < headers.size()) {
    std::size_t eol = headers.find("\r\n", pos);
    std::string_view line = headers.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? headers.size() : eol + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, colon));
    if (!iequals(name, "content-length") && !iequals(name, "l")) continue;
    std::string_view value = trim(line.substr(colon + 1));
    long v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || p != value.data() + value.size() || v < 0) return -2;
    found = v;
  }
  return found;
}

}  // namespace

Result<void> StreamFramer::feed(std::string_view bytes, std::vector<std::string>& out) {
  m_buf.append(bytes);
  for (;;) {
    // RFC 5626 3.5.1: CRLFCRLF is a ping, a lone CRLF a pong; both sit between messages.
    std::size_t skip = 0;
    while (skip + 1 < m_buf.size() && m_buf[skip] == '\r' && m_buf[skip + 1] == '\n') {
      if (skip + 3 < m_buf.size() && m_buf[skip + 2] == '\r' && m_buf[skip + 3] == '\n') {
        ++m_pings;
        skip += 4;
      } else {
        skip += 2;
      }
    }
    if (skip) m_buf.erase(0, skip);
    std::size_t end = m_buf.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (m_buf.size() > m_max) return fail("SIP message header over " + std::to_string(m_max) + " bytes");
      return {};
    }
    std::size_t first_eol = m_buf.find("\r\n");
    long clen = content_length(std::string_view(m_buf).substr(first_eol + 2, end - first_eol));
    if (clen == -2) return fail("bad Content-Length on stream transport");
    if (clen == -1) return fail("missing Content-Length on stream transport (RFC 3261 18.3)");
    std::size_t total = end + 4 + static_cast<std::size_t>(clen);
    if (total > m_max) return fail("SIP message over " + std::to_string(m_max) + " bytes");
    if (m_buf.size() < total) return {};
    out.emplace_back(m_buf, 0, total);
    m_buf.erase(0, total);
  }
}

std::size_t StreamFramer::take_pings() {
  std::size_t n = m_pings;
  m_pings = 0;
  return n;
}

}  // namespace sipwake::net
