// Helpers of the quantized kernels (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
// MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv).
//
// Linear quantization: real = (q - zero_point) * scale; q = saturate(round(real / scale) +
// zero_point) with rounding half to even. Scales and zero points are either one value or one
// per entry along some axis; read_params() expands them to `n` values in scratch.
//
//   int32_t* zp = ...;  // n entries of scratch
//   PARALLAX_RETURN_IF_ERROR(read_params(ctx.input(2), n, "a_zero_point", zp));
#pragma once

#include <cmath>
#include <limits>
#include <string>

#include "../common.h"

namespace parallax::rt::kernels::nn {

constexpr TypeSet kQuant8Types = type_bit(DType::kInt8) | type_bit(DType::kUInt8);

// round-half-to-even(v) clamped to Q's range.
template <typename Q>
Q saturate_round(double v) {
  const double r = std::nearbyint(v);  // the default rounding mode is to nearest, ties to even
  constexpr double lo = static_cast<double>(std::numeric_limits<Q>::lowest());
  constexpr double hi = static_cast<double>(std::numeric_limits<Q>::max());
  if (!(r >= lo)) return std::numeric_limits<Q>::lowest();  // also maps NaN to lowest
  if (r > hi) return std::numeric_limits<Q>::max();
  return static_cast<Q>(r);
}

// Expands a scalar or n-element parameter tensor (integer or float) into dst[0..n).
// A missing tensor means zero.
template <typename D>
Status read_params(const Tensor* t, int64_t n, const char* name, D* dst) {
  if (t == nullptr) {
    for (int64_t i = 0; i < n; ++i) dst[i] = D(0);
    return Status::ok();
  }
  const int64_t count = t->numel();
  if (count != 1 && count != n) {
    return Status::invalid(std::string(name) + " has " + std::to_string(count) +
                           " elements, expected 1 or " + std::to_string(n));
  }
  return PARALLAX_DISPATCH(t->dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = t->data_as<T>();
    for (int64_t i = 0; i < n; ++i) {
      dst[i] = static_cast<D>(static_cast<compute_t<T>>(p[count == 1 ? 0 : i]));
    }
    return Status::ok();
  });
}

// The (outer, n, inner) split of `s` around the quantization axis: per-axis parameters have n
// entries; a scalar parameter uses axis-independent indexing (n = 1 is fine too).
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};

inline Status split_at_axis(const KernelContext& ctx, const Shape& s, const Tensor& scale,
                            AxisSplit* out) {
  *out = AxisSplit();
  if (scale.numel() == 1 && scale.shape.rank <= 1) {
    out->inner = s.numel();
    return Status::ok();
  }
  if (scale.shape.rank != 1 || ctx.opset() < 13) {
    return Status::invalid("scale must be a scalar" +
                           std::string(ctx.opset() < 13 ? "" : " or a 1-D tensor"));
  }
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", 1), s.rank, &axis));
  if (s.dims[axis] != scale.numel()) {
    return Status::invalid("scale has " + std::to_string(scale.numel()) + " elements, axis " +
                           std::to_string(axis) + " of the input has " +
                           std::to_string(s.dims[axis]));
  }
  for (int d = 0; d < axis; ++d) out->outer *= s.dims[d];
  out->n = s.dims[axis];
  for (int d = axis + 1; d < s.rank; ++d) out->inner *= s.dims[d];
  return Status::ok();
}

// Checks that an optional zero point has the same element type as `like`.
inline Status check_zero_point(const Tensor* zp, DType like, const char* name) {
  if (zp && zp->dtype != like) {
    return Status::invalid(std::string(name) + " has type " + dtype_name(zp->dtype) +
                           ", expected " + dtype_name(like));
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels::nn
