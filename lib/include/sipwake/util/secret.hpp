#pragma once
// Secrets (passwords, keys, tokens) come from files or the environment, never from
// the command line (DESIGN.md "Secrets").

#include <optional>
#include <string>
#include <string_view>

#include "sipwake/util/result.hpp"

namespace sipwake {

/// Reads a secret from the first line of a file (trailing CR/LF removed). `warning`
/// is set when the file is readable by group or others.
Result<std::string> read_secret_file(const std::string& path, std::string* warning = nullptr);

/// The file's secret when `path` is set, else the environment variable's value, else
/// nothing.
Result<std::optional<std::string>> secret_from(const std::optional<std::string>& path, const char* env_name,
                                               std::string* warning = nullptr);

}  // namespace sipwake
