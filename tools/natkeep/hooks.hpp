#pragma once
// Runs --on-change / --on-wake commands without blocking the loop: /bin/sh -c CMD with
// the event's fields added to the environment; children are reaped on SIGCHLD.

#include <string>
#include <utility>
#include <vector>

#include "sipwake/util/result.hpp"

namespace sipwake::natkeep {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

/// Starts `command` via /bin/sh -c with `env` added; returns the child pid.
Result<int> spawn_hook(const std::string& command, const EnvVars& env);
/// Reaps finished children; returns how many.
int reap_hooks();
/// NATKEEP_WAKE_<KEY> variables for a wake payload's top-level scalar fields.
EnvVars payload_env(const std::string& payload_json);

}  // namespace sipwake::natkeep
