#pragma once
// name-addr / addr-spec values of From, To, Contact, Route (RFC 3261 20.10, 25.1).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sipwake/sip/uri.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::sip {

/// A display name, a URI and header parameters.
struct NameAddr {
  std::string display;  ///< unquoted, unescaped display name; may be empty
  Uri uri;
  /// Header params: tag, expires, +sip.instance, reg-id, ...; values keep quotes as given.
  std::vector<std::pair<std::string, std::string>> params;

  /// Parses `"Name" <sip:u@h>;tag=x`, `Name <sip:u@h>` or `sip:u@h;tag=x` (params go to the header).
  static Result<NameAddr> parse(std::string_view text);
  /// Formats in `"display" <uri>;params` form (always with angle brackets).
  std::string to_string() const;
  /// The value of a header parameter (case-insensitive name); "" for a flag.
  std::optional<std::string> param(std::string_view name) const;
  /// Replaces the parameter's value or appends the parameter.
  void set_param(std::string_view name, std::string_view value);
};

}  // namespace sipwake::sip
