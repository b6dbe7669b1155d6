#pragma once
// Endpoints as every tool writes them: udp:HOST:PORT, tcp:HOST:PORT, tls:HOST:PORT,
// unix:PATH, and "-" for stdio (DESIGN.md "Endpoints").

#include <cstdint>
#include <string>
#include <string_view>

#include "sipwake/util/result.hpp"

namespace sipwake::net {

/// A parsed endpoint; host keeps IPv6 without brackets.
struct Endpoint {
  enum class Kind { udp, tcp, tls, unix_path, stdio };
  Kind kind = Kind::udp;
  std::string host;
  std::uint16_t port = 0;
  std::string path;

  /// Parses the text form; errors name the expected forms.
  static Result<Endpoint> parse(std::string_view text);
  /// The text form, IPv6 in brackets.
  std::string to_string() const;
};

}  // namespace sipwake::net
