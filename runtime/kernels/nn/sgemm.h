// A packed, register-blocked float32 matrix product over the step's thread pool: the fully
// connected layers (constant weights, xnnpack/fully_connected.cpp), attention's Q x K^T and
// P x V (batched MatMul, FusedAttention), and the im2col product of the reference Conv.
//
//   SgemmArgs g;
//   g.m = M; g.n = N; g.k = K;
//   g.a = a; g.lda = K;                  // A row-major
//   g.b = b; g.b_rs = N; g.b_cs = 1;     // B row-major (or b_rs = 1, b_cs = K: B transposed)
//   g.c = c; g.ldc = N;
//   float* packed = ...;                 // sgemm_packed_floats(g) floats (scratch)
//   sgemm(g, packed, ctx.threadpool());  // c = A x B (+ bias per column, if g.bias)
//
// Constant weights are packed once (sgemm_pack_b, then g.b_packed). A clamp and SiLU can be
// applied to the accumulators before C is stored (out_min / out_max, silu): the fully
// connected layers' Relu / Clip / SiLU cost no pass over C.
//
// Method: B is copied into panels of NR columns (k-major, zero-padded at the right edge), then
// each block of C is accumulated in registers over the whole of k: MR x NR tiles, tiles of
// one vector and twice the rows for a last panel of at most NR / 2 columns, and tiles of
// MR / 2 and MR / 4 rows (one vector: MR and MR / 2) for the rows left at the bottom. When A is
// short (one block of rows, as in a decoder's attention over a few tokens) and B row-major, B
// is read in place instead, since packing it would cost as much as the product; only its
// ragged last panel is packed. The tiles are compiled for AVX-512 (MR x NR = 8 x 32), AVX2+FMA
// (6 x 16) and the x86-64 baseline (4 x 8) and picked once from the CPU's features; other
// targets get the baseline's. A kernel may take k in blocks (later blocks continue from C);
// only an im2col does today, in blocks of whole filter taps.
//
// Which of A and B is read once: a large B (4 MiB and up, or 1 MiB and up with A within
// 512 KiB) with fewer rows than columns is streamed once, every row of A meeting each panel
// (fully connected layers over a few hundred tokens); otherwise B's panels are re-read per
// block of rows.
//
// Convolution (SgemmArgs::conv): A's rows are read through per-tap pointers into the NHWC input
// (XNNPACK's indirect GEMM idea), one segment per filter tap, and zeros for the padding.
//
// Determinism: every element of C is one thread's dot product over k in ascending order,
// starting from the bias, whatever the tile and the thread count, so results do not depend on
// the number of threads. They can differ from nn::gemm in the last bits (fused multiply-add,
// different order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

struct pthreadpool;

namespace parallax::rt::kernels::nn {

// An NHWC convolution's input as the A of its implicit im2col product (SgemmArgs::conv): row
// i is output pixel (n, oy, ox) in row-major order, column p = (ky * kw + kx) * c + ch, and
// A(i, p) = x[n][oy * stride_h + ky * dil_h - pad_top][ox * stride_w + kx * dil_w - pad_left][ch],
// zero outside the image. Nothing is copied: each tile reads the input rows of its pixels.
struct SgemmConv {
  const float* x = nullptr;  // [n, in_h, in_w, c]
  int64_t in_h = 0, in_w = 0, c = 0;
  int64_t out_h = 0, out_w = 0;
  int64_t kh = 1, kw = 1;
  int64_t stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1, pad_top = 0, pad_left = 0;
};

struct SgemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;  // A(i, p) = a[i * lda + p]
  int64_t lda = 0;
  const float* b = nullptr;  // B(p, j) = b[p * b_rs + j * b_cs]
  int64_t b_rs = 0, b_cs = 1;
  float* c = nullptr;  // C(i, j) = c[i * ldc + j]
  int64_t ldc = 0;
  // Batched products: product t reads A at a + a_off[t], B matrix b_index[t] (at
  // b + b_index[t] * b_stride) and writes C at c + c_off[t]. With batch == 1 the arrays may be
  // null (offset 0, B matrix 0).
  int64_t batch = 1;
  const int64_t* a_off = nullptr;
  const int64_t* c_off = nullptr;
  const int64_t* b_index = nullptr;
  int64_t b_count = 1;  // distinct B matrices (each packed once)
  int64_t b_stride = 0;
  // B already in panels (sgemm_pack_b, one matrix, batch entries all use it): b, b_rs, b_cs,
  // b_count and b_stride are ignored and nothing is packed per call. Constant weights are
  // packed once this way; streaming contiguous panels beats reading B's rows in place.
  const float* b_packed = nullptr;
  // Optional: n values added to every row of C (the accumulators start from them).
  const float* bias = nullptr;
  // Optional epilogue, applied to the accumulators in registers before C is stored: a clamp
  // to [out_min, out_max] (max with out_min first, as Clip; the defaults leave C as is), then,
  // with `silu`, x * sigmoid(silu_alpha * x) with nn::silu_f32's arithmetic (nn/vector_exp.h;
  // silu_alpha 1 is SiLU, others Swish).
  float out_min = -std::numeric_limits<float>::infinity();
  float out_max = std::numeric_limits<float>::infinity();
  bool silu = false;
  float silu_alpha = 1.0f;
  // Optional: A is this convolution's im2col (a and lda are not read); then m = n * out_h *
  // out_w, k = kh * kw * c, batch 1, and B comes prepacked.
  const SgemmConv* conv = nullptr;
};

// Rows of sgemm's full tile on this CPU (8 AVX-512, 6 AVX2, 4 otherwise): row blocks that are
// a multiple of it leave no short tiles.
int sgemm_tile_rows();

// Floats that sgemm_pack_b writes for a k x n matrix.
size_t sgemm_packed_b_floats(int64_t k, int64_t n);

// Packs B(p, j) = b[p * b_rs + j * b_cs] (k x n) into `out` (sgemm_packed_b_floats(k, n)
// floats), the layout SgemmArgs::b_packed expects.
void sgemm_pack_b(const float* b, int64_t b_rs, int64_t b_cs, int64_t k, int64_t n, float* out);

// Floats of packing space that sgemm needs for `g` (its B matrices in panels; 0 with b_packed).
size_t sgemm_packed_floats(const SgemmArgs& g);

// C = A x B for every product of `g`; `packed` has sgemm_packed_floats(g) floats (64-byte
// aligned is fastest); `pool` may be null (single-threaded).
void sgemm(const SgemmArgs& g, float* packed, ::pthreadpool* pool);

}  // namespace parallax::rt::kernels::nn
