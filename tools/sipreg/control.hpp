#pragma once
// Lines arriving on sipreg's stdin: "reregister", natkeep's mapping.changed events, and
// JSON requests {"id":..,"op":"reregister"|"status"} (DESIGN.md "Requests in").

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sipwake::sipreg {

/// What one input line asks for.
struct ControlCommand {
  enum class Kind { ignore, reregister, status, error };
  Kind kind = Kind::ignore;
  nlohmann::json id;   ///< the request id to echo (null when the line had none)
  bool wants_reply = false;
  std::string error;   ///< for Kind::error
};

/// Classifies a line; never throws.
ControlCommand parse_control_line(std::string_view line);

}  // namespace sipwake::sipreg
