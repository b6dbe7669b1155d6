#pragma once
// The running gateway's view of subscribers and their rules, reloaded when an admin
// command changes the database.

#include <map>
#include <string>
#include <vector>

#include "store.hpp"

namespace sipwake::worgw {

/// Cached subscribers and rules.
class Directory {
 public:
  explicit Directory(Store& store) : m_store(store) {}

  /// Loads everything; error when the database cannot be read.
  Result<void> load();
  /// Reloads when another process committed changes; true if it did.
  bool refresh_if_changed();
  /// The subscriber called `name` (the user part worgw is addressed with), or null.
  const Subscriber* find(const std::string& name) const;
  const std::vector<Rule>& rules(const std::string& name) const;
  const std::map<std::string, Subscriber>& all() const { return m_subs; }

 private:
  Store& m_store;
  std::int64_t m_version = -1;
  std::map<std::string, Subscriber> m_subs;
  std::map<std::string, std::vector<Rule>> m_rules;
};

}  // namespace sipwake::worgw
