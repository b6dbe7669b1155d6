#pragma once
// SIP and SIPS URIs (RFC 3261 19.1): parse, format, parameters.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sipwake/util/result.hpp"

namespace sipwake::sip {

/// A sip: or sips: URI; values are kept as written (no unescaping).
struct Uri {
  std::string scheme = "sip";  ///< "sip" or "sips", lowercase
  std::string user;            ///< userinfo before '@' (may include ":password"); may be empty
  std::string host;            ///< without brackets for IPv6
  std::optional<std::uint16_t> port;
  std::vector<std::pair<std::string, std::string>> params;  ///< ;name=value (value empty if flag)
  std::string headers;  ///< text after '?', without the '?'; usually empty

  /// Parses "sip:u@h:p;transport=tcp", "sip:[::1]:5070", with or without <>.
  static Result<Uri> parse(std::string_view text);
  /// Formats the URI; IPv6 hosts are bracketed.
  std::string to_string() const;
  /// The value of a parameter (case-insensitive name); "" for a flag.
  std::optional<std::string> param(std::string_view name) const;
  /// Replaces the parameter's value or appends the parameter.
  void set_param(std::string_view name, std::string_view value);
  /// Removes every parameter with this name (case-insensitive).
  void remove_param(std::string_view name);
  /// Lowercase transport parameter; "udp" by default ("tls" for sips).
  std::string transport() const;
  /// "host[:port]" with IPv6 brackets.
  std::string host_port() const;
};

}  // namespace sipwake::sip
