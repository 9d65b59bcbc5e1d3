#include "platform/temp_name.h"

#include <sys/random.h>
#include <unistd.h>

#include <cerrno>

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

// 16 hex digits from the kernel's random source: a temp name nobody can
// guess and plant a link under ahead of time.
std::string RandomHex() {
  unsigned char bytes[8] = {};
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // O_EXCL still refuses whatever is under the name
    got += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : bytes) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

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
  return TempPrefix(name) + pid + "." + RandomHex() + suffix;
}

}  // namespace holdfast::platform
