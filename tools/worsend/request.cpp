#include "request.hpp"

#include "model.hpp"

namespace sipwake::worsend {
namespace {

constexpr std::size_t k_max_text = 256;

// Reads an optional string field; false (with r.error set) when present but not a short string.
bool text_field(const nlohmann::json& j, const char* name, std::string& out, Request& r) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) {
    r.error = std::string("malformed request: \"") + name + "\" must be a string";
    return false;
  }
  out = it->get<std::string>();
  if (out.size() > k_max_text) {
    r.error = std::string("malformed request: \"") + name + "\" longer than 256 bytes";
    return false;
  }
  for (unsigned char c : out) {
    if (c < 0x20 || c == 0x7f) {
      r.error = std::string("malformed request: \"") + name + "\" has a control character";
      return false;
    }
  }
  return true;
}

Request invalid(Request r, std::string why) {
  r.op = Request::Op::invalid;
  r.error = std::move(why);
  return r;
}

}  // namespace

Request parse_request(std::string_view line, const RequestLimits& limits) {
  Request r;
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return r;
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid(r, "malformed request: not a JSON object");
  if (auto id = j.find("id"); id != j.end()) {
    if (!id->is_string() && !id->is_number_integer()) return invalid(r, "malformed request: \"id\" must be a string or integer");
    r.id = *id;
  } else {
    return invalid(r, "malformed request: no \"id\"");
  }
  auto op = j.find("op");
  if (op == j.end() || !op->is_string()) return invalid(r, "malformed request: no \"op\"");
  const std::string& name = op->get_ref<const std::string&>();
  if (!text_field(j, "device", r.device, r) || !text_field(j, "caller", r.caller, r) ||
      !text_field(j, "call_id", r.call_id, r) || !text_field(j, "target", r.target, r)) {
    return invalid(r, r.error);
  }
  if (name == "status") {
    r.op = Request::Op::status;
    return r;
  }
  if (name == "cancel") {
    if (r.call_id.empty() && r.target.empty()) return invalid(r, "malformed request: cancel needs \"call_id\" or \"target\"");
    r.op = Request::Op::cancel;
    return r;
  }
  if (name != "wake") return invalid(r, "unknown op \"" + name.substr(0, 32) + "\" (wake, cancel, status)");
  if (r.device.empty()) return invalid(r, "malformed request: wake needs \"device\"");
  if (!valid_device_id(r.device)) return invalid(r, "malformed request: invalid device id");
  if (auto d = j.find("deadline_ms"); d != j.end() && !d->is_null()) {
    if (!d->is_number_integer()) return invalid(r, "malformed request: \"deadline_ms\" must be an integer");
    auto ms = d->get<long long>();
    if (ms < 100 || ms > limits.max_deadline.count()) {
      return invalid(r, "malformed request: \"deadline_ms\" must be 100.." + std::to_string(limits.max_deadline.count()));
    }
    r.deadline = Duration{ms};
  }
  r.op = Request::Op::wake;
  return r;
}

}  // namespace sipwake::worsend
