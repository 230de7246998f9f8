// Reading single elements of small parameter tensors (scales, roi, thresholds) whatever their
// floating-point dtype. For integer parameters see int_at() in ../common.h.
#pragma once

#include "../common.h"

namespace parallax::rt::kernels {

// Element i of a floating-point tensor as double; 0 for other dtypes.
inline double float_at(const Tensor& t, int64_t i) {
  switch (t.dtype) {
    case DType::kFloat32: return t.data_as<float>()[i];
    case DType::kFloat64: return t.data_as<double>()[i];
    case DType::kFloat16: return static_cast<float>(t.data_as<float16>()[i]);
    case DType::kBFloat16: return static_cast<float>(t.data_as<bfloat16>()[i]);
    default: return 0.0;
  }
}

}  // namespace parallax::rt::kernels
