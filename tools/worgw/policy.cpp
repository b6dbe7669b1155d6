#include "policy.hpp"

#include <algorithm>
#include <cctype>

namespace sipwake::worgw {
namespace {

// A caller reduced to what identifies it: lowercase user and host, no scheme, port,
// parameters or headers.
struct Identity {
  std::string user;
  std::string host;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Drops "sip:", "sips:" or "tel:" (any case); returns whether there was one.
bool strip_scheme(std::string_view& s) {
  for (std::string_view scheme : {"sip:", "sips:", "tel:"}) {
    if (s.size() >= scheme.size() && lower(s.substr(0, scheme.size())) == scheme) {
      s.remove_prefix(scheme.size());
      return true;
    }
  }
  return false;
}

// The host without port: "[2001:db8::1]:5060" -> "[2001:db8::1]", "h:5060" -> "h".
std::string_view strip_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  auto colon = host.find(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

// Reads From-like text: `"Shark" <sip:shark@example.net;transport=udp>;tag=1`,
// `sip:shark@example.net;user=phone`, `shark@example.net`, `tel:+4930123`.
Identity identity_of(std::string_view text) {
  text = trim(text);
  if (auto open = text.find('<'); open != std::string_view::npos) {
    text = text.substr(open + 1);
    if (auto close = text.find('>'); close != std::string_view::npos) text = text.substr(0, close);
  }
  text = trim(text);
  strip_scheme(text);
  Identity id;
  auto at = text.find('@');
  if (at == std::string_view::npos) {
    // tel:+4930123;phone-context=... or a bare user: the number is the user.
    std::string_view user = text.substr(0, text.find_first_of(";?"));
    id.user = lower(user);
    return id;
  }
  std::string_view user = text.substr(0, at);
  user = user.substr(0, user.find(':'));  // RFC 3261 19.1.1: "user:password"
  // RFC 3261 19.1.6 user parameters ("+4930123;isub=1") do not identify the caller.
  user = user.substr(0, user.find(';'));
  std::string_view host_part = text.substr(at + 1);
  host_part = host_part.substr(0, host_part.find_first_of(";?> \t"));
  id.user = lower(user);
  id.host = lower(strip_port(host_part));
  return id;
}

// '*' matches any run of characters (also none); everything else literally.
bool glob(std::string_view pat, std::string_view s) {
  std::size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pat.size() && pat[p] == s[i]) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

// Specificity ranks of policy.hpp: exact URI > user > domain > other wildcards > "*".
enum Rank { k_any = 0, k_wildcard = 1, k_domain = 2, k_user = 3, k_exact = 4 };

// How specific `pattern` is, and whether it matches `caller`; -1 when it does not match.
int match_rank(std::string_view pattern, const Identity& caller) {
  std::string_view p = trim(pattern);
  strip_scheme(p);
  std::string pat = lower(p);
  if (pat == "*") return k_any;
  auto at = pat.find('@');
  bool wild = pat.find('*') != std::string::npos;
  if (at == std::string::npos) {
    if (wild) return glob(pat, caller.user) ? k_wildcard : -1;
    return pat == caller.user ? k_user : -1;
  }
  std::string whole = caller.user + "@" + caller.host;
  if (wild) return glob(pat, whole) ? k_wildcard : -1;
  if (at == 0) return !caller.host.empty() && pat.substr(1) == caller.host ? k_domain : -1;
  return pat == whole ? k_exact : -1;
}

}  // namespace

Result<void> validate_pattern(std::string_view pattern) {
  if (pattern.empty()) return fail("empty pattern");
  if (pattern.size() > 256) return fail("pattern longer than 256 characters");
  for (char c : pattern) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f)
      return fail("pattern '" + std::string(pattern) + "' contains a space or control character");
    if (std::string_view("<>;?,\"\\").find(c) != std::string_view::npos) {
      return fail("pattern '" + std::string(pattern) + "' contains '" + std::string(1, c) +
                  "' (write the caller's URI without display name, parameters or headers)");
    }
  }
  std::string_view p = pattern;
  if (!strip_scheme(p) && p.find(':') != std::string_view::npos) {
    auto colon = p.find(':');
    auto at = p.find('@');
    if (at == std::string_view::npos || colon < at) {
      return fail("pattern '" + std::string(pattern) +
                  "': only sip:, sips: and tel: URIs are callers");
    }
  }
  if (p.empty()) return fail("pattern '" + std::string(pattern) + "' names no caller");
  if (std::count(p.begin(), p.end(), '@') > 1)
    return fail("pattern '" + std::string(pattern) + "' has more than one '@'");
  auto at = p.find('@');
  std::string_view user = at == std::string_view::npos ? p : p.substr(0, at);
  if (user.find(':') != std::string_view::npos)
    return fail("pattern '" + std::string(pattern) + "' carries a password");
  if (at != std::string_view::npos) {
    std::string_view host = p.substr(at + 1);
    if (host.empty()) return fail("pattern '" + std::string(pattern) + "' has no domain after '@'");
    if (strip_port(host) != host) {
      return fail("pattern '" + std::string(pattern) +
                  "' has a port; a caller is matched by user and domain");
    }
    if (host.front() == '[' && host.back() != ']')
      return fail("pattern '" + std::string(pattern) + "': unclosed '['");
  }
  return {};
}

Policy decide(std::string_view caller, const std::vector<Rule>& rules, Policy fallback) {
  Identity id = identity_of(caller);
  int best = -1;
  bool deny = false;
  for (const Rule& r : rules) {
    int rank = match_rank(r.pattern, id);
    if (rank < 0 || rank < best) continue;
    if (rank > best) {
      best = rank;
      deny = false;
    }
    if (r.action == Policy::deny) deny = true;  // deny wins at equal specificity
  }
  if (best < 0) return fallback;
  return deny ? Policy::deny : Policy::allow;
}

}  // namespace sipwake::worgw
