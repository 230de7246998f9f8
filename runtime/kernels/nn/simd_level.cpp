// See simd_level.h.
#include "simd_level.h"

#include <cstdlib>
#include <cstring>

namespace parallax::rt::kernels::nn {

namespace {

SimdLevel detect() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
    return SimdLevel::kAvx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::kAvx2;
#endif
  return SimdLevel::kPortable;
}

SimdLevel cap(SimdLevel level) {
  const char* v = std::getenv("PARALLAX_SIMD");
  if (v == nullptr) return level;
  SimdLevel most = level;
  if (std::strcmp(v, "portable") == 0) most = SimdLevel::kPortable;
  if (std::strcmp(v, "avx2") == 0) most = SimdLevel::kAvx2;
  return most < level ? most : level;
}

}  // namespace

SimdLevel simd_level() {
  static const SimdLevel level = cap(detect());
  return level;
}

}  // namespace parallax::rt::kernels::nn
