#pragma once
// natkeep's command line: three subcommands and their options (CLI11).

#include <string>

#include <CLI/CLI.hpp>

namespace sipwake::natkeep {

struct ServeOptions {
  std::string listen;
  std::string alt_listen;
  std::string keys;
  std::string keys_db;
  std::string control;
  bool json = false;
  int wake_timeout_ms = 5000;
  double rate = 20.0;
  std::string log_level = "warning";
};

struct KeepOptions {
  std::string server;
  std::string device;
  std::string key_file;
  std::string interval = "auto";
  double min_interval = 1.0;
  double max_interval = 600.0;
  double lost_after = 3.0;
  int wake_window = 60;
  std::string on_change;
  std::string on_wake;
  bool json = false;
  std::string log_level = "warning";
};

struct ProbeOptions {
  std::string server;
  bool json = false;
  double max_lifetime = 120.0;
  bool no_lifetime = false;
  unsigned parallel = 8;
};

struct Options {
  ServeOptions serve;
  KeepOptions keep;
  ProbeOptions probe;
};

/// Declares every subcommand and option on `app`, writing into `o`.
void add_options(CLI::App& app, Options& o);
/// Checks what CLI11 cannot: --interval form. Empty when fine, else a usage message.
std::string validate_keep(const KeepOptions& o);

}  // namespace sipwake::natkeep
