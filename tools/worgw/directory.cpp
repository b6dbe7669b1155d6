#include "directory.hpp"

namespace sipwake::worgw {

Result<void> Directory::load() {
  auto version = m_store.data_version();
  auto subs = m_store.subscribers();
  if (!subs) return subs.error();
  std::map<std::string, Subscriber> by_name;
  std::map<std::string, std::vector<Rule>> rules;
  for (auto& s : *subs) {
    auto r = m_store.rules(s.name);
    if (!r) return r.error();
    rules[s.name] = std::move(*r);
    by_name[s.name] = std::move(s);
  }
  m_subs = std::move(by_name);
  m_rules = std::move(rules);
  m_version = version ? *version : -1;
  return {};
}

bool Directory::refresh_if_changed() {
  auto version = m_store.data_version();
  if (!version || *version == m_version) return false;
  return load().ok();
}

const Subscriber* Directory::find(const std::string& name) const {
  auto it = m_subs.find(name);
  return it == m_subs.end() ? nullptr : &it->second;
}

const std::vector<Rule>& Directory::rules(const std::string& name) const {
  static const std::vector<Rule> k_none;
  auto it = m_rules.find(name);
  return it == m_rules.end() ? k_none : it->second;
}

}  // namespace sipwake::worgw
