#pragma once
// Loads hex test vectors from tests/unit/data/stun ('#' comments, whitespace ignored).

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sipwake::stun::test {

inline std::vector<std::uint8_t> load_hex(const std::string& name) {
  std::ifstream in(std::string(SIPWAKE_TESTDATA) + "/stun/" + name);
  std::vector<std::uint8_t> out;
  std::string line;
  std::string digits;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    for (char c : line) {
      if (std::isxdigit(static_cast<unsigned char>(c))) digits.push_back(c);
    }
  }
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace sipwake::stun::test
