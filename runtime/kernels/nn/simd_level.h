// The instruction set the hand-vectorised kernels (sgemm, winograd, depthwise, input_conv,
// vector_math, fused/score_ops) pick their tiles for. Each compiles its tiles for AVX-512,
// AVX2+FMA and a portable baseline (GCC vector extensions; what ARM and other targets run) and
// asks this once which to use:
//
//   if (nn::simd_level() >= nn::SimdLevel::kAvx512) return &avx512_rows;
//
// The environment variable PARALLAX_SIMD ("portable", "avx2", "avx512") caps the level when
// the process first asks: the unit tests run the narrower variants on a wide machine that way
// (tests/unit/CMakeLists.txt), and a user can rule out a suspect variant without rebuilding.
// Anything else in the variable is ignored.
#pragma once

namespace parallax::rt::kernels::nn {

enum class SimdLevel { kPortable = 0, kAvx2 = 1, kAvx512 = 2 };

// The widest level this CPU runs (AVX-512 needs F and VL, AVX2 needs FMA too), capped by
// PARALLAX_SIMD. Computed once.
SimdLevel simd_level();

}  // namespace parallax::rt::kernels::nn
