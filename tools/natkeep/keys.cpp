#include "keys.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace sipwake::natkeep {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool valid_device_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == ':' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<DeviceKey> parse_key_hex(std::string_view hex) {
  if (hex.size() < 32 || hex.size() > 64 || hex.size() % 2 != 0) {
    return fail("key must be 32 to 64 hex digits (16 to 32 bytes)");
  }
  DeviceKey k;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]);
    int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return fail("key is not hex");
    k.bytes[i / 2] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  k.len = static_cast<std::uint8_t>(hex.size() / 2);
  return k;
}

Result<DeviceKey> load_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail("cannot read key file " + path + ": " + std::strerror(errno));
  std::string line;
  while (std::getline(in, line)) {
    auto t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    auto k = parse_key_hex(t);
    if (!k) return fail(path + ": " + k.message());
    return k;
  }
  return fail(path + ": no key in file");
}

Result<std::size_t> load_keys_file(
    const std::string& path, const std::function<void(std::string_view, const DeviceKey&)>& add) {
  std::ifstream in(path);
  if (!in) return fail("cannot read keys file " + path + ": " + std::strerror(errno));
  std::string line;
  std::size_t lineno = 0;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++lineno;
    auto t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    auto sp = t.find_first_of(" \t");
    if (sp == std::string_view::npos) {
      return fail(path + ":" + std::to_string(lineno) + ": expected DEVICE-ID HEXKEY");
    }
    auto id = t.substr(0, sp);
    auto key = trim(t.substr(sp));
    if (!valid_device_id(id)) {
      return fail(path + ":" + std::to_string(lineno) + ": bad device id");
    }
    auto k = parse_key_hex(key);
    if (!k) return fail(path + ":" + std::to_string(lineno) + ": " + k.message());
    add(id, *k);
    ++n;
  }
  return n;
}

}  // namespace sipwake::natkeep
