// An eds source (SourceKind::kEds, docs/eds.md) as capture and restore see
// it: which of EDS's collections it covers, and each collection read whole.
//
// Capture treats each EDS collection like one file of a folder source: its
// stat cache entry is keyed "<eds kind>/<uid>" and stamped with the
// collection's revision instead of an mtime, so a collection EDS did not
// change since the last capture is not read at all, and one that changed is
// read in one request and its items stored as a file's items are (the
// device-loss guard included: a collection that vanished or emptied records
// no deletion).
//
// Thread-safety: as the EdsStore given. Durability: none (reads only).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/device/file_prefetcher.h"
#include "platform/eds/eds_store.h"
#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

// The vault's item kind for an EDS collection kind, and back.
storage::ItemKind ItemKindOfEds(platform::eds::EdsKind kind);
platform::eds::EdsKind EdsKindOfItems(storage::ItemKind kind);

// The stat cache path of an EDS collection: "<EdsKindName>/<uid>".
std::string EdsCachePath(const platform::eds::EdsCollection& collection);

// The collections an eds source covers, of what EDS lists now: the source's
// picks (a pick EDS does not have is left out: capture then finds its items
// missing and the guard judges that), or else every local (backend "local")
// collection of the four kinds. Errors: those of ListCollections.
Result<std::vector<platform::eds::EdsCollection>> ChooseEdsCollections(platform::eds::EdsStore& store,
                                                                       const SourceConfig& source);

// A stamp of a collection's revision for the stat cache's mtime field: a
// 63-bit hash of the collection's UID and revision text.
int64_t EdsRevisionStamp(const platform::eds::EdsCollection& collection, const std::string& revision);

// Whether a revision can be trusted to change with the next write. EDS's
// revision is "<UTC time to the second or finer>(<counter>)" and the counter
// starts again when EDS reopens the collection, so two states can share one
// revision within its second: one read in that second (or with a time that
// cannot be read) is not trusted, and the collection is read again at the
// next capture (git's "racy" files, the same way).
bool EdsRevisionSettled(const std::string& revision, int64_t now_s);

// Reads a whole collection as one PrefetchedFile: every item parsed by the
// vCard / iCalendar reader (path for messages: EdsCachePath), hashed, with
// size_bytes the total of their texts and sha256 a digest of all of them.
// Items EDS holds that the readers refuse make the whole collection a
// read_error (nothing of it is stored, and nothing is taken as deleted),
// naming the item. Photo files EDS could not give are added to `problems`.
// Errors: EDS failures (the caller reports them as the source's error).
Result<PrefetchedFile> ReadEdsCollection(platform::eds::EdsStore& store,
                                         const platform::eds::EdsCollection& collection,
                                         std::vector<std::string>* problems);

}  // namespace holdfast::agent

namespace holdfast::agent {

struct RestoreOptions;
struct SourceRestore;

// restore-device for an eds source (restore.h): each collection of the
// source in the vault goes back into the EDS collection of its UID (created
// as a local one when EDS has none), through EDS's API: items whose UID EDS
// lacks are added, items EDS holds the same (platform::dav::SameItemContent, photos
// compared by their bytes) are left, items that differ are left unless
// options.overwrite. UIDs are kept, so a restore cut short (killed) and run
// again adds only what is still missing: never a duplicate. The report's
// file counts count items here. Errors: EDS unreachable, vault errors; an
// item EDS refuses is counted in files_failed and named in the error.
Status RestoreEdsSource(storage::Vault& vault, const SourceConfig& source, const RestoreOptions& options,
                        SourceRestore* report);

}  // namespace holdfast::agent
