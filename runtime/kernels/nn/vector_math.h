// Vectorised float32 approximations of elementwise functions whose libm versions do not
// vectorise, for the fast paths (XNNPACK epilogues) that already trade the last bits for
// speed. The reference kernels keep libm (activation.h) and are the oracle in the tests.
//
//   nn::gelu_erf_f32(y, n, ctx.threadpool());  // y = 0.5 * y * (1 + erf(y / sqrt(2)))
//
// erf_f32 is x * P(x^2) / Q(x^2) on [-4, 4] (erf rounds to +-1 in float beyond), with P of
// degree 6 and Q of degree 4 in x^2, fitted for this file by iterated weighted least squares;
// its largest absolute error against erf is 5e-7 in float arithmetic. NaN stays NaN.
// Each element is computed alone, so results do not depend on the thread count.
//
// softmax_rows_f32's exp is 2^n * P(r) after reducing x = n ln 2 + r, |r| <= ln(2) / 2, with P
// the degree-6 Taylor polynomial (relative error under 2e-7 before rounding); inputs below
// -87.3 (where expf is at most 2^-126) give 0, as expf underflows there too.
#pragma once

#include <cstddef>
#include <cstdint>

struct pthreadpool;

namespace parallax::rt::kernels::nn {

// erf of each of x[0, n) into y (y may be x).
void erf_f32(const float* x, float* y, size_t n, ::pthreadpool* pool);

// Gelu (erf form) of y[0, n) in place.
void gelu_erf_f32(float* y, size_t n, ::pthreadpool* pool);

// SiLU (x * sigmoid(x)) of y[0, n) in place, in one pass: x / (1 + exp(-x)) with the exp of
// softmax_rows_f32 (vector_exp.h, silu_lanes). NaN stays NaN.
void silu_f32(float* y, size_t n, ::pthreadpool* pool);

// Softmax of each of `rows` rows of n floats (row r at x + r * ld) into y (same layout; y may
// be x): max, then exp(x - max) summed in interleaved partial sums, then one multiplication
// by 1 / sum. Rows are split over `pool` (may be null); each row is one thread's, so results
// do not depend on the thread count. A NaN anywhere in a row makes the row NaN.
void softmax_rows_f32(const float* x, float* y, int64_t rows, int64_t n, int64_t ld,
                      ::pthreadpool* pool);

}  // namespace parallax::rt::kernels::nn
