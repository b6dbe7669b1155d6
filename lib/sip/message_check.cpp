#include "message_check.hpp"

#include <osipparser2/osip_parser.h>

#include <string>

#include "osip_glue.hpp"
#include "sipwake/sip/message.hpp"
#include "text.hpp"

namespace sipwake::sip::detail {

namespace {

bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// RFC 3261 7.1 / 25.1: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF.
Result<void> check_status_line(std::string_view line) {
  if (line.size() < 11 || !iequals(line.substr(0, 8), "SIP/2.0 ")) return fail("unsupported SIP version in status line");
  if (!is_digit(line[8]) || !is_digit(line[9]) || !is_digit(line[10])) return fail("status code is not 3 digits");
  if (line.size() > 11 && line[11] != ' ') return fail("status code is not 3 digits");
  if (line[8] < '1' || line[8] > '6') return fail("status code out of range 100-699");
  return {};
}

// Request-Line = Method SP Request-URI SP SIP-Version CRLF, single spaces, no trailing space.
Result<void> check_request_line(std::string_view line) {
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return fail("malformed request line");
  for (char c : line.substr(0, sp1)) {
    if (!is_token_char(c)) return fail("method is not a token");
  }
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail("request line without SIP version");
  std::string_view uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (uri.empty()) return fail("request line has more than one SP between elements");
  if (!iequals(version, "SIP/2.0")) {
    if (version.find(' ') != std::string_view::npos || version.empty()) {
      return fail("request line has embedded or trailing whitespace");
    }
    return fail("unsupported SIP version '" + std::string(version) + "'");
  }
  if (uri.front() == '<') return fail("Request-URI enclosed in <>");
  if (has_ctl(uri)) return fail("control character in Request-URI");
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos) return fail("Request-URI without scheme");
  const std::string scheme = lower(uri.substr(0, colon));
  if (scheme == "sip" || scheme == "sips") {
    // RFC 3261 19.1.1: headers are not allowed in a Request-URI.
    const auto at = uri.find('@');
    const auto host = at == std::string_view::npos ? colon + 1 : at + 1;
    if (uri.find('?', host) != std::string_view::npos) return fail("Request-URI carries URI headers");
  }
  return {};
}

bool is_addr_header(std::string_view name) {
  for (std::string_view n : {"contact", "m", "from", "f", "to", "t"}) {
    if (iequals(name, n)) return true;
  }
  return false;
}

// RFC 3261 20.10: an addr-spec with '?' (URI headers) must be enclosed in <>.
bool addr_value_ok(std::string_view value) {
  return value.find('<') != std::string_view::npos || value.find('?') == std::string_view::npos;
}

// Finds the Content-Length value in the raw header block (full or compact name, folded lines).
// Returns "bad-addr" when a From/To/Contact line carries URI headers outside <>.
std::optional<std::string_view> raw_content_length(std::string_view headers) {
  std::optional<std::string_view> found;
  std::size_t pos = 0;
  while (pos < headers.size()) {
    auto eol = headers.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = headers.size();
    std::string_view line = headers.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty() || line.front() == ' ' || line.front() == '\t') continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, colon));
    const bool next_folded = pos < headers.size() && (headers[pos] == ' ' || headers[pos] == '\t');
    if (!next_folded && is_addr_header(name) && !addr_value_ok(trim(line.substr(colon + 1)))) {
      return std::string_view("bad-addr");
    }
    if (!iequals(name, "content-length") && !iequals(name, "l")) continue;
    std::string_view value = trim(line.substr(colon + 1));
    while (value.empty() && pos < headers.size() && (headers[pos] == ' ' || headers[pos] == '\t')) {
      auto next = headers.find("\r\n", pos);
      if (next == std::string_view::npos) next = headers.size();
      value = trim(headers.substr(pos, next - pos));
      pos = next + 2;
    }
    if (!found) found = value;
  }
  return found;
}

}  // namespace

Result<RawLayout> check_raw(std::string_view data) {
  if (data.size() > k_max_message_size) return fail("message larger than 64 KiB");
  RawLayout layout;
  // RFC 3261 7.5: CRLFs before the start line are ignored.
  while (layout.start + 1 < data.size() && data[layout.start] == '\r' && data[layout.start + 1] == '\n') {
    layout.start += 2;
  }
  std::string_view msg = data.substr(layout.start);
  if (msg.empty()) return fail("empty message");
  const auto end = msg.find("\r\n\r\n");
  if (end == std::string_view::npos) return fail("no empty line after the headers");
  std::string_view head = msg.substr(0, end + 2);
  if (head.find('\0') != std::string_view::npos) return fail("NUL byte in the header part");
  for (std::size_t i = 0; i < head.size(); ++i) {
    const char c = head[i];
    if (c == '\r' && head[i + 1] != '\n') return fail("bare CR in the header part");
    if (c == '\n' && (i == 0 || head[i - 1] != '\r')) return fail("bare LF in the header part");
  }
  const auto line_end = head.find("\r\n");
  std::string_view start_line = head.substr(0, line_end);
  if (start_line.empty() || start_line.front() == ' ' || start_line.find(':') == 0) return fail("missing start line");
  auto line_ok = iequals(start_line.substr(0, std::min<std::size_t>(4, start_line.size())), "SIP/")
                     ? check_status_line(start_line)
                     : check_request_line(start_line);
  if (!line_ok) return line_ok.error();

  layout.header_end = layout.start + end + 4;
  const std::size_t available = data.size() - layout.header_end;
  layout.parse_size = data.size();
  if (auto cl = raw_content_length(head.substr(line_end + 2))) {
    if (*cl == "bad-addr") return fail("URI with headers outside <> in From, To or Contact");
    auto n = parse_u32(*cl);
    if (!n) return fail("bad Content-Length '" + std::string(*cl) + "'");
    if (*n > available) return fail("Content-Length " + std::to_string(*n) + " exceeds the " + std::to_string(available) + " body bytes received");
    // RFC 3261 18.3: bytes past Content-Length are discarded.
    layout.parse_size = layout.header_end + *n;
    layout.cl_offset = static_cast<std::size_t>(cl->data() - data.data());
    layout.cl_size = cl->size();
  }
  return layout;
}

Result<void> check_parsed(const osip_message* m) {
  if (osip_list_size(&m->vias) == 0) return fail("missing Via");
  if (m->from == nullptr) return fail("missing From");
  if (m->to == nullptr) return fail("missing To");
  if (m->call_id == nullptr) return fail("missing Call-ID");
  if (m->cseq == nullptr || m->cseq->method == nullptr || m->cseq->number == nullptr) return fail("missing CSeq");
  if (!parse_u32(m->cseq->number)) return fail("CSeq number is not a 32-bit integer");
  if (MSG_IS_REQUEST(m)) {
    if (m->sip_method == nullptr || m->req_uri == nullptr) return fail("malformed request line");
    if (std::string_view(m->sip_method) != m->cseq->method) return fail("CSeq method does not match the request method");
  }
  for (std::string_view name : {"max-forwards", "expires", "min-expires"}) {
    auto values = header_values(m, name);
    if (values.empty()) continue;
    auto n = parse_u32(values.front());
    if (!n) return fail("bad " + display_name(name) + " '" + values.front() + "'");
    if (name == "max-forwards" && *n > 255) return fail("Max-Forwards above 255");
  }
  return {};
}

}  // namespace sipwake::sip::detail
