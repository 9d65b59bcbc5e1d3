// Where the synthetic handset's photos go, what they are called and how big
// they are, decided up front so that the (slow) encoding can then run on
// several threads in any order and still give the same files.
//
// Folders under photos/, in a repeating pattern of ten photos:
//   6 in DCIM/Camera        IMG_YYYYMMDD_HHMMSS_N.jpg  (N counts from 1)
//   2 in DCIM/Screenshots   Screenshot_YYYYMMDD-HHMMSS_N.jpg (tall 9:20)
//   2 in Pictures/2019/Trip, its "Day 2" subfolder and its "Kyōto 京都"
//     subfolder in turn    DSC_NNNN.jpg (NNNN counts from 0001)
// Names never repeat. Timestamps are in the past of the handset's "now".
//
// Thread-safety: pure function. Durability: none.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::handset_gen {

struct PhotoPlan {
  std::string relative_path;  // under photos/, e.g. "DCIM/Camera/IMG_..._1.jpg"
  uint64_t seed = 0;          // fixes the image content
  uint64_t target_bytes = 0;  // the size to aim for
  int aspect_w = 4;
  int aspect_h = 3;
};

// Every folder a plan may use, relative to photos/, parents before children.
std::vector<std::string_view> PhotoFolders();

// `count` photos with sizes uniform in [min_bytes, max_bytes].
std::vector<PhotoPlan> PlanPhotos(uint64_t seed, int count, uint64_t min_bytes, uint64_t max_bytes,
                                  int64_t now_epoch);

}  // namespace holdfast::handset_gen
