// worsend: the WOR server. CLI wiring and exit codes only; see server.cpp and device_cmd.cpp.
#include "commands.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  using namespace sipwake::worsend;
  auto parsed = parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const Options& o = *parsed.options;
  switch (o.command) {
    case Command::serve: return run_serve(o);
    case Command::log: return run_log(o);
    default: return run_device(o);
  }
}
