#include "accounts.hpp"

#include <sys/stat.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "sipwake/util/secret.hpp"

namespace sipwake::sipreg {
namespace {

Result<reg::Config> base_config(const Options& o, std::vector<std::string>& warnings) {
  reg::Config c;
  if (!o.registrar.empty()) c.registrar = *sip::Uri::parse(o.registrar);
  if (!o.aor.empty()) c.aor = *sip::Uri::parse(o.aor);
  c.auth_user = o.user;
  std::string warning;
  auto password = secret_from(o.password_file, "SIPREG_PASSWORD", &warning);
  if (!password) return password.error();
  if (!warning.empty()) warnings.push_back(warning);
  c.password = password->value_or("");
  c.expires = o.expires;
  c.instance = o.instance;
  c.reg_id = o.reg_id;
  c.pn_provider = o.push_provider;
  c.pn_prid = o.push_prid;
  c.pn_param = o.push_param;
  c.once = o.once || o.command != Command::register_;
  return c;
}

std::optional<std::string> text_field(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

Result<Account> parse_line(const nlohmann::json& j, const reg::Config& base, const Options& o,
                           std::vector<std::string>& warnings) {
  if (!j.is_object()) return fail("not a JSON object");
  Account a{base, o.contact};
  auto aor = text_field(j, "aor");
  if (!aor) return fail("missing \"aor\"");
  auto aor_uri = sip::Uri::parse(*aor);
  if (!aor_uri || aor_uri->user.empty()) return fail("bad \"aor\" " + *aor);
  a.config.aor = *aor_uri;
  if (auto user = text_field(j, "user")) a.config.auth_user = *user;
  if (auto pw = text_field(j, "password")) a.config.password = *pw;
  if (auto pwf = text_field(j, "password_file")) {
    std::string warning;
    auto pw = read_secret_file(*pwf, &warning);
    if (!pw) return pw.error();
    if (!warning.empty()) warnings.push_back(warning);
    a.config.password = *pw;
  }
  if (auto r = text_field(j, "registrar")) {
    auto uri = sip::Uri::parse(*r);
    if (!uri) return fail("bad \"registrar\" " + *r);
    if (uri->transport() != "udp" && uri->transport() != "tcp") {
      return fail("\"registrar\": transport " + uri->transport() + " is not supported (udp, tcp)");
    }
    a.config.registrar = *uri;
  }
  if (a.config.registrar.host.empty()) return fail("no registrar (give --registrar or \"registrar\")");
  if (auto c = text_field(j, "contact")) {
    if (auto uri = sip::Uri::parse(*c); !uri) return fail("bad \"contact\" " + *c + ": " + uri.message());
    a.contact = *c;
  }
  if (auto e = j.find("reg_id"); e != j.end()) {
    if (!e->is_number_unsigned() || e->get<std::uint64_t>() == 0 || e->get<std::uint64_t>() > 4294967295u) {
      return fail("bad \"reg_id\"");
    }
    a.config.reg_id = static_cast<std::uint32_t>(e->get<std::uint64_t>());
  }
  if (auto p = text_field(j, "push_provider")) a.config.pn_provider = *p;
  if (auto p = text_field(j, "push_prid")) a.config.pn_prid = *p;
  if (auto p = text_field(j, "push_param")) a.config.pn_param = *p;
  if ((!a.config.pn_prid.empty() || !a.config.pn_param.empty()) && a.config.pn_provider.empty()) {
    return fail("\"push_prid\"/\"push_param\" need \"push_provider\"");
  }
  if (auto e = j.find("expires"); e != j.end()) {
    if (!e->is_number_unsigned() || e->get<std::uint64_t>() == 0 || e->get<std::uint64_t>() > 4294967295u) {
      return fail("bad \"expires\"");
    }
    a.config.expires = static_cast<std::uint32_t>(e->get<std::uint64_t>());
  }
  if (auto inst = text_field(j, "instance")) {
    if (inst->rfind("urn:", 0) != 0) return fail("\"instance\" must be a URN");
    a.config.instance = *inst;
  }
  return a;
}

}  // namespace

Result<std::vector<Account>> load_accounts(const Options& o, std::vector<std::string>& warnings) {
  auto base = base_config(o, warnings);
  if (!base) return base.error();
  std::vector<Account> out;
  if (!o.accounts) {
    out.push_back({*base, o.contact});
    return out;
  }
  const std::string& path = *o.accounts;
  std::ifstream in(path);
  if (!in) return fail("cannot read accounts file " + path);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH))) {
    warnings.push_back(path + " may hold passwords and is readable by other users; chmod 600 it");
  }
  std::string line;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) return fail(path + ":" + std::to_string(lineno) + ": not valid JSON");
    auto account = parse_line(j, *base, o, warnings);
    if (!account) return fail(path + ":" + std::to_string(lineno) + ": " + account.message());
    out.push_back(std::move(*account));
  }
  if (out.empty()) return fail(path + ": no accounts");
  // Spread many accounts' refreshes evenly over one refresh period (no bursts);
  // jitter would let them drift back into clumps.
  if (out.size() > 1) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i].config.first_refresh_slot = static_cast<double>(i) / static_cast<double>(out.size());
      out[i].config.refresh_jitter = 0.0;
    }
  }
  return out;
}

}  // namespace sipwake::sipreg
