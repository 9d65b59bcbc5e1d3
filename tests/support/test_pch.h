// The precompiled header of every test executable (tests/CMakeLists.txt):
// the heavy headers most tests include, parsed once per build instead of once
// per test source. Only library headers belong here, never the project's own
// (a test must still include what it uses; this only makes it faster).
#pragma once

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
