#include "options.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include "sipwake/net/address.hpp"
#include "sipwake/sip/uri.hpp"

namespace sipwake::sipreg {
namespace {

constexpr const char* k_version = "sipreg (sipwake) 0.1.0";

void add_addressing(CLI::App* sub, Options& o) {
  sub->add_option("--registrar", o.registrar, "Registrar URI, e.g. sip:192.0.2.1:5060;transport=tcp");
  sub->add_option("--aor", o.aor, "Address of record, e.g. sip:alice@example.com");
  sub->add_option("--user", o.user, "Authentication user (default: the AOR's user part)");
  sub->add_option("--password-file", o.password_file,
                  "File whose first line is the password (else env SIPREG_PASSWORD)");
  sub->add_option("--contact", o.contact, "Contact URI to register (default: derived from the local address)");
  sub->add_option("--accounts", o.accounts, "JSON Lines file with one account per line");
  sub->add_option("--local", o.local, "Local address to send from, ADDR:PORT (udp:/tcp: prefix allowed)");
  sub->add_flag("--json", o.json, "Write events as JSON Lines on stdout");
  sub->add_option("--max-inflight", o.max_inflight, "REGISTER transactions in flight at most")
      ->check(CLI::Range(1, 100000));
  sub->add_flag("-v,--verbose", o.verbose, "More diagnostics on stderr (repeat for debug)");
}

Result<void> validate(Options& o) {
  if (!o.accounts) {
    if (o.registrar.empty()) return fail("--registrar is required (or --accounts)");
    if (o.aor.empty()) return fail("--aor is required (or --accounts)");
  }
  if (!o.registrar.empty()) {
    auto r = sip::Uri::parse(o.registrar);
    if (!r) return fail("--registrar: " + r.message());
    if (r->transport() != "udp" && r->transport() != "tcp") {
      return fail("--registrar: transport " + r->transport() + " is not supported (udp, tcp)");
    }
  }
  if (!o.aor.empty()) {
    auto a = sip::Uri::parse(o.aor);
    if (!a) return fail("--aor: " + a.message());
    if (a->user.empty()) return fail("--aor needs a user part, e.g. sip:alice@example.com");
  }
  if (o.contact) {
    if (auto c = sip::Uri::parse(*o.contact); !c) return fail("--contact: " + c.message());
  }
  if (o.local) {
    std::string& l = *o.local;
    if (l.rfind("udp:", 0) == 0 || l.rfind("tcp:", 0) == 0) l = l.substr(4);
    if (auto a = net::Address::parse(l); !a) return fail("--local: " + a.message());
  }
  if ((!o.push_prid.empty() || !o.push_param.empty()) && o.push_provider.empty()) {
    return fail("--push-prid and --push-param need --push-provider");
  }
  if (!o.instance.empty() && o.instance.rfind("urn:", 0) != 0) {
    return fail("--instance must be a URN, e.g. urn:uuid:00000000-0000-0000-0000-000000000001");
  }
  return {};
}

}  // namespace

ParseResult parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"sipreg - SIP registration client (register, refresh, unregister, follow the network)", "sipreg"};
  app.set_version_flag("--version", k_version);
  app.require_subcommand(1, 1);

  auto* reg = app.add_subcommand("register", "Register and keep the registration fresh");
  add_addressing(reg, o);
  reg->add_option("--expires", o.expires, "Requested expiry in seconds")->check(CLI::Range(1u, 4294967295u));
  reg->add_flag("--once", o.once, "Register once and exit, leaving the binding in place");
  reg->add_flag("--keep", o.keep, "Do not unregister on SIGINT/SIGTERM");
  reg->add_option("--instance", o.instance, "RFC 5626 +sip.instance URN");
  reg->add_option("--reg-id", o.reg_id, "RFC 5626 reg-id")->check(CLI::Range(1u, 4294967295u));
  reg->add_option("--push-provider", o.push_provider, "RFC 8599 pn-provider");
  reg->add_option("--push-prid", o.push_prid, "RFC 8599 pn-prid");
  reg->add_option("--push-param", o.push_param, "RFC 8599 pn-param");

  auto* unreg = app.add_subcommand("unregister", "Remove our binding (or all bindings with --all)");
  add_addressing(unreg, o);
  unreg->add_flag("--all", o.all, "Remove every binding of the AOR (Contact: *)");

  auto* query = app.add_subcommand("query", "List the bindings the registrar holds for the AOR");
  add_addressing(query, o);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return {std::nullopt, 0};
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return {std::nullopt, 0};
  } catch (const CLI::CallForVersion&) {
    std::cout << k_version << "\n";
    return {std::nullopt, 0};
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    if (msg.empty()) msg = "invalid command line";
    std::cerr << "sipreg: " << msg << " (see sipreg --help)\n";
    return {std::nullopt, 2};
  }
  if (reg->parsed()) o.command = Command::register_;
  if (unreg->parsed()) o.command = Command::unregister;
  if (query->parsed()) o.command = Command::query;
  if (auto valid = validate(o); !valid) {
    std::cerr << "sipreg: " << valid.message() << "\n";
    return {std::nullopt, 2};
  }
  return {o, 0};
}

}  // namespace sipwake::sipreg
