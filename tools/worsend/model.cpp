#include "model.hpp"

#include <charconv>

#include "sipwake/http/url.hpp"

namespace sipwake::worsend {

const char* kind_name(TransportKind k) {
  switch (k) {
    case TransportKind::udp: return "udp";
    case TransportKind::http: return "http";
    case TransportKind::exec: return "exec";
  }
  return "?";
}

Result<TransportKind> parse_kind(std::string_view text) {
  if (text == "udp") return TransportKind::udp;
  if (text == "http") return TransportKind::http;
  if (text == "exec") return TransportKind::exec;
  return fail("unknown transport \"" + std::string(text) + "\" (udp, http, exec)");
}

std::string Transport::loggable_target() const {
  if (kind == TransportKind::http) {
    auto u = http::Url::parse(target);
    return u ? u->origin() : "invalid URL";
  }
  if (kind == TransportKind::udp) return target + (natkeep_device.empty() ? "" : " device " + natkeep_device);
  return target;
}

Result<RateLimit> RateLimit::parse(std::string_view text) {
  RateLimit r;
  auto num = [](std::string_view s, unsigned& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size() && !s.empty();
  };
  if (text == "0" || text == "unlimited") return RateLimit{0, Duration{60'000}};
  auto slash = text.find('/');
  unsigned count = 0, seconds = 0;
  if (slash == std::string_view::npos || !num(text.substr(0, slash), count) || !num(text.substr(slash + 1), seconds) ||
      seconds == 0 || seconds > 86400 || count > 1'000'000) {
    return fail("rate must be COUNT/SECONDS (e.g. 5/60, seconds 1..86400) or 0 for unlimited");
  }
  r.count = count;
  r.window = Duration{static_cast<std::int64_t>(seconds) * 1000};
  return r;
}

std::string RateLimit::to_string() const {
  if (count == 0) return "0";
  return std::to_string(count) + "/" + std::to_string(window.count() / 1000);
}

bool valid_device_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '@' || c == ':' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Duration default_timeout(TransportKind k) {
  switch (k) {
    case TransportKind::udp: return Duration{3000};
    case TransportKind::http: return Duration{5000};
    case TransportKind::exec: return Duration{10'000};
  }
  return Duration{5000};
}

nlohmann::json to_json(const Device& d) {
  nlohmann::json ts = nlohmann::json::array();
  for (const auto& t : d.transports) {
    nlohmann::json j = {{"kind", kind_name(t.kind)}, {"target", t.target}, {"timeout_ms", t.timeout.count()}};
    if (!t.natkeep_device.empty()) j["natkeep_device"] = t.natkeep_device;
    if (!t.token_file.empty()) j["token_file"] = t.token_file;
    ts.push_back(std::move(j));
  }
  nlohmann::json j = {{"device", d.id}, {"transports", ts}};
  j["rate"] = d.rate ? nlohmann::json(d.rate->to_string()) : nlohmann::json(nullptr);
  return j;
}

}  // namespace sipwake::worsend
