#include "platform/temp_name.h"

#include <unistd.h>

#include "platform/sha256.h"

namespace holdfast::platform {
namespace {

// Temp names must fit in NAME_MAX (255 bytes) whatever the target's name:
// a name of up to kMaxKeptNameBytes is kept (readable in a listing), a
// longer one becomes its first kCutNameBytes, '~' and 16 hex digits of its
// SHA-256 (exactly kMaxKeptNameBytes + 1 bytes, so that it never equals a
// kept name). With ".holdfast-", '.', a pid, '.', 16 random hex digits and
// the longest suffix (".staging") that stays under 190 bytes.
constexpr size_t kMaxKeptNameBytes = 136;
constexpr size_t kCutNameBytes = kMaxKeptNameBytes - 16;

}  // namespace

std::string TempPrefix(const std::string& name) {
  std::string kept = name;
  if (kept.size() > kMaxKeptNameBytes) {
    kept = kept.substr(0, kCutNameBytes) + "~" + ToHex(Sha256Of(kept)).substr(0, 16);
  }
  return ".holdfast-" + kept + ".";
}

std::string TempName(const std::string& name, const char* suffix) {
  static const std::string pid = std::to_string(getpid());
  // 16 random hex digits: a name nobody can guess and plant a link under
  // ahead of time (O_EXCL refuses whatever is there all the same).
  return TempPrefix(name) + pid + "." + RandomHex(8) + suffix;
}

}  // namespace holdfast::platform
