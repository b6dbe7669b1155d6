#pragma once
// The three subcommands; each returns the process exit status (0, 1, or 3 for probe).

#include "options.hpp"

namespace sipwake::natkeep {

int run_serve(const ServeOptions& o);
int run_keep(const KeepOptions& o);
int run_probe(const ProbeOptions& o);

/// Exit status of `probe` when the server lacks RFC 5780 and some tests could not run.
inline constexpr int k_exit_partial = 3;

}  // namespace sipwake::natkeep
