// natkeep: keep NAT holes open, notice mapping changes, carry wakes, measure NATs.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  using namespace sipwake::natkeep;
  CLI::App app{"natkeep: keep NAT holes open, carry wake signals, measure NAT behaviour"};
  Options o;
  add_options(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (app.got_subcommand("keep")) {
    if (auto err = validate_keep(o.keep); !err.empty()) {
      std::fprintf(stderr, "natkeep: %s\n", err.c_str());
      return 2;
    }
    return run_keep(o.keep);
  }
  if (app.got_subcommand("serve")) return run_serve(o.serve);
  return run_probe(o.probe);
}
