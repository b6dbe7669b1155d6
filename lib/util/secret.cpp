#include "sipwake/util/secret.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace sipwake {

Result<std::string> read_secret_file(const std::string& path, std::string* warning) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail("cannot read " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail("cannot read " + path + ": not a regular file");
  if (warning && (st.st_mode & (S_IRGRP | S_IROTH))) {
    *warning = path + " is readable by other users; chmod 600 it";
  }
  std::ifstream in(path);
  if (!in) return fail("cannot read " + path + ": " + std::strerror(errno));
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

Result<std::optional<std::string>> secret_from(const std::optional<std::string>& path, const char* env_name,
                                               std::string* warning) {
  if (path) {
    auto s = read_secret_file(*path, warning);
    if (!s) return s.error();
    return std::optional<std::string>(std::move(*s));
  }
  if (const char* v = std::getenv(env_name)) return std::optional<std::string>(v);
  return std::optional<std::string>();
}

}  // namespace sipwake
