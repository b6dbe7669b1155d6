#pragma once
// Runs one sipreg command to completion on an event loop and returns the exit status.

#include "options.hpp"

namespace sipwake::sipreg {

/// Exit statuses (sipreg(1) EXIT STATUS).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;
inline constexpr int k_exit_usage = 2;
inline constexpr int k_exit_partial = 3;  ///< some accounts failed, others succeeded

/// Registers, unregisters or queries as the options say.
int run(const Options& options);

}  // namespace sipwake::sipreg
