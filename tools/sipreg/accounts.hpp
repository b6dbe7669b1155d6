#pragma once
// Registrations to run: from the command line, or many from an accounts file.

#include <string>
#include <vector>

#include "options.hpp"
#include "sipwake/reg/registration.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::sipreg {

/// One registration plus its fixed Contact, if any.
struct Account {
  reg::Config config;
  std::optional<std::string> contact;
};

/// Builds the account list. With --accounts, each JSON Lines entry
/// {"aor":..,"user":..,"password":..,"password_file":..,"registrar":..,"contact":..,"expires":..,
///  "instance":..,"reg_id":..,"push_provider":..,"push_prid":..,"push_param":..}
/// inherits what it leaves out from the command line; blank and '#' lines are skipped.
/// `warnings` collects non-fatal notes (e.g. a world-readable secrets file).
Result<std::vector<Account>> load_accounts(const Options& options, std::vector<std::string>& warnings);

}  // namespace sipwake::sipreg
