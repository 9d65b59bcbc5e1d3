#include "tools/handset_gen/handset_gen.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "tools/handset_gen/calendar_gen.h"
#include "tools/handset_gen/contact_gen.h"
#include "tools/handset_gen/jpeg_gen.h"
#include "tools/handset_gen/malformed.h"
#include "tools/handset_gen/photo_plan.h"
#include "tools/handset_gen/rng.h"
#include "tools/handset_gen/tree_writer.h"

namespace holdfast::handset_gen {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr int64_t k2024 = 1704067200;  // 2024-01-01T00:00:00Z
constexpr int64_t kYear = 365 * 86400;
constexpr unsigned kMaxPhotoThreads = 8;

// Each kind draws from its own stream, so changing one kind's code or count
// leaves the others' files as they were.
enum StreamTag : uint64_t {
  kTimeStream = 1,
  kContactStream,
  kEventStream,
  kTaskStream,
  kNoteStream,
  kPhotoPlanStream,
  kCalibrationStream,
  kExtraStream,
};

constexpr std::string_view kFolders[] = {
    "contacts/personal", "contacts/work", "calendars/home", "calendars/work",
    "tasks/todo",        "notes/journal", "photos",
};

Status CheckOutputDir(const std::filesystem::path& dir) {
  if (dir.empty()) return Status(ErrorCode::kInvalidArgument, "no output folder given");
  std::error_code ec;
  const auto status = std::filesystem::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status(ErrorCode::kIoError, dir.string() + ": " + ec.message());
  }
  if (!std::filesystem::exists(status)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return ErrnoStatus("create " + dir.string(), ec.value());
    return Status::Ok();
  }
  if (!std::filesystem::is_directory(status)) {
    return Status(ErrorCode::kInvalidArgument, dir.string() + ": exists and is not a folder");
  }
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return ErrnoStatus("list " + dir.string(), ec.value());
  if (it != std::filesystem::directory_iterator()) {
    return Status(ErrorCode::kAlreadyExists,
                  dir.string() +
                      ": folder is not empty; give an empty or new folder so no "
                      "existing file is mixed into the generated handset");
  }
  return Status::Ok();
}

// Encodes and writes photos taken from a shared counter. Each photo depends
// on its plan alone, so the order threads take them in does not matter.
class PhotoWorkers {
 public:
  PhotoWorkers(TreeWriter& writer, const std::vector<PhotoPlan>& plans, uint64_t density)
      : writer_(writer), plans_(plans), density_(density) {}

  void Work() {
    for (;;) {
      if (failed_.load()) return;
      const size_t i = next_.fetch_add(1);
      if (i >= plans_.size()) return;
      const PhotoPlan& plan = plans_[i];
      Result<std::string> jpeg =
          MakeSizedPhoto(plan.seed, plan.target_bytes, plan.aspect_w, plan.aspect_h, density_);
      Status status = jpeg ? writer_.WriteFile("photos/" + plan.relative_path, *jpeg)
                           : jpeg.error().WithContext(plan.relative_path);
      if (status.ok()) {
        bytes_.fetch_add(jpeg->size());
      } else {
        Fail(status);
        return;
      }
    }
  }

  // Makes every worker stop after the photo it is on.
  void Cancel() { failed_.store(true); }

  Status status() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
  }
  uint64_t bytes() const { return bytes_.load(); }

 private:
  void Fail(const Status& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_.ok()) error_ = status;
    failed_.store(true);
  }

  TreeWriter& writer_;
  const std::vector<PhotoPlan>& plans_;
  uint64_t density_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> bytes_{0};
  mutable std::mutex mutex_;
  Status error_;
};

Status WriteTextItems(TreeWriter& writer, const ProfileSpec& spec, uint64_t seed, int64_t now_epoch,
                      GenerateSummary& summary) {
  ContactGenerator contacts(MixSeed(seed, kContactStream), now_epoch);
  for (int i = 0; i < spec.contacts; ++i) {
    Result<ContactFile> card = contacts.Next();
    if (!card) return card.error();
    const char* folder = card->work ? "contacts/work/" : "contacts/personal/";
    HF_RETURN_IF_ERROR(writer.WriteFile(folder + card->file_name, card->bytes));
    ++summary.contacts;
  }
  CalendarGenerator events(MixSeed(seed, kEventStream), now_epoch);
  for (int i = 0; i < spec.events; ++i) {
    IcsFile event = events.NextEvent();
    const char* folder = event.work ? "calendars/work/" : "calendars/home/";
    HF_RETURN_IF_ERROR(writer.WriteFile(folder + event.file_name, event.bytes));
    ++summary.events;
  }
  CalendarGenerator tasks(MixSeed(seed, kTaskStream), now_epoch);
  for (int i = 0; i < spec.tasks; ++i) {
    IcsFile task = tasks.NextTask();
    HF_RETURN_IF_ERROR(writer.WriteFile("tasks/todo/" + task.file_name, task.bytes));
    ++summary.tasks;
  }
  CalendarGenerator notes(MixSeed(seed, kNoteStream), now_epoch);
  for (int i = 0; i < spec.notes; ++i) {
    IcsFile note = notes.NextNote();
    HF_RETURN_IF_ERROR(writer.WriteFile("notes/journal/" + note.file_name, note.bytes));
    ++summary.notes;
  }
  return Status::Ok();
}

}  // namespace

ProfileSpec SpecFor(Profile profile) {
  ProfileSpec spec;
  if (profile == Profile::kLarge || profile == Profile::kHuge) {
    spec.contacts = 100000;
    spec.events = 20000;
    spec.tasks = 5000;
    spec.notes = 1000;
    spec.photos = 500;
    spec.photo_min_bytes = 9 * kMiB / 10;
    spec.photo_max_bytes = 11 * kMiB / 10;
    spec.export_contacts = 1000;
    spec.export_events = 500;
    if (profile == Profile::kHuge) {
      // Ten times every count of `large` (photo sizes unchanged): the memory
      // benchmarks show their peaks do not grow with the number of items.
      spec.contacts *= 10;
      spec.events *= 10;
      spec.tasks *= 10;
      spec.notes *= 10;
      spec.photos *= 10;
    }
  } else {
    spec.contacts = 200;
    spec.events = 300;
    spec.tasks = 50;
    spec.notes = 20;
    spec.photos = 20;
    spec.photo_min_bytes = 100 * kKiB;
    spec.photo_max_bytes = 300 * kKiB;
    spec.export_contacts = 25;
    spec.export_events = 30;
  }
  return spec;
}

Result<Profile> ParseProfile(std::string_view name) {
  if (name == "small") return Profile::kSmall;
  if (name == "large") return Profile::kLarge;
  if (name == "huge") return Profile::kHuge;
  return Status(ErrorCode::kInvalidArgument,
                "unknown profile \"" + std::string(name) + "\": use small, large or huge");
}

Result<GenerateSummary> GenerateHandset(const GenerateOptions& options) {
  HF_RETURN_IF_ERROR(CheckOutputDir(options.out_dir));
  const ProfileSpec spec = SpecFor(options.profile);
  const uint64_t seed = options.seed;
  GenerateSummary summary;
  summary.mtime_epoch = k2024 + static_cast<int64_t>(MixSeed(seed, kTimeStream) % kYear);
  const int64_t now_epoch = summary.mtime_epoch;

  TreeWriter writer(options.out_dir, summary.mtime_epoch);
  for (std::string_view folder : kFolders) HF_RETURN_IF_ERROR(writer.MakeDirs(folder));
  for (std::string_view folder : PhotoFolders()) {
    HF_RETURN_IF_ERROR(writer.MakeDirs("photos/" + std::string(folder)));
  }

  const std::vector<PhotoPlan> plans =
      PlanPhotos(MixSeed(seed, kPhotoPlanStream), spec.photos, spec.photo_min_bytes,
                 spec.photo_max_bytes, now_epoch);
  Result<uint64_t> density = MeasureBytesPerKilopixel(MixSeed(seed, kCalibrationStream));
  if (!density) return density.error();
  PhotoWorkers photos(writer, plans, *density);

  // Photos take most of the time: helpers start on them while this thread
  // writes the small text files, then joins in.
  std::vector<std::jthread> helpers;  // joined even if an exception unwinds
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned helper_count = std::min(kMaxPhotoThreads, std::max(1u, cores - 1));
  for (unsigned i = 0; i < helper_count && !plans.empty(); ++i) {
    try {
      helpers.emplace_back([&photos] { photos.Work(); });
    } catch (const std::system_error&) {
      break;  // fewer threads: slower, same output
    }
  }
  Status text_status = WriteTextItems(writer, spec, seed, now_epoch, summary);
  if (text_status.ok() && options.malformed) {
    Result<std::vector<ExtraFile>> extras = MakeExtraFiles(
        MixSeed(seed, kExtraStream), now_epoch, spec.export_contacts, spec.export_events);
    if (!extras) {
      text_status = extras.error();
    } else {
      for (const ExtraFile& file : *extras) {
        text_status = writer.WriteFile(file.relative_path, file.bytes);
        if (!text_status.ok()) break;
        ++summary.extra_files;
      }
    }
  }
  if (text_status.ok()) {
    photos.Work();
  } else {
    photos.Cancel();
  }
  for (std::jthread& t : helpers) t.join();
  HF_RETURN_IF_ERROR(text_status);
  HF_RETURN_IF_ERROR(photos.status());
  summary.photos = static_cast<int>(plans.size());
  summary.photo_bytes = photos.bytes();

  HF_RETURN_IF_ERROR(writer.StampDirs());
  summary.files = writer.files_written();
  summary.bytes = writer.bytes_written();
  return summary;
}

}  // namespace holdfast::handset_gen
