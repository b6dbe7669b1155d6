#pragma once
// Randomness for protocol identifiers (tags, branches, cnonces) and jitter.

#include <cstdint>
#include <string>

namespace sipwake {

/// `bytes` random bytes from the OS (getrandom), as lowercase hex.
std::string random_hex(std::size_t bytes);

/// A uniform double in [0, 1) from a per-thread PRNG seeded from the OS.
double random_unit();

/// A uniform integer in [lo, hi] from the per-thread PRNG.
std::uint64_t random_between(std::uint64_t lo, std::uint64_t hi);

}  // namespace sipwake
