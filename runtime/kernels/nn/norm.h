// Helpers of the normalisation kernels (BatchNormalization, InstanceNormalization,
// LayerNormalization, MeanVarianceNormalization): parameters of any float type read as the
// compute type, and one-pass mean / variance.
//
//   double* scale = ...scratch...;
//   PARALLAX_RETURN_IF_ERROR(load_values(*scale_tensor, scale));
#pragma once

#include <cmath>
#include <cstdint>

#include "../common.h"

namespace parallax::rt::kernels::nn {

// Copies every element of the float tensor `t` into dst, converted to D. Parameter tensors
// may have a float type other than X's (BatchNormalization-15 allows it).
template <typename D>
Status load_values(const Tensor& t, D* dst) {
  return PARALLAX_DISPATCH(t.dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = t.data_as<T>();
    const int64_t n = t.numel();
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<D>(static_cast<compute_t<T>>(p[i]));
    return Status::ok();
  });
}

// Writes src (n values) into the float tensor `t`, converted to its element type.
template <typename S>
Status store_values(const S* src, Tensor* t) {
  return PARALLAX_DISPATCH(t->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t->data_as<T>();
    const int64_t n = t->numel();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(static_cast<compute_t<T>>(src[i]));
    return Status::ok();
  });
}

// Mean and (biased) variance of n values spaced `stride` apart, accumulated in double.
template <typename T>
void mean_variance(const T* x, int64_t n, int64_t stride, double* mean, double* var) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i)
    sum += static_cast<double>(static_cast<compute_t<T>>(x[i * stride]));
  const double m = n > 0 ? sum / static_cast<double>(n) : 0.0;
  double sq = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(static_cast<compute_t<T>>(x[i * stride])) - m;
    sq += d * d;
  }
  *mean = m;
  *var = n > 0 ? sq / static_cast<double>(n) : 0.0;
}

}  // namespace parallax::rt::kernels::nn
