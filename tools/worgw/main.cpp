// worgw: the wake-on-ring gateway. CLI wiring and exit codes only.
#include "options.hpp"

int main(int argc, char** argv) {
  using namespace sipwake::worgw;
  ParseResult parsed = parse_options(argc, argv);
  switch (parsed.kind) {
    case ParseResult::Kind::exit: return parsed.exit_code;
    case ParseResult::Kind::admin: return run_admin(parsed.admin);
    case ParseResult::Kind::run: return run_gateway(parsed.run);
  }
  return 1;
}
