// The one matrix-multiply routine of the 'nn' family: Conv, ConvTranspose, MatMul, Gemm and
// the integer variants all reduce to it.
//
//   // out[M x N] = A[M x K] * B[K x N], A row-major with leading dimension K:
//   gemm<float>(M, N, K, MatView<float>{a, K, 1}, MatView<float>{b, N, 1}, out, N, false);
//
// Operands are strided views, so transposed operands need no copy. Arithmetic happens in the
// accumulator type C (float for float16/bfloat16 operands, int32 for 8-bit integer operands).
// The hot path (B rows contiguous) walks cache blocks of B and keeps 4 x 8 output tiles in
// registers across the k loop, so every 8-wide load of B feeds four output rows. When B is
// transposed (as in Gemm transB=1, the common Linear layer) the routine takes dot products
// with several independent partial sums, which compilers vectorise.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace parallax::rt::kernels::nn {

// Element (r, c) of a matrix lives at p[r * rs + c * cs].
template <typename T>
struct MatView {
  const T* p;
  int64_t rs;
  int64_t cs;
  T at(int64_t r, int64_t c) const { return p[r * rs + c * cs]; }
};

namespace detail {

constexpr int64_t kBlockN = 512;  // output columns per block: 4 rows x 512 floats stay in L1
constexpr int64_t kBlockK = 128;  // rows of B per block: a 128 x 512 float block stays in L2

// A 4 x 8 output tile accumulated in registers over k in [k0, k0+kb): the tile stays in
// registers while A and B stream by, so each loaded B vector feeds four rows. kUnitA says A's
// rows are contiguous (a.cs == 1).
//
// With GCC / Clang the tile rows are vector-extension values: left to itself the compiler
// vectorises the k loop instead (with transposes), which is four times slower.
#if defined(__GNUC__)
template <typename C>
struct Row8 {
  typedef C type __attribute__((vector_size(8 * sizeof(C))));
};
template <bool kUnitA, typename C, typename TA, typename TB>
void tile_4x8(int64_t i, int64_t j, int64_t k0, int64_t kb, MatView<TA> a, MatView<TB> b, C* out,
              int64_t ldo) {
  using V = typename Row8<C>::type;
  V acc[4];
  for (int r = 0; r < 4; ++r) std::memcpy(&acc[r], out + (i + r) * ldo + j, sizeof(V));
  const int64_t acs = kUnitA ? 1 : a.cs;
  const TA* ar = a.p + i * a.rs + k0 * acs;
  const TB* br = b.p + k0 * b.rs + j;
  for (int64_t k = 0; k < kb; ++k, br += b.rs, ar += acs) {
    V bv;
    if constexpr (std::is_same_v<TB, C>) {
      std::memcpy(&bv, br, sizeof(V));
    } else {
      for (int l = 0; l < 8; ++l) bv[l] = static_cast<C>(br[l]);
    }
    for (int r = 0; r < 4; ++r) acc[r] += static_cast<C>(ar[r * a.rs]) * bv;
  }
  for (int r = 0; r < 4; ++r) std::memcpy(out + (i + r) * ldo + j, &acc[r], sizeof(V));
}
#else
template <bool kUnitA, typename C, typename TA, typename TB>
void tile_4x8(int64_t i, int64_t j, int64_t k0, int64_t kb, MatView<TA> a, MatView<TB> b, C* out,
              int64_t ldo) {
  C acc[4][8];
  for (int r = 0; r < 4; ++r)
    for (int l = 0; l < 8; ++l) acc[r][l] = out[(i + r) * ldo + j + l];
  for (int64_t k = k0; k < k0 + kb; ++k) {
    const TB* br = b.p + k * b.rs + j;
    for (int r = 0; r < 4; ++r) {
      const C av = static_cast<C>(a.at(i + r, k));
      for (int l = 0; l < 8; ++l) acc[r][l] += av * static_cast<C>(br[l]);
    }
  }
  for (int r = 0; r < 4; ++r)
    for (int l = 0; l < 8; ++l) out[(i + r) * ldo + j + l] = acc[r][l];
}
#endif

// out[i0..i1) x [j0, j0+nb) += A x B over k in [k0, k0+kb); B rows contiguous (b.cs == 1).
// Full 4 x 8 tiles go through tile_4x8; the ragged right and bottom edges use a row loop.
template <typename C, typename TA, typename TB>
void gemm_block(int64_t i0, int64_t i1, int64_t j0, int64_t nb, int64_t k0, int64_t kb,
                MatView<TA> a, MatView<TB> b, C* out, int64_t ldo) {
  const int64_t nb8 = nb - nb % 8;
  int64_t i = i0;
  for (; i + 4 <= i1; i += 4) {
    for (int64_t j = j0; j < j0 + nb8; j += 8) {
      if (a.cs == 1) {
        tile_4x8<true, C>(i, j, k0, kb, a, b, out, ldo);
      } else {
        tile_4x8<false, C>(i, j, k0, kb, a, b, out, ldo);
      }
    }
  }
  // Rows below the last full tile, all columns; then the columns right of the tiles.
  for (int64_t r = i0; r < i1; ++r) {
    const int64_t jstart = r < i ? j0 + nb8 : j0;
    const int64_t jend = j0 + nb;
    if (jstart == jend) continue;
    C* __restrict o = out + r * ldo;
    for (int64_t k = k0; k < k0 + kb; ++k) {
      const C av = static_cast<C>(a.at(r, k));
      const TB* __restrict br = b.p + k * b.rs;
      for (int64_t j = jstart; j < jend; ++j) o[j] += av * static_cast<C>(br[j]);
    }
  }
}

// out[i, j] += sum_k A(i, k) * B(k, j) with A rows and B columns contiguous in k.
template <typename C, typename TA, typename TB>
C dot(const TA* x, const TB* y, int64_t n) {
  constexpr int kLanes = 8;  // independent partial sums: vectorisable without reassociation
  C acc[kLanes] = {};
  const int64_t body = n - n % kLanes;
  for (int64_t k = 0; k < body; k += kLanes) {
    for (int l = 0; l < kLanes; ++l) acc[l] += static_cast<C>(x[k + l]) * static_cast<C>(y[k + l]);
  }
  C sum = C(0);
  for (int l = 0; l < kLanes; ++l) sum += acc[l];
  for (int64_t k = body; k < n; ++k) sum += static_cast<C>(x[k]) * static_cast<C>(y[k]);
  return sum;
}

}  // namespace detail

// out[M x N] (row stride ldo) = A * B, or += A * B when `accumulate`.
template <typename C, typename TA, typename TB>
void gemm(int64_t M, int64_t N, int64_t K, MatView<TA> a, MatView<TB> b, C* out, int64_t ldo,
          bool accumulate) {
  if (!accumulate) {
    for (int64_t i = 0; i < M; ++i) std::fill(out + i * ldo, out + i * ldo + N, C(0));
  }
  if (M == 0 || N == 0 || K == 0) return;
  if (b.cs == 1) {
    for (int64_t j0 = 0; j0 < N; j0 += detail::kBlockN) {
      const int64_t nb = std::min(detail::kBlockN, N - j0);
      for (int64_t k0 = 0; k0 < K; k0 += detail::kBlockK) {
        const int64_t kb = std::min(detail::kBlockK, K - k0);
        detail::gemm_block<C>(0, M, j0, nb, k0, kb, a, b, out, ldo);
      }
    }
    return;
  }
  if (b.rs == 1 && a.cs == 1) {
    for (int64_t i = 0; i < M; ++i) {
      const TA* ar = a.p + i * a.rs;
      C* o = out + i * ldo;
      for (int64_t j = 0; j < N; ++j) o[j] += detail::dot<C>(ar, b.p + j * b.cs, K);
    }
    return;
  }
  // Both operands strided (e.g. transA and transB together): rare, keep it simple.
  for (int64_t i = 0; i < M; ++i) {
    C* o = out + i * ldo;
    for (int64_t k = 0; k < K; ++k) {
      const C av = static_cast<C>(a.at(i, k));
      for (int64_t j = 0; j < N; ++j) o[j] += av * static_cast<C>(b.at(k, j));
    }
  }
}

}  // namespace parallax::rt::kernels::nn
