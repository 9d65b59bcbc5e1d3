// Pseudo-random JPEG images for the synthetic handset, encoded with
// libjpeg-turbo: a smooth colour field (a "scene") under per-pixel noise
// (the "sensor grain"), which makes the compressed size predictable from the
// pixel count, so a photo can be sized to a target number of bytes.
//
// Output is a baseline JFIF file (APP0, no EXIF), 4:2:0, default Huffman
// tables, deterministic for a given seed and libjpeg-turbo release (its SIMD
// and C paths produce identical bytes).
//
// Thread-safety: every function is reentrant; run them on as many threads as
// you like. Durability: none (returns bytes in memory).
#pragma once

#include <cstdint>
#include <string>

#include "platform/status.h"

namespace holdfast::handset_gen {

// Encodes a `width` x `height` image whose content is fixed by `seed`.
// Errors: kInvalidArgument for a size outside 1..16384, kInternal when
// libjpeg reports an error (its message is included).
Result<std::string> EncodeNoiseJpeg(uint64_t seed, int width, int height, int quality);

// Compressed bytes per 1000 pixels of EncodeNoiseJpeg at the photo quality,
// measured on a 512x512 image of `seed`. Same errors as EncodeNoiseJpeg.
Result<uint64_t> MeasureBytesPerKilopixel(uint64_t seed);

// A photo of about `target_bytes` (normally within 8%; at worst the closest
// of three tries) with aspect ratio aspect_w:aspect_h, given the density
// measured by MeasureBytesPerKilopixel. Same errors as EncodeNoiseJpeg.
Result<std::string> MakeSizedPhoto(uint64_t seed, uint64_t target_bytes, int aspect_w, int aspect_h,
                                   uint64_t bytes_per_kilopixel);

// A small square avatar (48 to 96 pixels, a few KiB) for a vCard PHOTO.
Result<std::string> MakeAvatarJpeg(uint64_t seed);

}  // namespace holdfast::handset_gen
