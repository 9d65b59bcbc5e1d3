// A portable pseudo-random generator for the synthetic handset: xoshiro256**
// seeded through splitmix64, with range and choice helpers written here.
//
// Why our own: std::uniform_*_distribution and std::shuffle give different
// sequences on different standard libraries, and the generator promises a
// byte-identical tree for a seed on any machine. Everything here is integer
// arithmetic with fixed-width types, so results depend on the seed alone.
//
// One draw per operand: never two draws (or two calls that take the Rng) as
// operands of one expression, such as `Name(rng) + Handle(rng)` or
// `Int(...) + Int(...)`; C++ leaves their order unspecified and g++ takes them
// right to left on x86-64 and left to right on arm64. Draw each into a local
// first (handset_gen_test pins the digest of two trees, so a slip shows there).
//
// Thread-safety: an Rng is a value; give each thread its own (see Stream()).
// Durability: none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

namespace holdfast::handset_gen {

// One splitmix64 step: advances `state` and returns a well-mixed value.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Mixes a seed with a tag into a new, unrelated seed (for independent streams).
inline uint64_t MixSeed(uint64_t seed, uint64_t tag) {
  uint64_t state = seed ^ (tag * 0xD1B54A32D192ED03ULL);
  SplitMix64(state);
  return SplitMix64(state);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t state = seed;
    for (uint64_t& word : s_) word = SplitMix64(state);
  }

  // An independent generator for stream `tag` of `seed`: the photos, the
  // contacts, photo number 17... do not shift when another stream changes.
  static Rng Stream(uint64_t seed, uint64_t tag) { return Rng(MixSeed(seed, tag)); }

  // 64 uniformly distributed bits.
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n); n must be > 0. Rejection sampling, so no modulo bias.
  uint64_t Below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;
    for (;;) {
      const uint64_t r = Next();
      if (r >= threshold) return r % n;
    }
  }

  // Uniform in [lo, hi], both included; requires lo <= hi.
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  int Int(int lo, int hi) { return static_cast<int>(Range(lo, hi)); }

  // True with probability percent/100.
  bool Percent(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
  // True with probability per_mille/1000.
  bool PerMille(int per_mille) { return Below(1000) < static_cast<uint64_t>(per_mille); }

  // One element of a non-empty span.
  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[static_cast<size_t>(Below(items.size()))];
  }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[static_cast<size_t>(Below(N))];
  }

  // An index chosen with the given non-negative integer weights (sum > 0).
  size_t Weighted(std::span<const int> weights) {
    uint64_t total = 0;
    for (int w : weights) total += static_cast<uint64_t>(w);
    uint64_t r = Below(total);
    for (size_t i = 0; i < weights.size(); ++i) {
      const auto w = static_cast<uint64_t>(weights[i]);
      if (r < w) return i;
      r -= w;
    }
    return weights.size() - 1;
  }

  size_t Weighted(std::initializer_list<int> weights) {
    return Weighted(std::span<const int>(weights.begin(), weights.size()));
  }

  // `n` lower-case hex digits.
  std::string Hex(size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(n);
    uint64_t bits = 0;
    for (size_t i = 0; i < n; ++i) {
      if (i % 16 == 0) bits = Next();
      out.push_back(kDigits[bits & 0xF]);
      bits >>= 4;
    }
    return out;
  }

  // A random (version 4) UUID in lower case, "8-4-4-4-12".
  std::string Uuid() {
    std::string h = Hex(32);
    h[12] = '4';
    h[16] = "89ab"[Below(4)];
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
           "-" + h.substr(20, 12);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t s_[4];
};

}  // namespace holdfast::handset_gen
