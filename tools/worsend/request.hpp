#pragma once
// Request lines (DESIGN.md "Requests in"): wake, cancel and status, parsed and validated.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sipwake/util/clock.hpp"

namespace sipwake::worsend {

/// One parsed request line.
struct Request {
  enum class Op { wake, cancel, status, invalid };
  Op op = Op::invalid;
  nlohmann::json id;        ///< echoed in the reply (null when the line had none)
  std::string device;       ///< wake; optional filter for status
  std::string caller;       ///< wake: who is calling (rate limited per caller)
  std::string call_id;      ///< wake: the SIP Call-ID; cancel: the call to give up on
  std::string target;       ///< cancel: a request id to give up on (instead of call_id)
  Duration deadline{0};     ///< wake: 0 = the server's default
  std::string error;        ///< invalid: why, for the reply
};

/// Limits a request must respect.
struct RequestLimits {
  Duration max_deadline{120'000};
};

/// Parses one line; never throws. Blank lines give Op::invalid with an empty error (ignore them).
Request parse_request(std::string_view line, const RequestLimits& limits = {});

}  // namespace sipwake::worsend
