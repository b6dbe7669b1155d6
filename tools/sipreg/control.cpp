#include "control.hpp"

namespace sipwake::sipreg {

ControlCommand parse_control_line(std::string_view line) {
  ControlCommand cmd;
  auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos) return cmd;
  line.remove_prefix(first);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  if (line == "reregister") {
    cmd.kind = ControlCommand::Kind::reregister;
    return cmd;
  }
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    cmd.kind = ControlCommand::Kind::error;
    cmd.wants_reply = true;
    cmd.error = "malformed request: want 'reregister' or a JSON object";
    return cmd;
  }
  // natkeep's event stream piped in: a new public mapping means a new Contact.
  if (auto ev = j.find("event"); ev != j.end() && ev->is_string()) {
    if (*ev == "mapping.changed") cmd.kind = ControlCommand::Kind::reregister;
    return cmd;
  }
  if (auto id = j.find("id"); id != j.end()) cmd.id = *id;
  cmd.wants_reply = true;
  auto op = j.find("op");
  if (op == j.end() || !op->is_string()) {
    cmd.kind = ControlCommand::Kind::error;
    cmd.error = "missing \"op\"";
  } else if (*op == "reregister") {
    cmd.kind = ControlCommand::Kind::reregister;
  } else if (*op == "status") {
    cmd.kind = ControlCommand::Kind::status;
  } else {
    cmd.kind = ControlCommand::Kind::error;
    cmd.error = "unknown op \"" + op->get<std::string>() + "\"";
  }
  return cmd;
}

}  // namespace sipwake::sipreg
