#include "tools/handset_gen/photo_plan.h"

#include "tools/handset_gen/rng.h"
#include "tools/handset_gen/text_format.h"

namespace holdfast::handset_gen {
namespace {

constexpr std::string_view kCamera = "DCIM/Camera";
constexpr std::string_view kScreenshots = "DCIM/Screenshots";
constexpr std::string_view kTripFolders[] = {"Pictures/2019/Trip", "Pictures/2019/Trip/Day 2",
                                             "Pictures/2019/Trip/Kyōto 京都"};
constexpr int64_t kYear = 365 * 86400;

std::string Stamp(const DateTime& t, std::string_view between) {
  return FormatDateBasic(t) + std::string(between) + Padded(t.hour, 2) + Padded(t.minute, 2) +
         Padded(t.second, 2);
}

}  // namespace

std::vector<std::string_view> PhotoFolders() {
  return {"DCIM",          kCamera,         kScreenshots,    "Pictures",
          "Pictures/2019", kTripFolders[0], kTripFolders[1], kTripFolders[2]};
}

std::vector<PhotoPlan> PlanPhotos(uint64_t seed, int count, uint64_t min_bytes, uint64_t max_bytes,
                                  int64_t now_epoch) {
  Rng rng(seed);
  std::vector<PhotoPlan> plans;
  plans.reserve(static_cast<size_t>(count));
  // Camera and screenshot clocks walk forward from seven years ago, so file
  // names sort by time the way a phone's do.
  const int64_t span = 7 * kYear;
  const int64_t mean_gap = span / (count > 0 ? count : 1);
  int64_t camera_clock = now_epoch - span;
  int64_t screenshot_clock = now_epoch - span + mean_gap / 2;
  int camera_n = 0;
  int screenshot_n = 0;
  int trip_n = 0;
  for (int i = 0; i < count; ++i) {
    PhotoPlan plan;
    plan.seed = rng.Next();
    plan.target_bytes = static_cast<uint64_t>(
        rng.Range(static_cast<int64_t>(min_bytes), static_cast<int64_t>(max_bytes)));
    const int slot = i % 10;
    if (slot < 6) {
      camera_clock += rng.Range(60, 2 * mean_gap);
      if (camera_clock > now_epoch) camera_clock = now_epoch - rng.Range(1, 3600);
      static constexpr int kAspects[][2] = {{4, 3}, {4, 3},  {4, 3}, {3, 4},
                                            {3, 4}, {16, 9}, {1, 1}};
      const auto& aspect = rng.Pick(kAspects);
      plan.aspect_w = aspect[0];
      plan.aspect_h = aspect[1];
      plan.relative_path = std::string(kCamera) + "/IMG_" +
                           Stamp(FromEpochSeconds(camera_clock), "_") + "_" +
                           std::to_string(++camera_n) + ".jpg";
    } else if (slot < 8) {
      screenshot_clock += rng.Range(60, 4 * mean_gap);
      if (screenshot_clock > now_epoch) screenshot_clock = now_epoch - rng.Range(1, 3600);
      plan.aspect_w = 9;
      plan.aspect_h = 20;
      plan.relative_path = std::string(kScreenshots) + "/Screenshot_" +
                           Stamp(FromEpochSeconds(screenshot_clock), "-") + "_" +
                           std::to_string(++screenshot_n) + ".jpg";
    } else {
      const bool landscape = rng.Percent(70);
      plan.aspect_w = landscape ? 3 : 2;
      plan.aspect_h = landscape ? 2 : 3;
      plan.relative_path =
          std::string(kTripFolders[trip_n % 3]) + "/DSC_" + Padded(trip_n + 1, 4) + ".jpg";
      ++trip_n;
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace holdfast::handset_gen
