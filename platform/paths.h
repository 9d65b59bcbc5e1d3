// Where Holdfast keeps its files by default, following the XDG base
// directory specification. Pure functions of the environment.
#pragma once

#include <filesystem>

#include "platform/status.h"

namespace holdfast::platform {

// $XDG_DATA_HOME/holdfast, else $HOME/.local/share/holdfast.
// kNotFound when neither variable is set.
Result<std::filesystem::path> DefaultDataDir();

// $XDG_CONFIG_HOME/holdfast, else $HOME/.config/holdfast.
Result<std::filesystem::path> DefaultConfigDir();

}  // namespace holdfast::platform
