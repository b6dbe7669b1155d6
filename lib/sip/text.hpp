#pragma once
// Private string helpers shared by the sip area (case-insensitive compare, trimming,
// quote-aware splitting, generic-param lists).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipwake::sip::detail {

using Params = std::vector<std::pair<std::string, std::string>>;

/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// ASCII lowercase copy.
std::string lower(std::string_view s);

/// Trims SP, HTAB, CR and LF on both ends.
std::string_view trim(std::string_view s) noexcept;

/// Splits at `sep` outside double quotes (honouring backslash escapes) and angle brackets;
/// parts are trimmed, empty parts kept.
std::vector<std::string_view> split_outside_quotes(std::string_view s, char sep);

/// Parses a decimal number that fits in 32 bits (no sign, at least one digit, LWS trimmed).
std::optional<std::uint32_t> parse_u32(std::string_view s) noexcept;

/// Parses ";name=value;flag" parameter lists (text after the first ';'); false on an
/// empty parameter name.
bool parse_params(std::string_view s, Params& out);

/// The value of a case-insensitive named param, if present.
std::optional<std::string> find_param(const Params& params, std::string_view name);

/// Replaces the value of a param (case-insensitive name) or appends it.
void put_param(Params& params, std::string_view name, std::string_view value);

/// Appends ";name[=value]" for each param.
void append_params(std::string& out, const Params& params);

/// Parses `name=value, name="quoted"` auth-param lists (RFC 7235); quotes and escapes
/// removed from values, names lowercased. False on malformed input.
bool parse_auth_params(std::string_view s, Params& out);

/// Wraps a value in double quotes, escaping '"' and '\'.
std::string quote(std::string_view s);

/// True when the string contains a byte < 0x20 other than HTAB, or DEL.
bool has_ctl(std::string_view s) noexcept;

}  // namespace sipwake::sip::detail
