#pragma once
// Device keys: the per-device secret that authenticates keepalives, wakes and acks.
// Keys come from files only (DESIGN.md "Secrets"); they are never printed.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <functional>

#include "sipwake/util/result.hpp"

namespace sipwake::natkeep {

/// A device key: 16..32 bytes (given as hex in files).
struct DeviceKey {
  std::array<std::uint8_t, 32> bytes{};
  std::uint8_t len = 0;
  std::span<const std::uint8_t> span() const { return {bytes.data(), len}; }
};

/// True for ids of 1..64 chars from [A-Za-z0-9._@:+-] (safe in USERNAME, JSON, env).
bool valid_device_id(std::string_view id);
/// Parses 32..64 hex digits into a key.
Result<DeviceKey> parse_key_hex(std::string_view hex);
/// Reads a key file for `keep`: the hex key on the first non-comment line.
Result<DeviceKey> load_key_file(const std::string& path);

/// Calls `add(id, key)` for each "DEVICE-ID HEXKEY" line of a keys file ('#' comments,
/// blank lines ignored). Errors name the file and line, never the key.
Result<std::size_t> load_keys_file(const std::string& path,
                                   const std::function<void(std::string_view, const DeviceKey&)>& add);

}  // namespace sipwake::natkeep
