#pragma once
// Per-caller wake policy: does this caller's URI match a subscriber's rules?

#include <string>
#include <string_view>
#include <vector>

#include "store.hpp"

namespace sipwake::worgw {

/// Pattern forms (case-insensitive):
///   "sip:shark@example.net"  one caller (scheme optional: "shark@example.net")
///   "shark"                  any caller with that user part
///   "@example.net"           any caller from that domain
///   "*"                      anyone
///   '*' inside a pattern matches any run of characters ("sip:+4930*@*", "*@example.net").
/// Validates a pattern; error says why.
Result<void> validate_pattern(std::string_view pattern);

/// The decision for `caller` (a SIP URI as text, e.g. From's URI): the most specific
/// matching rule wins (exact URI > user > domain > other wildcards > "*"); at equal
/// specificity deny wins; with no match, the subscriber's default applies.
Policy decide(std::string_view caller, const std::vector<Rule>& rules, Policy fallback);

}  // namespace sipwake::worgw
