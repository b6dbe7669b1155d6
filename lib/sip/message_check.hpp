#pragma once
// Private: cheap checks on raw bytes before osip2 sees them (osip2 crashes or misreads
// some malformed input), and semantic checks after it parsed.

#include <cstddef>
#include <string_view>

#include "sipwake/util/result.hpp"

struct osip_message;

namespace sipwake::sip::detail {

/// What the raw scan learned: where the header block ends and how many bytes to parse.
struct RawLayout {
  std::size_t start = 0;       // first byte of the start line (leading CRLFs skipped)
  std::size_t header_end = 0;  // index just past the CRLFCRLF
  std::size_t parse_size = 0;  // header block plus Content-Length bytes of body
  std::size_t cl_offset = 0;   // where the Content-Length value starts (0: no header)
  std::size_t cl_size = 0;     // its length
};

/// Validates size, start line, header bytes and Content-Length against the data.
Result<RawLayout> check_raw(std::string_view data);

/// Checks what RFC 3261 8.1.1 and 8.2.2 require of a parsed message.
Result<void> check_parsed(const osip_message* m);

}  // namespace sipwake::sip::detail
