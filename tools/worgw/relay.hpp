#pragma once
// Building the messages a stateful proxy sends (RFC 3261 16.6, 17.1.1.3, 9.1) and the
// responses worgw answers with itself.

#include <optional>
#include <string>

#include "sipwake/net/address.hpp"
#include "sipwake/sip/message.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::worgw {

/// Our own SIP address, as it goes into Via and Record-Route.
struct Self {
  std::string host;  ///< without brackets
  std::uint16_t port = 5060;
  /// "<sip:host:port;lr>"
  std::string record_route() const;
  /// True when `via` was added by us (sent-by is ours and the branch has our prefix).
  bool owns(const sip::Via& via) const;
  /// True when a Route/Record-Route URI points at us.
  bool is_us(const sip::Uri& uri) const;
};

/// Branch prefix of every Via worgw adds (RFC 3261 magic cookie + "wg").
inline constexpr const char* k_branch_prefix = "z9hG4bKwg";

/// The INVITE to send to the device: new Request-URI, Max-Forwards - 1, our Via on
/// top (with rport), our Record-Route on top so in-dialog requests come through us.
sip::Message relayed_invite(const sip::Message& invite, const sip::Uri& target, const Self& self,
                            const std::string& branch);
/// The ACK for a 3xx-6xx response to `relayed` (RFC 3261 17.1.1.3): same branch.
sip::Message ack_for(const sip::Message& relayed, const sip::Message& response);
/// A BYE ending the dialog a 2xx to `relayed` created (for answers we do not want).
sip::Message bye_for(const sip::Message& relayed, const sip::Message& response);
/// The CANCEL for `relayed` (RFC 3261 9.1): same Request-URI, Via and CSeq number.
sip::Message cancel_for(const sip::Message& relayed);
/// A response of ours to `request` with a To tag (all but 100 need one).
Result<sip::Message> local_response(const sip::Message& request, int status, const std::string& to_tag,
                                    std::string_view reason = {});
/// Best-effort "400 <reason>" for bytes that do not parse, built from the raw header
/// lines (Via, From, To, Call-ID, CSeq copied as they are); empty when impossible
/// (no Via, or a response).
std::string raw_error_response(std::string_view raw, int status, std::string_view reason);

}  // namespace sipwake::worgw
