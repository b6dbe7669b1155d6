#include "hooks.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

extern char** environ;

namespace sipwake::natkeep {

Result<int> spawn_hook(const std::string& command, const EnvVars& env) {
  std::vector<std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) vars.emplace_back(*e);
  for (const auto& [k, v] : env) vars.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : vars) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh";
  std::string dash_c = "-c";
  std::string cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, envp.data());
  if (rc != 0) return fail(std::string("cannot run hook: ") + std::strerror(rc));
  return static_cast<int>(pid);
}

int reap_hooks() {
  int n = 0;
  int status = 0;
  while (waitpid(-1, &status, WNOHANG) > 0) ++n;
  return n;
}

EnvVars payload_env(const std::string& payload_json) {
  EnvVars out;
  auto j = nlohmann::json::parse(payload_json, nullptr, false);
  if (!j.is_object()) return out;
  for (auto& [k, v] : j.items()) {
    if (out.size() >= 32) break;
    std::string name = "NATKEEP_WAKE_";
    bool ok = !k.empty() && k.size() <= 32;
    for (char c : k) {
      if (std::isalnum(static_cast<unsigned char>(c))) {
        name.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      } else if (c == '_' || c == '-') {
        name.push_back('_');
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    if (v.is_string()) {
      out.emplace_back(name, v.get<std::string>());
    } else if (v.is_number() || v.is_boolean()) {
      out.emplace_back(name, v.dump());
    }
  }
  return out;
}

}  // namespace sipwake::natkeep
