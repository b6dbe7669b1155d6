#include "sipwake/sip/name_addr.hpp"

#include <algorithm>

#include "text.hpp"

namespace sipwake::sip {

namespace {

// RFC 3261 25.1: token characters, used by an unquoted display name.
bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

// Reads a quoted-string starting at s[0] == '"'; returns the unescaped content and the
// length consumed, or nothing when unterminated.
std::optional<std::pair<std::string, std::size_t>> read_quoted(std::string_view s) {
  std::string out;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      if (++i >= s.size()) return std::nullopt;
      out += s[i];
    } else if (s[i] == '"') {
      return std::make_pair(std::move(out), i + 1);
    } else {
      out += s[i];
    }
  }
  return std::nullopt;
}

}  // namespace

Result<NameAddr> NameAddr::parse(std::string_view text) {
  std::string_view s = detail::trim(text);
  if (s.empty()) return fail("empty name-addr");
  NameAddr na;
  std::string_view rest;
  if (s.front() == '"' || s.find('<') != std::string_view::npos) {
    if (s.front() == '"') {
      auto q = read_quoted(s);
      if (!q) return fail("unterminated quoted display name");
      na.display = std::move(q->first);
      s = detail::trim(s.substr(q->second));
      if (s.empty() || s.front() != '<') return fail("quoted display name not followed by <URI>");
    } else {
      const auto lt = s.find('<');
      std::string_view name = detail::trim(s.substr(0, lt));
      const bool ok = std::all_of(name.begin(), name.end(),
                                  [](char c) { return is_token_char(c) || c == ' ' || c == '\t'; });
      if (!ok) return fail("display name has characters outside token; it must be quoted");
      na.display = std::string(name);
      s = s.substr(lt);
    }
    const auto gt = s.find('>');
    if (gt == std::string_view::npos) return fail("'<' without closing '>'");
    const std::string_view inner = s.substr(1, gt - 1);
    // RFC 4475 3.1.2.14: no LWS is allowed inside the angle brackets.
    if (inner != detail::trim(inner)) return fail("whitespace inside <> around the URI");
    auto uri = Uri::parse(inner);
    if (!uri) return uri.error();
    na.uri = std::move(*uri);
    rest = detail::trim(s.substr(gt + 1));
  } else {
    // RFC 3261 20.10: without <>, the URI cannot carry params or headers; ';' starts header params.
    const auto semi = s.find(';');
    std::string_view spec = s.substr(0, semi);
    if (spec.find_first_of("?,") != std::string_view::npos) {
      return fail("addr-spec with '?' or ',' must be enclosed in <>");
    }
    auto uri = Uri::parse(spec);
    if (!uri) return uri.error();
    na.uri = std::move(*uri);
    rest = semi == std::string_view::npos ? std::string_view{} : s.substr(semi);
  }
  if (!rest.empty()) {
    if (rest.front() != ';') return fail("junk after URI in name-addr");
    if (!detail::parse_params(rest.substr(1), na.params)) return fail("empty header parameter");
  }
  return na;
}

std::string NameAddr::to_string() const {
  std::string out;
  if (!display.empty()) {
    out += detail::quote(display);
    out += ' ';
  }
  out += '<';
  out += uri.to_string();
  out += '>';
  detail::append_params(out, params);
  return out;
}

std::optional<std::string> NameAddr::param(std::string_view name) const {
  return detail::find_param(params, name);
}

void NameAddr::set_param(std::string_view name, std::string_view value) {
  detail::put_param(params, name, value);
}

}  // namespace sipwake::sip
