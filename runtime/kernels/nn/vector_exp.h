// Internal to the nn kernels: the vector types and lane-wise exp / SiLU of vector_math.cpp (see
// vector_math.h for the method and accuracy), shared with the kernels that fuse them into their
// register tiles (depthwise.cpp). Include only from files whose functions carry the target
// attributes they are inlined into; everything here is always_inline.
#pragma once

#include <cstdint>

namespace parallax::rt::kernels::nn {

// W floats (and W int32s) in one vector; U is the same at any float alignment. Explicit
// vectors here because GCC leaves the softmax loops scalar (a select and a bit cast inside).
template <int W>
struct Vec {
  typedef float F __attribute__((vector_size(W * sizeof(float))));
  typedef float U __attribute__((vector_size(W * sizeof(float)), aligned(4)));
  typedef int32_t I __attribute__((vector_size(W * sizeof(float))));
};

// c = exp(c) for c in [-87.3, 88.72] as 2^n * P(r): c = n ln 2 + r with |r| <= ln(2) / 2, P
// the degree-6 Taylor polynomial. n reaches 128 at the top, where 2^n is built as +inf. By
// reference: vectors passed or returned by value change the ABI.
template <typename F, typename I>
__attribute__((always_inline)) inline void exp_clamped(F& c) {
  // Round c * log2(e) to an integer n by adding 1.5 * 2^23: n lands in the low mantissa bits
  // (|n| <= 128), so 2^n is built from them without a float-to-int conversion.
  const F shifted = c * 1.44269504f + 12582912.0f;
  const F n = shifted - 12582912.0f;
  const I scale_bits = (__builtin_bit_cast(I, shifted) + (127 - 0x4B400000)) << 23;
  const F scale = __builtin_bit_cast(F, scale_bits);
  const F r = c - n * 0.693359375f + n * 2.12194440e-4f;  // ln 2 in two parts
  F p = r * (1.0f / 720.0f) + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  c = p * scale;
}

// x = exp(x) for x <= 0 (x - max of a softmax row), lane by lane; see vector_math.h. NaN
// stays NaN; below -87.3 gives 0. By reference, as exp_clamped.
template <typename F, typename I>
__attribute__((always_inline)) inline void exp_nonpositive(F& x) {
  const F zero = F{};
  const F lo = zero - 87.3f;
  F e = x > lo ? x : lo;
  exp_clamped<F, I>(e);
  x = x == x ? (x < lo ? zero : e) : x;
}

// x = x * sigmoid(x) = x / (1 + exp(-x)) lane by lane, -x clamped to exp_clamped's range: at
// the top 2^n is +inf, so x / inf gives the -0 that x * sigmoid(x) underflows to below about
// -88.4 (and -inf / inf the reference's NaN). NaN stays NaN. One division and no selects on
// the result: about a fifth faster than x * (x < 0 ? e : 1) / (1 + e) with e = exp(-|x|), at
// the same accuracy. By reference, as exp_clamped.
// With alpha, x * sigmoid(alpha * x) = x / (1 + exp(-alpha * x)) (Swish; alpha 1 is SiLU
// exactly, x * 1 being x).
template <typename F, typename I>
__attribute__((always_inline)) inline void silu_lanes(F& x, float alpha = 1.0f) {
  F c = 0.0f - x * alpha;
  c = c > -87.3f ? c : F{} - 87.3f;  // a NaN compares false: clamped, x keeps it
  c = c < 88.72f ? c : F{} + 88.72f;
  exp_clamped<F, I>(c);
  x = x / (1.0f + c);
}

}  // namespace parallax::rt::kernels::nn
