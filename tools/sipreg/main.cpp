// sipreg: SIP registration client. CLI wiring and exit codes only; see runner.cpp.
#include "options.hpp"
#include "runner.hpp"

int main(int argc, char** argv) {
  auto parsed = sipwake::sipreg::parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  return sipwake::sipreg::run(*parsed.options);
}
