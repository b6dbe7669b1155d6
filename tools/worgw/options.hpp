#pragma once
// worgw's command line: `run` (the gateway) and the admin subcommands.

#include <cstdint>
#include <optional>
#include <string>

#include "store.hpp"

namespace sipwake::worgw {

/// Options of `worgw run`.
struct RunOptions {
  std::string db_path;                 ///< --db (default Store::default_path())
  std::string listen = "udp:127.0.0.1:5070";  ///< --listen udp:HOST:PORT (SIP, both sides)
  std::string worsend;                 ///< --worsend unix:PATH|tcp:HOST:PORT ("" = no waking)
  std::string realm = "sipwake";       ///< --realm: digest realm for device logins
  /// --digest-algorithms: challenges offered to devices, in order ("md5", "sha256",
  /// "sha256,md5"). MD5 alone by default: many phones (and SIPp) answer only the first.
  std::string digest_algorithms = "md5";
  ConnectMode mode = ConnectMode::proxy;  ///< --mode proxy|redirect (subscribers may override)
  std::uint32_t wake_timeout_s = 30;   ///< --wake-timeout
  std::string voicemail;               ///< --voicemail URI
  std::uint32_t dead_binding_ms = 2000;  ///< --dead-binding-timeout: relayed INVITE silence → wake
  std::uint32_t upstream_expires = 600;  ///< --upstream-expires
  bool json = false;                   ///< --json events on stdout
  int verbose = 0;
};

/// Options of the admin subcommands (subscriber add/set/list/remove, allow, deny,
/// unrule, rules, calls).
struct AdminOptions {
  std::string db_path;
  std::string action;                  ///< "subscriber-add", "subscriber-set", "subscriber-list",
                                       ///< "subscriber-remove", "allow", "deny", "unrule", "rules", "calls"
  std::string name;                    ///< subscriber name
  std::string pattern;                 ///< allow/deny/unrule
  std::optional<std::string> aor, registrar, user, password_file, device, mode, voicemail, default_policy;
  std::optional<bool> proxy_login;
  bool json = false;
  std::size_t limit = 20;              ///< calls --limit
};

/// The outcome of parsing argv: which command, or an exit code already reported.
struct ParseResult {
  enum class Kind { exit, run, admin } kind = Kind::exit;
  int exit_code = 0;
  RunOptions run;
  AdminOptions admin;
};

/// Parses argv (CLI11); prints help/version/one-line usage errors itself (exit 2).
ParseResult parse_options(int argc, char** argv);

/// Runs an admin subcommand; returns the exit status.
int run_admin(const AdminOptions& options);

/// Runs the gateway until SIGINT/SIGTERM; returns the exit status.
int run_gateway(const RunOptions& options);

}  // namespace sipwake::worgw
