// The extra files `--malformed` adds to a synthetic handset: broken inputs a
// capture must survive, plus two valid multi-item exports. The list and what
// each file holds is documented in tools/handset_gen/handset_gen.h.
//
// Thread-safety: pure function. Durability: none.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/status.h"

namespace holdfast::handset_gen {

struct ExtraFile {
  std::string relative_path;  // from the output folder, e.g. "contacts/personal/x.vcf"
  std::string bytes;
};

// The extra files; export-many.vcf holds `export_contacts` cards and
// export-many.ics `export_events` events. Uses its own random streams, so the
// regular files are the same with or without them.
// Errors: kInternal when libjpeg fails (on an embedded contact photo).
Result<std::vector<ExtraFile>> MakeExtraFiles(uint64_t seed, int64_t now_epoch, int export_contacts,
                                              int export_events);

}  // namespace holdfast::handset_gen
