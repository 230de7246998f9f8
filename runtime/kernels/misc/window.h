// The generalized cosine windows of opset 17 (HannWindow, HammingWindow, BlackmanWindow):
//   w[k] = a0 - a1 * cos(2*pi*k / N) + a2 * cos(4*pi*k / N),  k in [0, size)
// with N = size for a periodic window (attribute periodic = 1, the default) and size - 1 for
// a symmetric one. The output element type is the 'output_datatype' attribute (default float).
//
//   Status HannWindow(KernelContext& ctx) { return misc::cosine_window(ctx, 0.5, 0.5, 0.0); }
#pragma once

#include <cmath>
#include <string>

#include "../common.h"

namespace parallax::rt::kernels::misc {

// Reads the 'output_datatype' attribute (default float) and checks it is a numeric type.
inline Status read_output_datatype(const KernelContext& ctx, DType* out) {
  const int64_t v = ctx.attr_int("output_datatype", static_cast<int64_t>(DType::kFloat32));
  if (v < 0 || v > 255 || !dtype_is_valid(static_cast<int>(v)) ||
      !(kNumericTypes & type_bit(static_cast<DType>(v)))) {
    return Status::invalid("output_datatype " + std::to_string(v) + " is not a numeric type");
  }
  *out = static_cast<DType>(v);
  return Status::ok();
}

inline Status cosine_window(KernelContext& ctx, double a0, double a1, double a2) {
  const Tensor* size_in = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &size_in));
  if (!is_int_tensor(*size_in) || size_in->numel() != 1)
    return Status::invalid("size must be an integer scalar");
  const int64_t size = int_at(*size_in, 0);
  if (size < 0) return Status::invalid("size must not be negative, got " + std::to_string(size));
  DType dtype = DType::kFloat32;
  PARALLAX_RETURN_IF_ERROR(read_output_datatype(ctx, &dtype));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, dtype, Shape{size}, &y));
  const bool periodic = ctx.attr_int("periodic", 1) != 0;
  const int64_t period = periodic ? size : size - 1;
  const double kTwoPi = 6.283185307179586476925286766559;
  return PARALLAX_DISPATCH(dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = y->data_as<T>();
    for (int64_t k = 0; k < size; ++k) {
      // A one-point symmetric window has no period; it is the window's peak.
      const double phase =
          period > 0 ? kTwoPi * static_cast<double>(k) / static_cast<double>(period) : 0.0;
      const double w = period > 0 ? a0 - a1 * std::cos(phase) + a2 * std::cos(2.0 * phase) : 1.0;
      out[k] = static_cast<T>(static_cast<compute_t<T>>(w));
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels::misc
