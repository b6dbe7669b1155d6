#pragma once
// worsend's command line: serve, device add|set|list|remove, log.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coordinator.hpp"
#include "model.hpp"

namespace sipwake::worsend {

enum class Command { serve, device_add, device_set, device_list, device_remove, log };

/// Exit statuses (DESIGN.md "Exit status", plus ours).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;
inline constexpr int k_exit_usage = 2;
inline constexpr int k_exit_no_device = 3;  ///< device set/remove: no such device

/// Transport options of `device add` / `device set`, as given.
struct DeviceArgs {
  std::string id;
  std::optional<std::string> udp, natkeep_device, http, token_file, exec, rate, order;
  std::optional<std::int64_t> udp_timeout, http_timeout, exec_timeout;
  std::vector<std::string> drop;
  std::vector<TransportKind> given_order;  ///< --udp/--http/--exec in command-line order
};

/// Everything the command line says, validated.
struct Options {
  Command command = Command::serve;
  std::string db;
  bool json = false;
  int verbose = 0;
  std::string log_level = "warning";
  // serve
  std::vector<std::string> listen;
  CoordinatorConfig coordinator;
  RequestLimits limits;
  std::optional<std::string> ca_file;
  // device
  DeviceArgs device;
  // log
  std::optional<std::string> log_device, log_call_id, since;
  std::size_t limit = 10000;
};

/// Options to run with, or an exit code (0 after --help/--version, 2 after a usage error).
struct ParseResult {
  std::optional<Options> options;
  int exit_code = 0;
};

/// Parses argv; prints help, version or a one-line usage error itself.
ParseResult parse_options(int argc, char** argv);

}  // namespace sipwake::worsend
