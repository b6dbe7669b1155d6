#pragma once
// worsend's subcommands, each returning the process exit status.

#include <optional>

#include "model.hpp"
#include "options.hpp"
#include "sipwake/util/result.hpp"

namespace sipwake::worsend {

/// serve: the wake server (server.cpp).
int run_serve(const Options& o);
/// device add|set|list|remove (device_cmd.cpp).
int run_device(const Options& o);
/// log: the audit trail (log_cmd.cpp).
int run_log(const Options& o);

/// The device `device add` (existing empty) or `device set` (existing given) describes.
Result<Device> build_device(const DeviceArgs& args, const std::optional<Device>& existing);

}  // namespace sipwake::worsend
