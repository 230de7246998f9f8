// DFT (opset 17): the discrete Fourier transform along one signal axis of
// input [batch, s1..sN, 1 (real) | 2 (complex)]. Optional dft_length zero-pads or truncates
// the axis; 'inverse' computes the inverse transform (scaled by 1/n); 'onesided' keeps only
// the first n/2 + 1 bins. Output [batch, .., n or n/2 + 1, .., 2].
// Types: float16, bfloat16, float, double; dft_length int32 / int64.
#include "dft.h"

#include "../common.h"

namespace parallax::rt::kernels {

Status DFT(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const Shape& s = x->shape;
  if (s.rank < 3 || (s[s.rank - 1] != 1 && s[s.rank - 1] != 2)) {
    return Status::invalid("input must be [batch, signal dims..., 1 or 2], got " + s.to_string());
  }
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", 1), s.rank, &axis));
  if (axis == 0 || axis == s.rank - 1) {
    return Status::invalid("axis " + std::to_string(axis) + " is not a signal axis of " +
                           s.to_string());
  }
  const bool inverse = ctx.attr_int("inverse", 0) != 0;
  const bool onesided = ctx.attr_int("onesided", 0) != 0;
  int64_t n = s[axis];
  if (const Tensor* len = ctx.input(1)) {
    if (!is_int_tensor(*len) || len->numel() != 1)
      return Status::invalid("dft_length must be an integer scalar");
    n = int_at(*len, 0);
  }
  if (n <= 0) return Status::invalid("dft_length must be positive, got " + std::to_string(n));
  const int64_t bins = onesided ? n / 2 + 1 : n;
  Shape out_shape = s;
  out_shape[axis] = bins;
  out_shape[s.rank - 1] = 2;
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out_shape, &y));

  const bool complex_in = s[s.rank - 1] == 2;
  const int64_t avail = s[axis] < n ? s[axis] : n;
  int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  int64_t inner = 1;  // signal positions after the axis, excluding the complex pair
  for (int i = axis + 1; i < s.rank - 1; ++i) inner *= s[i];
  const int64_t comps = s[s.rank - 1];
  // table (2n) | one signal (2n) | one spectrum (2 bins)
  double* table = static_cast<double*>(ctx.scratch(sizeof(double) * (4 * n + 2 * bins)));
  double* sig = table + 2 * n;
  double* spec = sig + 2 * n;
  misc::fill_twiddles(n, table);
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x->data_as<T>();
    T* out = y->data_as<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          const int64_t src = ((o * s[axis] + j) * inner + i) * comps;
          sig[2 * j] = j < avail ? static_cast<double>(in[src]) : 0.0;
          sig[2 * j + 1] = j < avail && complex_in ? static_cast<double>(in[src + 1]) : 0.0;
        }
        misc::dft_1d(n, bins, inverse, table, sig, spec);
        for (int64_t k = 0; k < bins; ++k) {
          const int64_t dst = ((o * bins + k) * inner + i) * 2;
          out[dst] = static_cast<T>(spec[2 * k]);
          out[dst + 1] = static_cast<T>(spec[2 * k + 1]);
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
