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

// x = exp(x) for x <= 0 (x - max of a softmax row), lane by lane; see vector_math.h. NaN
// stays NaN; below -87.3 gives 0. By reference: vectors passed by value change the ABI.
template <typename F, typename I>
__attribute__((always_inline)) inline void exp_nonpositive(F& x) {
  const F zero = F{};
  const F lo = zero - 87.3f;
  const F c = x > lo ? x : lo;
  // Round c * log2(e) to an integer n by adding 1.5 * 2^23: n lands in the low mantissa bits
  // (|n| <= 126), so 2^n is built from them without a float-to-int conversion.
  const F shifted = c * 1.44269504f + 12582912.0f;
  const F n = shifted - 12582912.0f;
  const I scale_bits = ((__builtin_bit_cast(I, shifted) - 0x4B400000) + 127) << 23;
  const F scale = __builtin_bit_cast(F, scale_bits);
  const F r = c - n * 0.693359375f + n * 2.12194440e-4f;  // ln 2 in two parts
  F p = r * (1.0f / 720.0f) + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const F e = x < lo ? zero : p * scale;
  x = x == x ? e : x;
}

// x = x * sigmoid(x) lane by lane: with e = exp(-|x|) <= 1, sigmoid(x) is 1 / (1 + e) for x >= 0
// and e / (1 + e) below, so the exp never overflows. By reference, as exp_nonpositive.
template <typename F, typename I>
__attribute__((always_inline)) inline void silu_lanes(F& x) {
  F e = x < 0 ? x : -x;
  exp_nonpositive<F, I>(e);
  const F r = 1.0f / (1.0f + e);
  x = x * (x < 0 ? e * r : r);
}

}  // namespace parallax::rt::kernels::nn
