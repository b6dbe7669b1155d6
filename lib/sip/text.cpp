#include "text.hpp"

#include <algorithm>

namespace sipwake::sip::detail {

namespace {

char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_lws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_lws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_lws(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_outside_quotes(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  int angle = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>' && angle > 0) {
      --angle;
    } else if (c == sep && angle == 0) {
      parts.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  parts.push_back(trim(s.substr(std::min(start, s.size()))));
  return parts;
}

std::optional<std::uint32_t> parse_u32(std::string_view s) noexcept {
  s = trim(s);
  if (s.empty() || s.size() > 10) {
    // Leading zeros are legal (RFC 4475 3.1.1.1 has "0068"); strip them before the size check.
    while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
    if (s.empty() || s.size() > 10) return std::nullopt;
  }
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > 0xffffffffULL) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

bool parse_params(std::string_view s, Params& out) {
  for (std::string_view part : split_outside_quotes(s, ';')) {
    const auto eq = part.find('=');
    std::string_view name = trim(part.substr(0, eq));
    if (name.empty()) return false;
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : trim(part.substr(eq + 1));
    out.emplace_back(std::string(name), std::string(value));
  }
  return true;
}

std::optional<std::string> find_param(const Params& params, std::string_view name) {
  for (const auto& [n, v] : params) {
    if (iequals(n, name)) return v;
  }
  return std::nullopt;
}

void put_param(Params& params, std::string_view name, std::string_view value) {
  for (auto& [n, v] : params) {
    if (iequals(n, name)) {
      v = value;
      return;
    }
  }
  params.emplace_back(std::string(name), std::string(value));
}

void append_params(std::string& out, const Params& params) {
  for (const auto& [n, v] : params) {
    out += ';';
    out += n;
    if (!v.empty()) {
      out += '=';
      out += v;
    }
  }
}

bool parse_auth_params(std::string_view s, Params& out) {
  std::size_t i = 0;
  const auto skip_lws = [&] {
    while (i < s.size() && is_lws(s[i])) ++i;
  };
  while (true) {
    skip_lws();
    while (i < s.size() && s[i] == ',') {  // RFC 7230 7: empty list elements are allowed
      ++i;
      skip_lws();
    }
    if (i >= s.size()) return true;
    const std::size_t name_start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ',' && !is_lws(s[i])) ++i;
    std::string name = lower(s.substr(name_start, i - name_start));
    skip_lws();
    if (name.empty() || i >= s.size() || s[i] != '=') return false;
    ++i;
    skip_lws();
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        const char c = s[i++];
        if (c == '\\' && i < s.size()) {
          value += s[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return false;
    } else {
      const std::size_t v_start = i;
      while (i < s.size() && s[i] != ',' && !is_lws(s[i])) ++i;
      value = std::string(s.substr(v_start, i - v_start));
      if (value.empty()) return false;
    }
    out.emplace_back(std::move(name), std::move(value));
    skip_lws();
    if (i < s.size() && s[i] != ',') return false;
  }
}

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

bool has_ctl(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

}  // namespace sipwake::sip::detail
