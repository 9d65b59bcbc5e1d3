// EdsStore::Connect when EDS support was built: the store itself lives in a
// module of its own (holdfast-eds.so, eds_store.cc), loaded the first time an
// eds source is used. Linked into every holdfast process, libebook and libecal
// would bring some 80 shared libraries with them (ICU, NSS, libsoup, ...),
// about 21 MiB of resident memory at every start of every command, an eds
// source or not (docs/benchmarks.md, issue 17, "Memory").
//
// The module is looked for, in this order:
//   1. $HOLDFAST_EDS_MODULE, when set (the tests point it at the build's);
//   2. holdfast-eds.so beside the running program (a build tree: the build
//      puts it beside agent/holdfast);
//   3. the installed one, found from the program's folder: bin/../lib/holdfast/modules
//      (HOLDFAST_EDS_MODULE_RELATIVE, eds.cmake), whatever the prefix.
// It is never unloaded: GLib cannot be.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "platform/eds/eds_store.h"

namespace holdfast::platform::eds {
namespace {

using ConnectFn = void (*)(const std::string* photo_root, Result<std::unique_ptr<EdsStore>>* out);
using StampFn = void (*)(std::string* out);

constexpr const char* kModuleName = "holdfast-eds.so";
constexpr const char* kEntryPoint = "holdfast_eds_connect_v1";
constexpr const char* kStampEntryPoint = "holdfast_eds_build_stamp_v1";

std::vector<std::string> Candidates() {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("HOLDFAST_EDS_MODULE"); env != nullptr && *env != '\0') {
    paths.emplace_back(env);
    return paths;  // asked for this one: no other is tried
  }
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir.resize(dir.rfind('/') + 1);
    paths.push_back(dir + kModuleName);
    paths.push_back(dir + HOLDFAST_EDS_MODULE_RELATIVE);
  }
  return paths;
}

struct Loaded {
  ConnectFn connect = nullptr;
  std::string error;
};

Loaded Load() {
  Loaded loaded;
  std::string tried;
  for (const std::string& path : Candidates()) {
    if (path.find('/') != std::string::npos && access(path.c_str(), F_OK) != 0) {
      tried += (tried.empty() ? "" : ", ") + path + " (not there)";
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      tried += (tried.empty() ? "" : ", ") + path + " (" + (why ? why : "dlopen failed") + ")";
      continue;
    }
    auto stamp = reinterpret_cast<StampFn>(dlsym(handle, kStampEntryPoint));
    auto connect = reinterpret_cast<ConnectFn>(dlsym(handle, kEntryPoint));
    if (stamp == nullptr || connect == nullptr) {
      tried += (tried.empty() ? "" : ", ") + path + " (not a holdfast EDS module of this interface)";
      dlclose(handle);
      continue;
    }
    // A module of another build (a package upgraded under a running agent,
    // say) would pass objects laid out otherwise: refused before any call.
    std::string theirs;
    stamp(&theirs);
    if (theirs != EdsBuildStamp()) {
      tried += (tried.empty() ? "" : ", ") + path + " (from another build of holdfast: " + theirs +
               "; this holdfast is " + EdsBuildStamp() + "; restart holdfast after an upgrade)";
      continue;  // left loaded: GLib cannot be unloaded once its types exist
    }
    loaded.connect = connect;
    return loaded;
  }
  if (tried.empty()) tried = "nothing (/proc/self/exe unreadable and HOLDFAST_EDS_MODULE not set)";
  loaded.error = "cannot load holdfast's Evolution Data Server module: tried " + tried +
                 " (reinstall holdfast, or set HOLDFAST_EDS_MODULE to the module's path)";
  return loaded;
}

}  // namespace

bool EdsSupportBuiltIn() { return true; }

Result<std::unique_ptr<EdsStore>> EdsStore::Connect(std::string photo_root) {
  // A module found is kept; one not found is looked for again at the next
  // use (an agent may outlive an install or an upgrade).
  static std::mutex mutex;
  static ConnectFn connect = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (connect == nullptr) {
      Loaded loaded = Load();
      if (loaded.connect == nullptr) return Status(ErrorCode::kNotFound, loaded.error);
      connect = loaded.connect;
    }
  }
  Result<std::unique_ptr<EdsStore>> store = Status(ErrorCode::kInternal, "the EDS module gave no answer");
  connect(&photo_root, &store);
  return store;
}

}  // namespace holdfast::platform::eds
