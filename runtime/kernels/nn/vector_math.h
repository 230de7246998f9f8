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
#pragma once

#include <cstddef>

struct pthreadpool;

namespace parallax::rt::kernels::nn {

// erf of each of x[0, n) into y (y may be x).
void erf_f32(const float* x, float* y, size_t n, ::pthreadpool* pool);

// Gelu (erf form) of y[0, n) in place.
void gelu_erf_f32(float* y, size_t n, ::pthreadpool* pool);

}  // namespace parallax::rt::kernels::nn
