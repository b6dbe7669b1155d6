#pragma once
// Default reason phrases for SIP status codes (RFC 3261 21 and extensions).

#include <string>

namespace sipwake::sip {

/// The standard reason phrase for `code`; a class phrase ("Client Error") when unknown.
std::string reason_phrase(int code);

}  // namespace sipwake::sip
