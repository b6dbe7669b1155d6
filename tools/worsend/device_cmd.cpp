#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "store.hpp"

namespace sipwake::worsend {
namespace {

void err(const std::string& msg) { std::fprintf(stderr, "worsend: %s\n", msg.c_str()); }

Transport* find(Device& d, TransportKind k) {
  for (auto& t : d.transports) {
    if (t.kind == k) return &t;
  }
  return nullptr;
}

void print_device(const Device& d) {
  std::cout << d.id << (d.rate ? "  rate " + d.rate->to_string() : "") << "\n";
  int i = 1;
  for (const auto& t : d.transports) {
    std::cout << "  " << i++ << ". " << kind_name(t.kind) << "  " << t.target;
    if (!t.natkeep_device.empty()) std::cout << "  natkeep-device " << t.natkeep_device;
    if (!t.token_file.empty()) std::cout << "  token-file " << t.token_file;
    std::cout << "  timeout " << t.timeout.count() << " ms\n";
  }
}

}  // namespace

Result<Device> build_device(const DeviceArgs& a, const std::optional<Device>& existing) {
  Device d = existing.value_or(Device{});
  d.id = a.id;
  for (const auto& name : a.drop) {
    auto k = parse_kind(name);
    if (!k) return k.error();
    std::erase_if(d.transports, [&](const Transport& t) { return t.kind == *k; });
  }
  auto upsert = [&](TransportKind k) -> Transport& {
    if (Transport* t = find(d, k)) return *t;
    Transport t;
    t.kind = k;
    t.timeout = default_timeout(k);
    d.transports.push_back(t);
    return d.transports.back();
  };
  // Given transports in command-line order; new ones go after the existing ones.
  for (TransportKind k : a.given_order) {
    Transport& t = upsert(k);
    if (k == TransportKind::udp) t.target = *a.udp;
    if (k == TransportKind::http) t.target = *a.http;
    if (k == TransportKind::exec) t.target = *a.exec;
  }
  if (a.natkeep_device) {
    Transport* t = find(d, TransportKind::udp);
    if (!t) return fail("--natkeep-device needs a udp transport (--udp)");
    t->natkeep_device = *a.natkeep_device;
  }
  if (a.token_file) {
    Transport* t = find(d, TransportKind::http);
    if (!t) return fail("--token-file needs an http transport (--http)");
    t->token_file = *a.token_file;
  }
  struct {
    const std::optional<std::int64_t>& v;
    TransportKind k;
    const char* name;
  } timeouts[] = {{a.udp_timeout, TransportKind::udp, "--udp-timeout"},
                  {a.http_timeout, TransportKind::http, "--http-timeout"},
                  {a.exec_timeout, TransportKind::exec, "--exec-timeout"}};
  for (const auto& t : timeouts) {
    if (!t.v) continue;
    Transport* tr = find(d, t.k);
    if (!tr) return fail(std::string(t.name) + " needs a " + kind_name(t.k) + " transport");
    tr->timeout = Duration{*t.v};
  }
  if (a.rate) {
    if (*a.rate == "default") {
      d.rate.reset();
    } else {
      auto r = RateLimit::parse(*a.rate);
      if (!r) return fail("--rate: " + r.message());
      d.rate = *r;
    }
  }
  if (a.order) {
    std::vector<Transport> ordered;
    std::string rest = *a.order;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto k = parse_kind(rest.substr(0, comma));
      if (!k) return fail("--order: " + k.message());
      Transport* t = find(d, *k);
      if (!t) return fail(std::string("--order names ") + kind_name(*k) + ", which the device does not have");
      ordered.push_back(*t);
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    }
    if (ordered.size() != d.transports.size()) return fail("--order must name every transport of the device once");
    d.transports = std::move(ordered);
  }
  if (d.transports.empty()) return fail("device " + d.id + " would have no transports");
  return d;
}

int run_device(const Options& o) {
  auto dbr = open_store(o.db);
  if (!dbr) {
    err(dbr.message());
    return k_exit_failure;
  }
  DeviceStore store(**dbr);
  switch (o.command) {
    case Command::device_add: {
      auto d = build_device(o.device, std::nullopt);
      if (!d) {
        err(d.message());
        return k_exit_usage;
      }
      if (auto r = store.add(*d); !r) {
        err(r.message());
        return k_exit_failure;
      }
      return k_exit_ok;
    }
    case Command::device_set: {
      auto cur = store.get(o.device.id);
      if (!cur) {
        err(cur.message());
        return k_exit_failure;
      }
      if (!*cur) {
        err("no device " + o.device.id);
        return k_exit_no_device;
      }
      auto d = build_device(o.device, *cur);
      if (!d) {
        err(d.message());
        return k_exit_usage;
      }
      auto r = store.replace(*d);
      if (!r) {
        err(r.message());
        return k_exit_failure;
      }
      return *r ? k_exit_ok : k_exit_no_device;
    }
    case Command::device_remove: {
      auto r = store.remove(o.device.id);
      if (!r) {
        err(r.message());
        return k_exit_failure;
      }
      if (!*r) {
        err("no device " + o.device.id);
        return k_exit_no_device;
      }
      return k_exit_ok;
    }
    case Command::device_list: {
      auto all = store.list();
      if (!all) {
        err(all.message());
        return k_exit_failure;
      }
      for (const auto& d : *all) {
        if (o.json) {
          std::cout << to_json(d).dump() << "\n";
        } else {
          print_device(d);
        }
      }
      return k_exit_ok;
    }
    default: return k_exit_usage;
  }
}

}  // namespace sipwake::worsend
