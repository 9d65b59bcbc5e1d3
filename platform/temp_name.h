// Temp names: the one way Holdfast names a file or folder it writes under a
// temporary name beside its target before renaming it into place
// (platform/files.h WriteFileAtomically, platform/staged_files.h).
//
// A temp name is ".holdfast-<name>.<pid>.<16 random hex digits><suffix>":
//   - hidden and starting with ".holdfast-", so that capture (which skips
//     hidden files) never mistakes a leftover for an item;
//   - unguessable (the kernel's random source), so that nobody can plant a
//     link under it ahead of time (writers create it with O_EXCL|O_NOFOLLOW);
//   - carrying the writer's pid, so that a later run can tell a dead
//     process's leftover from a live one's;
//   - within NAME_MAX for any target name: in "<name>" a name over 136 bytes
//     stands shortened to its first 120 bytes, '~' and 16 hex digits of its
//     SHA-256, and suffixes stay short (".tmp", ".staging", ".old").
// Thread-safe. The pid is read at the first call (a forked child keeps its
// parent's in the names it makes).
#pragma once

#include <string>

namespace holdfast::platform {

// ".holdfast-<name>.", the start of every temp name beside `name` (a single
// path component): what a scan for leftovers of that target looks for.
std::string TempPrefix(const std::string& name);

// A fresh temp name beside `name`, ending in `suffix` (e.g. ".tmp").
std::string TempName(const std::string& name, const char* suffix);

}  // namespace holdfast::platform
