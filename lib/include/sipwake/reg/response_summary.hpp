#pragma once
// Extracts what a Registration needs from a REGISTER response.

#include "sipwake/reg/registration.hpp"
#include "sipwake/sip/message.hpp"

namespace sipwake::reg {

/// Status, CSeq, granted contacts, expiry headers, the challenge to answer and the
/// public address from Via received/rport.
Response summarize(const sip::Message& response);

}  // namespace sipwake::reg
