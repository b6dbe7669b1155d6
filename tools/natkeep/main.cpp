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
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // DESIGN.md: usage errors are one line on stderr and exit 2.
    std::fprintf(stderr, "natkeep: %s (see natkeep %s--help)\n", e.what(),
                 app.get_subcommands().empty() ? "" : (app.get_subcommands().front()->get_name() + " ").c_str());
    return 2;
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
