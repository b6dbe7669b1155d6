#pragma once
// sipreg's command line: subcommands register, unregister, query and their options.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sipwake/util/result.hpp"

namespace sipwake::sipreg {

enum class Command { register_, unregister, query };

/// Everything the command line says, validated.
struct Options {
  Command command = Command::register_;
  std::string registrar;
  std::string aor;
  std::string user;
  std::optional<std::string> password_file;
  std::optional<std::string> contact;
  std::uint32_t expires = 3600;
  bool once = false;
  bool json = false;
  bool keep = false;
  bool all = false;
  std::optional<std::string> accounts;
  std::string instance;
  std::optional<std::uint32_t> reg_id;
  std::string push_provider, push_prid, push_param;
  std::optional<std::string> local;
  std::size_t max_inflight = 256;
  int verbose = 0;
};

/// The outcome of parsing: options to run with, or an exit code to leave with
/// (0 after --help/--version, 2 after a usage error, already reported).
struct ParseResult {
  std::optional<Options> options;
  int exit_code = 0;
};

/// Parses argv; prints help, version or a one-line usage error itself.
ParseResult parse_options(int argc, char** argv);

}  // namespace sipwake::sipreg
