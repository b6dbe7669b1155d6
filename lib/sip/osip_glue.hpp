#pragma once
// Private glue between Message and osip2: RAII for osip strings, parser start-up and the
// table that maps header names to osip's typed fields.

#include <osipparser2/osip_parser.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sipwake::sip::detail {

/// Frees a string osip allocated.
struct OsipFree {
  void operator()(char* p) const noexcept { osip_free(p); }
};
using OsipString = std::unique_ptr<char, OsipFree>;

/// Calls parser_init() exactly once per process.
void ensure_parser_init();

/// Lowercase full header name for any spelling, compact forms expanded ("v" -> "via").
std::string canonical_lower(std::string_view name);

/// The conventional spelling of a header name ("call-id" -> "Call-ID", "x-foo" -> "X-Foo").
std::string display_name(std::string_view lower_name);

/// All values of a header in message order; comma lists split where SIP allows.
std::vector<std::string> header_values(const osip_message_t* m, std::string_view lower_name);

/// Appends a header value (replaces for single-instance headers). False when osip rejects it.
bool add_header_value(osip_message_t* m, std::string_view lower_name, std::string_view value);

/// Removes every instance of a header.
void remove_header_values(osip_message_t* m, std::string_view lower_name);

/// Rewrites the names of headers osip keeps as "other" headers to canonical spelling,
/// compact forms expanded, so serialization reads "Max-Forwards" not "Max-forwards".
void canonicalize_other_headers(osip_message_t* m);

}  // namespace sipwake::sip::detail
