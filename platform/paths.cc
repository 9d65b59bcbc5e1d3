#include "platform/paths.h"

#include <cstdlib>
#include <string>

namespace holdfast::platform {
namespace {

Result<std::filesystem::path> XdgDir(const char* variable, const char* home_suffix) {
  const char* xdg = std::getenv(variable);
  // The spec says a relative value is invalid and must be ignored.
  if (xdg != nullptr && xdg[0] == '/') return std::filesystem::path(xdg) / "holdfast";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') {
    return std::filesystem::path(home) / home_suffix / "holdfast";
  }
  return Status(ErrorCode::kNotFound, std::string("neither ") + variable +
                                          " nor HOME is set to an absolute path: pass --vault");
}

}  // namespace

Result<std::filesystem::path> DefaultDataDir() { return XdgDir("XDG_DATA_HOME", ".local/share"); }

Result<std::filesystem::path> DefaultConfigDir() { return XdgDir("XDG_CONFIG_HOME", ".config"); }

}  // namespace holdfast::platform
