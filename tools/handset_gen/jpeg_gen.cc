#include "tools/handset_gen/jpeg_gen.h"

#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <vector>
// jpeglib.h uses FILE and size_t without declaring them: it comes after <cstdio>.
#include <jpeglib.h>

#include "tools/handset_gen/rng.h"

namespace holdfast::handset_gen {
namespace {

constexpr int kPhotoQuality = 90;
constexpr int kAvatarQuality = 75;
constexpr int kMaxSide = 16384;
constexpr int kGridW = 6;
constexpr int kGridH = 5;
constexpr int kCalibrationSide = 512;
constexpr int kMaxTries = 3;
constexpr uint64_t kTolerancePercent = 8;

// libjpeg reports fatal errors through error_exit, which must not return:
// jump back to the setjmp in Encode() with the formatted message.
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void OnJpegError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings are not worth a line on the terminal of a test-data generator.
void IgnoreJpegMessage(j_common_ptr, int) {}

// The image recipe: a kGridW x kGridH lattice of YCbCr colours, bilinearly
// interpolated, plus uniform noise (amplitude `grain` on Y, grain/3 on
// Cb/Cr). Rows come out one at a time so the whole image never sits in memory.
class NoiseImage {
 public:
  NoiseImage(uint64_t seed, int width, int height, int grain)
      : rng_(seed), width_(width), height_(height), col_cell_(width), col_weight_(width) {
    for (auto& row : grid_) {
      for (auto& colour : row) {
        colour[0] = rng_.Int(30, 225);
        colour[1] = rng_.Int(70, 186);
        colour[2] = rng_.Int(70, 186);
      }
    }
    for (int i = 0; i < 256; ++i) {
      luma_noise_[i] = static_cast<int8_t>(i % (2 * grain + 1) - grain);
    }
    const int chroma = grain / 3 > 0 ? grain / 3 : 1;
    for (int i = 0; i < 16; ++i) {
      chroma_noise_[i] = static_cast<int8_t>((i * (2 * chroma + 1)) / 16 - chroma);
    }
    for (int x = 0; x < width; ++x) {
      const int f = width > 1 ? x * (kGridW - 1) * 256 / (width - 1) : 0;
      col_cell_[x] = f >> 8 < kGridW - 1 ? f >> 8 : kGridW - 2;
      col_weight_[x] = f - col_cell_[x] * 256;
    }
  }

  // Fills `row` (width * 3 bytes, Y Cb Cr) with row number `y`.
  void Row(int y, JSAMPLE* row) {
    const int f = height_ > 1 ? y * (kGridH - 1) * 256 / (height_ - 1) : 0;
    const int cell = f >> 8 < kGridH - 1 ? f >> 8 : kGridH - 2;
    const int ty = f - cell * 256;
    int line[kGridW][3];
    for (int gx = 0; gx < kGridW; ++gx) {
      for (int c = 0; c < 3; ++c) {
        line[gx][c] = (grid_[cell][gx][c] * (256 - ty) + grid_[cell + 1][gx][c] * ty) >> 8;
      }
    }
    uint64_t bits = 0;
    for (int x = 0; x < width_; ++x) {
      if ((x & 3) == 0) bits = rng_.Next();
      const int gx = col_cell_[x];
      const int tx = col_weight_[x];
      const auto noise = static_cast<unsigned>(bits & 0xFFFF);
      bits >>= 16;
      const int y_val =
          ((line[gx][0] * (256 - tx) + line[gx + 1][0] * tx) >> 8) + luma_noise_[noise & 0xFF];
      const int cb_val = ((line[gx][1] * (256 - tx) + line[gx + 1][1] * tx) >> 8) +
                         chroma_noise_[(noise >> 8) & 0xF];
      const int cr_val =
          ((line[gx][2] * (256 - tx) + line[gx + 1][2] * tx) >> 8) + chroma_noise_[noise >> 12];
      row[3 * x] = Clamp(y_val);
      row[3 * x + 1] = Clamp(cb_val);
      row[3 * x + 2] = Clamp(cr_val);
    }
  }

 private:
  static JSAMPLE Clamp(int v) { return static_cast<JSAMPLE>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

  Rng rng_;
  int width_;
  int height_;
  int grid_[kGridH][kGridW][3];
  int8_t luma_noise_[256];
  int8_t chroma_noise_[16];
  std::vector<int> col_cell_;
  std::vector<int> col_weight_;
};

// Compresses `image` into `out`. Everything with a destructor is created
// before setjmp, so the longjmp from OnJpegError skips no destructor.
Status Encode(NoiseImage& image, int width, int height, int quality, std::string& out) {
  std::vector<JSAMPLE> row(static_cast<size_t>(width) * 3);
  jpeg_compress_struct cinfo;
  ErrorManager err;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = OnJpegError;
  err.pub.emit_message = IgnoreJpegMessage;
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
    return Status(ErrorCode::kInternal, std::string("libjpeg: ") + err.message);
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_YCbCr;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  cinfo.dct_method = JDCT_ISLOW;
  cinfo.optimize_coding = FALSE;
  cinfo.write_JFIF_header = TRUE;
  cinfo.density_unit = 1;  // dots per inch
  cinfo.X_density = 72;
  cinfo.Y_density = 72;
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    image.Row(static_cast<int>(cinfo.next_scanline), row.data());
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  out.assign(reinterpret_cast<const char*>(buffer), size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return Status::Ok();
}

constexpr int kPhotoGrain = 64;

// Integer square root (floor), so sizing does not depend on floating point.
uint64_t ISqrt(uint64_t n) {
  uint64_t lo = 0;
  uint64_t hi = 1ULL << 32;
  while (lo + 1 < hi) {
    const uint64_t mid = (lo + hi) / 2;
    if (mid * mid <= n) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

int RoundTo16(uint64_t v) {
  uint64_t r = (v + 8) / 16 * 16;
  if (r < 16) r = 16;
  if (r > static_cast<uint64_t>(kMaxSide)) r = kMaxSide;
  return static_cast<int>(r);
}

uint64_t Distance(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

}  // namespace

Result<std::string> EncodeNoiseJpeg(uint64_t seed, int width, int height, int quality) {
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide) {
    return Status(ErrorCode::kInvalidArgument, "jpeg: image size " + std::to_string(width) + "x" +
                                                   std::to_string(height) + " is outside 1..16384");
  }
  NoiseImage image(seed, width, height, kPhotoGrain);
  std::string out;
  HF_RETURN_IF_ERROR(Encode(image, width, height, quality, out));
  return out;
}

Result<uint64_t> MeasureBytesPerKilopixel(uint64_t seed) {
  Result<std::string> sample =
      EncodeNoiseJpeg(seed, kCalibrationSide, kCalibrationSide, kPhotoQuality);
  if (!sample) return sample.error();
  const uint64_t pixels = static_cast<uint64_t>(kCalibrationSide) * kCalibrationSide;
  const uint64_t density = sample->size() * 1000 / pixels;
  return density > 0 ? density : 1;
}

Result<std::string> MakeSizedPhoto(uint64_t seed, uint64_t target_bytes, int aspect_w, int aspect_h,
                                   uint64_t bytes_per_kilopixel) {
  if (aspect_w < 1 || aspect_h < 1 || bytes_per_kilopixel == 0) {
    return Status(ErrorCode::kInvalidArgument, "jpeg: bad aspect ratio or density");
  }
  uint64_t pixels = target_bytes * 1000 / bytes_per_kilopixel;
  std::string best;
  for (int attempt = 0; attempt < kMaxTries; ++attempt) {
    const int width = RoundTo16(
        ISqrt(pixels * static_cast<uint64_t>(aspect_w) / static_cast<uint64_t>(aspect_h)));
    const int height = RoundTo16(static_cast<uint64_t>(width) * static_cast<uint64_t>(aspect_h) /
                                 static_cast<uint64_t>(aspect_w));
    Result<std::string> photo = EncodeNoiseJpeg(seed, width, height, kPhotoQuality);
    if (!photo) return photo.error();
    const uint64_t got = photo->size();
    if (best.empty() || Distance(got, target_bytes) < Distance(best.size(), target_bytes)) {
      best = std::move(*photo);
    }
    if (Distance(got, target_bytes) * 100 <= target_bytes * kTolerancePercent) break;
    pixels = pixels * target_bytes / (got > 0 ? got : 1);
  }
  return best;
}

Result<std::string> MakeAvatarJpeg(uint64_t seed) {
  Rng rng(seed);
  const int side = 16 * rng.Int(3, 6);
  NoiseImage image(rng.Next(), side, side, 6);
  std::string out;
  HF_RETURN_IF_ERROR(Encode(image, side, side, kAvatarQuality, out));
  return out;
}

}  // namespace holdfast::handset_gen
