#include "sipwake/util/random.hpp"

#include <sys/random.h>

#include <array>
#include <random>
#include <stdexcept>

namespace sipwake {
namespace {

std::mt19937_64& engine() {
  thread_local std::mt19937_64 rng = [] {
    std::uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) {
      seed = static_cast<std::uint64_t>(std::random_device{}());
    }
    return std::mt19937_64{seed};
  }();
  return rng;
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  std::array<unsigned char, 64> buf{};
  while (bytes > 0) {
    std::size_t n = bytes < buf.size() ? bytes : buf.size();
    ssize_t got = getrandom(buf.data(), n, 0);
    if (got <= 0) {
      // getrandom only fails before the pool is seeded or with a bad buffer;
      // fall back to the PRNG rather than abort a running server.
      for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<unsigned char>(engine()());
      got = static_cast<ssize_t>(n);
    }
    for (ssize_t i = 0; i < got; ++i) {
      out.push_back(k_digits[buf[static_cast<std::size_t>(i)] >> 4]);
      out.push_back(k_digits[buf[static_cast<std::size_t>(i)] & 0xf]);
    }
    bytes -= static_cast<std::size_t>(got);
  }
  return out;
}

double random_unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine()); }

std::uint64_t random_between(std::uint64_t lo, std::uint64_t hi) {
  return std::uniform_int_distribution<std::uint64_t>(lo, hi)(engine());
}

}  // namespace sipwake
